"""Reminders: what someone owes, about which record, by when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column

from enforcement.models.base import Base, UTCDateTime


def _first_look(context: DefaultExecutionContext) -> datetime | None:
    """Default a new reminder's next look to its creation, so the next tick plans its mail.

    Every way of inserting a reminder (``schedule``, bulk inserts) then reaches the scheduler
    without knowing about it.
    """
    params = context.get_current_parameters()  # type: ignore[no-untyped-call]
    value: datetime | None = params.get("created_at")
    return value


class Reminder(Base):
    """A due item for a person or a team; the same subject, kind and due time make one row."""

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("subject_type", "subject_id", "kind", "due_at"),
        Index("ix_reminders_status_due_at", "status", "due_at"),
        Index("ix_reminders_owner_user_id_status", "owner_user_id", "status"),
        Index("ix_reminders_team_status", "team", "status"),
        # What the scheduler asks every tick: a range scan, never a scan of the table.
        Index("ix_reminders_next_send_at", "next_send_at"),
        Index("ix_reminders_escalate_at", "escalate_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int] = mapped_column(Integer)
    premises_id: Mapped[int | None] = mapped_column(
        ForeignKey("premises.id"), nullable=True, index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    team: Mapped[str | None] = mapped_column(String(60), nullable=True)
    statutory: Mapped[bool] = mapped_column(Boolean, default=False)
    rule_id: Mapped[str | None] = mapped_column(String(60), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    close_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Notification state (enforcement.reminders.notify): the lead times fixed when the reminder was first
    # planned, when the scheduler must next look at it (None: nothing left to send), and when a
    # statutory reminder is next checked for escalation.
    leads: Mapped[str | None] = mapped_column(String(120), nullable=True)
    next_send_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), nullable=True, default=_first_look
    )
    escalate_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    snooze_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
