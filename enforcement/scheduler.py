"""The reminder scheduler's tick, and the lock that lets one scheduler process act at a time.

A tick is: bring the statutory clock up to date (open cases whose pending deadlines have come
due are derived again, so missed deadlines and their reminders change as time passes), claim due
reminders, write their mail to the outbox and stamp them (one transaction
per batch, committed), escalate and fold digests the same way, take an audit checkpoint when
one is due (appended to the checkpoint file and mailed to the auditors), then deliver the outbox
(each mail stamped after the server took it; see enforcement.reminders.outbox for what that
guarantees).

Only one scheduler acts at a time: on PostgreSQL the one holding a session-level
``pg_try_advisory_lock`` on a connection it keeps open (the lock goes when the process or its
connection dies); on SQLite the holder of a lease row it renews every tick. The lock is a
courtesy, not the guarantee: the row claims (``FOR UPDATE SKIP LOCKED``, ``BEGIN IMMEDIATE``)
and the unique keys on sends and outbox rows keep two schedulers from sending a mail twice even
if both act. A scheduler that was down catches up by itself: a tick takes everything whose
time has passed, however long ago.
"""

from __future__ import annotations

import html
import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar

from sqlalchemy import Connection, Engine, delete, event, func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from enforcement import audit_chain
from enforcement.access import Permission, roles_granted
from enforcement.cases import clock as case_clock
from enforcement.cases import overrides as rule_overrides
from enforcement.clock import utcnow, when_text
from enforcement.db import make_engine, session_factory, writer
from enforcement.inspections import inspections
from enforcement.measures import summaries as measure_summaries
from enforcement.models import User, UserRole
from enforcement.models.mail import OutboxMail, SchedulerLease
from enforcement.referrals import process as referral_process
from enforcement.registerio import expiry
from enforcement.registerio import runs as import_runs
from enforcement.reminders import notify
from enforcement.reminders.notify import NotifyConfig
from enforcement.reminders.outbox import (
    Claimed,
    Delivery,
    Mailer,
    deliver_outbox,
    mailer_from_settings,
)
from enforcement.reminders.vocab import MailKind

if TYPE_CHECKING:
    from config import Settings

T = TypeVar("T")
log = logging.getLogger(__name__)

SessionFactory = Callable[[], Session]
LOCK_NAME = "reminders"
# A fixed 64-bit key for pg_try_advisory_lock: "reminder scheduler" for this application.
ADVISORY_KEY = 0x5452_4B52_534E_4452 & 0x7FFF_FFFF_FFFF_FFFF
MAX_BATCHES = 10_000  # a guard against a loop that makes no progress; never reached in practice
STEPS: tuple[tuple[str, Callable[..., notify.Batch], int], ...] = (
    ("reminders", notify.enqueue_due, 500),
    ("escalations", notify.escalate_due, 200),
    ("digests", notify.assemble_digests, 2000),
)


@dataclass
class TickReport:
    """What a tick did, for the log and the tests."""

    deadlines_changed: int = 0
    looked_at: int = 0
    leads_sent: int = 0
    mails_queued: int = 0
    escalations: int = 0
    digests: int = 0
    referral_effects: int = 0
    licence_expiry: int = 0  # licence expiry reminders made, moved or closed
    imports_stalled: int = 0  # register imports whose server stopped part way, marked failed
    summaries: int = 0  # measure summaries of closed quarters computed
    audit_checkpoint: audit_chain.Checkpoint | None = None
    delivery: Delivery = field(default_factory=Delivery)
    failed_steps: list[str] = field(default_factory=list)  # each logged with its traceback

    def summary(self) -> str:
        d = self.delivery
        return (
            (
                f"{self.deadlines_changed} case deadlines brought up to date; "
                f"{self.licence_expiry} licence expiry reminders made, moved or closed; "
                f"looked at {self.looked_at} reminders, {self.leads_sent} lead times due, "
                f"{self.mails_queued} mails queued, {self.escalations} escalations, "
                f"{self.digests} digests, {self.referral_effects} committee decisions in effect, "
                f"{self.summaries} measure summaries computed;"
                f" sent {d.sent}, retrying {d.retrying}, failed {d.failed}, "
                f"cancelled {d.cancelled}"
            )
            + (
                f"; register imports stopped part way, marked failed: {self.imports_stalled}"
                if self.imports_stalled
                else ""
            )
            + (
                f"; audit checkpoint: {self.audit_checkpoint.count} events"
                if self.audit_checkpoint is not None
                else ""
            )
            + (
                f"; steps that failed (see the log): {', '.join(self.failed_steps)}"
                if self.failed_steps
                else ""
            )
        )


def _run_step(
    session_factory: SessionFactory,
    now: datetime,
    config: NotifyConfig,
    name: str,
    step: Callable[..., notify.Batch],
    limit: int,
    report: TickReport,
) -> None:
    for _ in range(MAX_BATCHES):
        with session_factory() as session:
            try:
                batch = step(session, now, config, limit=limit)
                session.commit()
            except IntegrityError:
                # The unique backstop caught a second scheduler acting on the same rows: its
                # work stands, ours is rolled back whole, and nothing is sent twice.
                session.rollback()
                log.warning("%s: another scheduler dealt with this batch first", name)
                return
        report.looked_at += batch.looked_at if name == "reminders" else 0
        if name == "reminders":
            report.leads_sent += batch.leads_sent
            report.mails_queued += batch.mails
        elif name == "escalations":
            report.escalations += batch.leads_sent
            report.mails_queued += batch.mails
        else:
            report.digests += batch.mails
        if batch.looked_at < limit:
            return


def _bring_clock_up_to_date(
    session_factory: SessionFactory, now: datetime, settings: Settings | Any, report: TickReport
) -> None:
    """Re-derive the open cases whose deadlines time has moved on (one transaction, committed).

    A pending deadline that has come due becomes missed or ended, and its reminder follows, so
    the reminder steps after it see the case as it stands now.
    """
    path = case_clock.bank_holidays_file(getattr(settings, "shared_data_dir", None))
    calendar = case_clock.default_calendar(path)
    base = case_clock.default_rulebook(getattr(settings, "rule_overrides_file", None))
    with session_factory() as session:
        try:
            # The local rules in force today (docs/statutory-clock.md): a rule book that differs
            # from the one a case was derived under re-derives it, so a local rule taking effect
            # moves every open case's deadlines on the first tick of its day.
            rulebook = rule_overrides.rulebook_in_force(session, now, base)
            result = case_clock.recompute_open_deadlines(session, now, calendar, rulebook)
            session.commit()
        except IntegrityError:
            # Another scheduler (or an officer recording an event) wrote the same rows first:
            # theirs stand, and the next tick derives whatever is still out of date.
            session.rollback()
            log.warning("statutory clock: another writer brought these cases up to date first")
            return
    report.deadlines_changed = result.inserted + result.updated + result.removed


def tick(
    session_factory: SessionFactory,
    now: datetime,
    mailer: Mailer,
    settings: Settings | Any,
    *,
    config: NotifyConfig | None = None,
    after_send: Callable[[Claimed], None] | None = None,
) -> TickReport:
    """Run one tick at `now`: bring the statutory clock up to date, enqueue and stamp what is due
    (each committed), then deliver the outbox.

    `session_factory` must give sessions whose transactions take the write lock at once on
    SQLite (enforcement.db.writer). `after_send` is the tests' crash hook (see deliver_outbox).
    """
    config = config or NotifyConfig.from_settings(settings)
    report = TickReport()

    def isolated(name: str, work: Callable[[], T], otherwise: T) -> T:
        # One step's fault (a record no rule foresaw) is logged and named in the report, and
        # the steps after it still run: it must not stop everyone's mail at every tick.
        try:
            return work()
        except Exception:
            log.exception("tick step %r failed; the steps after it go on", name)
            report.failed_steps.append(name)
            return otherwise

    isolated(
        "statutory clock",
        lambda: _bring_clock_up_to_date(session_factory, now, settings, report),
        None,
    )
    report.licence_expiry = isolated(
        "licence expiry", lambda: _sync_licence_expiry(session_factory, now), 0
    )
    report.imports_stalled = isolated(
        "stalled imports", lambda: _fail_stalled_imports(session_factory, now), 0
    )
    for name, step, limit in STEPS:
        isolated(
            name,
            partial(_run_step, session_factory, now, config, name, step, limit, report),
            None,
        )
    report.referral_effects = isolated(
        "committee decisions", lambda: _apply_referral_effects(session_factory, now), 0
    )
    report.audit_checkpoint = isolated(
        "audit checkpoint",
        lambda: _audit_checkpoint_if_due(session_factory, now, settings, config),
        None,
    )
    report.summaries = isolated(
        "measure summaries", lambda: _summarise_closed_quarters(session_factory, now), 0
    )
    # Last, and left to raise: no step comes after it, and the outbox keeps each mail's state.
    report.delivery = deliver_outbox(session_factory, now, mailer, config, after_send=after_send)
    return report


def _summarise_closed_quarters(session_factory: SessionFactory, now: datetime) -> int:
    """Keep the compliance view as it stands unless a kept one serves, and compute the missing
    measure summaries of a few closed quarters, newest first, each quarter committed
    (docs/dashboard.md, "How the figures are kept")."""
    kept = 0
    with session_factory() as session:
        try:
            kept += inspections.keep_compliance_view(session, now)
            session.commit()
            todo = measure_summaries.missing(session, now)[: measure_summaries.QUARTERS_PER_TICK]
            session.rollback()
            for quarter in todo:
                kept += measure_summaries.compute(session, now, quarter)
                session.commit()
        except IntegrityError:
            # Another scheduler kept the same summary first: it counted the same records.
            session.rollback()
            log.warning("measure summaries: another scheduler kept these first")
    return kept


def _sync_licence_expiry(session_factory: SessionFactory, now: datetime) -> int:
    """Bring every licence's expiry reminder up to date (one transaction, committed)."""
    with session_factory() as session:
        try:
            done = expiry.sync_all(session, now)
            session.commit()
        except IntegrityError:
            session.rollback()  # another writer made the same reminders first
            return 0
    return done.created + done.updated + done.closed


def _fail_stalled_imports(session_factory: SessionFactory, now: datetime) -> int:
    """Close the register imports whose server stopped part way (one transaction, committed)."""
    with session_factory() as session:
        failed = import_runs.fail_stalled(session, now)
        session.commit()
    return failed


def _apply_referral_effects(session_factory: SessionFactory, now: datetime) -> int:
    """Let committee decisions whose appeal period has ended take effect: one transaction."""
    with session_factory() as session:
        try:
            changed = referral_process.apply_due_effects(session, now)
            session.commit()
        except StaleDataError:
            session.rollback()  # a page view applied them first; the next tick finds nothing
            return 0
    return len(changed)


# ---------------------------------------------------------------------------------------------
# Audit checkpoints: the trail's head, kept where the database's users cannot rewrite it
# ---------------------------------------------------------------------------------------------

CHECKPOINT_MAIL = MailKind.AUDIT_CHECKPOINT


class Auditor(NamedTuple):
    user_id: int | None
    email: str
    name: str


def checkpoint_recipients(session: Session, settings: Settings | Any) -> list[Auditor]:
    """Return who is sent each checkpoint: everyone who may read the audit trail, then the
    extra addresses in AUDIT_CHECKPOINT_MAIL_TO."""
    roles = [role.value for role in sorted(roles_granted(Permission.AUDIT_READ))]
    people = [
        Auditor(row.id, row.email, row.display_name)
        for row in session.execute(
            select(User.id, User.email, User.display_name)
            .where(
                User.is_active.is_(True),
                User.id.in_(select(UserRole.user_id).where(UserRole.role.in_(roles))),
            )
            .order_by(User.id)
        )
    ]
    known = {p.email.lower() for p in people}
    for address in getattr(settings, "audit_checkpoint_mail_to", ()):
        if address.lower() not in known:
            people.append(Auditor(None, address, "audit team"))
            known.add(address.lower())
    return people


def render_checkpoint_mail(
    cp: audit_chain.Checkpoint, line: str, name: str, config: NotifyConfig
) -> notify.Rendered:
    """Write the mail carrying one checkpoint: the signed line, and how to check against it."""
    when = when_text(cp.taken_at)
    last = "none" if cp.last_id is None else str(cp.last_id)
    subject = f"Audit trail checkpoint: {cp.count:,} events at {when}"
    text_body = (
        f"Dear {name},\n\n"
        f"This is the audit trail checkpoint of {when} from {config.service_name}. Keep this "
        "email: it lets anyone check later that no audit event up to this point was changed or "
        "removed, even someone who cannot trust the database.\n\n"
        f"Events: {cp.count:,}\nLast event: {last}\nHead hash: {cp.head}\n\n"
        "The signed checkpoint (copy the line exactly into a file, then run "
        "`flask audit verify --checkpoints FILE`):\n\n"
        f"{line}\n\n"
        "You get this because you can read the audit trail. It says nothing about any record."
    )
    html_body = (
        f"<p>Dear {html.escape(name)},</p>"
        f"<p>This is the audit trail checkpoint of {html.escape(when)} from "
        f"{html.escape(config.service_name)}. Keep this email: it lets anyone check later that "
        "no audit event up to this point was changed or removed, even someone who cannot trust "
        "the database.</p>"
        f"<p>Events: {cp.count:,}<br>Last event: {last}<br>Head hash: {cp.head}</p>"
        "<p>The signed checkpoint (copy the line exactly into a file, then run "
        "<code>flask audit verify --checkpoints FILE</code>):</p>"
        f"<pre>{html.escape(line)}</pre>"
        "<p>You get this because you can read the audit trail. It says nothing about any "
        "record.</p>"
    )
    return notify.Rendered(subject, text_body, html_body)


def record_audit_checkpoint(
    session: Session, now: datetime, settings: Settings | Any, config: NotifyConfig
) -> audit_chain.Checkpoint:
    """Take a checkpoint of the audit trail, append it to the checkpoint file and queue it to
    the auditors' mail (the caller commits; the mail goes from the outbox after the commit).

    Raises ValueError without AUDIT_CHECKPOINT_KEY. A checkpoint file that cannot be written
    is logged as an error and the mail still goes: it is the second copy.
    """
    key = getattr(settings, "audit_checkpoint_key", "")
    if not key:
        raise ValueError("AUDIT_CHECKPOINT_KEY is not set: no checkpoint can be signed")
    cp = audit_chain.take_checkpoint(session, now)
    line = audit_chain.checkpoint_line(cp, key)
    try:
        audit_chain.append_checkpoint(settings.audit_checkpoint_file, line)
    except OSError as exc:
        log.error("audit checkpoint not written to %s: %s", settings.audit_checkpoint_file, exc)
    recipients = checkpoint_recipients(session, settings)
    if not recipients:
        log.warning("audit checkpoint: no one may read the audit trail, so no one was mailed")
    stamp = now.strftime("%Y%m%dT%H%M%S%f")
    for person in recipients:
        body = render_checkpoint_mail(cp, line, person.name, config)
        who = f"u{person.user_id}" if person.user_id is not None else person.email.lower()
        session.add(
            OutboxMail(
                dedupe_key=f"audit-checkpoint-{stamp}-{who}"[:200],
                kind=CHECKPOINT_MAIL,
                status=notify.PENDING,
                reminder_id=None,
                lead=None,
                recipient_user_id=person.user_id,
                recipient=person.email,
                subject=body.subject,
                text_body=body.text,
                html_body=body.html,
                created_at=now,
                attempts=0,
                next_attempt_at=now,
            )
        )
    session.flush()
    return cp


def checkpoint_due(session: Session, now: datetime, settings: Settings | Any) -> bool:
    """Say whether AUDIT_CHECKPOINT_MINUTES have passed since the last checkpoint.

    The last is the newer of the file's last line and the last checkpoint mail, so a file
    that cannot be written does not bring a mail every tick.
    """
    if not getattr(settings, "audit_checkpoint_key", ""):
        return False
    every = timedelta(minutes=getattr(settings, "audit_checkpoint_minutes", 60))
    times = [
        audit_chain.last_checkpoint_at(settings.audit_checkpoint_file),
        session.scalar(
            select(func.max(OutboxMail.created_at)).where(OutboxMail.kind == CHECKPOINT_MAIL)
        ),
    ]
    last = max((t for t in times if t is not None), default=None)
    return last is None or now - last >= every


def _audit_checkpoint_if_due(
    session_factory: SessionFactory, now: datetime, settings: Settings | Any, config: NotifyConfig
) -> audit_chain.Checkpoint | None:
    with session_factory() as session:
        if not checkpoint_due(session, now, settings):
            return None
        try:
            cp = record_audit_checkpoint(session, now, settings, config)
            session.commit()
        except IntegrityError:
            session.rollback()  # another scheduler queued this checkpoint's mail first
            log.warning("audit checkpoint: another scheduler took it first")
            return None
    log.info("audit checkpoint: %d events up to event %s", cp.count, cp.last_id)
    return cp


class Leader(Protocol):
    def acquire(self, now: datetime) -> bool: ...

    def release(self) -> None: ...


class AdvisoryLeader:
    """Leadership on PostgreSQL: a session-level advisory lock on a connection kept open."""

    def __init__(self, engine: Engine, key: int = ADVISORY_KEY) -> None:
        self.engine = engine
        self.key = key
        self._conn: Connection | None = None

    def acquire(self, now: datetime) -> bool:
        del now  # the lock lasts as long as the connection, not a time
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT 1"))
                return True
            except DBAPIError:
                self._discard()  # the connection died, and the lock with it: try again
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = bool(
                conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar()
            )
        except DBAPIError:
            conn.close()
            raise
        if got:
            self._conn = conn
            return True
        conn.close()
        return False

    def _discard(self) -> None:
        if self._conn is not None:
            try:
                self._conn.invalidate()
                self._conn.close()
            finally:
                self._conn = None

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            except DBAPIError:
                pass  # a dead connection has released it already
            finally:
                self._conn.close()
                self._conn = None


class LeaseLeader:
    """Leadership where there are no advisory locks: a row naming the holder until it expires."""

    def __init__(
        self, session_factory: SessionFactory, holder: str, ttl: timedelta, name: str = LOCK_NAME
    ) -> None:
        self.session_factory = session_factory
        self.holder = holder
        self.ttl = ttl
        self.name = name

    def acquire(self, now: datetime) -> bool:
        try:
            with self.session_factory() as session:
                row = session.get(SchedulerLease, self.name)
                if row is None:
                    session.add(
                        SchedulerLease(
                            name=self.name,
                            holder=self.holder,
                            expires_at=now + self.ttl,
                            heartbeat_at=now,
                        )
                    )
                elif row.holder == self.holder or row.expires_at <= now:
                    row.holder = self.holder
                    row.expires_at = now + self.ttl
                    row.heartbeat_at = now
                else:
                    return False
                session.commit()
                return True
        except IntegrityError:
            return False  # another process inserted the row first

    def holder_now(self) -> str | None:
        with self.session_factory() as session:
            return session.scalar(
                select(SchedulerLease.holder).where(SchedulerLease.name == self.name)
            )

    def release(self) -> None:
        with self.session_factory() as session:
            session.execute(
                delete(SchedulerLease).where(
                    SchedulerLease.name == self.name, SchedulerLease.holder == self.holder
                )
            )
            session.commit()


def holder_id() -> str:
    """Name this process for the lease: host, process id and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def leader_for(engine: Engine, sessions: SessionFactory, interval_seconds: int) -> Leader:
    """Return the leadership mechanism the database offers."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLeader(engine)
    # Long enough that a slow tick keeps its lease, short enough that a dead leader is replaced.
    ttl = timedelta(seconds=max(3 * interval_seconds, 120))
    return LeaseLeader(sessions, holder_id(), ttl)


def scheduler_engine(url: str) -> Engine:
    """Return an engine for the scheduler, whose commits skip waiting for the disk.

    Every write a tick makes records progress that a later tick can redo: a claim, a stamp, a
    queued mail keyed by its dedupe key. If a power cut loses the last few of those commits,
    the worst outcome is a mail sent again with the same Message-ID, never a mail lost; and
    waiting for fsync on each of ten thousand stamps would take most of a tick. So: SQLite's
    ``synchronous=NORMAL`` in WAL mode (safe against the process dying; only the OS crashing
    can roll back recent commits) and PostgreSQL's ``synchronous_commit=off`` (the same, for a
    server crash). The web app's engine keeps full durability.
    """
    if url.startswith("sqlite"):
        engine = make_engine(url)

        @event.listens_for(engine, "connect")
        def _relaxed(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    if url.startswith("postgresql"):
        return make_engine(url, connect_args={"options": "-c synchronous_commit=off"})
    return make_engine(url)


class SchedulerProcess:
    """One scheduler process: its engine, leadership, mailer and configuration."""

    def __init__(
        self,
        settings: Settings | Any,
        *,
        mailer: Mailer | None = None,
        clock: Callable[[], datetime] = utcnow,
        use_leader: bool = True,
    ) -> None:
        # Lead-time rules are checked now, so bad REMINDER_LEADS stops the process at start.
        self.config = NotifyConfig.from_settings(settings)
        self.settings = settings
        self.engine = scheduler_engine(settings.database_url)
        self.sessions = session_factory(writer(self.engine))
        self.mailer = mailer or mailer_from_settings(settings)
        self.clock = clock
        self.leader: Leader | None = (
            leader_for(self.engine, self.sessions, settings.scheduler_interval_seconds)
            if use_leader
            else None
        )

    def run_once(
        self, now: datetime | None = None, *, after_send: Callable[[Claimed], None] | None = None
    ) -> TickReport | None:
        """Tick once if this process leads; return None when another scheduler is acting."""
        at = now or self.clock()
        if self.leader is not None and not self.leader.acquire(at):
            log.info("another scheduler is active: standing by")
            return None
        report = tick(
            self.sessions,
            at,
            self.mailer,
            self.settings,
            config=self.config,
            after_send=after_send,
        )
        log.info("tick at %s: %s", at.isoformat(timespec="seconds"), report.summary())
        return report

    def close(self) -> None:
        try:
            if self.leader is not None:
                self.leader.release()
        finally:
            self.engine.dispose()
