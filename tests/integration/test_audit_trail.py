"""The audit trail an auditor can trust: chained, append-only in the database, verifiable."""

from __future__ import annotations

import itertools
import threading
from datetime import date, timedelta

import pytest
from builders import NOW, SYSTEM, make_user
from conftest import PostgresDatabase, upgrade
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from app import create_app
from config import Settings
from enforcement import audit, audit_chain
from enforcement.access import Actor
from enforcement.db import make_engine, session_factory, writer
from enforcement.errors import Forbidden
from enforcement.models import AuditEvent


def _note(session: Session, n: int, actor: Actor = SYSTEM, when: object = NOW) -> None:
    for i in range(n):
        audit.record(
            session,
            actor,
            when,  # type: ignore[arg-type]
            action="test.note",
            entity_type="test",
            entity_id=i,
            summary=f"Note {i}",
            after={"i": i},
        )


def test_each_event_chains_to_the_one_before(session: Session) -> None:
    _note(session, 3)
    session.flush()
    _note(session, 2)  # some pending, some flushed: the chain follows insertion order
    session.commit()
    events = session.query(AuditEvent).order_by(AuditEvent.id).all()
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
    verdict = audit_chain.verify(session)
    assert verdict.ok and verdict.checked == len(events) and verdict.head == events[-1].hash


def test_the_database_refuses_updates_and_deletes(session: Session) -> None:
    _note(session, 1)
    session.commit()
    for statement in (
        "UPDATE audit_events SET summary = 'changed'",
        "DELETE FROM audit_events",
    ):
        with pytest.raises((DBAPIError, IntegrityError)), session.begin_nested():
            session.execute(text(statement))
    assert audit_chain.verify(session).ok


def test_the_orm_refuses_too(session: Session) -> None:
    _note(session, 1)
    session.commit()
    event = session.query(AuditEvent).first()
    assert event is not None
    event.summary = "changed"
    with pytest.raises(audit.AuditTampering):
        session.flush()
    session.rollback()


def test_auditors_search_by_date_range_in_london_days(session: Session) -> None:
    admin = make_user(session, "admin")
    from enforcement.accounts import users

    actor = users.actor_for(admin)
    # 23:30 UTC on 30 March 2026 is 00:30 on 31 March in London (BST).
    _note(session, 1, when=NOW.replace(month=3, day=30, hour=23, minute=30))
    _note(session, 1, when=NOW.replace(month=3, day=29, hour=12))
    session.commit()
    q = audit.AuditQuery(action="test.note", date_from=date(2026, 3, 31), date_to=date(2026, 3, 31))
    assert audit.search_events(session, actor, q).total == 1
    q = audit.AuditQuery(action="test.note", date_from=date(2026, 3, 29), date_to=date(2026, 3, 30))
    assert audit.search_events(session, actor, q).total == 1
    supervisor = users.actor_for(make_user(session, "supervisor"))
    assert audit.search_events(session, supervisor, audit.AuditQuery(action="test.note")).total == 2
    with pytest.raises(Forbidden):
        audit.search_events(session, users.actor_for(make_user(session, "intel_analyst")), q)


def test_auditors_find_an_actor_by_any_part_of_its_name_in_any_case(session: Session) -> None:
    from enforcement.accounts import users

    supervisor = users.actor_for(make_user(session, "supervisor"))
    _note(session, 1, actor=Actor.system("Licensing Committee decision (referral LR-1)"))
    _note(session, 2, actor=Actor.system("rota_a"))
    _note(session, 4, actor=Actor.system("rotaxa"))
    session.commit()

    def found(words: str) -> int:
        q = audit.AuditQuery(action="test.note", actor=words)
        return audit.search_events(session, supervisor, q).total

    # The same on both databases: PostgreSQL's LIKE tells capitals apart, SQLite's does not.
    assert found("licensing committee") == found("COMMITTEE DECISION") == 1
    assert found("rota_a") == 2  # "_" is the character typed, not LIKE's any-one-character
    assert found("rota%") == 0 and found("rota") == 6


def test_an_export_is_itself_audited(session: Session) -> None:
    from enforcement.accounts import users

    actor = users.actor_for(make_user(session, "supervisor"))
    _note(session, 2)
    rows = audit.export_events(session, actor, NOW, audit.AuditQuery(action="test.note"))
    assert rows[0][0] == "Event" and len(rows) == 3 and rows[1][-1] and rows[2][-1]
    last = session.query(AuditEvent).order_by(AuditEvent.id.desc()).first()
    assert last is not None and last.action == "audit.export" and last.actor_id == actor.user_id


def _tamper(engine: Engine) -> None:
    """Change an event behind the application's back, as an attacker with SQL access might."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change"))
        else:
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
        conn.execute(
            text("UPDATE audit_events SET summary = 'nothing to see' WHERE id = :id"),
            {"id": 3},
        )


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_flask_audit_verify_reports_a_broken_link(kind: str, tmp_path: object) -> None:
    pg = None
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path}/verify.db"
    else:
        pg = PostgresDatabase("tracker_verify", migrated=True)
        url = pg.url
    engine = make_engine(url)
    try:
        upgrade(engine)
        with session_factory(writer(engine))() as s:
            _note(s, 5)
            s.commit()
        app = create_app(Settings(database_url=url, secret_key="x" * 40, testing=True))
        runner = app.test_cli_runner()
        ok = runner.invoke(args=["audit", "verify"], catch_exceptions=False)
        assert ok.exit_code == 0 and "intact: 5 events" in ok.output
        _tamper(engine)
        result = runner.invoke(args=["audit", "verify"])
        assert result.exit_code != 0
        assert "Broken: Event 3: its content was changed" in result.output
        assert "1 problem found (5 events and 0 checkpoints checked" in result.output
    finally:
        engine.dispose()
        if pg is not None:
            pg.drop()


def test_events_before_the_migration_are_chained_by_it(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/old.db")
    try:
        upgrade(engine, "0007")
        with engine.begin() as conn:
            for i in range(3):
                conn.execute(
                    text(
                        "INSERT INTO audit_events (at, actor_label, action, entity_type, "
                        "entity_id, summary) VALUES (:at, 'old', 'old.event', 'test', :i, :s)"
                    ),
                    {
                        "at": (NOW + timedelta(seconds=i)).replace(tzinfo=None),
                        "i": str(i),
                        "s": f"Old {i}",
                    },
                )
        upgrade(engine)
        with Session(engine) as s:
            _note(s, 1)
            s.commit()
            verdict = audit_chain.verify(s)
        assert verdict.ok and verdict.checked == 4
    finally:
        engine.dispose()


def test_concurrent_writers_on_postgresql_never_fork_the_chain() -> None:
    pg = PostgresDatabase("tracker_chain", migrated=True)
    engine = make_engine(pg.url)
    try:
        upgrade(engine)
        sessions = session_factory(writer(engine))
        errors: list[Exception] = []

        def work(n: int) -> None:
            try:
                for _ in range(10):
                    with sessions() as s:
                        _note(s, 2, actor=Actor.system(f"writer {n}"))
                        s.commit()
            except Exception as exc:  # reported below, on the main thread
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        with sessions() as s:
            verdict = audit_chain.verify(s)
            assert verdict.ok and verdict.checked == 6 * 10 * 2
            forks = s.execute(
                text("SELECT prev_hash FROM audit_events GROUP BY prev_hash HAVING count(*) > 1")
            ).all()
            assert forks == []
    finally:
        engine.dispose()
        pg.drop()


def test_every_restricted_record_type_has_a_rule_and_an_unknown_type_is_withheld(
    session: Session,
) -> None:
    from enforcement import policy
    from enforcement.accounts import users

    assert set(policy.registered_types()) <= set(audit.content_rule_types())
    _note(session, 1)  # entity type "test": no rule says who may read it
    admin = users.actor_for(make_user(session, "admin"))
    [seen] = audit.search_events(session, admin, audit.AuditQuery(action="test.note")).rows
    assert seen.withheld and seen.after_json == audit.WITHHELD and seen.summary == audit.WITHHELD
    assert seen.actor_label == SYSTEM.label and seen.entity_id == "0"
    rows = audit.export_events(session, admin, NOW, audit.AuditQuery(action="test.note"))
    assert rows[1][9:11] == ["", audit.WITHHELD]
    notes = session.scalars(select(AuditEvent).where(AuditEvent.action == "test.note")).all()
    [shown] = audit.shown(session, SYSTEM, notes)
    assert shown.after_json == '{"i": 0}' and not shown.withheld


def test_the_trail_shows_and_exports_its_times_in_london_time_with_the_zone(
    session: Session,
) -> None:
    """Stored in UTC (what the hash covers); shown and exported as London time with GMT or BST:
    00:30 BST on 1 September is 23:30 UTC the day before, and must not read as 31 August."""
    from datetime import UTC, datetime

    from enforcement.accounts import users

    at = datetime(2026, 8, 31, 23, 45, 10, tzinfo=UTC)
    audit.record(
        session,
        SYSTEM,
        at,
        action="test.times",
        entity_type="test",
        entity_id=7,
        summary="A notice served",
        after={
            "occurred_at": datetime(2026, 8, 31, 23, 30, tzinfo=UTC).isoformat(),
            "on": date(2026, 9, 1).isoformat(),
        },
    )
    session.flush()
    stored = session.scalars(select(AuditEvent).where(AuditEvent.action == "test.times")).one()
    assert '"2026-08-31T23:30:00+00:00"' in (stored.after_json or "")  # as hashed
    [shown] = audit.shown(session, SYSTEM, [stored])
    assert shown.after_json == '{"occurred_at": "2026-09-01 00:30:00 BST", "on": "2026-09-01"}'
    admin = users.actor_for(make_user(session, "admin"))
    header, row = audit.export_events(session, admin, NOW, audit.AuditQuery(action="test.times"))
    assert header[1] == "When (London time)" and row[1] == "2026-09-01 00:45:10 BST"
    winter = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert audit.shown_data('{"at": "' + winter.isoformat() + '"}') == (
        '{"at": "2026-12-01 09:00:00 GMT"}'
    )


def test_a_licence_s_home_addresses_are_read_in_the_trail_only_by_who_reads_them_on_its_page(
    session: Session,
) -> None:
    """The admin reads the trail but not the addresses of licence holders and designated
    premises supervisors: a licence's before and after are withheld from them, its summary
    (which never quotes an address) is not."""
    from builders import make_licence, make_premises

    from enforcement.accounts import users

    premises = make_premises(session)
    make_licence(
        session,
        premises.id,
        holder_name="A Person",
        holder_address="77 Home Road",
        applicant_type="individual",
    )
    query = audit.AuditQuery(action="licence.create")
    admin = users.actor_for(make_user(session, "admin"))
    supervisor = users.actor_for(make_user(session, "supervisor"))
    [as_admin] = audit.search_events(session, admin, query).rows
    assert as_admin.withheld and "77 Home Road" not in (as_admin.after_json or "")
    assert as_admin.summary.startswith("Added licence ")
    assert "77 Home Road" not in repr(audit.export_events(session, admin, NOW, query))
    [as_supervisor] = audit.search_events(session, supervisor, query).rows
    assert not as_supervisor.withheld and "77 Home Road" in (as_supervisor.after_json or "")
