"""Recording audit events, in the same transaction as the change they describe."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, event, func, select
from sqlalchemy.orm import Session

from enforcement.access import Actor, Permission, require
from enforcement.models import AuditEvent


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
    session.add(ev)
    return ev


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


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def search_events(session: Session, actor: Actor, q: AuditQuery) -> AuditPage:
    """Return a page of audit events, newest first; reading the trail is itself audited."""
    require(actor, Permission.AUDIT_READ)
    where: list[ColumnElement[bool]] = []
    if q.actor:
        where.append(AuditEvent.actor_label.like(f"%{q.actor.strip().lower()}%"))
    if q.action:
        where.append(AuditEvent.action == q.action)
    if q.entity_type:
        where.append(AuditEvent.entity_type == q.entity_type)
    if q.entity_id:
        where.append(AuditEvent.entity_id == q.entity_id.strip())
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(*where)) or 0
    events = list(
        session.scalars(
            select(AuditEvent)
            .where(*where)
            .order_by(AuditEvent.id.desc())
            .limit(q.page_size)
            .offset((max(1, q.page) - 1) * q.page_size)
        )
    )
    return AuditPage(events, total, max(1, q.page), q.page_size)


def actions_recorded(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
