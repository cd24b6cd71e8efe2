"""Inspections by licensing officers, their condition findings and poster checks, and evidence files."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from enforcement.models.base import Base, UTCDateTime


class EvidenceFile(Base):
    """An uploaded file, stored outside the web root under the hash of its content."""

    __tablename__ = "evidence_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    original_name: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class EvidenceBlob(Base):
    """The bytes of a photo kept in the database (EVIDENCE_STORE=database), by its hash.

    Several web servers then share evidence through the database alone (docs/inspections.md).
    """

    __tablename__ = "evidence_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Inspection(Base):
    __tablename__ = "inspections"
    __table_args__ = (
        Index("ix_inspections_premises_id_inspected_at", "premises_id", "inspected_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    premises_id: Mapped[int] = mapped_column(ForeignKey("premises.id"))
    licence_id: Mapped[int | None] = mapped_column(ForeignKey("licences.id"), nullable=True)
    inspected_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(30))
    joint_with_police: Mapped[bool] = mapped_column(Boolean, default=False)
    other_officers: Mapped[str | None] = mapped_column(String(400), nullable=True)
    observations: Mapped[str | None] = mapped_column(Text, nullable=True)
    poster_displayed: Mapped[bool] = mapped_column(Boolean)
    poster_visible_public: Mapped[bool] = mapped_column(Boolean)
    poster_visible_workers: Mapped[bool] = mapped_column(Boolean)
    poster_compliant: Mapped[bool] = mapped_column(Boolean)
    poster_shortfall: Mapped[str | None] = mapped_column(String(400), nullable=True)
    poster_photo_id: Mapped[int | None] = mapped_column(
        ForeignKey("evidence_files.id"), nullable=True
    )
    follow_up_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    officer_rows: Mapped[list[InspectionOfficer]] = relationship(
        cascade="all, delete-orphan", lazy="raise"
    )
    language_rows: Mapped[list[InspectionLanguage]] = relationship(
        cascade="all, delete-orphan", lazy="raise"
    )
    indicator_rows: Mapped[list[InspectionIndicator]] = relationship(
        cascade="all, delete-orphan", lazy="raise"
    )
    findings: Mapped[list[ConditionFinding]] = relationship(
        cascade="all, delete-orphan", lazy="raise", order_by="ConditionFinding.condition_id"
    )
    service_rows: Mapped[list[InspectionService]] = relationship(
        cascade="all, delete-orphan", lazy="raise"
    )

    __mapper_args__ = {"version_id_col": version}


class InspectionOfficer(Base):
    """An officer of ours who took part in an inspection."""

    __tablename__ = "inspection_officers"

    inspection_id: Mapped[int] = mapped_column(
        ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)


class InspectionIndicator(Base):
    """An indicator of exploitation observed at the inspection (enforcement.safeguarding.vocab)."""

    __tablename__ = "inspection_indicators"

    inspection_id: Mapped[int] = mapped_column(
        ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class InspectionService(Base):
    """A service from the support directory the people present were signposted to."""

    __tablename__ = "inspection_services"

    inspection_id: Mapped[int] = mapped_column(
        ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True
    )
    service_id: Mapped[int] = mapped_column(ForeignKey("support_services.id"), primary_key=True)


class InspectionLanguage(Base):
    """A language the poster was displayed in, or one the premises needed, at the time of the check."""

    __tablename__ = "inspection_languages"

    inspection_id: Mapped[int] = mapped_column(
        ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True
    )
    language_code: Mapped[str] = mapped_column(ForeignKey("languages.code"), primary_key=True)
    role: Mapped[str] = mapped_column(String(10), primary_key=True)  # "displayed" or "needed"


class ConditionFinding(Base):
    __tablename__ = "condition_findings"
    __table_args__ = (UniqueConstraint("inspection_id", "condition_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"))
    condition_id: Mapped[int] = mapped_column(ForeignKey("licence_conditions.id"), index=True)
    finding: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class PremisesCompliance(Base):
    """The latest poster check of each premises, kept beside it so the compliance view is one scan."""

    __tablename__ = "premises_compliance"

    premises_id: Mapped[int] = mapped_column(
        ForeignKey("premises.id", ondelete="CASCADE"), primary_key=True
    )
    latest_inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"))
    last_inspected_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    poster_compliant: Mapped[bool] = mapped_column(Boolean)
    missing_languages: Mapped[str | None] = mapped_column(String(400), nullable=True)
