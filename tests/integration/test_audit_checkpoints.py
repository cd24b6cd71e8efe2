"""Checkpoints anchor the audit trail outside the database: rebuilt or shortened chains are caught."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from builders import NOW, SYSTEM, make_user
from conftest import PostgresDatabase, migrated_sqlite_url, savepoint_session, upgrade
from flask.testing import FlaskCliRunner
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.orm import Session

from app import create_app
from config import Settings
from enforcement import audit, audit_chain
from enforcement.audit_chain import ChainRow
from enforcement.db import make_engine, session_factory, writer
from enforcement.models import OutboxMail
from enforcement.reminders.notify import NotifyConfig
from enforcement.reminders.outbox import Outgoing, Transport
from enforcement.scheduler import tick

KEY = "an-audit-checkpoint-key-of-forty-characters"


def _note(session: Session, n: int) -> None:
    for i in range(n):
        audit.record(
            session,
            SYSTEM,
            NOW + timedelta(seconds=i),
            action="test.note",
            entity_type="test",
            entity_id=i,
            summary=f"Note {i}",
        )


@dataclass
class Trail:
    """A database of its own with some audit events, and the CLI of an app pointed at it."""

    engine: Engine
    runner: FlaskCliRunner
    checkpoints: Path

    def add(self, n: int) -> None:
        with session_factory(writer(self.engine))() as s:
            _note(s, n)
            s.commit()

    def cli(self, *args: str) -> tuple[int, str]:
        result = self.runner.invoke(args=list(args))
        return result.exit_code, result.output

    def drop_triggers(self) -> None:
        """What someone with the owner's SQL access can do: the append-only triggers go."""
        with self.engine.begin() as conn:
            if self.engine.dialect.name == "postgresql":
                conn.execute(text("DROP TRIGGER audit_events_no_change ON audit_events"))
            else:
                conn.execute(text("DROP TRIGGER audit_events_no_update"))
                conn.execute(text("DROP TRIGGER audit_events_no_delete"))

    def edit(self, event_id: int, summary: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                text("UPDATE audit_events SET summary = :s WHERE id = :id"),
                {"s": summary, "id": event_id},
            )

    def rebuild_from(self, event_id: int) -> int:
        """Recompute the hashes from an event on with the app's own event_hash; return how many."""
        with Session(self.engine) as s:
            rows = [ChainRow(*r) for r in audit_chain.stream(s)]
        prev = audit_chain.GENESIS
        changed = 0
        with self.engine.begin() as conn:
            for row in rows:
                if row.id >= event_id:
                    new = audit_chain.event_hash(prev, row._replace(prev_hash=prev))
                    conn.execute(
                        text("UPDATE audit_events SET prev_hash = :p, hash = :h WHERE id = :id"),
                        {"p": prev, "h": new, "id": row.id},
                    )
                    prev = new
                    changed += 1
                else:
                    prev = row.hash or ""
        return changed

    def delete_from(self, event_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_events WHERE id >= :id"), {"id": event_id})


@pytest.fixture(params=["sqlite", "postgresql"])
def trail(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Trail]:
    pg = None
    if request.param == "sqlite":
        url = migrated_sqlite_url(tmp_path / "trail.db")
    else:
        pg = PostgresDatabase("tracker_anchor", migrated=True)
        url = pg.url
    engine = make_engine(url)
    try:
        upgrade(engine)
        checkpoints = tmp_path / "checkpoints.jsonl"
        settings = Settings(
            database_url=url,
            secret_key="x" * 40,
            testing=True,
            audit_checkpoint_key=KEY,
            audit_checkpoint_file=checkpoints,
        )
        yield Trail(engine, create_app(settings).test_cli_runner(), checkpoints)
    finally:
        engine.dispose()
        if pg is not None:
            pg.drop()


def test_a_rebuilt_chain_is_caught_by_the_checkpoint(trail: Trail) -> None:
    trail.add(40)
    code, out = trail.cli("audit", "checkpoint")
    assert code == 0 and "40 events" in out and trail.checkpoints.read_text().count("\n") == 1
    trail.add(5)
    code, out = trail.cli("audit", "verify")
    assert code == 0 and "intact: 45 events and 1 checkpoint checked" in out
    # When the checkpoint was taken reads as London time with its zone, not as UTC ISO text.
    assert re.search(r"taken at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d (GMT|BST)\.", out), out
    assert "+00:00" not in out

    trail.drop_triggers()
    trail.edit(3, "Nothing happened")
    assert trail.rebuild_from(3) == 43  # every later hash recomputed with the app's own code
    with Session(trail.engine) as s:
        assert audit_chain.verify(s).ok  # the chain alone is fooled
    code, out = trail.cli("audit", "verify")
    assert code != 0
    assert "recorded a different hash for event 40" in out and "1 problem found" in out
    assert "line 1 of" in out and str(trail.checkpoints) in out


def test_deleting_the_newest_events_is_caught(trail: Trail) -> None:
    trail.add(10)
    assert trail.cli("audit", "checkpoint")[0] == 0
    trail.drop_triggers()
    trail.delete_from(8)
    with Session(trail.engine) as s:
        assert audit_chain.verify(s).ok  # a shorter chain is still a chain
    code, out = trail.cli("audit", "verify")
    assert code != 0
    assert "recorded 10 events up to event 10" in out and "ends at event 7 (7 events)" in out
    assert "the newest events were deleted" in out


def test_every_break_is_reported_not_only_the_first(trail: Trail) -> None:
    trail.add(10)
    trail.drop_triggers()
    trail.edit(2, "Edited once")
    trail.edit(7, "Edited twice")
    code, out = trail.cli("audit", "verify")
    assert code != 0 and "2 problems found" in out
    assert "Broken: Event 2: its content was changed" in out
    assert "Broken: Event 7: its content was changed" in out


def test_a_forged_checkpoint_line_is_reported(trail: Trail, tmp_path: Path) -> None:
    trail.add(6)
    assert trail.cli("audit", "checkpoint")[0] == 0
    with Session(trail.engine) as s:
        cp = audit_chain.take_checkpoint(s, NOW)
    forged = audit_chain.checkpoint_line(cp, "a key the attacker chose for themselves")
    with trail.checkpoints.open("a") as fh:
        fh.write(forged + "\n")
    code, out = trail.cli("audit", "verify")
    assert code != 0
    assert f"Checkpoint (line 2 of {trail.checkpoints}): its signature does not match" in out
    # Lines kept from the auditors' mails are checked too, and agree with the file.
    saved = tmp_path / "from-mail.txt"
    saved.write_text(trail.checkpoints.read_text().splitlines()[0] + "\n")
    trail.checkpoints.unlink()
    code, out = trail.cli("audit", "verify", "--checkpoints", str(saved))
    assert code == 0 and "6 events and 1 checkpoint checked" in out


def test_verify_without_checkpoints_says_what_it_cannot_see(trail: Trail) -> None:
    trail.add(3)
    code, out = trail.cli("audit", "verify")
    assert code == 0 and "No checkpoints were checked" in out


# The scheduler ---------------------------------------------------------------------------------


class Captured:
    """A mailer that keeps what it was given."""

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []

    def open(self) -> Transport:
        return self

    def send(self, mail: Outgoing) -> None:
        self.sent.append(mail)

    def close(self) -> None:
        return None


@pytest.fixture
def sessions(connection: Connection) -> Callable[[], Session]:
    return lambda: savepoint_session(connection)


def test_the_scheduler_takes_a_checkpoint_hourly_files_it_and_mails_the_auditors(
    session: Session, sessions: Callable[[], Session], settings: Settings, tmp_path: Path
) -> None:
    auditor = make_user(session, "supervisor", email="auditor@example.gov.uk")
    make_user(session, "licensing_officer", email="officer@example.gov.uk")
    _note(session, 4)
    session.commit()
    path = tmp_path / "checkpoints.jsonl"
    settings = settings.with_overrides(
        audit_checkpoint_key=KEY,
        audit_checkpoint_file=path,
        audit_checkpoint_mail_to=("audit-team@example.gov.uk",),
    )
    mailer = Captured()
    config = NotifyConfig.from_settings(settings)
    report = tick(sessions, NOW, mailer, settings, config=config)
    cp = report.audit_checkpoint
    assert cp is not None and "audit checkpoint" in report.summary()
    with sessions() as s:
        assert cp.count == audit_chain.verify(s).checked and cp.head == audit_chain.verify(s).head
    (line,) = path.read_text().splitlines()
    assert audit_chain.read_checkpoint(line, KEY) == cp
    assert sorted(m.recipient for m in mailer.sent) == [
        "audit-team@example.gov.uk",
        auditor.email,
    ]  # those who may read the trail, and the extra mailbox; not the officer
    body = mailer.sent[0].data.decode()
    assert "Audit trail checkpoint" in body and cp.head[:40] in body.replace("=\r\n", "")

    # Not again within the hour; again once it has passed.
    assert tick(sessions, NOW + timedelta(minutes=59), mailer, settings).audit_checkpoint is None
    later = tick(sessions, NOW + timedelta(minutes=60), mailer, settings).audit_checkpoint
    assert later is not None and len(path.read_text().splitlines()) == 2
    assert len(mailer.sent) == 4
    with sessions() as s:
        kinds = s.scalars(select(OutboxMail.status).where(OutboxMail.kind == "audit_checkpoint"))
        assert sorted(kinds) == ["sent"] * 4


def test_no_key_means_no_checkpoints(
    session: Session, sessions: Callable[[], Session], settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "checkpoints.jsonl"
    report = tick(sessions, NOW, Captured(), settings.with_overrides(audit_checkpoint_file=path))
    assert report.audit_checkpoint is None and not path.exists()
