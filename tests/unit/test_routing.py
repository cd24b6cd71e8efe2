"""The routing table: every kind of task is closed by a control someone on its team holds."""

from __future__ import annotations

import pytest

from enforcement.access import roles_granted
from enforcement.reminders import routing
from enforcement.reminders.routing import TEAM_ROLES, Control, Process
from enforcement.reminders.vocab import ReminderKind


@pytest.mark.parametrize("process", list(Process))
@pytest.mark.parametrize("kind", list(ReminderKind))
def test_every_kind_goes_to_a_team_holding_the_control_that_closes_it(
    kind: ReminderKind, process: Process
) -> None:
    permission = routing.permission_for(kind, process)
    to = routing.route(kind, ward_code="E05013733", process=process)
    if kind in routing.OWNER_ONLY:
        # Only a named person owes it; without one it falls to the team that holds the control.
        assert routing.route(kind, owner_user_id=7, process=process) == routing.Recipients(7, None)
    assert to.team is not None, f"{kind} reaches no team when nobody in particular owes it"
    if to.team.startswith("ward:"):
        assert permission in routing.WARD_SCOPED and to.team == "ward:E05013733"
    else:
        assert TEAM_ROLES[to.team] in {role.value for role in roles_granted(permission)}


def test_every_control_names_the_permission_it_needs() -> None:
    assert set(routing.NEEDS) == set(Control)
    assert set(routing.CLOSED_BY) == set(ReminderKind)
    assert set(routing.STATUTORY) == set(Process)


def test_a_case_a_committee_referral_runs_is_the_clerks_whoever_is_in_charge() -> None:
    kind = ReminderKind.STATUTORY_DEADLINE
    assert routing.route(kind, owner_user_id=3) == routing.Recipients(3, None)
    assert routing.route(kind) == routing.Recipients(None, "licensing")
    assert routing.route(
        kind, owner_user_id=3, process=Process.COMMITTEE_REFERRAL
    ) == routing.Recipients(None, "clerks")


def test_the_referral_hand_ons_go_to_supervisors_clerks_and_the_author() -> None:
    assert routing.route(ReminderKind.REFERRAL_SIGN_OFF).team == "supervisors"
    assert routing.route(ReminderKind.REFERRAL_SIGNED_OFF).team == "clerks"
    assert routing.route(ReminderKind.REFERRAL_RETURNED, owner_user_id=9) == routing.Recipients(
        9, None
    )
    assert routing.route(ReminderKind.HEARING).team == "clerks"
    assert routing.route(ReminderKind.FLAG_REVIEW).team == "intel"


def test_a_ward_team_is_only_those_whose_role_can_log_a_welfare_visit() -> None:
    """Covering a ward does not make a licensing officer or a supervisor one of its team: they
    cannot log a welfare visit there. A ward officer is, once trained (checked in the database:
    `routing.member_teams`, `routing.members`)."""
    wards = {"E05013733"}
    assert routing.teams_for({"ward_officer"}, wards) == ["ward:E05013733"]
    assert routing.teams_for({"licensing_officer"}, wards) == ["licensing"]
    assert routing.teams_for({"supervisor"}, wards) == ["supervisors"]
    assert routing.teams_for({"ward_officer", "supervisor"}, wards) == [
        "ward:E05013733",
        "supervisors",
    ]
    assert routing.needs_training("ward:E05013733") and not routing.needs_training("licensing")
    assert routing.ward_of("ward:E05013733") == "E05013733" and routing.ward_of("clerks") is None
