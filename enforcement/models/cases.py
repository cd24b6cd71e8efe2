"""Enforcement cases: one use of a tool at a premises, its recorded events and derived deadlines."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from enforcement.models.base import Base, UTCDateTime


class EnforcementCase(Base):
    """One use of an enforcement tool against a premises, owned by an organisation."""

    __tablename__ = "enforcement_cases"
    __table_args__ = (
        Index("ix_enforcement_cases_status_opened_at", "status", "opened_at"),
        Index("ix_enforcement_cases_premises_id_opened_at", "premises_id", "opened_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    premises_id: Mapped[int] = mapped_column(ForeignKey("premises.id"))
    tool: Mapped[str] = mapped_column(String(40), index=True)
    status: Mapped[str] = mapped_column(String(10))
    owner_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    # Empty only for a case the law opened (a review after closure) until someone takes it on.
    officer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), nullable=True, index=True
    )
    summary: Mapped[str] = mapped_column(Text)
    parent_case_id: Mapped[int | None] = mapped_column(
        ForeignKey("enforcement_cases.id"), nullable=True, index=True
    )
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    close_reason: Mapped[str | None] = mapped_column(String(400), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    # The statutory clock's bookkeeping (enforcement.cases.clock), written without a version
    # bump: the rule book and calendar the stored deadlines were derived under, and the first
    # moment time alone can change them (the earliest pending deadline). None: derive again.
    clock_digest: Mapped[str | None] = mapped_column(String(32), nullable=True)
    clock_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __mapper_args__ = {"version_id_col": version}


class CaseEvent(Base):
    """Something that happened in a case, at the London time a person gave (stored in UTC)."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case_id_occurred_at", "case_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("enforcement_cases.id"))
    kind: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    served_how: Mapped[str | None] = mapped_column(String(20), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CaseDeadline(Base):
    """A deadline the statutory clock derived from a case's events, stored so lists can filter on it.

    Never typed: rewritten from the events whenever one is recorded, and by the scheduled
    recompute. `direction` is the rule's (by, window, before, expires, not_before), kept so
    "missed" can be asked of rows whose stored status the clock has not caught up with yet.
    """

    __tablename__ = "case_deadlines"
    __table_args__ = (
        UniqueConstraint("case_id", "rule_id"),
        Index("ix_case_deadlines_status_due_at", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("enforcement_cases.id"))
    rule_id: Mapped[str] = mapped_column(String(60))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(10))
    direction: Mapped[str] = mapped_column(String(12))
    anchor_event_id: Mapped[int] = mapped_column(ForeignKey("case_events.id"))
    met_by_event_id: Mapped[int | None] = mapped_column(ForeignKey("case_events.id"), nullable=True)
    explanation: Mapped[str] = mapped_column(Text)
    confirmed: Mapped[bool] = mapped_column(Boolean)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())


__all__ = ["CaseDeadline", "CaseEvent", "EnforcementCase"]


class RuleOverride(Base):
    """A local change to one rule of the rule table, made on the admin page (docs/statutory-clock.md).

    In force from the London day `effective_from` until withdrawn; of several in force for one
    rule, the one taking effect latest wins. Never deleted: a withdrawal is recorded on it.
    """

    __tablename__ = "rule_overrides"
    __table_args__ = (
        Index("ix_rule_overrides_rule_id_effective_from", "rule_id", "effective_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(80))
    amount: Mapped[int] = mapped_column(Integer)
    counting: Mapped[str] = mapped_column(String(40))
    effective_from: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
