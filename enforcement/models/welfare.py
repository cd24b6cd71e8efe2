"""Operation Moontwist: officers' training and the welfare visits they log (counts, never names)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from enforcement.models.base import Base, UTCDateTime


class MoontwistTraining(Base):
    """One officer's completion of an Operation Moontwist course, recorded by a supervisor."""

    __tablename__ = "moontwist_training"
    __table_args__ = (UniqueConstraint("user_id", "completed_on", "course"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    completed_on: Mapped[date] = mapped_column(Date)
    course: Mapped[str] = mapped_column(String(200))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WelfareVisit(Base):
    """A proactive police welfare visit to premises selling sexual services.

    Need-to-know: every read goes through `enforcement.policy`. The ward is the premises' ward
    when the visit was logged, so who may read it does not shift when boundaries are redrawn.
    """

    __tablename__ = "welfare_visits"
    __table_args__ = (
        Index("ix_welfare_visits_ward_code_visited_at", "ward_code", "visited_at"),
        Index("ix_welfare_visits_premises_id_visited_at", "premises_id", "visited_at"),
        CheckConstraint("people_present >= 0", name="people_present_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    premises_id: Mapped[int] = mapped_column(ForeignKey("premises.id"))
    ward_code: Mapped[str] = mapped_column(String(12))
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    trigger: Mapped[str] = mapped_column(String(30))
    property_described: Mapped[str] = mapped_column(String(30))
    property_other: Mapped[str | None] = mapped_column(String(200), nullable=True)
    people_present: Mapped[int] = mapped_column(Integer)
    other_officers: Mapped[str | None] = mapped_column(String(400), nullable=True)
    other_indicators: Mapped[str | None] = mapped_column(Text, nullable=True)
    interpreter_used: Mapped[bool] = mapped_column(Boolean)
    interpreter_language: Mapped[str | None] = mapped_column(
        ForeignKey("languages.code"), nullable=True
    )
    support_info_left: Mapped[bool] = mapped_column(Boolean)
    feedback: Mapped[str | None] = mapped_column(Text, nullable=True)
    crime_reference: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # Every item of the guidance checklist met: kept beside the items for the adherence view.
    guidance_met: Mapped[bool] = mapped_column(Boolean)
    return_requested: Mapped[bool] = mapped_column(Boolean)
    follow_up_days: Mapped[int] = mapped_column(Integer)
    follow_up_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    no_identifiers_confirmed: Mapped[bool] = mapped_column(Boolean)
    released: Mapped[bool] = mapped_column(Boolean, default=False)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    release_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    officer_rows: Mapped[list[WelfareVisitOfficer]] = relationship(
        cascade="all, delete-orphan", lazy="raise"
    )
    indicator_rows: Mapped[list[WelfareVisitIndicator]] = relationship(
        cascade="all, delete-orphan", lazy="raise"
    )
    language_rows: Mapped[list[WelfareVisitLanguage]] = relationship(
        cascade="all, delete-orphan", lazy="raise"
    )
    guidance_rows: Mapped[list[WelfareVisitGuidance]] = relationship(
        cascade="all, delete-orphan", lazy="raise"
    )

    __mapper_args__ = {"version_id_col": version}


class WelfareVisitOfficer(Base):
    """An officer of ours who was present at a welfare visit."""

    __tablename__ = "welfare_visit_officers"

    visit_id: Mapped[int] = mapped_column(
        ForeignKey("welfare_visits.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)


class WelfareVisitIndicator(Base):
    """An indicator of exploitation observed on the visit (codes from enforcement.welfare.vocab)."""

    __tablename__ = "welfare_visit_indicators"

    visit_id: Mapped[int] = mapped_column(
        ForeignKey("welfare_visits.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class WelfareVisitLanguage(Base):
    """A language the support information left at the visit was written in."""

    __tablename__ = "welfare_visit_languages"

    visit_id: Mapped[int] = mapped_column(
        ForeignKey("welfare_visits.id", ondelete="CASCADE"), primary_key=True
    )
    language_code: Mapped[str] = mapped_column(ForeignKey("languages.code"), primary_key=True)


class WelfareVisitGuidance(Base):
    """An item of the Moontwist guidance checklist that the officers followed on the visit."""

    __tablename__ = "welfare_visit_guidance"

    visit_id: Mapped[int] = mapped_column(
        ForeignKey("welfare_visits.id", ondelete="CASCADE"), primary_key=True
    )
    item: Mapped[str] = mapped_column(String(40), primary_key=True)
