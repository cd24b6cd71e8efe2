"""The scheduler against a real SMTP server on loopback: lead times, crashes, outages, two processes."""

from __future__ import annotations

import email
import email.policy
import logging
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from builders import NOW, SYSTEM, make_org, make_premises, make_user
from conftest import (
    ROOT,
    TEST_SECRET,
    PostgresDatabase,
    migrated_sqlite_url,
    savepoint_session,
    upgrade,
)
from sqlalchemy import Connection, Engine, func, insert, select
from sqlalchemy.orm import Session

from config import Settings
from enforcement import scheduler as scheduler_module
from enforcement.access import Actor
from enforcement.accounts.users import actor_for
from enforcement.cases import casework as cases
from enforcement.db import make_engine, session_factory, writer
from enforcement.errors import Forbidden
from enforcement.models import (
    AuditEvent,
    CaseDeadline,
    EnforcementCase,
    OutboxMail,
    Reminder,
    ReminderEscalation,
    ReminderSend,
    User,
)
from enforcement.registerio import importing
from enforcement.registerio import runs as import_runs
from enforcement.reminders import notify, reminders, tasks
from enforcement.reminders.notify import NotifyConfig
from enforcement.reminders.outbox import Claimed, SmtpConfig, SmtpMailer
from enforcement.reminders.vocab import ReminderKind
from enforcement.scheduler import AdvisoryLeader, LeaseLeader, tick

CONFIG = NotifyConfig(
    base_url="https://tracker.example.gov.uk",
    mail_from="Licensing tracker <reminders@tracker.example.gov.uk>",
    service_name="Licensing and premises enforcement",
    council_name="Test Council",
)

CALENDAR = cases.default_calendar(None)
RULES = cases.default_rulebook()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Sink:
    """Everything a real SMTP server on loopback received."""

    messages: list[EmailMessage] = field(default_factory=list)
    sessions: list[tuple[bool, bool]] = field(default_factory=list)  # (over TLS, authenticated)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, _server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        with self.lock:
            self.messages.append(msg)
            self.sessions.append((session.ssl is not None, bool(session.authenticated)))
        return "250 OK"

    def ids(self) -> list[str]:
        with self.lock:
            return [str(m["Message-ID"]) for m in self.messages]


class SmtpServer:
    """An aiosmtpd server on 127.0.0.1 that can be stopped and started again on its port."""

    def __init__(self, **kwargs: Any) -> None:
        self.port = free_port()
        self.sink = Sink()
        self.kwargs = kwargs
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port, **self.kwargs)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def mailer(self) -> SmtpMailer:
        return SmtpMailer(SmtpConfig(host="127.0.0.1", port=self.port, starttls=False, timeout=5))


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sessions(connection: Connection) -> Callable[[], Session]:
    """Sessions for the tick, each a savepoint of the test's rolled-back transaction."""
    return lambda: savepoint_session(connection)


def run(
    sessions: Callable[[], Session],
    at: datetime,
    server: SmtpServer,
    settings: Settings,
    config: NotifyConfig = CONFIG,
    **kwargs: Any,
) -> Any:
    return tick(sessions, at, server.mailer(), settings, config=config, **kwargs)


def hearing(session: Session, owner: User, *, subject_id: int = 1, **overrides: Any) -> Reminder:
    spec: dict[str, Any] = {
        "kind": ReminderKind.HEARING,
        "subject_type": "enforcement_case",
        "subject_id": subject_id,
        "title": f"Closure order hearing for case {subject_id}",
        "due_at": NOW + timedelta(days=2),
        "owner_user_id": owner.id,
    }
    spec.update(overrides)
    r = reminders.schedule(session, reminders.ReminderSpec(**spec), NOW)
    session.commit()
    return r


def test_a_reminder_is_mailed_at_each_lead_time_and_only_then(
    session: Session, sessions: Callable[[], Session], smtp: SmtpServer, settings: Settings
) -> None:
    owner = make_user(session, "licensing_officer", email="owner@example.gov.uk")
    r = hearing(session, owner)  # leads: at once, and 12 hours before
    twelve_before = r.due_at - timedelta(hours=12)
    expected = [
        (NOW, 1),  # at once
        (NOW + timedelta(hours=1), 1),
        (twelve_before - timedelta(seconds=1), 1),
        (twelve_before, 2),  # 12 hours before, exactly then
        (twelve_before + timedelta(minutes=5), 2),
        (r.due_at + timedelta(days=1), 2),  # nothing more once every lead is sent
    ]
    for at, count in expected:
        run(sessions, at, smtp, settings)
        assert len(smtp.sink.messages) == count, f"at {at}"
    assert smtp.sink.ids() == [
        f"<reminder-{r.id}-now-u{owner.id}@tracker.example.gov.uk>",
        f"<reminder-{r.id}-12h-u{owner.id}@tracker.example.gov.uk>",
    ]
    first = smtp.sink.messages[0]
    assert first["To"] == "owner@example.gov.uk"
    assert str(first["Subject"]).strip() == f"Reminder: {r.title}, due in 2 days"
    text = first.get_body(("plain",))
    markup = first.get_body(("html",))
    assert text is not None and markup is not None
    assert f"https://tracker.example.gov.uk/tasks/{r.id}" in text.get_content()
    assert f'href="https://tracker.example.gov.uk/tasks/{r.id}"' in markup.get_content()
    sends = session.scalars(select(ReminderSend.lead).where(ReminderSend.reminder_id == r.id))
    assert sorted(sends) == ["12h", "now"]


def test_mail_carries_no_more_than_what_is_due_and_a_link(
    session: Session, sessions: Callable[[], Session], smtp: SmtpServer, settings: Settings
) -> None:
    owner = make_user(session, "licensing_officer")
    p = make_premises(session, name="Golden Lotus Massage", address_line1="12 Quiet Mews")
    reminders.schedule(
        session,
        reminders.ReminderSpec(
            kind=ReminderKind.FOLLOW_UP_VISIT,
            subject_type="welfare_visit",
            subject_id=7,
            title="Follow-up welfare visit",
            due_at=NOW + timedelta(days=1),
            premises_id=p.id,
            owner_user_id=owner.id,
        ),
        NOW,
    )
    session.commit()
    run(sessions, NOW, smtp, settings)
    assert len(smtp.sink.messages) == 1
    whole = smtp.sink.messages[0].as_string()
    for restricted in ("Golden Lotus", "Quiet Mews", "welfare_visit"):
        assert restricted not in whole
    assert "Follow-up welfare visit" in whole and "/tasks/" in whole


def test_a_reminder_closed_before_it_is_sent_is_not_sent(
    session: Session, sessions: Callable[[], Session], smtp: SmtpServer, settings: Settings
) -> None:
    owner = make_user(session, "licensing_officer")
    early = hearing(session, owner, subject_id=1)
    late = hearing(session, owner, subject_id=2)
    reminders.close_open(
        session,
        kind=ReminderKind.HEARING,
        subject_type="enforcement_case",
        subject_id=early.subject_id,
        now=NOW,
        actor=SYSTEM,
        reason="Hearing listed and held",
    )
    session.commit()
    # The other is queued first, then its subject closes before the mail goes out.
    with sessions() as s:
        notify.enqueue_due(s, NOW, CONFIG)
        s.commit()
    reminders.close_open(
        session,
        kind=ReminderKind.HEARING,
        subject_type="enforcement_case",
        subject_id=late.subject_id,
        now=NOW,
        actor=SYSTEM,
        reason="Case closed",
    )
    session.commit()
    report = run(sessions, NOW + timedelta(minutes=1), smtp, settings)
    assert smtp.sink.messages == []
    assert report.delivery.cancelled == 1
    statuses = session.scalars(select(OutboxMail.status).where(OutboxMail.reminder_id == late.id))
    assert list(statuses) == ["cancelled"]
    assert (
        session.scalar(
            select(func.count())
            .select_from(ReminderSend)
            .where(ReminderSend.reminder_id == early.id)
        )
        == 0
    )


class Killed(BaseException):
    """Stands for the process dying: nothing after it runs, and no `except Exception` catches it."""


def test_killed_between_send_and_stamp_loses_nothing_and_resends_only_that_mail(
    session: Session, sessions: Callable[[], Session], smtp: SmtpServer, settings: Settings
) -> None:
    owner = make_user(session, "licensing_officer")
    made = [hearing(session, owner, subject_id=i) for i in range(1, 4)]
    seen: list[Claimed] = []

    def die_after_second(mail: Claimed) -> None:
        seen.append(mail)
        if len(seen) == 2:
            raise Killed

    with pytest.raises(Killed):
        run(sessions, NOW, smtp, settings, after_send=die_after_second)
    assert len(smtp.sink.messages) == 2  # the server has the second mail; it was never stamped
    # Until the dead process's lease runs out, nobody touches its mails.
    run(sessions, NOW + timedelta(minutes=5), smtp, settings)
    assert len(smtp.sink.messages) == 2
    run(sessions, NOW + CONFIG.lease + timedelta(seconds=1), smtp, settings)
    counts = Counter(smtp.sink.ids())
    expected = {f"<reminder-{r.id}-now-u{owner.id}@tracker.example.gov.uk>" for r in made}
    # Guaranteed: nothing lost. The one mail in flight at the crash went twice, same Message-ID.
    assert set(counts) == expected
    assert sorted(counts.values()) == [1, 1, 2]
    assert counts[smtp.sink.ids()[1]] == 2
    assert list(session.scalars(select(OutboxMail.status).distinct())) == ["sent"]


def test_mail_server_down_then_up_every_mail_arrives_once(
    session: Session, sessions: Callable[[], Session], smtp: SmtpServer, settings: Settings
) -> None:
    owner = make_user(session, "licensing_officer")
    team_mate = make_user(session, "licensing_officer")
    for i in range(1, 6):
        hearing(session, owner, subject_id=i, team="licensing")
    smtp.stop()
    down = run(sessions, NOW, smtp, settings)
    assert down.mails_queued == 10 and down.delivery.sent == 0 and down.delivery.retrying == 10
    waiting = session.scalars(select(OutboxMail)).all()
    assert {m.attempts for m in waiting} == {1}
    assert {m.next_attempt_at for m in waiting} == {NOW + CONFIG.retry_base}
    assert all("cannot reach" in (m.last_error or "") for m in waiting)
    smtp.start()
    run(sessions, NOW + timedelta(seconds=30), smtp, settings)  # still backing off
    assert smtp.sink.messages == []
    up = run(sessions, NOW + timedelta(seconds=61), smtp, settings)
    assert up.delivery.sent == 10
    run(sessions, NOW + timedelta(hours=1), smtp, settings)
    counts = Counter(smtp.sink.ids())
    assert len(counts) == 10 and set(counts.values()) == {1}
    assert {m["To"] for m in smtp.sink.messages} == {owner.email, team_mate.email}


def test_a_mail_that_cannot_be_written_fails_alone_and_the_rest_are_sent(
    session: Session, sessions: Callable[[], Session], smtp: SmtpServer, settings: Settings
) -> None:
    """An address mail cannot carry without SMTPUTF8 (an account made before addresses had to
    be plain): that mail fails for good with the reason, and never stops the others."""
    plain = make_user(session, "licensing_officer")
    accented = make_user(session, "ward_officer")
    accented.email = "josé.garcía@example.gov.uk"
    session.commit()
    for i, owner in enumerate((accented, plain, accented, plain), start=1):
        hearing(session, owner, subject_id=i)
    first = run(sessions, NOW, smtp, settings)
    assert first.delivery.sent == 2 and first.delivery.failed == 2
    assert {m["To"] for m in smtp.sink.messages} == {plain.email}
    failed = session.scalars(
        select(OutboxMail).where(OutboxMail.status == "failed").order_by(OutboxMail.id)
    ).all()
    assert [m.recipient for m in failed] == [accented.email] * 2
    assert all("only plain letters" in (m.last_error or "") for m in failed)
    later = run(sessions, NOW + timedelta(hours=2), smtp, settings)
    assert later.delivery.sent == 0 and later.delivery.failed == 0 and len(smtp.sink.messages) == 2


def test_a_step_that_fails_is_logged_and_the_steps_after_it_still_run(
    session: Session,
    sessions: Callable[[], Session],
    smtp: SmtpServer,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A fault in one step (a stored record no rule foresaw) used to end the tick there, so the
    reminders, the checkpoint and the outbox after it never ran for anyone, at any tick."""
    owner = make_user(session, "licensing_officer")
    hearing(session, owner)

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise OverflowError("date value out of range")

    monkeypatch.setattr(scheduler_module.case_clock, "recompute_open_deadlines", broken)
    monkeypatch.setattr(scheduler_module.expiry, "sync_all", broken)
    with caplog.at_level(logging.ERROR, logger="enforcement.scheduler"):
        report = run(sessions, NOW, smtp, settings)
    assert report.failed_steps == ["statutory clock", "licence expiry"]
    assert report.mails_queued == 1 and report.delivery.sent == 1 and len(smtp.sink.messages) == 1
    assert "steps that failed (see the log): statutory clock, licence expiry" in report.summary()
    logged = [r for r in caplog.records if "tick step" in r.getMessage()]
    assert [r.exc_info is not None for r in logged] == [True, True]


def test_back_off_doubles_then_a_permanent_refusal_is_not_retried(
    session: Session, sessions: Callable[[], Session], settings: Settings
) -> None:
    owner = make_user(session, "licensing_officer")
    hearing(session, owner)
    dead = SmtpServer()  # never started: connection refused
    at = NOW
    for attempt, wait in enumerate((60, 120, 240), start=1):
        run(sessions, at, dead, settings)
        mail = session.scalars(select(OutboxMail)).one()
        session.refresh(mail)
        assert mail.attempts == attempt and mail.next_attempt_at == at + timedelta(seconds=wait)
        at = mail.next_attempt_at


def test_catch_up_after_downtime_sends_only_the_latest_lead(
    session: Session, sessions: Callable[[], Session], smtp: SmtpServer, settings: Settings
) -> None:
    owner = make_user(session, "licensing_officer")
    r = reminders.schedule(
        session,
        reminders.ReminderSpec(
            kind=ReminderKind.LICENCE_EXPIRY,
            subject_type="licence",
            subject_id=9,
            title="Licence PL/00009 expires",
            due_at=NOW + timedelta(days=90),
            owner_user_id=owner.id,
        ),
        NOW,
    )
    session.commit()
    run(sessions, NOW, smtp, settings)  # plans it: 60 and 14 days before, nothing yet
    assert smtp.sink.messages == []
    # The scheduler was down from 61 days to 10 days before expiry.
    run(sessions, r.due_at - timedelta(days=10), smtp, settings)
    assert smtp.sink.ids() == [f"<reminder-{r.id}-14d-u{owner.id}@tracker.example.gov.uk>"]
    rows = {s.lead: s.superseded for s in session.scalars(select(ReminderSend))}
    assert rows == {"60d": True, "14d": False}


def test_statutory_reminder_escalates_when_unacknowledged_then_when_overdue(
    session: Session, sessions: Callable[[], Session], smtp: SmtpServer, settings: Settings
) -> None:
    # A hearing is the committee clerks' to record: its owner is one, in the supervisor's
    # organisation (a supervisor of another organisation could not act on it).
    council = make_org(session, "Council")
    boss = make_user(session, "supervisor", email="boss@example.gov.uk", org=council)
    owner = make_user(session, "committee_clerk", email="officer@example.gov.uk", org=council)
    tasks.set_supervisor(session, SYSTEM, NOW, owner.id, boss.id)
    r = hearing(session, owner, statutory=True, due_at=NOW + timedelta(days=3))
    run(sessions, NOW, smtp, settings)
    assert [m["To"] for m in smtp.sink.messages] == ["officer@example.gov.uk"]
    run(sessions, NOW + timedelta(hours=23), smtp, settings)
    assert len(smtp.sink.messages) == 1  # not yet: 24 hours to acknowledge
    run(sessions, NOW + timedelta(hours=24), smtp, settings)
    assert [m["To"] for m in smtp.sink.messages][-1] == "boss@example.gov.uk"
    assert str(smtp.sink.messages[-1]["Subject"]).strip().startswith("Escalated to you:")
    escalation = session.scalars(select(ReminderEscalation)).one()
    assert (escalation.reason, escalation.supervisor_id) == ("unacknowledged", boss.id)
    # Visible on both task lists.
    mine = tasks.task_list(session, actor_for(owner), NOW + timedelta(hours=25))
    theirs = tasks.task_list(session, actor_for(boss), NOW + timedelta(hours=25))
    assert [t.escalations for t in mine.upcoming] == [("unacknowledged",)]
    assert [(t.reminder.id, t.escalated_to_me) for t in theirs.upcoming] == [(r.id, True)]
    # Acknowledging late does not stop the overdue escalation at the deadline.
    tasks.acknowledge(session, actor_for(owner), NOW + timedelta(hours=26), r.id)
    session.commit()
    run(sessions, r.due_at - timedelta(minutes=1), smtp, settings)
    run(sessions, r.due_at, smtp, settings)
    reasons = session.scalars(select(ReminderEscalation.reason).order_by(ReminderEscalation.id))
    assert list(reasons) == ["unacknowledged", "overdue"]
    run(sessions, r.due_at + timedelta(days=1), smtp, settings)
    assert [m["To"] for m in smtp.sink.messages].count("boss@example.gov.uk") == 2


def test_acknowledged_in_time_means_no_early_escalation(
    session: Session, sessions: Callable[[], Session], smtp: SmtpServer, settings: Settings
) -> None:
    council = make_org(session, "Council")
    boss = make_user(session, "supervisor", org=council)
    owner = make_user(session, "committee_clerk", org=council)
    tasks.set_supervisor(session, SYSTEM, NOW, owner.id, boss.id)
    r = hearing(session, owner, statutory=True, due_at=NOW + timedelta(days=3))
    run(sessions, NOW, smtp, settings)
    tasks.acknowledge(session, actor_for(owner), NOW + timedelta(hours=2), r.id)
    session.commit()
    run(sessions, NOW + timedelta(hours=30), smtp, settings)
    assert session.scalar(select(func.count()).select_from(ReminderEscalation)) == 0
    assert [m["To"] for m in smtp.sink.messages] == [owner.email]


def test_with_no_supervisor_recorded_a_deadline_escalates_to_the_organisations_supervisor(
    session: Session, sessions: Callable[[], Session], smtp: SmtpServer, settings: Settings
) -> None:
    """A new install whose administrator has not yet said who reports to whom: a statutory
    reminder escalated to no one. It now goes to the organisation's longest-standing
    supervisor (never another organisation's), who sees it on their list and may act on it."""
    council, police = make_org(session, "Council"), make_org(session, "Police", "police")
    charity = make_org(session, "Charity", "charity")
    make_user(session, "supervisor", email="police-boss@example.gov.uk", org=police)
    first = make_user(session, "supervisor", email="first-boss@example.gov.uk", org=council)
    make_user(session, "supervisor", email="second-boss@example.gov.uk", org=council)
    owner = make_user(session, "licensing_officer", email="officer@example.gov.uk", org=council)
    r = hearing(session, owner, statutory=True, due_at=NOW + timedelta(days=3))
    # In an organisation without a supervisor, a deadline still escalates to no one.
    lone = make_user(session, "licensing_officer", email="lone@example.gov.uk", org=charity)
    alone = hearing(session, lone, statutory=True, due_at=NOW + timedelta(days=3), subject_id=2)
    run(sessions, NOW, smtp, settings)
    run(sessions, NOW + timedelta(hours=24), smtp, settings)

    escalations = session.scalars(
        select(ReminderEscalation).order_by(ReminderEscalation.reminder_id)
    ).all()
    assert [(e.reminder_id, e.reason, e.supervisor_id) for e in escalations] == [
        (r.id, "unacknowledged", first.id),
        (alone.id, "unacknowledged", None),
    ]
    assert sorted(m["To"] for m in smtp.sink.messages) == [
        "first-boss@example.gov.uk",
        "lone@example.gov.uk",
        "officer@example.gov.uk",
    ]
    theirs = tasks.task_list(session, actor_for(first), NOW + timedelta(hours=25))
    assert [(t.reminder.id, t.escalated_to_me) for t in theirs.upcoming] == [(r.id, True)]
    summaries = session.scalars(
        select(AuditEvent.summary)
        .where(AuditEvent.action == "reminder.escalate")
        .order_by(AuditEvent.entity_id)
    ).all()
    assert [s.split(") to ")[1] for s in summaries] == [
        "first-boss@example.gov.uk, the organisation's supervisor: none is recorded",
        "no one: no supervisor is recorded, and the organisation has none",
    ]


@pytest.mark.parametrize("police_has_a_supervisor", [True, False])
def test_a_police_cases_deadline_never_escalates_to_a_council_supervisor(
    session: Session,
    sessions: Callable[[], Session],
    smtp: SmtpServer,
    settings: Settings,
    police_has_a_supervisor: bool,
) -> None:
    """A police officer whose recorded supervisor is the council's (the demo's ward officer):
    the council supervisor cannot record an event in a police case, so a deadline of one that
    escalated to them reached someone who could not act on it. It goes to the police force's
    supervisor, as when none is recorded, or to no one if the force has none."""
    council, police = make_org(session, "Council"), make_org(session, "Police", "police")
    council_boss = make_user(
        session, "supervisor", email="council-boss@example.gov.uk", org=council
    )
    police_boss = (
        make_user(session, "supervisor", email="police-boss@example.gov.uk", org=police)
        if police_has_a_supervisor
        else None
    )
    officer = make_user(session, "ward_officer", email="dwo@example.gov.uk", org=police)
    tasks.set_supervisor(session, SYSTEM, NOW, officer.id, council_boss.id)
    who = actor_for(officer)
    served = NOW
    _served_closure(session, who, police.id, served)
    session.commit()
    run(sessions, served, smtp, settings)
    run(sessions, served + timedelta(hours=24), smtp, settings)

    escalations = session.scalars(select(ReminderEscalation)).all()
    assert escalations, "an unacknowledged statutory reminder escalates"
    expected = police_boss.id if police_boss else None
    assert {e.supervisor_id for e in escalations} == {expected}
    recipients = {m["To"] for m in smtp.sink.messages}
    assert "council-boss@example.gov.uk" not in recipients
    assert ("police-boss@example.gov.uk" in recipients) == police_has_a_supervisor
    summaries = set(
        session.scalars(select(AuditEvent.summary).where(AuditEvent.action == "reminder.escalate"))
    )
    assert {s.split(") to ")[1] for s in summaries} == {
        "police-boss@example.gov.uk, the organisation's supervisor: the one recorded is in "
        "another organisation, which cannot act on it"
        if police_has_a_supervisor
        else "no one: the one recorded is in another organisation, which cannot act on it, "
        "and the organisation has none"
    }
    # The council supervisor still sees their officer's task, but cannot act on it: only the
    # organisation that owns the case can; the police supervisor it escalated to can.
    r = session.get(Reminder, escalations[0].reminder_id)
    assert r is not None
    later = served + timedelta(hours=25)
    assert tasks.get_task(session, actor_for(council_boss), later, r.id).refusal is not None
    with pytest.raises(Forbidden, match="organisation that owns the case"):
        tasks.acknowledge(session, actor_for(council_boss), later, r.id)
    with pytest.raises(Forbidden, match="organisation that owns the case"):
        tasks.mark_done(session, actor_for(council_boss), later, r.id)
    if police_boss is not None:
        tasks.acknowledge(session, actor_for(police_boss), later, r.id)
        assert r.acknowledged_by_id == police_boss.id


def test_daily_digest_gathers_non_urgent_reminders_and_urgent_ones_still_go_at_once(
    session: Session, sessions: Callable[[], Session], smtp: SmtpServer, settings: Settings
) -> None:
    owner = make_user(session, "licensing_officer", email="digest@example.gov.uk")
    tasks.set_digest_preference(session, actor_for(owner), NOW, "daily")
    config = NotifyConfig(
        **{
            **CONFIG.__dict__,
            "leads": {**CONFIG.leads, ReminderKind.FOLLOW_UP_INSPECTION: ("now",)},
        }
    )
    evening = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)  # London is on GMT in early March
    for i in (1, 2):
        reminders.schedule(
            session,
            reminders.ReminderSpec(
                kind=ReminderKind.FOLLOW_UP_INSPECTION,
                subject_type="inspection",
                subject_id=i,
                title=f"Follow-up inspection {i}",
                due_at=evening + timedelta(days=10),
                owner_user_id=owner.id,
            ),
            evening,
        )
    urgent = hearing(session, owner, subject_id=3, due_at=evening + timedelta(days=3))
    session.commit()
    run(sessions, evening, smtp, settings, config=config)
    assert smtp.sink.ids() == [f"<reminder-{urgent.id}-now-u{owner.id}@tracker.example.gov.uk>"]
    run(sessions, evening + timedelta(hours=12, minutes=59), smtp, settings, config=config)
    assert len(smtp.sink.messages) == 1  # 6:59 the next morning: not yet
    run(sessions, evening + timedelta(hours=13), smtp, settings, config=config)  # 7am London
    assert len(smtp.sink.messages) == 2
    digest = smtp.sink.messages[1]
    assert str(digest["Subject"]).strip() == "Your reminders: 2 items due"
    body = digest.get_body(("plain",))
    assert body is not None
    assert "Follow-up inspection 1" in body.get_content()
    assert "Follow-up inspection 2" in body.get_content()
    run(sessions, evening + timedelta(days=1, hours=13), smtp, settings, config=config)
    assert len(smtp.sink.messages) == 2


def test_reminders_inserted_in_bulk_are_planned_too(
    session: Session, sessions: Callable[[], Session], smtp: SmtpServer, settings: Settings
) -> None:
    owner = make_user(session, "licensing_officer")
    session.execute(
        insert(Reminder),
        [
            {
                "kind": ReminderKind.HEARING,
                "subject_type": "enforcement_case",
                "subject_id": i,
                "title": f"Hearing {i}",
                "due_at": NOW + timedelta(days=1),
                "owner_user_id": owner.id,
                "statutory": False,
                "status": "open",
                "created_at": NOW,
            }
            for i in (1, 2)
        ],
    )
    session.commit()
    assert set(session.scalars(select(Reminder.next_send_at))) == {NOW}
    run(sessions, NOW, smtp, settings)
    assert len(smtp.sink.messages) == 2


def test_snoozed_reminder_mails_when_the_snooze_ends(
    session: Session, sessions: Callable[[], Session], smtp: SmtpServer, settings: Settings
) -> None:
    owner = make_user(session, "licensing_officer")
    r = reminders.schedule(
        session,
        reminders.ReminderSpec(
            kind=ReminderKind.FOLLOW_UP_INSPECTION,
            subject_type="inspection",
            subject_id=1,
            title="Follow-up inspection",
            due_at=NOW + timedelta(days=3),
            owner_user_id=owner.id,
        ),
        NOW,
    )
    session.commit()
    run(sessions, NOW, smtp, settings)  # planned: 2 days before and on the day
    tasks.snooze(
        session, actor_for(owner), NOW, r.id, NOW + timedelta(days=2), "Waiting for the landlord"
    )
    session.commit()
    run(sessions, NOW + timedelta(days=1, hours=1), smtp, settings)  # the 2-day lead, snoozed
    assert smtp.sink.messages == []
    run(sessions, NOW + timedelta(days=2), smtp, settings)
    assert smtp.sink.ids() == [f"<reminder-{r.id}-2d-u{owner.id}@tracker.example.gov.uk>"]


# ---------------------------------------------------------------------------------------------
# Real processes and real databases
# ---------------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def real_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database of its own (not the test's transaction), for other processes to share."""
    if request.param == "sqlite":
        eng = make_engine(migrated_sqlite_url(tmp_path / "scheduler.db"))
        upgrade(eng)
        yield eng
        eng.dispose()
        return
    pg = PostgresDatabase("tracker_sched", migrated=True)
    eng = make_engine(pg.url)
    try:
        upgrade(eng)
        yield eng
    finally:
        eng.dispose()
        pg.drop()


@pytest.fixture
def pg_db() -> Iterator[Engine]:
    pg = PostgresDatabase("tracker_sched", migrated=True)
    eng = make_engine(pg.url)
    try:
        upgrade(eng)
        yield eng
    finally:
        eng.dispose()
        pg.drop()


def seed(engine: Engine, count: int, *, now: datetime, users: int = 4) -> None:
    """Make `count` reminders due at once (hearings, whose first lead is 'now'), in bulk."""
    with session_factory(writer(engine))() as s:
        people = [make_user(s, "licensing_officer") for _ in range(users)]
        s.commit()
        s.execute(
            insert(Reminder),
            [
                {
                    "kind": ReminderKind.HEARING,
                    "subject_type": "enforcement_case",
                    "subject_id": i + 1,
                    "title": f"Hearing {i + 1}",
                    "due_at": now + timedelta(days=3),
                    "owner_user_id": people[i % users].id,
                    "statutory": False,
                    "status": "open",
                    "created_at": now - timedelta(minutes=1),
                }
                for i in range(count)
            ],
        )
        s.commit()


def process_env(engine: Engine, server: SmtpServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=engine.url.render_as_string(hide_password=False),
        SECRET_KEY=TEST_SECRET,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(server.port),
        SMTP_STARTTLS="false",
        MAIL_FROM="Licensing tracker <reminders@tracker.example.gov.uk>",
        FLASK_APP="app",
        PYTHONPATH=str(ROOT),
    )
    return env


def test_two_scheduler_processes_on_postgresql_send_each_reminder_exactly_once(
    pg_db: Engine, smtp: SmtpServer
) -> None:
    count = 300
    seed(pg_db, count, now=datetime.now(UTC))
    flask = str(Path(sys.executable).parent / "flask")
    procs = [
        subprocess.Popen(
            [flask, "scheduler", "--once"],
            env=process_env(pg_db, smtp),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    counts = Counter(smtp.sink.ids())
    assert len(counts) == count, outputs
    assert set(counts.values()) == {1}


WORKER = textwrap.dedent(
    """
    import sys
    from config import Settings
    from enforcement.scheduler import SchedulerProcess

    # No leader lock: both processes act at once, so only the row claims stand between
    # them and a duplicate.
    process = SchedulerProcess(Settings.from_env(), use_leader=False)
    sent = 0
    try:
        for _ in range(20):
            report = process.run_once()
            sent += report.delivery.sent
            if report.looked_at == 0 and report.delivery.claimed == 0:
                break
    finally:
        process.close()
    print("sent", sent)
    """
)


def test_two_processes_without_the_leader_lock_still_send_each_mail_once(
    real_db: Engine, smtp: SmtpServer
) -> None:
    count = 300
    seed(real_db, count, now=datetime.now(UTC), users=6)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER],
            env=process_env(real_db, smtp),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=180)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    counts = Counter(smtp.sink.ids())
    assert len(counts) == count and set(counts.values()) == {1}, outputs
    sent = [
        int(line.split()[1])
        for out in outputs
        for line in out.splitlines()
        if line.startswith("sent ")
    ]
    assert sum(sent) == count


CRASHER = textwrap.dedent(
    """
    import os
    from config import Settings
    from enforcement.scheduler import SchedulerProcess

    process = SchedulerProcess(Settings.from_env())
    handed = []

    def die(mail):
        handed.append(mail.id)
        if len(handed) == 3:
            os._exit(137)  # killed after the server took the third mail, before its stamp

    process.run_once(after_send=die)
    """
)


def test_a_process_killed_between_send_and_stamp_loses_no_mail(
    real_db: Engine, smtp: SmtpServer
) -> None:
    start = datetime.now(UTC)
    seed(real_db, 5, now=start, users=1)
    env = process_env(real_db, smtp)
    crashed = subprocess.run(
        [sys.executable, "-c", CRASHER], env=env, cwd=ROOT, capture_output=True, timeout=60
    )
    assert crashed.returncode == 137, crashed.stderr
    assert len(smtp.sink.messages) == 3
    settings = Settings.from_env(env)
    sessions = session_factory(writer(real_db))
    # A new scheduler (the lease of the dead one has run out by then) finishes the job.
    tick(sessions, start + CONFIG.lease + timedelta(minutes=1), smtp.mailer(), settings)
    counts = Counter(smtp.sink.ids())
    assert len(counts) == 5  # nothing lost
    assert sorted(counts.values()) == [1, 1, 1, 1, 2]  # only the mail in flight went twice
    assert counts[smtp.sink.ids()[2]] == 2


def test_only_one_leader_at_a_time(real_db: Engine) -> None:
    sessions = session_factory(writer(real_db))
    if real_db.dialect.name == "postgresql":
        first: Any = AdvisoryLeader(real_db)
        second: Any = AdvisoryLeader(real_db)
        assert first.acquire(NOW) and not second.acquire(NOW)
        assert first.acquire(NOW)  # still held: it checks its connection and keeps it
        first.release()
        assert second.acquire(NOW)
        second.release()
        return
    ttl = timedelta(minutes=3)
    first = LeaseLeader(sessions, "host-a:1", ttl)
    second = LeaseLeader(sessions, "host-b:2", ttl)
    assert first.acquire(NOW) and not second.acquire(NOW + timedelta(minutes=1))
    assert first.acquire(NOW + timedelta(minutes=2))  # renewed
    assert not second.acquire(NOW + timedelta(minutes=4))
    assert second.acquire(NOW + timedelta(minutes=5, seconds=1))  # the first went quiet
    assert second.holder_now() == "host-b:2" and not first.acquire(NOW + timedelta(minutes=6))
    second.release()
    assert first.acquire(NOW + timedelta(minutes=6))


def _served_closure(
    session: Session, who: Actor, police_id: int, served: datetime
) -> EnforcementCase:
    """A police closure case whose notice was issued an hour before `served` and served then,
    with `who` (a police officer) in charge: its court hearing deadline is running."""
    assert who.user_id is not None
    case = cases.open_case(
        session,
        who,
        served,
        cases.CaseInput(
            premises_id=make_premises(session).id,
            tool="asbcpa_closure",
            owner_organisation_id=police_id,
            officer_id=who.user_id,
            summary="Closure after a joint visit",
        ),
    )
    for kind, when in (("notice_issued", served - timedelta(hours=1)), ("notice_served", served)):
        cases.record_event(
            session,
            who,
            served,
            case.id,
            case.version,
            cases.EventInput(kind=kind, occurred_at=when, served_how="in_person"),
            calendar=CALENDAR,
            rulebook=RULES,
        )
    return case


def _certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return key, cert


def test_starttls_and_authentication(
    session: Session, sessions: Callable[[], Session], settings: Settings, tmp_path: Path
) -> None:
    import ssl

    key, cert = _certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def check(_server: Any, _session: Any, _envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"tracker",
            b"s3cret-relay-password",
        )
        return AuthResult(success=ok)

    server = SmtpServer(
        tls_context=context, require_starttls=True, authenticator=check, auth_required=True
    )
    server.start()
    try:
        owner = make_user(session, "licensing_officer")
        hearing(session, owner)
        good = SmtpMailer(
            SmtpConfig(
                host="127.0.0.1",
                port=server.port,
                starttls=True,
                username="tracker",
                password="s3cret-relay-password",
                cafile=str(cert),
                timeout=5,
            )
        )
        report = tick(sessions, NOW, good, settings, config=CONFIG)
        assert report.delivery.sent == 1
        assert server.sink.sessions == [(True, True)]  # over TLS, authenticated
        # A wrong password is a problem with the server, not the mail: it waits and retries.
        hearing(session, owner, subject_id=2)
        bad = SmtpMailer(
            SmtpConfig(
                host="127.0.0.1",
                port=server.port,
                starttls=True,
                username="tracker",
                password="wrong",
                cafile=str(cert),
                timeout=1,  # aiosmtpd answers a wrong password slowly
            )
        )
        report = tick(sessions, NOW + timedelta(minutes=1), bad, settings, config=CONFIG)
        assert report.delivery.sent == 0 and report.delivery.retrying == 1
    finally:
        server.stop()


def test_the_scheduler_command_runs_a_tick(real_db: Engine, smtp: SmtpServer) -> None:
    seed(real_db, 3, now=datetime.now(UTC), users=1)
    flask = str(Path(sys.executable).parent / "flask")
    done = subprocess.run(
        [flask, "scheduler", "--once"],
        env=process_env(real_db, smtp),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "3 mails queued" in done.stdout and "sent 3" in done.stdout
    assert len(smtp.sink.messages) == 3
    # A second run finds nothing to do, so nothing is sent twice.
    again = subprocess.run(
        [flask, "scheduler", "--once"], env=process_env(real_db, smtp), cwd=ROOT,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "sent 0" in again.stdout and len(smtp.sink.messages) == 3


def test_the_tick_brings_the_statutory_clock_up_to_date_before_mailing(
    session: Session, sessions: Callable[[], Session], smtp: SmtpServer, settings: Settings
) -> None:
    """A hearing deadline that passes with no hearing becomes missed at the next tick."""
    police = make_org(session, "Test Police", "police")
    officer = make_user(session, "ward_officer", email="dwo@example.gov.uk", org=police)
    who = actor_for(officer)
    served = datetime(2027, 3, 3, 10, 0, tzinfo=UTC)
    case = _served_closure(session, who, police.id, served)
    session.commit()

    def hearing_status() -> str:
        return session.scalars(
            select(CaseDeadline.status)
            .where(CaseDeadline.case_id == case.id, CaseDeadline.rule_id == "asbcpa.s80.hearing")
            .execution_options(populate_existing=True)
        ).one()

    assert hearing_status() == "pending"
    report = run(sessions, served + timedelta(hours=1), smtp, settings)
    assert hearing_status() == "pending" and report.deadlines_changed == 0
    report = run(sessions, served + timedelta(hours=49), smtp, settings)
    # The hearing was due within 48 hours of service; the 24-hour notice has ended too.
    assert hearing_status() == "missed" and report.deadlines_changed == 2
    assert "case deadlines brought up to date" in report.summary()
    # The same moment again changes nothing: the clock is up to date.
    assert run(sessions, served + timedelta(hours=49), smtp, settings).deadlines_changed == 0


def test_the_tick_marks_an_import_left_part_way_by_a_stopped_server_as_failed(
    session: Session, sessions: Callable[[], Session], smtp: SmtpServer, settings: Settings
) -> None:
    run_row = import_runs.start_run(
        session,
        SYSTEM,
        NOW,
        kind="esd",
        filename="register.csv",
        data=b"CaseReference\r\nA1\r\n",
        options=importing.Options(),
    )
    run_row.status = import_runs.Status.APPLYING
    session.commit()

    soon = run(sessions, NOW + timedelta(minutes=5), smtp, settings)
    assert soon.imports_stalled == 0
    later = run(sessions, NOW + import_runs.STALLED_AFTER + timedelta(minutes=1), smtp, settings)
    assert (
        later.imports_stalled == 1
        and "imports stopped part way, marked failed: 1" in later.summary()
    )
    session.refresh(run_row)
    assert run_row.status == import_runs.Status.FAILED
    assert run_row.error == import_runs.STALLED_MESSAGE
