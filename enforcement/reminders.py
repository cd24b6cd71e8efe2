"""Reminder records: created by the workflows that owe something, closed when it is met."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from enforcement.access import Actor
from enforcement.models.reminders import Reminder

OPEN = "open"
DONE = "done"
CANCELLED = "cancelled"


class Kind:
    FOLLOW_UP_INSPECTION = "follow_up_inspection"
    FOLLOW_UP_VISIT = "follow_up_visit"
    STATUTORY_DEADLINE = "statutory_deadline"
    FLAG_REVIEW = "flag_review"
    HEARING = "hearing"
    LICENCE_EXPIRY = "licence_expiry"


KIND_LABELS = {
    Kind.FOLLOW_UP_INSPECTION: "Follow-up inspection",
    Kind.FOLLOW_UP_VISIT: "Follow-up welfare visit",
    Kind.STATUTORY_DEADLINE: "Statutory deadline",
    Kind.FLAG_REVIEW: "Intelligence review",
    Kind.HEARING: "Hearing",
    Kind.LICENCE_EXPIRY: "Licence expiry",
}


@dataclass(frozen=True)
class ReminderSpec:
    kind: str
    subject_type: str
    subject_id: int
    title: str
    due_at: datetime
    premises_id: int | None = None
    owner_user_id: int | None = None
    team: str | None = None
    statutory: bool = False
    rule_id: str | None = None


def schedule(session: Session, spec: ReminderSpec, now: datetime) -> Reminder:
    """Create the reminder, or return the one that already exists for its subject, kind and due time."""
    existing = session.scalar(
        select(Reminder).where(
            Reminder.subject_type == spec.subject_type,
            Reminder.subject_id == spec.subject_id,
            Reminder.kind == spec.kind,
            Reminder.due_at == spec.due_at,
        )
    )
    if existing is not None:
        return existing
    reminder = Reminder(
        kind=spec.kind,
        subject_type=spec.subject_type,
        subject_id=spec.subject_id,
        premises_id=spec.premises_id,
        title=spec.title[:200],
        due_at=spec.due_at,
        owner_user_id=spec.owner_user_id,
        team=spec.team,
        statutory=spec.statutory,
        rule_id=spec.rule_id,
        status=OPEN,
        created_at=now,
    )
    session.add(reminder)
    session.flush()
    return reminder


def close_open(
    session: Session,
    *,
    kind: str,
    premises_id: int | None = None,
    subject_type: str | None = None,
    subject_id: int | None = None,
    now: datetime,
    actor: Actor,
    reason: str,
) -> int:
    """Mark open reminders of a kind done because the thing they asked for has happened."""
    clauses = [Reminder.kind == kind, Reminder.status == OPEN]
    if premises_id is not None:
        clauses.append(Reminder.premises_id == premises_id)
    if subject_type is not None:
        clauses.append(Reminder.subject_type == subject_type)
    if subject_id is not None:
        clauses.append(Reminder.subject_id == subject_id)
    result = session.execute(
        update(Reminder)
        .where(*clauses)
        .values(status=DONE, closed_at=now, closed_by_id=actor.user_id, close_reason=reason[:200])
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def open_for(session: Session, actor: Actor, limit: int = 100) -> list[Reminder]:
    """Return the open reminders a person owes, or their teams owe, soonest first."""
    teams = [f"ward:{code}" for code in actor.ward_codes]
    if "licensing_officer" in actor.roles:
        teams.append("licensing")
    clauses = [Reminder.owner_user_id == actor.user_id]
    if teams:
        clauses.append(Reminder.team.in_(teams))
    return list(
        session.scalars(
            select(Reminder)
            .where(Reminder.status == OPEN, or_(*clauses))
            .order_by(Reminder.due_at, Reminder.id)
            .limit(limit)
        )
    )
