"""Moontwist training records and the coverage of ward officers against the one-third target."""

from __future__ import annotations

from datetime import date

import pytest
from builders import EAST, NOW, WEST, make_user, make_wards
from sqlalchemy import select
from sqlalchemy.orm import Session

from enforcement.access import Actor
from enforcement.accounts import users
from enforcement.errors import Forbidden, ValidationFailed
from enforcement.models import AuditEvent
from enforcement.welfare import training


@pytest.fixture
def supervisor(session: Session) -> Actor:
    make_wards(session)
    return users.actor_for(make_user(session, "supervisor"))


def _record(session: Session, who: Actor, user_id: int, on: date = date(2026, 2, 1)) -> None:
    training.record_training(
        session, who, NOW, training.TrainingInput(user_id, on, "Operation Moontwist, module 1")
    )


def test_a_supervisor_records_training_and_it_is_audited(
    session: Session, supervisor: Actor
) -> None:
    officer = make_user(session, "ward_officer", wards_=frozenset({WEST.code}))
    assert not training.is_trained(session, officer.id)
    _record(session, supervisor, officer.id)
    assert training.is_trained(session, officer.id)
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "training.record")).one()
    assert event.entity_id == str(officer.id) and event.actor_id == supervisor.user_id


def test_only_supervisors_record_training(session: Session, supervisor: Actor) -> None:
    officer = make_user(session, "ward_officer")
    with pytest.raises(Forbidden):
        _record(session, users.actor_for(officer), officer.id)


def test_bad_training_records_are_refused(session: Session, supervisor: Actor) -> None:
    clerk = make_user(session, "committee_clerk")
    with pytest.raises(ValidationFailed) as err:
        training.record_training(
            session, supervisor, NOW, training.TrainingInput(clerk.id, date(2026, 3, 3), " ")
        )
    assert set(err.value.errors) == {"user_id", "completed_on", "course"}
    officer = make_user(session, "ward_officer")
    _record(session, supervisor, officer.id)
    with pytest.raises(ValidationFailed, match="already recorded"):
        _record(session, supervisor, officer.id)


def test_coverage_per_ward_and_overall_against_one_third(
    session: Session, supervisor: Actor
) -> None:
    both = frozenset({WEST.code, EAST.code})
    west = [make_user(session, "ward_officer", wards_=frozenset({WEST.code})) for _ in range(2)]
    roaming = make_user(session, "ward_officer", wards_=both)
    make_user(session, "licensing_officer", wards_=both)  # not a ward officer: not counted
    _record(session, supervisor, roaming.id)
    _record(session, supervisor, roaming.id, date(2026, 2, 2))  # a second course counts once
    report = training.coverage_report(session, supervisor, NOW)
    by_code = {w.code: w for w in report.wards}
    # West: 3 ward officers, 1 trained, exactly a third; East: 1 of 1.
    assert (by_code[WEST.code].officers, by_code[WEST.code].trained) == (3, 1)
    assert by_code[WEST.code].meets_target and by_code[WEST.code].still_to_train == 0
    assert (by_code[EAST.code].officers, by_code[EAST.code].trained) == (1, 1)
    assert (report.overall.officers, report.overall.trained) == (3, 1)
    assert report.overall.meets_target
    _record(session, supervisor, west[0].id)
    assert len(training.coverage_report(session, supervisor, NOW).recent) == 3
    with pytest.raises(Forbidden):
        training.coverage_report(session, users.actor_for(west[1]), NOW)


def test_below_target_says_how_many_more_to_train(session: Session, supervisor: Actor) -> None:
    for _ in range(4):
        make_user(session, "ward_officer", wards_=frozenset({WEST.code}))
    west = {w.code: w for w in training.coverage_report(session, supervisor, NOW).wards}[WEST.code]
    assert west.officers == 4 and west.trained == 0
    assert not west.meets_target and west.still_to_train == 2
    empty = training.WardCoverage("x", "Nowhere", 0, 0)
    assert not empty.meets_target and empty.share is None
