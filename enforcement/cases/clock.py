"""The statutory clock applied to stored cases: deadlines derived from events, kept in step in bulk."""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Table,
    bindparam,
    delete,
    exists,
    insert,
    select,
    type_coerce,
    update,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from enforcement.access import Actor
from enforcement.cases.calendar import WorkingCalendar
from enforcement.cases.statutory import (
    Deadline,
    Event,
    RuleBook,
    RuleOverrideError,
    derive_deadlines,
)
from enforcement.cases.vocab import Direction, EventKind, Status
from enforcement.db import chunks
from enforcement.models import Organisation, Referral, summaries
from enforcement.models.cases import CaseDeadline, CaseEvent, EnforcementCase
from enforcement.reminders import reminders, routing
from enforcement.reminders.vocab import ReminderKind
from enforcement.vocab import OrganisationKind

#: The subject type of every reminder a case owes.
CASE_SUBJECT = "enforcement_case"
OPEN = "open"
CLOSED = "closed"
#: Years the calendar is built for up front; others are read from the `holidays` package on use.
CALENDAR_YEARS = range(2018, 2041)
#: Deadlines that oblige someone in the case to act (the rest say when a period or order ends).
OWED = frozenset({Direction.BY.value, Direction.BEFORE.value})


@functools.lru_cache(maxsize=8)
def default_calendar(path: Path | None) -> WorkingCalendar:
    """Return the working-day calendar from the GOV.UK file at `path`, built once per path.

    Years the file does not cover (or every year, when `path` is None or missing) come from
    the `holidays` package.
    """
    return WorkingCalendar.load(path, CALENDAR_YEARS)


def bank_holidays_file(shared_data_dir: Path | None) -> Path | None:
    """Return where the GOV.UK bank-holidays file lives under the shared data folder."""
    if shared_data_dir is None:
        return None
    return shared_data_dir / "calendar" / "govuk-bank-holidays.json"


@functools.lru_cache(maxsize=8)
def default_rulebook(overrides_file: Path | None = None) -> RuleBook:
    """Return the base rule book: the rule table with the overrides file's changes, if any.

    The file (RULE_OVERRIDES_FILE, JSON: {"rule.id": {"amount": 6}}) is read once per process;
    a file that names an unknown rule or gives a value the rule cannot take raises
    RuleOverrideError (the app and the scheduler refuse to start). The overrides made on the
    admin page are applied on top for a given day by overrides.rulebook_in_force.
    """
    if overrides_file is None:
        return RuleBook()
    try:
        return RuleBook.from_json_file(overrides_file)
    except OSError as exc:
        raise RuleOverrideError(f"cannot read the rule overrides file: {exc}") from exc


@dataclass(frozen=True)
class StoredDeadline:
    """The stored form of one derived deadline (a row of case_deadlines, less its id)."""

    rule_id: str
    due_at: datetime
    status: str
    direction: str
    anchor_event_id: int
    met_by_event_id: int | None
    explanation: str
    confirmed: bool

    @classmethod
    def of(cls, deadline: Deadline) -> StoredDeadline:
        assert deadline.anchor.id is not None  # stored events always have an id
        return cls(
            rule_id=deadline.rule.id,
            due_at=deadline.due_at,
            status=deadline.status.value,
            direction=deadline.rule.direction.value,
            anchor_event_id=deadline.anchor.id,
            met_by_event_id=deadline.met_by.id if deadline.met_by is not None else None,
            explanation=deadline.counting_explanation,
            confirmed=deadline.confirmed,
        )

    @property
    def owed(self) -> bool:
        """Say whether a reminder should stand for it: still to come, or missed and not yet done."""
        if self.direction == Direction.NOT_BEFORE:
            return False
        if self.status == Status.PENDING:
            return True
        return (
            self.status == Status.MISSED and self.met_by_event_id is None and self.direction in OWED
        )


def live_status(status: str, direction: str, due_at: datetime, now: datetime) -> str:
    """Return a stored status as it stands at `now`: a pending deadline now past is missed or ended.

    The stored status is as at the last recompute; time alone moves a pending deadline on.
    """
    if status != Status.PENDING or now <= due_at:
        return status
    return Status.MISSED.value if direction in OWED else Status.LAPSED.value


def engine_event(row: CaseEvent) -> Event:
    """Return the engine's view of a stored event."""
    return Event(EventKind(row.kind), row.occurred_at, id=row.id, scheduled_for=row.scheduled_for)


def derive(
    tool: str, events: Sequence[Event], calendar: WorkingCalendar, rulebook: RuleBook, now: datetime
) -> list[StoredDeadline]:
    """Derive a case's deadlines from its events, in the form they are stored."""
    if not events:
        return []
    return [StoredDeadline.of(d) for d in derive_deadlines(tool, events, calendar, rulebook, now)]


@dataclass(frozen=True)
class CaseKey:
    """What the clock needs to know of a case to write its deadlines and reminders."""

    id: int
    reference: str
    tool: str
    premises_id: int
    officer_id: int | None
    owner_kind: str
    clock_digest: str | None = None
    clock_due_at: datetime | None = None
    #: Who records the case's steps: its officer, or the clerks through a committee referral.
    process: routing.Process = routing.Process.CASE


def _recipients(case: CaseKey) -> routing.Recipients:
    """Address a case's statutory reminders (`routing.case_recipients`)."""
    return routing.case_recipients(
        case.officer_id, case.process, case.owner_kind == OrganisationKind.COUNCIL
    )


def run_by_referral() -> ColumnElement[bool]:
    """Say, in SQL, whether a committee referral runs the case (its clerks record the steps)."""
    return exists().where(Referral.case_id == EnforcementCase.id)


def _process(by_referral: object) -> routing.Process:
    return routing.Process.COMMITTEE_REFERRAL if by_referral else routing.Process.CASE


def reminder_specs(
    case: CaseKey, rows: Iterable[StoredDeadline], rulebook: RuleBook
) -> list[reminders.ReminderSpec]:
    """Return the reminders a case owes: one per due instant of its owed deadlines.

    Two deadlines due at the same instant (an order's end and the last moment to apply to
    extend it) share one reminder, since a subject has one reminder of a kind per due time.
    """
    by_due: dict[datetime, list[StoredDeadline]] = {}
    for row in rows:
        if row.owed:
            by_due.setdefault(row.due_at, []).append(row)
    specs = []
    for due, group in sorted(by_due.items()):
        titles = "; ".join(
            rulebook.get(r.rule_id).title if r.rule_id in rulebook else r.rule_id for r in group
        )
        to = _recipients(case)
        specs.append(
            reminders.ReminderSpec(
                kind=ReminderKind.STATUTORY_DEADLINE,
                subject_type=CASE_SUBJECT,
                subject_id=case.id,
                title=f"{case.reference}: {titles}",
                due_at=due,
                premises_id=case.premises_id,
                owner_user_id=to.owner_user_id,
                team=to.team,
                statutory=True,
                rule_id=group[0].rule_id,
            )
        )
    return specs


def _closing_reason(row: StoredDeadline | None) -> reminders.Closing:
    """Why a deadline's reminder for its old time is closed, from the deadline as it now is.

    A deadline still owed (pending, or missed with nothing recorded to meet it) whose reminder
    is closed has moved to a new time (a local rule, a hearing listed again): that reminder
    is cancelled, not done, and the new time has its own.
    """
    if row is None:
        return reminders.Closing("The deadline no longer applies")
    status = Status(row.status)
    if status is Status.MET or (status is Status.MISSED and row.met_by_event_id is not None):
        met = "Deadline met" if status is Status.MET else "Done, but after the deadline"
        return reminders.Closing(met)
    if status is Status.LAPSED:
        return reminders.Closing("The period has ended")
    if status is Status.CLOSED:
        return reminders.Closing("The deadline no longer applies")
    return reminders.Closing("The deadline moved: the new time has a task of its own", done=False)


@dataclass(frozen=True)
class Changes:
    """Deadline rows to write: new ones, changed ones (by id) and ones to remove (their ids)."""

    inserts: list[dict[str, object]]
    updates: list[dict[str, object]]
    deletes: list[int]

    def __bool__(self) -> bool:
        return bool(self.inserts or self.updates or self.deletes)


def diff(
    case_id: int,
    stored: Mapping[str, tuple[int, StoredDeadline]],
    derived: Sequence[StoredDeadline],
    now: datetime,
) -> Changes:
    """Compare a case's stored deadlines (by rule id) with freshly derived ones."""
    inserts: list[dict[str, object]] = []
    updates: list[dict[str, object]] = []
    seen: set[str] = set()
    for row in derived:
        seen.add(row.rule_id)
        values: dict[str, object] = {
            "rule_id": row.rule_id,
            "due_at": row.due_at,
            "status": row.status,
            "direction": row.direction,
            "anchor_event_id": row.anchor_event_id,
            "met_by_event_id": row.met_by_event_id,
            "explanation": row.explanation,
            "confirmed": row.confirmed,
            "computed_at": now,
        }
        found = stored.get(row.rule_id)
        if found is None:
            inserts.append({"case_id": case_id, **values})
        elif found[1] != row:
            updates.append({"b_id": found[0], **values})
    deletes = [row_id for rule_id, (row_id, _) in stored.items() if rule_id not in seen]
    return Changes(inserts, updates, deletes)


def apply(session: Session, changes: Changes) -> None:
    """Write deadline changes in bulk statements.

    Core rather than the ORM's bulk statements: those leave out a row's None values and so
    split a batch wherever a column is empty in one row and not the next.
    """
    table = cast(Table, CaseDeadline.__table__)
    connection = session.connection()
    # Written below the ORM, so the measure summaries these change are discarded here: a new
    # deadline reaches the quarter it falls due in, a changed one that quarter before and after.
    moments = [row["due_at"] for row in (*changes.inserts, *changes.updates)]
    touched = [cast(int, row["b_id"]) for row in changes.updates] + list(changes.deletes)
    for chunk in chunks(touched):
        moments.extend(
            connection.execute(select(table.c.due_at).where(table.c.id.in_(chunk))).scalars()
        )
    if moments:
        summaries.discard(session, ("deadlines",), "quarter", moments)
    if changes.inserts:
        connection.execute(insert(table), changes.inserts)
    if changes.updates:
        connection.execute(update(table).where(table.c.id == bindparam("b_id")), changes.updates)
    for chunk in chunks(changes.deletes):
        connection.execute(delete(table).where(table.c.id.in_(chunk)))


def _time_columns(
    session: Session,
) -> tuple[
    Callable[[InstrumentedAttribute[Any]], ColumnElement[Any]], Callable[[Any], datetime | None]
]:
    """Return how to select a timestamp column in bulk and how to turn what comes back into UTC.

    SQLite hands timestamps back as text that SQLAlchemy parses one value at a time; reading
    the text and parsing it with datetime.fromisoformat is about twice as fast over the
    hundreds of thousands of values a recompute reads. Other databases use the column type.
    """
    if session.get_bind().dialect.name != "sqlite":
        return (lambda column: column), (lambda value: value)
    parse = datetime.fromisoformat

    def to_utc(value: Any) -> datetime | None:
        # Parsing the offset with the rest is several times faster than .replace(tzinfo=UTC).
        return None if value is None else parse(value + "+00:00")

    return (lambda column: type_coerce(column, String)), to_utc


def _fetch_all(session: Session, stmt: Select[Any]) -> Sequence[Any]:
    """Run a bulk read and return its rows.

    On SQLite the bulk reads select only integers and text (timestamps as text, see
    _time_columns), which need no processing, so the driver's rows are taken as they come:
    a third faster over the hundreds of thousands of rows a full recompute reads.
    """
    result = session.connection().execute(stmt)
    if session.get_bind().dialect.name != "sqlite":
        return result.all()
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def _stored_rows(
    session: Session, case_ids: Sequence[int] | None
) -> dict[int, dict[str, tuple[int, StoredDeadline]]]:
    """Read the stored deadlines of some cases (or of every open case, when case_ids is None)."""
    column, to_utc = _time_columns(session)
    stmt = select(
        CaseDeadline.id,
        CaseDeadline.case_id,
        CaseDeadline.rule_id,
        column(CaseDeadline.due_at),
        CaseDeadline.status,
        CaseDeadline.direction,
        CaseDeadline.anchor_event_id,
        CaseDeadline.met_by_event_id,
        CaseDeadline.explanation,
        CaseDeadline.confirmed,
    )
    batches = (
        [
            stmt.join(EnforcementCase, EnforcementCase.id == CaseDeadline.case_id).where(
                EnforcementCase.status == OPEN
            )
        ]
        if case_ids is None
        else [stmt.where(CaseDeadline.case_id.in_(chunk)) for chunk in chunks(case_ids)]
    )
    out: dict[int, dict[str, tuple[int, StoredDeadline]]] = {}
    for batch in batches:
        for (
            row_id,
            case_id,
            rule_id,
            due,
            status,
            direction,
            anchor,
            met,
            text,
            ok,
        ) in _fetch_all(session, batch):
            out.setdefault(case_id, {})[rule_id] = (
                row_id,
                StoredDeadline(
                    rule_id, to_utc(due) or due, status, direction, anchor, met, text, bool(ok)
                ),
            )
    return out


@functools.lru_cache(maxsize=8)
def clock_fingerprint(calendar: WorkingCalendar, rulebook: RuleBook) -> str:
    """Return a digest of what derivation depends on besides a case's events: rules and holidays.

    Stored with each case's deadlines, so a changed rule book (a new limit, a confirmed
    citation) or calendar makes the next recompute derive every case again. Cached per pair of
    objects: both are built once per process and never changed in place.
    """
    digest = hashlib.blake2b(digest_size=16)
    for rule in rulebook:
        digest.update(repr(rule).encode())
    for year in CALENDAR_YEARS:
        digest.update(repr(sorted(calendar.bank_holidays(year))).encode())
    return digest.hexdigest()


def _next_change(rows: Iterable[StoredDeadline]) -> datetime | None:
    """Return the first moment time alone changes these deadlines: the earliest pending one."""
    return min((row.due_at for row in rows if row.status == Status.PENDING), default=None)


@dataclass(frozen=True)
class Synced:
    """What a sync wrote: deadline rows inserted, updated and removed, and reminder changes."""

    derived: int
    inserted: int
    updated: int
    removed: int
    reminders: reminders.Reconciled


def sync_cases(
    session: Session,
    actor: Actor,
    now: datetime,
    cases: Sequence[CaseKey],
    events: Mapping[int, Sequence[Event]],
    calendar: WorkingCalendar,
    rulebook: RuleBook,
    *,
    stored: Mapping[int, Mapping[str, tuple[int, StoredDeadline]]] | None = None,
    fingerprint: str | None = None,
    reminders_for_all: bool = False,
) -> Synced:
    """Re-derive the given cases' deadlines, write what changed and keep their reminders in step.

    Reminders are reconciled for the cases whose deadlines changed, or for all of them with
    `reminders_for_all` (after the officer in charge changes, say). Each case's clock state
    (fingerprint and next change) is written too, without bumping the case's version: derived
    data changing must not make an officer's open form stale.
    """
    if stored is None:
        stored = _stored_rows(session, [c.id for c in cases])
    fingerprint = fingerprint or clock_fingerprint(calendar, rulebook)
    inserts: list[dict[str, object]] = []
    updates: list[dict[str, object]] = []
    deletes: list[int] = []
    states: list[dict[str, object]] = []
    wanted: dict[int, list[reminders.ReminderSpec]] = {}
    reasons: dict[tuple[int, str | None], reminders.Closing] = {}
    for case in cases:
        derived = derive(case.tool, events.get(case.id, ()), calendar, rulebook, now)
        before = stored.get(case.id, {})
        changes = diff(case.id, before, derived, now)
        inserts += changes.inserts
        updates += changes.updates
        deletes += changes.deletes
        next_change = _next_change(derived)
        if (case.clock_digest, case.clock_due_at) != (fingerprint, next_change):
            states.append({"b_case": case.id, "b_digest": fingerprint, "b_due": next_change})
        if changes or reminders_for_all:
            wanted[case.id] = reminder_specs(case, derived, rulebook)
            now_rows = {row.rule_id: row for row in derived}
            for rule_id in {*before, *now_rows}:
                reasons[(case.id, rule_id)] = _closing_reason(now_rows.get(rule_id))
    apply(session, Changes(inserts, updates, deletes))
    if states:
        table = cast(Table, EnforcementCase.__table__)
        # Core, not the ORM: the ORM would bump the version the officers' forms carry.
        session.connection().execute(
            update(table)
            .where(table.c.id == bindparam("b_case"))
            .values(clock_digest=bindparam("b_digest"), clock_due_at=bindparam("b_due")),
            states,
        )
    result = reminders.reconcile(
        session,
        kind=ReminderKind.STATUTORY_DEADLINE,
        subject_type=CASE_SUBJECT,
        wanted=wanted,
        now=now,
        actor=actor,
        reasons=reasons,
    )
    return Synced(len(cases), len(inserts), len(updates), len(deletes), result)


def case_key(session: Session, case: EnforcementCase) -> CaseKey:
    """Return the clock's view of one case (reads its owner's kind and its clock state)."""
    kind, digest, due, by_referral = session.execute(
        select(
            Organisation.kind,
            EnforcementCase.clock_digest,
            EnforcementCase.clock_due_at,
            run_by_referral(),
        )
        .join(EnforcementCase, EnforcementCase.owner_organisation_id == Organisation.id)
        .where(EnforcementCase.id == case.id)
    ).one()
    return CaseKey(
        case.id,
        case.reference,
        case.tool,
        case.premises_id,
        case.officer_id,
        kind,
        digest,
        due,
        _process(by_referral),
    )


def events_of(session: Session, case_id: int) -> list[Event]:
    """Return a case's events in the engine's form, oldest first."""
    return [
        engine_event(row)
        for row in session.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id == case_id)
            .order_by(CaseEvent.occurred_at, CaseEvent.id)
        )
    ]


def _events_by_case(session: Session, case_ids: Sequence[int] | None) -> dict[int, list[Event]]:
    """Read the events of some cases (of every open case when case_ids is None), by case."""
    column, to_utc = _time_columns(session)
    kinds = {kind.value: kind for kind in EventKind}
    stmt = select(
        CaseEvent.case_id,
        CaseEvent.id,
        CaseEvent.kind,
        column(CaseEvent.occurred_at),
        column(CaseEvent.scheduled_for),
    )
    batches = (
        [
            stmt.join(EnforcementCase, EnforcementCase.id == CaseEvent.case_id).where(
                EnforcementCase.status == OPEN
            )
        ]
        if case_ids is None
        else [stmt.where(CaseEvent.case_id.in_(chunk)) for chunk in chunks(case_ids)]
    )
    events: dict[int, list[Event]] = {}
    for batch in batches:
        for case_id, event_id, kind, at, scheduled in _fetch_all(session, batch):
            events.setdefault(case_id, []).append(
                Event(kinds[kind], to_utc(at), id=event_id, scheduled_for=to_utc(scheduled))  # type: ignore[arg-type]
            )
    return events


@dataclass(frozen=True)
class RecomputeResult:
    """What one recompute of the open cases did: how many it looked at and re-derived."""

    cases: int
    derived: int
    events: int
    inserted: int
    updated: int
    removed: int
    reminders: reminders.Reconciled


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a bulk derivation, restoring it after.

    A full recompute makes about a million short-lived objects, none in reference cycles, and
    the collector's repeated full passes over them cost about a tenth of the run.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


#: Above this many cases to derive, read every open case's rows at once rather than by id.
_READ_ALL = 2_000


def recompute_open_deadlines(
    session: Session,
    now: datetime,
    calendar: WorkingCalendar,
    rulebook: RuleBook,
    *,
    actor: Actor | None = None,
    full: bool = False,
) -> RecomputeResult:
    """Bring every open case's stored deadlines up to date as at `now`; write only what changed.

    The engine's output for a case depends on its events, the rule book, the calendar and
    `now`, and on `now` only where a pending deadline reaches its due time. Events are
    re-derived when recorded, so a case needs deriving again only if its deadlines were
    derived under another rule book or calendar (its stored fingerprint differs, or it has
    none) or one of its pending deadlines has come due; the others are already what the
    engine would say. `full` derives every open case regardless (a check, or after a change
    the fingerprint cannot see). Reads in bulk, derives in memory with the pure engine, writes
    the differences and reconciles reminders in bulk statements; flushes nothing else, and the
    caller commits (a scheduler tick is one transaction).
    """
    actor = actor or Actor.system("statutory clock")
    fingerprint = clock_fingerprint(calendar, rulebook)
    column, to_utc = _time_columns(session)
    keys = [
        CaseKey(
            case_id,
            reference,
            tool,
            premises_id,
            officer_id,
            kind,
            digest,
            to_utc(due),
            _process(by_referral),
        )
        for case_id, reference, tool, premises_id, officer_id, kind, digest, due, by_referral in (
            session.connection().execute(
                select(
                    EnforcementCase.id,
                    EnforcementCase.reference,
                    EnforcementCase.tool,
                    EnforcementCase.premises_id,
                    EnforcementCase.officer_id,
                    Organisation.kind,
                    EnforcementCase.clock_digest,
                    column(EnforcementCase.clock_due_at),
                    run_by_referral(),
                )
                .join(Organisation, Organisation.id == EnforcementCase.owner_organisation_id)
                .where(EnforcementCase.status == OPEN)
            )
        )
    ]
    due = [
        key
        for key in keys
        if full
        or key.clock_digest != fingerprint
        or (key.clock_due_at is not None and key.clock_due_at < now)
    ]
    ids = None if len(due) > _READ_ALL else [key.id for key in due]
    with _collector_paused():
        events = _events_by_case(session, ids)
        stored = _stored_rows(session, ids)
        synced = sync_cases(
            session,
            actor,
            now,
            due,
            events,
            calendar,
            rulebook,
            stored=stored,
            fingerprint=fingerprint,
        )
    return RecomputeResult(
        cases=len(keys),
        derived=len(due),
        events=sum(len(events.get(key.id, ())) for key in due),
        inserted=synced.inserted,
        updated=synced.updated,
        removed=synced.removed,
        reminders=synced.reminders,
    )
