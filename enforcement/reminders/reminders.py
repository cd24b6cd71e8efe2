"""Reminder records: created by the workflows that owe something, closed when it is met."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, or_, select, update
from sqlalchemy.orm import Session

from enforcement.access import Actor
from enforcement.db import chunks
from enforcement.models.mail import ReminderSend
from enforcement.models.reminders import Reminder
from enforcement.reminders.routing import member_teams
from enforcement.reminders.vocab import ReminderKind, ReminderStatus

OPEN = ReminderStatus.OPEN
DONE = ReminderStatus.DONE
CANCELLED = ReminderStatus.CANCELLED


#: The reason a task closed by hand carries (`enforcement.reminders.tasks.mark_done`): not the
#: event it asked for, which closes it with a reason of its own.
MARKED_DONE = "Marked done"


@dataclass(frozen=True)
class ReminderSpec:
    kind: ReminderKind
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
    kind: ReminderKind,
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
        .values(
            status=DONE,
            closed_at=now,
            closed_by_id=actor.user_id,
            close_reason=reason[:200],
            next_send_at=None,  # nothing more to mail or escalate
            escalate_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def open_for(session: Session, actor: Actor, limit: int = 100) -> list[Reminder]:
    """Return the open reminders a person owes, or their teams owe, soonest first."""
    teams = member_teams(session, actor)
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


@dataclass(frozen=True)
class Reconciled:
    """What `reconcile` changed: reminders created, readdressed or retitled, and closed."""

    created: int = 0
    updated: int = 0
    closed: int = 0


# One held reminder, as `reconcile` reads it: (id, status, title, owner id, team, rule id,
# acknowledged at, escalate at).
_Held = tuple[Any, ...]


def _held(
    session: Session, kind: ReminderKind, subject_type: str, subject_ids: Sequence[int]
) -> dict[int, dict[datetime, _Held]]:
    """Return the reminders of a kind each subject has now, by subject id and due time."""
    existing: dict[int, dict[datetime, _Held]] = {}
    for chunk in chunks(subject_ids):
        for rid, sid, due, status, title, owner, team, rule, acked, escalate in session.execute(
            select(
                Reminder.id,
                Reminder.subject_id,
                Reminder.due_at,
                Reminder.status,
                Reminder.title,
                Reminder.owner_user_id,
                Reminder.team,
                Reminder.rule_id,
                Reminder.acknowledged_at,
                Reminder.escalate_at,
            ).where(
                Reminder.subject_type == subject_type,
                Reminder.kind == kind,
                Reminder.subject_id.in_(chunk),
            )
        ):
            existing.setdefault(sid, {})[due] = (
                rid,
                status,
                title,
                owner,
                team,
                rule,
                acked,
                escalate,
            )
    return existing


def _new_row(
    kind: ReminderKind, subject_type: str, sid: int, spec: ReminderSpec, now: datetime
) -> dict[str, object]:
    return {
        "kind": kind,
        "subject_type": subject_type,
        "subject_id": sid,
        "premises_id": spec.premises_id,
        "title": spec.title[:200],
        "due_at": spec.due_at,
        "owner_user_id": spec.owner_user_id,
        "team": spec.team,
        "statutory": spec.statutory,
        "rule_id": spec.rule_id,
        "status": OPEN,
        "created_at": now,
    }


def _readdressed(found: _Held, spec: ReminderSpec, now: datetime) -> dict[str, object] | None:
    """Return the changes that bring a held reminder in line with its spec, or None.

    A reminder already closed stays closed, as `schedule` leaves it: someone may have marked
    it done by hand. An open one follows a new title, owner, team or rule.
    """
    rid, status, old_title, owner, team, rule, acked, escalate = found
    title = spec.title[:200]
    if status != OPEN or (old_title, owner, team, rule) == (
        title,
        spec.owner_user_id,
        spec.team,
        spec.rule_id,
    ):
        return None
    changes: dict[str, object] = {
        "b_id": rid,
        "title": title,
        "owner_user_id": spec.owner_user_id,
        "team": spec.team,
        "rule_id": spec.rule_id,
        # Readdressed: the scheduler plans its mail afresh. A new title alone changes no more.
        "next_send_at": now,
        "acknowledged_at": acked,
        "escalate_at": escalate,
    }
    if (owner, team) != (spec.owner_user_id, spec.team):
        changes.update(new_recipients(spec.due_at, spec.statutory, now))
    return changes


def new_recipients(due_at: datetime, statutory: bool, now: datetime) -> dict[str, object]:
    """What a reminder given to a new owner or team starts again from (with `forget_leads`).

    Its mail is planned afresh; the new owner (or team) has acknowledged nothing yet, so the
    old one's acknowledgement no longer holds back escalation; and a statutory reminder
    escalates at the latest when it falls due.
    """
    return {
        "next_send_at": now,
        "acknowledged_at": None,
        "escalate_at": due_at if statutory else None,
    }


@dataclass(frozen=True)
class Closing:
    """Why an open reminder no longer wanted is closed, and whether what it asked was done (a
    deadline met) or not (a deadline moved: its new time has a reminder of its own)."""

    reason: str
    done: bool = True


def forget_leads(session: Session, reminder_ids: Sequence[int]) -> None:
    """Forget which of these reminders' leads were mailed: they have new recipients, who are
    mailed as for a new reminder (the latest lead due, once; `notify.plan_leads`). Whoever they
    were mailed to before is not mailed again: each mail is kept once per person in the outbox."""
    for chunk in chunks(reminder_ids):
        session.execute(delete(ReminderSend).where(ReminderSend.reminder_id.in_(chunk)))


def _closing(rid: int, now: datetime, actor: Actor, closing: Closing) -> dict[str, object]:
    reason = closing.reason
    return {
        "b_id": rid,
        "status": DONE if closing.done else CANCELLED,
        "closed_at": now,
        "closed_by_id": actor.user_id,
        "close_reason": reason[:200],
        "next_send_at": None,  # nothing more to mail or escalate
        "escalate_at": None,
    }


def reconcile(
    session: Session,
    *,
    kind: ReminderKind,
    subject_type: str,
    wanted: Mapping[int, Sequence[ReminderSpec]],
    now: datetime,
    actor: Actor,
    reasons: Mapping[tuple[int, str | None], Closing] | None = None,
    default_reason: str = "No longer due",
) -> Reconciled:
    """Make the open reminders of a kind for each subject in `wanted` exactly the ones it lists.

    Reminders are matched on their due time (one per subject, kind and due time, as the
    table's unique key says): a missing one is created, an open one's changed title, owner or
    rule is rewritten, one already closed is left closed (as `schedule` leaves it), and an open
    one no longer wanted is closed with the reason given for its (subject id, rule id) in
    `reasons`. Works in a few
    bulk statements however many subjects it is given, so a scheduler tick can pass them all.
    """
    reasons = reasons or {}
    subject_ids = sorted(wanted)
    existing = _held(session, kind, subject_type, subject_ids)
    inserts: list[dict[str, object]] = []
    updates: list[dict[str, object]] = []
    closes: list[dict[str, object]] = []
    readdressed: list[int] = []  # reminders with new recipients: mailed afresh
    for sid in subject_ids:
        held = existing.get(sid, {})
        keep: set[datetime] = set()
        for spec in wanted[sid]:
            keep.add(spec.due_at)
            found = held.get(spec.due_at)
            if found is None:
                inserts.append(_new_row(kind, subject_type, sid, spec, now))
            elif (change := _readdressed(found, spec, now)) is not None:
                updates.append(change)
                if (found[3], found[4]) != (spec.owner_user_id, spec.team):
                    readdressed.append(int(found[0]))
        for due, (rid, status, _title, _owner, _team, rule, _acked, _escalate) in held.items():
            if status == OPEN and due not in keep:
                closing = reasons.get((sid, rule), Closing(default_reason))
                closes.append(_closing(rid, now, actor, closing))
    # Core statements: the ORM's bulk ones leave out None values and so split a batch into
    # one statement per run of rows with the same empty columns.
    table = cast(Table, Reminder.__table__)
    connection = session.connection()
    by_id = update(table).where(table.c.id == bindparam("b_id"))
    if inserts:
        connection.execute(insert(table), inserts)
    if updates:
        connection.execute(by_id, updates)
        forget_leads(session, readdressed)
    if closes:
        connection.execute(by_id, closes)
    return Reconciled(created=len(inserts), updated=len(updates), closed=len(closes))
