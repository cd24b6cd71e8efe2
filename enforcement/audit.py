"""Recording audit events, in the same transaction as the change they describe."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, event, func, select, text
from sqlalchemy.orm import Session

from enforcement import audit_chain
from enforcement.access import Actor, Permission, require
from enforcement.clock import stamp_text
from enforcement.errors import ValidationFailed
from enforcement.models import AuditEvent
from enforcement.paging import Page, QueryProblems, offset
from enforcement.text import contains_pattern

# pg_advisory_xact_lock key serialising writers of the audit chain (any fixed 64-bit number).
CHAIN_LOCK_KEY = 7_201_865_433_019


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, frozenset | set | tuple):
        return sorted(_jsonable(v) for v in value)
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def snapshot(obj: object, fields: Iterable[str]) -> dict[str, Any]:
    """Return the named attributes of a record as a JSON-ready dictionary."""
    return {f: _jsonable(getattr(obj, f)) for f in fields}


def record(
    session: Session,
    actor: Actor,
    now: datetime,
    *,
    action: str,
    entity_type: str,
    entity_id: object | None,
    summary: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the session (flushed with the change, committed with it)."""
    changed_before, changed_after = before, after
    if before is not None and after is not None:
        keys = [k for k in after if before.get(k) != after.get(k)]
        changed_before = {k: before.get(k) for k in keys}
        changed_after = {k: after[k] for k in keys}
    ev = AuditEvent(
        at=now,
        actor_id=actor.user_id,
        actor_label=actor.label[:254],
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        summary=summary[:400],
        before_json=None if changed_before is None else json.dumps(changed_before, sort_keys=True),
        after_json=None if changed_after is None else json.dumps(changed_after, sort_keys=True),
        ip_address=actor.ip_address,
    )
    ev.prev_hash = _chain_head(session)
    ev.hash = audit_chain.event_hash(ev.prev_hash, ev)
    session.add(ev)
    return ev


def record_refusal(
    session: Session,
    actor: Actor,
    now: datetime,
    *,
    entity_type: str,
    entity_id: object | None,
    what: str,
) -> AuditEvent:
    """Audit a refused attempt on a record (`<type>.refused`); the caller commits it.

    One mechanism for every need-to-know record: a refusal is recorded the same way whether
    the domain refused (a flag's conditions) or the page did (a role without the permission).
    `what` says what was attempted, never what the record says.
    """
    return record(
        session,
        actor,
        now,
        action=f"{entity_type}.refused",
        entity_type=entity_type,
        entity_id=entity_id,
        summary=f"Refused: {what}"[:400],
    )


def _chain_head(session: Session) -> str:
    """Return the hash the next event must follow, holding the chain's lock until commit.

    PostgreSQL: a transaction-scoped advisory lock taken before reading the last hash, so two
    transactions cannot both chain from the same event (the second waits for the first to
    commit, then reads its event). SQLite: write transactions are serial already (BEGIN
    IMMEDIATE for writers; a reader that tries to write after another commit is refused
    with "database is locked" rather than forking). Events added but not yet flushed in
    this session come first: they will be inserted, in order, before this one.
    """
    pending = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    if pending:
        return max(pending, key=_insert_order).hash
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    with session.no_autoflush:
        last = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    return last or audit_chain.GENESIS


def _insert_order(obj: AuditEvent) -> int:
    from sqlalchemy import inspect

    return int(getattr(inspect(obj), "insert_order", 0) or 0)


class AuditTampering(RuntimeError):
    """An attempt to change or delete an audit event."""


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _ctx: Any, _instances: Any) -> None:
    """Keep the trail append-only: no session may update or delete an audit event."""
    for obj in session.deleted:
        if isinstance(obj, AuditEvent):
            raise AuditTampering("audit events are append-only")
    for obj in session.dirty:
        if isinstance(obj, AuditEvent) and session.is_modified(obj):
            raise AuditTampering("audit events are append-only")


@dataclass(frozen=True)
class AuditQuery:
    actor: str = ""
    action: str = ""
    entity_type: str = ""
    entity_id: str = ""
    page: int = 1
    page_size: int = 50
    date_from: date | None = None  # London days, inclusive
    date_to: date | None = None


#: What a reader sees in place of the before and after data of a record they may not read.
WITHHELD = "withheld: you may not read this record"

#: Says which of some records of one type (their audit entity ids, "" for an event about no
#: single record) the actor may read the content of. Registered per record type by
#: enforcement.policy, which decides need-to-know; this module only applies the answer.
ContentRule = Callable[[Session, Actor, Sequence[str]], frozenset[str]]
_CONTENT_RULES: dict[str, ContentRule] = {}
#: Record types whose events' summaries are written without content (the summary is shown
#: even where the data are withheld); any other type's summary is withheld with its data.
_PLAIN_SUMMARIES: set[str] = set()


def register_content_rule(
    entity_type: str, rule: ContentRule, *, plain_summaries: bool = False
) -> None:
    """Say who may read the before and after data of a record type's events (once per type).

    `plain_summaries` promises that the type's summaries never quote what the record says
    (a flag's "Graded intelligence flag 4"), so a reader who may not read it still sees them.
    """
    if entity_type in _CONTENT_RULES:
        raise ValueError(f"{entity_type} already has a content rule")
    _CONTENT_RULES[entity_type] = rule
    if plain_summaries:
        _PLAIN_SUMMARIES.add(entity_type)


def content_rule_types() -> list[str]:
    """Return the record types whose events have a content rule, sorted."""
    return sorted(_CONTENT_RULES)


@dataclass(frozen=True)
class ShownEvent:
    """An audit event as one reader may see it: the data of records they may not read withheld."""

    id: int
    at: datetime
    actor_id: int | None
    actor_label: str
    ip_address: str | None
    action: str
    entity_type: str
    entity_id: str | None
    summary: str
    before_json: str | None
    after_json: str | None
    hash: str
    withheld: bool


def readable_content(session: Session, actor: Actor, events: Sequence[AuditEvent]) -> set[int]:
    """Return the ids of the events whose before and after data the actor may read.

    Each record type's rule decides; a type with no rule is withheld from everyone but the
    system, so a new kind of record is need-to-know until its rule says otherwise.
    """
    if actor.is_system:
        return {e.id for e in events}
    by_type: dict[str, list[AuditEvent]] = {}
    for e in events:
        by_type.setdefault(e.entity_type, []).append(e)
    out: set[int] = set()
    for entity_type, group in by_type.items():
        rule = _CONTENT_RULES.get(entity_type)
        if rule is None:
            continue
        ids = sorted({e.entity_id or "" for e in group})
        allowed = rule(session, actor, ids)
        out |= {e.id for e in group if (e.entity_id or "") in allowed}
    return out


# An instant as the trail stores it: ISO 8601 with its offset (UTC, as `_jsonable` writes it).
_STORED_INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,6})?)?[+-]\d\d:\d\d")


def _london_instants(value: Any) -> Any:
    if isinstance(value, str) and _STORED_INSTANT.fullmatch(value):
        return stamp_text(datetime.fromisoformat(value))
    if isinstance(value, list):
        return [_london_instants(v) for v in value]
    if isinstance(value, dict):
        return {k: _london_instants(v) for k, v in value.items()}
    return value


def shown_data(stored: str | None) -> str | None:
    """Return an event's before or after data as it is shown and exported: each instant, stored
    in UTC for the chain's hash, as London time with GMT or BST; the rest as stored."""
    if stored is None:
        return None
    try:
        data = json.loads(stored)
    except ValueError:
        return stored
    return json.dumps(_london_instants(data), ensure_ascii=False, sort_keys=True)


def shown(session: Session, actor: Actor, events: Sequence[AuditEvent]) -> list[ShownEvent]:
    """Return the events as the actor may see them.

    Who did what to which record, and when, is always shown; a withheld event's summary is
    withheld too unless its type promises plain summaries, because some quote what was
    written (a case's closing note).
    """
    readable = readable_content(session, actor, events)
    out = []
    for e in events:
        ok = e.id in readable
        out.append(
            ShownEvent(
                id=e.id,
                at=e.at,
                actor_id=e.actor_id,
                actor_label=e.actor_label,
                ip_address=e.ip_address,
                action=e.action,
                entity_type=e.entity_type,
                entity_id=e.entity_id,
                summary=e.summary if ok or e.entity_type in _PLAIN_SUMMARIES else WITHHELD,
                before_json=shown_data(e.before_json) if ok or e.before_json is None else WITHHELD,
                after_json=shown_data(e.after_json) if ok or e.after_json is None else WITHHELD,
                hash=e.hash,
                withheld=not ok,
            )
        )
    return out


AuditPage = Page[ShownEvent]


def query_problems(q: AuditQuery) -> dict[str, str]:
    """Return what is wrong with an audit search (a date range backwards), keyed by parameter."""
    return QueryProblems().date_range(q.date_from, q.date_to).page(q.page, q.page_size).found


def _where(q: AuditQuery) -> list[ColumnElement[bool]]:
    from enforcement.clock import london_midnight_utc

    where: list[ColumnElement[bool]] = []
    if q.actor:
        # Both sides lower-cased: PostgreSQL's LIKE tells capitals apart, SQLite's does not.
        pattern = contains_pattern(q.actor.strip().lower())
        where.append(func.lower(AuditEvent.actor_label).like(pattern, escape="\\"))
    if q.action:
        where.append(AuditEvent.action == q.action)
    if q.entity_type:
        where.append(AuditEvent.entity_type == q.entity_type)
    if q.entity_id:
        where.append(AuditEvent.entity_id == q.entity_id.strip())
    if q.date_from is not None:
        where.append(AuditEvent.at >= london_midnight_utc(q.date_from))
    if q.date_to is not None:
        where.append(AuditEvent.at < london_midnight_utc(q.date_to + timedelta(days=1)))
    return where


EXPORT_LIMIT = 100_000
EXPORT_HEADER = (
    "Event",
    "When (London time)",
    "Who",
    "User id",
    "From",
    "Action",
    "Record type",
    "Record",
    "Summary",
    "Before",
    "After",
    "Hash",
)


def export_events(session: Session, actor: Actor, now: datetime, q: AuditQuery) -> list[list[str]]:
    """Return the matching events (oldest first, with their hashes) as CSV rows; audited.

    The before and after data of a record the actor may not read are withheld, as on the page.
    """
    require(actor, Permission.AUDIT_READ)
    events = shown(
        session,
        actor,
        list(
            session.scalars(
                select(AuditEvent).where(*_where(q)).order_by(AuditEvent.id).limit(EXPORT_LIMIT)
            )
        ),
    )
    rows = [list(EXPORT_HEADER)]
    for e in events:
        rows.append(
            [
                str(e.id),
                stamp_text(e.at),
                e.actor_label,
                "" if e.actor_id is None else str(e.actor_id),
                e.ip_address or "",
                e.action,
                e.entity_type,
                e.entity_id or "",
                e.summary,
                e.before_json or "",
                e.after_json or "",
                e.hash,
            ]
        )
    record(
        session,
        actor,
        now,
        action="audit.export",
        entity_type="audit_event",
        entity_id=None,
        summary=f"Exported {len(events)} audit events",
        after={
            "filters": {
                k: v
                for k, v in (
                    ("actor", q.actor),
                    ("action", q.action),
                    ("entity_type", q.entity_type),
                    ("entity_id", q.entity_id),
                    ("date_from", q.date_from.isoformat() if q.date_from else ""),
                    ("date_to", q.date_to.isoformat() if q.date_to else ""),
                )
                if v
            }
        },
    )
    return rows


def search_events(session: Session, actor: Actor, q: AuditQuery) -> AuditPage:
    """Return a page of audit events, newest first, withheld where the actor may not read them."""
    require(actor, Permission.AUDIT_READ)
    if problems := query_problems(q):
        raise ValidationFailed(problems)
    where = _where(q)
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(*where)) or 0
    events = list(
        session.scalars(
            select(AuditEvent)
            .where(*where)
            .order_by(AuditEvent.id.desc())
            .limit(q.page_size)
            .offset(offset(q.page, q.page_size))
        )
    )
    return AuditPage(shown(session, actor, events), total, q.page, q.page_size)


def actions_recorded(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
