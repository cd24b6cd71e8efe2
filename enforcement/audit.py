"""Recording audit events, in the same transaction as the change they describe."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, event, func, select, text
from sqlalchemy.orm import Session

from enforcement import audit_chain
from enforcement.access import Actor, Permission, require
from enforcement.errors import ValidationFailed
from enforcement.models import AuditEvent
from enforcement.paging import Page, QueryProblems, offset

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


AuditPage = Page[AuditEvent]


def query_problems(q: AuditQuery) -> dict[str, str]:
    """Return what is wrong with an audit search (a date range backwards), keyed by parameter."""
    return QueryProblems().date_range(q.date_from, q.date_to).page(q.page, q.page_size).found


def _where(q: AuditQuery) -> list[ColumnElement[bool]]:
    from enforcement.clock import london_midnight_utc

    where: list[ColumnElement[bool]] = []
    if q.actor:
        where.append(AuditEvent.actor_label.like(f"%{q.actor.strip().lower()}%"))
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
    "When (UTC)",
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
    """Return the matching events (oldest first, with their hashes) as CSV rows; audited."""
    require(actor, Permission.AUDIT_READ)
    events = list(
        session.scalars(
            select(AuditEvent).where(*_where(q)).order_by(AuditEvent.id).limit(EXPORT_LIMIT)
        )
    )
    rows = [list(EXPORT_HEADER)]
    for e in events:
        rows.append(
            [
                str(e.id),
                e.at.isoformat(),
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
    """Return a page of audit events, newest first."""
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
    return AuditPage(events, total, q.page, q.page_size)


def actions_recorded(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
