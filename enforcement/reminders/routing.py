"""Who a task goes to: whoever holds the control that closes it (docs/reminders.md).

One mapping decides it. Each kind of reminder (and, for a statutory deadline, whoever runs the
case's steps) is closed by one control, and each control needs one permission
(`enforcement.access`); the team a task goes to is the team whose role holds that permission.
A named person (the officer in charge, the author of a referral) is added only where the
workflow knows one who holds it too. So a statutory step of a case that a committee referral
runs goes to the committee clerks, who record it on the referral, never to the licensing
officer, who has no control for it.

A team's members are the people who hold its control, and no one else (`members`,
`member_teams`): a role team is everyone with the role; a ward team is everyone who can log a
welfare visit in the ward, that is who covers it, holds the permission through a role and has
the Operation Moontwist training the welfare workflow asks for
(`enforcement.welfare.visits.may_log_at`), not everyone who covers it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, exists, select
from sqlalchemy.orm import Session

from enforcement.access import Actor, Permission, can, can_for_organisation, roles_granted
from enforcement.models import (
    EnforcementCase,
    PremisesWard,
    Referral,
    Reminder,
    UserRole,
    UserWard,
    Ward,
)
from enforcement.models.welfare import MoontwistTraining
from enforcement.reminders.vocab import ReminderKind
from enforcement.vocab import Labelled, Role

# Teams a reminder may be addressed to besides its owner: everyone holding a role, or a ward
# team, "ward:<ONS code>" (`ward_team`), of those who can log a welfare visit in the ward.
TEAM_ROLES = {
    "licensing": "licensing_officer",
    "clerks": "committee_clerk",
    "intel": "intel_analyst",  # intelligence flag reviews
    "supervisors": "supervisor",  # referrals awaiting sign-off; immigration referrals to decide
}
TEAM_LABELS = {
    "licensing": "Licensing team",
    "clerks": "Committee clerks",
    "intel": "Intelligence analysts",
    "supervisors": "Supervisors",
}
#: How a sentence names each role team, and whether it takes a plural verb ("the committee
#: clerks have", "the licensing team has"). A ward team is "the <ward> ward team", singular.
TEAM_PHRASES: dict[str, tuple[str, bool]] = {
    "licensing": ("the licensing team", False),
    "clerks": ("the committee clerks", True),
    "intel": ("the intelligence analysts", True),
    "supervisors": ("the supervisors", True),
}
WARD_TEAM = "ward:"


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

#: The permission a ward team's members hold: used only in the wards a person covers, so its
#: tasks go to the ward's team.
WARD_TEAM_HOLDS = Permission.WELFARE_VISIT_LOG
WARD_SCOPED = frozenset({WARD_TEAM_HOLDS})

#: Permissions that are used only by someone with an Operation Moontwist training record, as
#: well as a role that grants them (`enforcement.welfare.visits.logging_refusal`).
TRAINING_NEEDED = frozenset({Permission.WELFARE_VISIT_LOG})

#: Tasks that go to a team only when no one in particular owes them (a case nobody has taken
#: on yet falls to the licensing team); the others go to the team as well as their owner.
TEAM_ONLY_UNOWNED = frozenset({ReminderKind.STATUTORY_DEADLINE})

#: Tasks that go to one named person only (the author of a returned referral).
OWNER_ONLY = frozenset({ReminderKind.REFERRAL_RETURNED})
#: Who takes on a named person's task when no one is named (its author has left): for a
#: returned referral, the supervisors, since besides its author only a supervisor of its
#: organisation may change and submit it (`referrals.drafting.may_draft`).
UNOWNED_TEAM = {ReminderKind.REFERRAL_RETURNED: "supervisors"}


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

    A permission used in the wards people cover goes to the ward's team (None without a ward):
    those who can use it there (`members`).
    """
    if permission in WARD_SCOPED:
        return ward_team(ward_code) if ward_code else None
    granted = {role.value for role in roles_granted(permission)}
    return next((team for team, role in TEAM_ROLES.items() if role in granted), None)


def ward_team(ward_code: str) -> str:
    """Return the name of a ward's team, as reminders store it."""
    return f"{WARD_TEAM}{ward_code}"


def ward_of(team: str | None) -> str | None:
    """Return the ward code of a ward team (None for any other team, or none)."""
    if team and team.startswith(WARD_TEAM):
        return team.removeprefix(WARD_TEAM)
    return None


def _holds_by_role(roles: Iterable[str], permission: Permission) -> bool:
    held = set(roles)
    return any(role.value in held for role in roles_granted(permission))


def teams_for(roles: Iterable[str], ward_codes: Iterable[str]) -> list[str]:
    """Return the teams a person with these roles and wards may belong to, by role and cover.

    A ward team's members also need what no role gives (`TRAINING_NEEDED`): `member_teams`
    asks for it, and `trained_condition` says it in SQL.
    """
    held = set(roles)
    teams = (
        [ward_team(code) for code in sorted(ward_codes)]
        if _holds_by_role(held, WARD_TEAM_HOLDS)
        else []
    )
    teams.extend(team for team, role in TEAM_ROLES.items() if role in held)
    return teams


def needs_training(team: str) -> bool:
    """Say whether a team's members must have a Moontwist training record (a ward team)."""
    return ward_of(team) is not None and WARD_TEAM_HOLDS in TRAINING_NEEDED


def trained_condition(user_id: object) -> ColumnElement[bool]:
    """Say, in SQL, whether the user (a column or a bound value) has Moontwist training."""
    return exists().where(MoontwistTraining.user_id == user_id)


def is_trained(session: Session, user_id: int | None) -> bool:
    """Say whether the user has a Moontwist training record."""
    if user_id is None:
        return False
    return bool(session.scalar(select(trained_condition(user_id))))


def member_teams(session: Session, actor: Actor) -> list[str]:
    """Return the teams the actor is a member of: those whose control they hold."""
    teams = teams_for(actor.roles, actor.ward_codes)
    if any(needs_training(t) for t in teams) and not is_trained(session, actor.user_id):
        teams = [t for t in teams if not needs_training(t)]
    return teams


def members(team: str) -> Select[int] | None:
    """Return, as a SELECT of user ids, the people who make up a team (active or not), or None
    for a team no longer known: a role's holders, or those who can log a visit in a ward."""
    ward = ward_of(team)
    if ward is not None:
        roles = sorted(role.value for role in roles_granted(WARD_TEAM_HOLDS))
        query = select(UserWard.user_id).where(
            UserWard.ward_code == ward,
            UserWard.user_id.in_(select(UserRole.user_id).where(UserRole.role.in_(roles))),
        )
        if needs_training(team):
            query = query.where(trained_condition(UserWard.user_id))
        return query
    if team in TEAM_ROLES:
        return select(UserRole.user_id).where(UserRole.role == TEAM_ROLES[team])
    return None


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
    if kind in OWNER_ONLY:
        # Its one named person, or with no one named, those who may act for them.
        team = None if owner_user_id is not None else UNOWNED_TEAM.get(kind, team)
    if kind in TEAM_ONLY_UNOWNED and owner_user_id is not None:
        team = None
    return Recipients(owner_user_id, team)


def case_recipients(officer_id: int | None, process: Process, council_owned: bool) -> Recipients:
    """Address a case's statutory reminders to whoever records its steps (docs/reminders.md).

    The officer in charge; a case nobody has taken on yet (a review the law opened) falls to
    the licensing team if the council owns it (the licensing team is the council's); a case a
    committee referral runs is the committee clerks', who record its steps on the referral.
    """
    to = route(ReminderKind.STATUTORY_DEADLINE, owner_user_id=officer_id, process=process)
    if process is Process.CASE and not council_owned:
        return Recipients(to.owner_user_id, None)
    return to


# ---------------------------------------------------------------------------------------------
# Who may complete a task: acknowledge it, snooze it or mark it done
# ---------------------------------------------------------------------------------------------

#: The subject type of an enforcement case's reminders (its statutory deadlines).
CASE_SUBJECT = "enforcement_case"
#: The subject type of a committee referral's reminders.
REFERRAL_SUBJECT = "committee_referral"


def process_of(session: Session, r: Reminder) -> Process:
    """Return who records the steps a reminder asks for: a case a committee referral runs is
    the clerks' (as `enforcement.cases.clock.run_by_referral` says), any other the case's."""
    if (
        r.kind == ReminderKind.STATUTORY_DEADLINE
        and r.subject_type == CASE_SUBJECT
        and session.scalar(select(exists().where(Referral.case_id == r.subject_id)))
    ):
        return Process.COMMITTEE_REFERRAL
    return Process.CASE


def task_ward(session: Session, r: Reminder) -> str | None:
    """The ward the task's control is used in: its premises' ward, else its ward team's."""
    if r.premises_id is not None:
        code: str | None = session.scalar(
            select(Ward.code)
            .join(PremisesWard, PremisesWard.ward_id == Ward.id)
            .where(PremisesWard.premises_id == r.premises_id)
        )
        if code is not None:
            return code
    return ward_of(r.team)


def _doing(control: Control) -> str:
    label = control.label
    return label[:1].lower() + label[1:]


def completion_refusal(session: Session, actor: Actor, r: Reminder) -> str | None:
    """Say why the actor may not acknowledge, snooze or mark a task done (None if they may).

    Only whoever holds the control that completes it may: its permission, in the ward it is
    used in (with the training it needs) or for the organisation that owns the case. Seeing a
    task (its owner's supervisor, the supervisor it was escalated to) is not completing it.
    """
    if actor.is_system:
        return None
    try:
        kind = ReminderKind(r.kind)
    except ValueError:  # a kind no longer listed: its owner alone, as it was addressed
        return None if r.owner_user_id == actor.user_id else "Only its owner can act on this task."
    control = control_for(kind, process_of(session, r))
    permission = NEEDS[control]
    refused = (
        f"Only someone who can {_doing(control).rstrip('.')} can acknowledge, snooze or mark "
        "this task done, because that is what completes it."
    )
    if not can(actor, permission):
        return refused
    if permission in WARD_SCOPED:
        ward = task_ward(session, r)
        if ward is None or ward not in actor.ward_codes:
            return f"{refused} You do not cover the ward it is in."
        if permission in TRAINING_NEEDED and not is_trained(session, actor.user_id):
            return (
                f"{refused} Your Operation Moontwist training is not recorded yet: ask your "
                "supervisor to record it."
            )
    if kind is ReminderKind.REFERRAL_RETURNED and r.subject_type == REFERRAL_SUBJECT:
        author, organisation = session.execute(
            select(Referral.author_id, Referral.organisation_id).where(Referral.id == r.subject_id)
        ).one_or_none() or (None, None)
        if actor.user_id != author and not (
            actor.has_role(Role.SUPERVISOR) and actor.organisation_id == organisation
        ):
            return (
                "Only the officer who drafted this referral, or a supervisor of their "
                "organisation, can act on it, because only they can submit it again."
            )
    if control is Control.RECORD_CASE_EVENT and r.subject_type == CASE_SUBJECT:
        owner = session.scalar(
            select(EnforcementCase.owner_organisation_id).where(EnforcementCase.id == r.subject_id)
        )
        if owner is not None and not can_for_organisation(actor, permission, owner):
            return f"{refused} Only the organisation that owns the case can change it."
    return None
