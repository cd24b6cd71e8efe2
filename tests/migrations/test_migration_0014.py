"""Migration 0014 re-routes open reminders to whoever can act, and back, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from builders import BOOK, CAL, NOW
from builders.referrals import at, full_draft, make_world
from conftest import PostgresDatabase, downgrade, upgrade
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from enforcement.db import make_engine
from enforcement.models import Reminder
from enforcement.referrals import drafting as referrals
from enforcement.referrals import process as referral_process


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'route.db'}")
        yield eng
        eng.dispose()
        return
    pg = PostgresDatabase("tracker_migrate_0014")
    eng = make_engine(pg.url)
    try:
        yield eng
    finally:
        eng.dispose()
        pg.drop()


def _state(engine: Engine, case_id: int, referral_id: int) -> tuple[set[object], list[object]]:
    with Session(engine) as s:
        statutory = {
            (r.owner_user_id, r.team, r.acknowledged_at)
            for r in s.scalars(
                select(Reminder).where(
                    Reminder.subject_type == "enforcement_case",
                    Reminder.subject_id == case_id,
                    Reminder.status == "open",
                )
            )
        }
        waiting = [
            (r.kind, r.status, r.team)
            for r in s.scalars(
                select(Reminder)
                .where(
                    Reminder.subject_type == "committee_referral",
                    Reminder.subject_id == referral_id,
                )
                .order_by(Reminder.id)
            )
        ]
    return statutory, waiting


def test_open_statutory_reminders_move_to_the_clerks_and_back(engine: Engine) -> None:
    upgrade(engine)
    with Session(engine) as session:
        world = make_world(session)
        officer, supervisor = world.actors["officer"], world.actors["supervisor"]
        r = referrals.create_draft(session, officer, NOW, world.premises.id, full_draft(world))
        referrals.submit(session, officer, NOW + timedelta(hours=1), r.id, r.version)
        referrals.sign_off(session, supervisor, NOW + timedelta(hours=2), r.id, r.version, "Ok")
        referral_process.open_process(
            session,
            world.actors["clerk"],
            NOW + timedelta(days=1),
            r.id,
            r.version,
            received_at=at("2026-03-03", "09:00"),
            calendar=CAL,
            rulebook=BOOK,
        )
        # A second referral, submitted and waiting for sign-off.
        waiting = referrals.create_draft(
            session, officer, NOW, world.premises.id, full_draft(world)
        )
        referrals.submit(session, officer, NOW + timedelta(hours=3), waiting.id, waiting.version)
        session.commit()
        case_id, waiting_id, officer_id = r.case_id, waiting.id, officer.user_id
    assert case_id is not None
    routed, tasks = _state(engine, case_id, waiting_id)
    assert routed == {(None, "clerks", None)}
    assert tasks == [("referral_sign_off", "open", "supervisors")]

    # Down: the reminders are the officer's again, as the old routing had them; the new kinds
    # of task are cancelled, not deleted.
    downgrade(engine, "0018")
    routed, tasks = _state(engine, case_id, waiting_id)
    assert routed == {(officer_id, None, None)}
    assert tasks == [("referral_sign_off", "cancelled", "supervisors")]

    # Up: a database holding reminders as the old code addressed them is put right.
    upgrade(engine)
    routed, tasks = _state(engine, case_id, waiting_id)
    assert routed == {(None, "clerks", None)}
    assert tasks == [("referral_sign_off", "open", "supervisors")]
