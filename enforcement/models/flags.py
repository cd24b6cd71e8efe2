"""Intelligence flags: concerns about a premises or a location, graded and need-to-know."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from enforcement.models.base import Base, UTCDateTime


class IntelFlag(Base):
    """One piece of intelligence about a premises, or about a location not yet in the register.

    Need-to-know: every read goes through `enforcement.policy`. `conditional` is true when the
    handling code restricts sharing to the organisations and roles named in `audience_*`.
    """

    __tablename__ = "intel_flags"
    __table_args__ = (
        Index("ix_intel_flags_premises_id_status", "premises_id", "status"),
        Index("ix_intel_flags_reported_at_id", "reported_at", "id"),
        Index("ix_intel_flags_ward_code_reported_at", "ward_code", "reported_at"),
        Index("ix_intel_flags_submitted_by_id_reported_at", "submitted_by_id", "reported_at"),
        CheckConstraint(
            "premises_id IS NOT NULL OR location_text IS NOT NULL OR latitude IS NOT NULL",
            name="has_place",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    premises_id: Mapped[int | None] = mapped_column(ForeignKey("premises.id"), nullable=True)
    # A place not in the register: an address, a point, or both; linked to a premises later.
    location_text: Mapped[str | None] = mapped_column(String(300), nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    # The ward when recorded (from the premises or the point), for ward-scoped access.
    ward_code: Mapped[str | None] = mapped_column(String(12), nullable=True)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source_type: Mapped[str] = mapped_column(String(30))
    report_text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)
    # Grading: scheme "3x5x2" (or "5x5x5" for older records); null until graded.
    grade_scheme: Mapped[str | None] = mapped_column(String(8), nullable=True)
    source_grade: Mapped[str | None] = mapped_column(String(1), nullable=True)
    intelligence_grade: Mapped[str | None] = mapped_column(String(1), nullable=True)
    handling_code: Mapped[str | None] = mapped_column(String(1), nullable=True)
    handling_conditions: Mapped[str | None] = mapped_column(Text, nullable=True)
    conditional: Mapped[bool] = mapped_column(Boolean, default=False)
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    review_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    submitted_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    exploitation_rows: Mapped[list[IntelFlagExploitation]] = relationship(
        cascade="all, delete-orphan", lazy="raise", order_by="IntelFlagExploitation.form"
    )
    audience_org_rows: Mapped[list[IntelFlagOrganisation]] = relationship(
        cascade="all, delete-orphan", lazy="raise"
    )
    audience_role_rows: Mapped[list[IntelFlagRole]] = relationship(
        cascade="all, delete-orphan", lazy="raise", order_by="IntelFlagRole.role"
    )

    __mapper_args__ = {"version_id_col": version}


class IntelFlagExploitation(Base):
    """One form of exploitation a flag reports (several may apply)."""

    __tablename__ = "intel_flag_exploitation"

    flag_id: Mapped[int] = mapped_column(
        ForeignKey("intel_flags.id", ondelete="CASCADE"), primary_key=True
    )
    form: Mapped[str] = mapped_column(String(30), primary_key=True)


class IntelFlagOrganisation(Base):
    """An organisation a conditionally handled flag may be shown to."""

    __tablename__ = "intel_flag_organisations"

    flag_id: Mapped[int] = mapped_column(
        ForeignKey("intel_flags.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id"), primary_key=True, index=True
    )


class IntelFlagRole(Base):
    """A role a conditionally handled flag may be shown to."""

    __tablename__ = "intel_flag_roles"

    flag_id: Mapped[int] = mapped_column(
        ForeignKey("intel_flags.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(40), primary_key=True)


class IntelFlagLink(Base):
    """A flag used as evidence: in an enforcement case, or (later) a committee referral.

    Exactly one target is set. `referral_id` has no foreign key yet: the referrals work adds
    its table and then the constraint, without changing this table's shape.
    """

    __tablename__ = "intel_flag_links"
    __table_args__ = (
        CheckConstraint(
            "(case_id IS NOT NULL AND referral_id IS NULL) "
            "OR (case_id IS NULL AND referral_id IS NOT NULL)",
            name="one_target",
        ),
        Index("ix_intel_flag_links_flag_id_case_id", "flag_id", "case_id", unique=True),
        Index("ix_intel_flag_links_flag_id_referral_id", "flag_id", "referral_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("intel_flags.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("enforcement_cases.id"), nullable=True, index=True
    )
    referral_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())
