"""Licences held for premises, and their conditions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from enforcement.models.base import Base, UTCDateTime


class Licence(Base):
    __tablename__ = "licences"
    __table_args__ = (
        UniqueConstraint("regime", "reference"),
        Index("ix_licences_premises_id_status", "premises_id", "status"),
        # The premises list's licence filters: the premises holding licences of a type and
        # status, read from the index alone.
        Index("ix_licences_regime_status_premises", "regime", "status", "premises_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    premises_id: Mapped[int] = mapped_column(ForeignKey("premises.id"))
    regime: Mapped[str] = mapped_column(String(30))
    reference: Mapped[str] = mapped_column(String(60))
    holder_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    granted_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    starts_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    expires_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    opening_hours: Mapped[str | None] = mapped_column(String(400), nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The rest of the LGA/esd premises licence schema (docs/register.md): the case, the
    # licensable activities and their hours, the holder's and the designated premises
    # supervisor's details, the decision and where the licence is published.
    case_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    service_type: Mapped[str | None] = mapped_column(String(80), nullable=True)
    status_label: Mapped[str | None] = mapped_column(String(60), nullable=True)
    holder_address: Mapped[str | None] = mapped_column(String(400), nullable=True)
    holder_postcode: Mapped[str | None] = mapped_column(String(10), nullable=True)
    applicant_type: Mapped[str | None] = mapped_column(String(80), nullable=True)
    dps_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    dps_licence_no: Mapped[str | None] = mapped_column(String(60), nullable=True)
    dps_address: Mapped[str | None] = mapped_column(String(400), nullable=True)
    dps_postcode: Mapped[str | None] = mapped_column(String(10), nullable=True)
    alcohol_supply: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    alcohol_on_sales: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    alcohol_off_sales: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    late_night_refreshment: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # The kinds of regulated entertainment, "|"-separated as in the schema.
    regulated_entertainment: Mapped[str | None] = mapped_column(String(400), nullable=True)
    # The hours of each licensable activity, one "activity: hours" per line.
    activity_hours: Mapped[str | None] = mapped_column(Text, nullable=True)
    decision_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    licence_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    uprn: Mapped[str | None] = mapped_column(String(12), nullable=True)
    geo_point_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # What the last import left in the imported fields (a hash): a record whose fields no
    # longer hash to it was changed in the app since, and the next import reports a conflict.
    import_fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    conditions: Mapped[list[LicenceCondition]] = relationship(
        cascade="all, delete-orphan",
        lazy="raise",
        order_by="LicenceCondition.number",
        back_populates="licence",
    )

    __mapper_args__ = {"version_id_col": version}


class LicenceCondition(Base):
    """One condition of a licence, a record of its own so an inspection can say which was breached."""

    __tablename__ = "licence_conditions"
    __table_args__ = (UniqueConstraint("licence_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    licence_id: Mapped[int] = mapped_column(ForeignKey("licences.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set when a Licensing Committee decision added the condition (enforcement.referrals.drafting).
    source_referral_id: Mapped[int | None] = mapped_column(
        ForeignKey("committee_referrals.id"), nullable=True
    )

    licence: Mapped[Licence] = relationship(back_populates="conditions", lazy="raise")
