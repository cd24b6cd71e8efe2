"""What became of a welfare visit's follow-up: still due, made, or closed without a visit.

A follow-up visit is owed when a visit saw indicators or asked for a return; its reminder is
closed when the next welfare visit to the premises is logged (`visits.log_welfare_visit`, which
gives the reason "Welfare visit <id> logged"). Someone who can log a visit there may also mark
the task done by hand, without a visit (`reminders.tasks.mark_done`). So a closed reminder alone
does not say a follow-up visit was made: the page says so only when a visit was logged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from enforcement import policy
from enforcement.models import Reminder, User
from enforcement.models.welfare import WelfareVisit
from enforcement.reminders.reminders import MARKED_DONE, OPEN
from enforcement.reminders.vocab import ReminderKind, ReminderStatus
from enforcement.vocab import Labelled

SUBJECT = policy.WELFARE_VISIT.record_type
#: The reason a logged visit closes the follow-ups owed at its premises with (`logged_reason`),
#: and how it is read back.
_LOGGED = re.compile(r"^Welfare visit (\d+) logged$")


def logged_reason(visit_id: int) -> str:
    """The close reason of a follow-up met by logging this visit, as `_visit_that_met` reads it."""
    return f"Welfare visit {visit_id} logged"


class FollowUpState(Labelled):
    NOT_NEEDED = "not_needed", "No follow-up visit is needed"
    DUE = "due", "A follow-up visit is due"
    MADE = "made", "A follow-up visit was made"
    MARKED_DONE = "marked_done", "Marked done without a visit being logged"
    CLOSED = "closed", "Closed without a visit being logged"


@dataclass(frozen=True)
class FollowUp:
    """Where a visit's follow-up stands, and what closed it."""

    state: FollowUpState
    due_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    reason: str | None = None
    #: The visit that met it (state MADE): its id and when it took place.
    visit_id: int | None = None
    visited_at: datetime | None = None


def follow_up_of(session: Session, visit: WelfareVisit) -> FollowUp:
    """Say what became of a visit's follow-up, for someone who may read the visit."""
    if visit.follow_up_due_at is None:
        return FollowUp(FollowUpState.NOT_NEEDED)
    rows = list(
        session.scalars(
            select(Reminder)
            .where(
                Reminder.subject_type == SUBJECT,
                Reminder.subject_id == visit.id,
                Reminder.kind == ReminderKind.FOLLOW_UP_VISIT,
            )
            .order_by(Reminder.due_at, Reminder.id)
        )
    )
    if not rows:  # no task was made for it (a record older than its reminders): still owed
        return FollowUp(FollowUpState.DUE, due_at=visit.follow_up_due_at)
    open_rows = [r for r in rows if r.status == OPEN]
    if open_rows:
        return FollowUp(FollowUpState.DUE, due_at=open_rows[0].due_at)
    r = rows[-1]
    if (met := _visit_that_met(session, visit, r)) is not None:
        return FollowUp(
            FollowUpState.MADE,
            due_at=r.due_at,
            closed_at=r.closed_at,
            visit_id=met.id,
            visited_at=met.visited_at,
        )
    closed_by = (
        session.scalar(select(User.display_name).where(User.id == r.closed_by_id))
        if r.closed_by_id is not None
        else None
    )
    state = (
        FollowUpState.MARKED_DONE
        if r.status == ReminderStatus.DONE and r.close_reason == MARKED_DONE
        else FollowUpState.CLOSED
    )
    return FollowUp(
        state,
        due_at=r.due_at,
        closed_at=r.closed_at,
        closed_by=closed_by,
        reason=r.close_reason,
    )


def _visit_that_met(session: Session, visit: WelfareVisit, r: Reminder) -> WelfareVisit | None:
    """Return the later visit to the same premises whose logging closed the reminder, if any."""
    if r.status != ReminderStatus.DONE or r.close_reason is None:
        return None
    found = _LOGGED.match(r.close_reason)
    if found is None:
        return None
    met = session.get(WelfareVisit, int(found.group(1)))
    if met is None or met.id == visit.id or met.premises_id != visit.premises_id:
        return None
    return met
