"""The scheduler's tick lets a committee decision take effect once its appeal period has ended."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from builders import BOOK, CAL, NOW
from builders.referrals import at, full_draft, make_world
from conftest import savepoint_session
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from config import Settings
from enforcement.models import Licence, Referral
from enforcement.referrals import drafting as referrals
from enforcement.referrals import process as referral_process
from enforcement.reminders.outbox import LogMailer
from enforcement.scheduler import tick


def test_a_tick_applies_a_decision_after_the_appeal_period_and_only_once(
    session: Session, connection: Connection, settings: Settings
) -> None:
    world = make_world(session)
    officer, clerk = world.actors["officer"], world.actors["clerk"]
    r = referrals.create_draft(session, officer, NOW, world.premises.id, full_draft(world))
    referrals.submit(session, officer, NOW, r.id, r.version)
    referrals.sign_off(session, world.actors["supervisor"], NOW, r.id, r.version)
    referral_process.open_process(
        session, clerk, at("2026-03-04"), r.id, r.version,
        received_at=at("2026-03-03", "09:00"), calendar=CAL, rulebook=BOOK,
    )  # fmt: skip
    referral_process.list_hearing(
        session, clerk, at("2026-03-04"), r.id, r.version, hearing_at=at("2026-04-20"),
        listed_at=at("2026-03-04"), calendar=CAL, rulebook=BOOK,
    )  # fmt: skip
    referral_process.record_outcome(
        session, clerk, at("2026-04-21", "12:00"), r.id, r.version,
        referral_process.OutcomeInput(
            held_at=at("2026-04-20", "10:30"), decided_at=at("2026-04-20", "15:00"),
            decision="revoke", reasons="Exploitation at the premises.",
            notified_at=at("2026-04-21", "10:00"),
        ),
        calendar=CAL, rulebook=BOOK,
    )  # fmt: skip
    session.commit()
    sessions: Callable[[], Session] = lambda: savepoint_session(connection)  # noqa: E731

    def licence_status() -> str:
        return session.scalars(
            select(Licence.status)
            .where(Licence.id == world.licence.id)
            .execution_options(populate_existing=True)
        ).one()

    inside = tick(sessions, at("2026-05-11", "20:00"), LogMailer(), settings)
    assert inside.referral_effects == 0 and licence_status() == "active"
    after = tick(sessions, at("2026-05-12", "07:00"), LogMailer(), settings)
    assert after.referral_effects == 1 and licence_status() == "revoked"
    assert "1 committee decisions in effect" in after.summary()
    again = tick(sessions, at("2026-05-12", "07:00") + timedelta(minutes=1), LogMailer(), settings)
    assert again.referral_effects == 0
    status = session.scalars(
        select(Referral.status).where(Referral.id == r.id).execution_options(populate_existing=True)
    ).one()
    assert status == "closed"
