"""Anonymous referral records: one per referral made from a welfare visit or an inspection.

Nothing here may identify the person referred (docs/welfare.md): a test holds the table's
columns to an allow-list, so a new column is a deliberate decision.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from enforcement.models.base import Base, UTCDateTime


class ReferralRecord(Base):
    """A referral of one person, counted as the Home Office's NRM statistics count them."""

    __tablename__ = "anonymous_referrals"
    __table_args__ = (
        CheckConstraint("(welfare_visit_id IS NULL) <> (inspection_id IS NULL)", name="one_source"),
        Index("ix_anonymous_referrals_submitted_on_ward_code", "submitted_on", "ward_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Where the referral was made from: exactly one of the two.
    welfare_visit_id: Mapped[int | None] = mapped_column(
        ForeignKey("welfare_visits.id"), nullable=True, index=True
    )
    inspection_id: Mapped[int | None] = mapped_column(
        ForeignKey("inspections.id"), nullable=True, index=True
    )
    # The ward of the premises when the record was made (for counts by ward only).
    ward_code: Mapped[str | None] = mapped_column(String(12), nullable=True)
    route: Mapped[str] = mapped_column(String(30))
    age_group: Mapped[str] = mapped_column(String(20))
    age_disputed: Mapped[bool] = mapped_column(Boolean)
    # Asked of adults only: every child is referred.
    consent_given: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    gender: Mapped[str] = mapped_column(String(20))
    exploitation_place: Mapped[str] = mapped_column(String(20))
    first_responder_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), nullable=True
    )
    first_responder_type: Mapped[str] = mapped_column(String(30))
    submitted_on: Mapped[date] = mapped_column(Date)
    rg_decided_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    rg_outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    cg_decided_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    cg_outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    type_rows: Mapped[list[ReferralRecordType]] = relationship(
        cascade="all, delete-orphan", lazy="raise"
    )

    __mapper_args__ = {"version_id_col": version}


class ReferralRecordType(Base):
    """A form of exploitation a referral names (several may apply)."""

    __tablename__ = "anonymous_referral_types"

    referral_id: Mapped[int] = mapped_column(
        ForeignKey("anonymous_referrals.id", ondelete="CASCADE"), primary_key=True
    )
    exploitation_type: Mapped[str] = mapped_column(String(30), primary_key=True)
