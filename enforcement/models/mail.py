"""The mail outbox, what each reminder has had sent, escalations and the scheduler's lease."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from enforcement.models.base import Base, UTCDateTime


class OutboxMail(Base):
    """One email to one person, written in the transaction that decided it, sent after the commit.

    ``dedupe_key`` is unique and becomes the Message-ID, so a mail decided twice is stored once
    and a mail re-sent after a crash carries the same Message-ID as the first copy.
    """

    __tablename__ = "outbox_mails"
    __table_args__ = (
        # The tick's two questions, "what is ready to send" and "which held digest items are
        # due", are both a range on next_attempt_at within one status: no table scan.
        Index("ix_outbox_mails_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    # reminder, escalation, digest (one mail listing several), digest_item (held for a digest)
    kind: Mapped[str] = mapped_column(String(20))
    # pending, held, sent, digested, cancelled, failed
    status: Mapped[str] = mapped_column(String(20))
    reminder_id: Mapped[int | None] = mapped_column(
        ForeignKey("reminders.id", ondelete="CASCADE"), nullable=True, index=True
    )
    lead: Mapped[str | None] = mapped_column(String(20), nullable=True)
    recipient_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), nullable=True, index=True
    )
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    digest_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_mails.id"), nullable=True, index=True
    )


class ReminderSend(Base):
    """A lead time of a reminder that has been dealt with: the backstop against sending it twice.

    ``superseded`` marks a lead that fell due while a later one was also due (the scheduler was
    down, or the reminder was created late): only the latest is mailed.
    """

    __tablename__ = "reminder_sends"
    __table_args__ = (UniqueConstraint("reminder_id", "lead"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reminder_id: Mapped[int] = mapped_column(ForeignKey("reminders.id", ondelete="CASCADE"))
    lead: Mapped[str] = mapped_column(String(20))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)


class ReminderEscalation(Base):
    """A statutory reminder passed to a supervisor: not acknowledged in time, or overdue."""

    __tablename__ = "reminder_escalations"
    __table_args__ = (UniqueConstraint("reminder_id", "reason"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reminder_id: Mapped[int] = mapped_column(ForeignKey("reminders.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(20))  # unacknowledged, overdue
    supervisor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), nullable=True, index=True
    )
    escalated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SchedulerLease(Base):
    """The leader's lease where there are no advisory locks (SQLite): one row per named job."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime())


__all__ = ["OutboxMail", "ReminderEscalation", "ReminderSend", "SchedulerLease"]
