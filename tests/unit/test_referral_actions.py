"""The steps open on a referral follow from its status, its process case and who is asking."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from enforcement.access import Actor
from enforcement.cases.vocab import Status
from enforcement.models import Referral
from enforcement.referrals.actions import CLERK_ACTIONS, Action, open_actions
from enforcement.referrals.vocab import ReferralStatus as S
from enforcement.vocab import Role

AUTHOR, OTHER_OFFICER, SUPERVISOR, CLERK = 1, 2, 3, 4
WHEN = datetime(2026, 3, 2, 10, tzinfo=UTC)


def _actor(user_id: int, *roles: Role, organisation_id: int = 10) -> Actor:
    return Actor(
        user_id=user_id,
        label=f"user {user_id}",
        roles=frozenset(r.value for r in roles),
        organisation_id=organisation_id,
    )


author = _actor(AUTHOR, Role.LICENSING_OFFICER)
other_officer = _actor(OTHER_OFFICER, Role.LICENSING_OFFICER)
supervisor = _actor(SUPERVISOR, Role.SUPERVISOR)
clerk = _actor(CLERK, Role.COMMITTEE_CLERK, organisation_id=20)


def _referral(status: S, **facts: datetime | None) -> Referral:
    return Referral(status=status.value, author_id=AUTHOR, organisation_id=10, **facts)


def _open(
    actor: Actor,
    status: S,
    *,
    complete: bool = True,
    notice_status: str | None = None,
    **facts: datetime | None,
) -> frozenset[Action]:
    referral = _referral(status, **facts)
    return open_actions(actor, referral, complete=complete, notice_status=notice_status).actions


@pytest.mark.parametrize("status", [S.DRAFT, S.RETURNED])
def test_a_draft_is_changed_and_submitted_by_its_author_or_their_supervisor(status: S) -> None:
    assert _open(author, status) == {Action.EDIT_DRAFT, Action.SUBMIT}
    assert _open(author, status, complete=False) == {Action.EDIT_DRAFT}
    assert _open(supervisor, status) == {Action.EDIT_DRAFT, Action.SUBMIT}
    assert _open(other_officer, status) == frozenset()
    assert _open(clerk, status) == frozenset()


def test_a_submitted_referral_is_signed_off_or_returned_by_another_supervisor() -> None:
    assert _open(supervisor, S.SUBMITTED) == {Action.SIGN_OFF, Action.RETURN}
    author_supervisor = _actor(AUTHOR, Role.SUPERVISOR)
    assert _open(author_supervisor, S.SUBMITTED) == frozenset()  # not their own
    assert _open(author, S.SUBMITTED) == frozenset()
    assert _open(clerk, S.SUBMITTED) == frozenset()


def test_a_signed_off_referral_waits_for_the_clerk_to_open_the_process() -> None:
    assert _open(clerk, S.SIGNED_OFF) == {Action.OPEN_PROCESS, Action.DOWNLOAD_PAPERS}
    assert _open(supervisor, S.SIGNED_OFF) == {Action.DOWNLOAD_PAPERS}
    assert _open(author, S.SIGNED_OFF) == frozenset()


def test_with_the_process_open_the_clerk_lists_the_hearing_and_records_representations() -> None:
    assert _open(clerk, S.PROCESS_OPEN) == {
        Action.LIST_HEARING,
        Action.RECORD_REPRESENTATIONS,
        Action.DOWNLOAD_PAPERS,
    }


def test_a_listed_hearing_can_be_moved_until_it_is_held() -> None:
    listed = _open(clerk, S.HEARING_LISTED, hearing_at=WHEN)
    assert listed == {
        Action.MOVE_HEARING,
        Action.RECORD_REPRESENTATIONS,
        Action.RECORD_DECISION,
        Action.DOWNLOAD_PAPERS,
    }
    held = _open(clerk, S.HEARING_LISTED, hearing_at=WHEN, hearing_held_at=WHEN)
    assert Action.MOVE_HEARING not in held and Action.LIST_HEARING not in held


def test_notice_of_the_hearing_is_open_until_its_date_is_met() -> None:
    assert Action.RECORD_NOTICE in _open(
        clerk, S.HEARING_LISTED, hearing_at=WHEN, notice_status=Status.PENDING
    )
    assert Action.RECORD_NOTICE in _open(
        clerk, S.HEARING_LISTED, hearing_at=WHEN, notice_status=Status.MISSED
    )
    assert Action.RECORD_NOTICE not in _open(
        clerk, S.HEARING_LISTED, hearing_at=WHEN, notice_status=Status.MET
    )
    # A tool whose rules need no notice has no notice date.
    assert Action.RECORD_NOTICE not in _open(clerk, S.HEARING_LISTED, hearing_at=WHEN)


def test_a_decision_is_notified_once_and_may_be_appealed() -> None:
    assert _open(clerk, S.DECIDED) == {
        Action.RECORD_NOTIFICATION,
        Action.RECORD_APPEAL,
        Action.DOWNLOAD_PAPERS,
    }
    assert _open(clerk, S.DECIDED, notified_at=WHEN) == {
        Action.RECORD_APPEAL,
        Action.DOWNLOAD_PAPERS,
    }


def test_an_appeal_waits_for_its_outcome() -> None:
    assert _open(clerk, S.APPEALED) == {Action.RECORD_APPEAL_DECISION, Action.DOWNLOAD_PAPERS}


def test_a_closed_referral_has_only_its_papers() -> None:
    assert _open(clerk, S.CLOSED) == {Action.DOWNLOAD_PAPERS}
    assert _open(supervisor, S.CLOSED) == {Action.DOWNLOAD_PAPERS}
    assert _open(author, S.CLOSED) == frozenset()


def test_only_clerks_take_clerk_steps_and_the_page_knows_when_any_is_open() -> None:
    for status in S:
        for actor in (author, supervisor, other_officer):
            assert not _open(actor, status, hearing_at=WHEN) & CLERK_ACTIONS
    referral = _referral(S.PROCESS_OPEN)
    assert open_actions(clerk, referral, complete=True, notice_status=None).clerk
    closed = _referral(S.CLOSED)
    assert not open_actions(clerk, closed, complete=True, notice_status=None).clerk
    assert Action.DOWNLOAD_PAPERS in open_actions(clerk, closed, complete=True, notice_status=None)


def _current(
    actor: Actor,
    status: S,
    *,
    now: datetime | None = None,
    period_ends: datetime | None = None,
    notice_status: str | None = None,
    **facts: datetime | None,
) -> Action | None:
    return open_actions(
        actor,
        _referral(status, **facts),
        complete=True,
        notice_status=notice_status,
        now=now,
        representations_end=period_ends,
    ).current


PERIOD_ENDS = datetime(2026, 3, 31, 22, 59, tzinfo=UTC)
HEARING = datetime(2026, 4, 20, 9, tzinfo=UTC)


def test_the_one_step_offered_first_follows_the_process() -> None:
    assert _current(author, S.DRAFT) is Action.EDIT_DRAFT
    assert _current(supervisor, S.SUBMITTED) is Action.SIGN_OFF
    assert _current(clerk, S.SIGNED_OFF) is Action.OPEN_PROCESS
    assert _current(clerk, S.PROCESS_OPEN, now=WHEN, period_ends=PERIOD_ENDS) is (
        Action.LIST_HEARING
    )
    listed = {"hearing_at": HEARING, "period_ends": PERIOD_ENDS}
    assert _current(clerk, S.HEARING_LISTED, now=WHEN, notice_status=Status.PENDING, **listed) is (
        Action.RECORD_NOTICE
    )
    # Notice given: representations while their period runs, then the hearing and decision.
    assert _current(clerk, S.HEARING_LISTED, now=WHEN, **listed) is Action.RECORD_REPRESENTATIONS
    after = datetime(2026, 4, 2, tzinfo=UTC)
    assert _current(clerk, S.HEARING_LISTED, now=after, **listed) is Action.RECORD_DECISION
    assert _current(clerk, S.DECIDED) is Action.RECORD_NOTIFICATION
    assert _current(clerk, S.DECIDED, notified_at=WHEN) is Action.RECORD_APPEAL
    assert _current(clerk, S.APPEALED) is Action.RECORD_APPEAL_DECISION
    assert _current(clerk, S.CLOSED) is None
    assert _current(author, S.SIGNED_OFF) is None and _current(other_officer, S.DRAFT) is None


def test_the_hearing_time_come_puts_the_decision_first_even_in_the_period() -> None:
    # A hearing cannot be in the period, but a clock read late must not offer representations.
    assert (
        _current(clerk, S.HEARING_LISTED, now=HEARING, period_ends=HEARING, hearing_at=HEARING)
        is Action.RECORD_DECISION
    )


def test_moving_the_hearing_is_offered_beside_the_next_step_never_as_it() -> None:
    found = open_actions(
        clerk,
        _referral(S.HEARING_LISTED, hearing_at=HEARING),
        complete=True,
        notice_status=Status.MET,
        now=WHEN,
        representations_end=PERIOD_ENDS,
    )
    assert found.current is Action.RECORD_REPRESENTATIONS
    assert found.others(found.current) == (Action.RECORD_DECISION, Action.MOVE_HEARING)
    assert found.choose("move_hearing") is Action.MOVE_HEARING
    assert found.choose("list_hearing") is Action.RECORD_REPRESENTATIONS  # not open
    assert found.choose("papers") is Action.RECORD_REPRESENTATIONS  # not a step with a form
    assert found.choose(None) is Action.RECORD_REPRESENTATIONS
