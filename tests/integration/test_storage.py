"""Storage guarantees: UTC round trips, append-only audit, constraints, on both databases."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from builders import NOW, SYSTEM, make_licence, make_premises, make_wards
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from enforcement import audit
from enforcement.audit import AuditTampering
from enforcement.models import AuditEvent, Premises


def test_aware_times_round_trip_as_utc(session: Session) -> None:
    make_wards(session)
    bst = timezone(timedelta(hours=1))
    moment = datetime(2026, 7, 1, 9, 15, 30, tzinfo=bst)
    p = make_premises(session)
    p.updated_at = moment
    session.commit()
    session.expire_all()
    loaded = session.get(Premises, p.id)
    assert loaded is not None
    assert loaded.updated_at == moment
    assert loaded.updated_at.utcoffset() == timedelta(0)
    assert loaded.updated_at.hour == 8


def test_naive_datetimes_are_refused(session: Session) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        audit.record(
            session,
            SYSTEM,
            datetime(2026, 1, 1),
            action="x",
            entity_type="y",
            entity_id=None,
            summary="z",
        )
        session.flush()


def test_audit_events_cannot_be_changed_or_deleted(session: Session) -> None:
    ev = audit.record(
        session, SYSTEM, NOW, action="test.event", entity_type="t", entity_id=1, summary="first"
    )
    session.commit()
    ev.summary = "rewritten"
    with pytest.raises(AuditTampering):
        session.flush()
    session.rollback()
    ev = session.scalars(select(AuditEvent).where(AuditEvent.action == "test.event")).one()
    session.delete(ev)
    with pytest.raises(AuditTampering):
        session.flush()


def test_foreign_keys_are_enforced(session: Session) -> None:
    make_wards(session)
    p = make_premises(session)
    make_licence(session, p.id)
    session.commit()
    with pytest.raises(IntegrityError):
        session.delete(p)
        session.flush()
