"""Who a task goes to: whoever holds the control that closes it (docs/reminders.md).

One mapping decides it. Each kind of reminder (and, for a statutory deadline, whoever runs the
case's steps) is closed by one control, and each control needs one permission
(`enforcement.access`); the team a task goes to is the team whose role holds that permission.
A named person (the officer in charge, the author of a referral) is added only where the
workflow knows one who holds it too. So a statutory step of a case that a committee referral
runs goes to the committee clerks, who record it on the referral, never to the licensing
officer, who has no control for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from enforcement.access import Permission, roles_granted
from enforcement.reminders.reminders import TEAM_ROLES
from enforcement.reminders.vocab import ReminderKind
from enforcement.vocab import Labelled


class Process(Labelled):
    """Who records a case's statutory steps, and so closes its statutory reminders."""

    CASE = "case", "The case's officer in charge, on the case's page"
    COMMITTEE_REFERRAL = "committee_referral", "The committee clerks, on the committee referral"


class Control(Labelled):
    """The control on the screen that closes a task (labelled as the screen labels it)."""

    RECORD_INSPECTION = "record_inspection", "Record an inspection"
    LOG_WELFARE_VISIT = "log_welfare_visit", "Log a welfare visit"
    RECORD_CASE_EVENT = "record_case_event", "Record an event"
    RECORD_REFERRAL_STEP = "record_referral_step", "Record the step on the committee referral"
    GRADE_FLAG = "grade_flag", "Grade the flag"
    CHANGE_LICENCE = "change_licence", "Change the licence"
    SIGN_OFF_REFERRAL = "sign_off_referral", "Sign off or return the referral"
    OPEN_REFERRAL_PROCESS = "open_referral_process", "Open the statutory process"
    RESUBMIT_REFERRAL = "resubmit_referral", "Submit for sign-off"
    DECIDE_IMMIGRATION_REFERRAL = (
        "decide_immigration_referral",
        "Approve or decline the immigration referral",
    )


#: The permission each control needs (what the domain function behind it requires).
NEEDS: dict[Control, Permission] = {
    Control.RECORD_INSPECTION: Permission.INSPECTION_RECORD,
    Control.LOG_WELFARE_VISIT: Permission.WELFARE_VISIT_LOG,
    Control.RECORD_CASE_EVENT: Permission.CASE_EDIT,
    Control.RECORD_REFERRAL_STEP: Permission.REFERRAL_CLERK,
    Control.GRADE_FLAG: Permission.FLAG_GRADE,
    Control.CHANGE_LICENCE: Permission.LICENCE_EDIT,
    Control.SIGN_OFF_REFERRAL: Permission.REFERRAL_SIGN_OFF,
    Control.OPEN_REFERRAL_PROCESS: Permission.REFERRAL_CLERK,
    Control.RESUBMIT_REFERRAL: Permission.REFERRAL_DRAFT,
    Control.DECIDE_IMMIGRATION_REFERRAL: Permission.WELFARE_IMMIGRATION_DECIDE,
}

#: The control that closes each kind of reminder. A statutory deadline is closed by recording
#: the case's event, wherever the case's steps are recorded (`STATUTORY`).
CLOSED_BY: dict[ReminderKind, Control] = {
    ReminderKind.FOLLOW_UP_INSPECTION: Control.RECORD_INSPECTION,
    ReminderKind.FOLLOW_UP_VISIT: Control.LOG_WELFARE_VISIT,
    ReminderKind.STATUTORY_DEADLINE: Control.RECORD_CASE_EVENT,
    ReminderKind.FLAG_REVIEW: Control.GRADE_FLAG,
    ReminderKind.HEARING: Control.RECORD_REFERRAL_STEP,
    ReminderKind.LICENCE_EXPIRY: Control.CHANGE_LICENCE,
    ReminderKind.REFERRAL_SIGN_OFF: Control.SIGN_OFF_REFERRAL,
    ReminderKind.REFERRAL_SIGNED_OFF: Control.OPEN_REFERRAL_PROCESS,
    ReminderKind.REFERRAL_RETURNED: Control.RESUBMIT_REFERRAL,
    ReminderKind.IMMIGRATION_DECISION: Control.DECIDE_IMMIGRATION_REFERRAL,
}

#: Where a case's statutory steps are recorded, by who runs the case.
STATUTORY: dict[Process, Control] = {
    Process.CASE: Control.RECORD_CASE_EVENT,
    Process.COMMITTEE_REFERRAL: Control.RECORD_REFERRAL_STEP,
}

#: Permissions used only in the wards a person covers: their tasks go to the ward's team.
WARD_SCOPED = frozenset({Permission.WELFARE_VISIT_LOG})

#: Tasks that go to a team only when no one in particular owes them (a case nobody has taken
#: on yet falls to the licensing team); the others go to the team as well as their owner.
TEAM_ONLY_UNOWNED = frozenset({ReminderKind.STATUTORY_DEADLINE})

#: Tasks that go to one named person only (the author of a returned referral).
OWNER_ONLY = frozenset({ReminderKind.REFERRAL_RETURNED})


def control_for(kind: ReminderKind, process: Process = Process.CASE) -> Control:
    """Return the control that closes a reminder of this kind."""
    if kind is ReminderKind.STATUTORY_DEADLINE:
        return STATUTORY[process]
    return CLOSED_BY[kind]


def permission_for(kind: ReminderKind, process: Process = Process.CASE) -> Permission:
    """Return the permission whoever closes a reminder of this kind must hold."""
    return NEEDS[control_for(kind, process)]


def team_holding(permission: Permission, ward_code: str | None = None) -> str | None:
    """Return the team whose members hold a permission (the first listed whose role has it).

    A permission used in the wards people cover goes to the ward's team (None without a ward).
    """
    if permission in WARD_SCOPED:
        return f"ward:{ward_code}" if ward_code else None
    granted = {role.value for role in roles_granted(permission)}
    return next((team for team, role in TEAM_ROLES.items() if role in granted), None)


@dataclass(frozen=True)
class Recipients:
    """Who a reminder is addressed to: a named person and a team (either may be None)."""

    owner_user_id: int | None
    team: str | None


def route(
    kind: ReminderKind,
    *,
    owner_user_id: int | None = None,
    ward_code: str | None = None,
    process: Process = Process.CASE,
) -> Recipients:
    """Address a reminder to whoever holds the control that closes it.

    `owner_user_id` is the person the workflow names (an officer in charge, an author): kept
    only where the control is the case's own (a case run by a committee referral is the clerks'
    whatever its officer in charge).
    """
    control = control_for(kind, process)
    if kind is ReminderKind.STATUTORY_DEADLINE and process is not Process.CASE:
        owner_user_id = None
    team = team_holding(NEEDS[control], ward_code)
    if kind in OWNER_ONLY and owner_user_id is not None:
        team = None
    if kind in TEAM_ONLY_UNOWNED and owner_user_id is not None:
        team = None
    return Recipients(owner_user_id, team)
