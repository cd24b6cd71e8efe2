"""Licensing Committee referrals: the draft, its grounds and evidence, sign-off, hearing, decision."""

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


class Referral(Base):
    """A premises and one of its licences referred to the Licensing Committee.

    Drafted by a licensing officer, signed off by a supervisor, then run by a committee clerk
    through the statutory process (an enforcement case whose clock gives every deadline) to a
    decision that, once it takes effect, changes the licence.
    """

    __tablename__ = "committee_referrals"
    __table_args__ = (
        Index("ix_committee_referrals_status_updated_at", "status", "updated_at"),
        Index("ix_committee_referrals_premises_id_created_at", "premises_id", "created_at"),
        CheckConstraint(
            "suspension_months IS NULL OR suspension_months BETWEEN 1 AND 3",
            name="suspension_up_to_3_months",
        ),
        CheckConstraint(
            "decision_suspension_months IS NULL OR decision_suspension_months BETWEEN 1 AND 3",
            name="decision_suspension_up_to_3_months",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    # The new-draft form's one-off key: the same form sent twice saves one draft.
    idempotency_key: Mapped[str | None] = mapped_column(
        String(64), nullable=True, unique=True, index=True
    )
    premises_id: Mapped[int] = mapped_column(ForeignKey("premises.id"))
    licence_id: Mapped[int] = mapped_column(ForeignKey("licences.id"), index=True)
    # The statutory tool the referral runs through: a premises licence review, or a special
    # treatment licence revocation (enforcement.cases.vocab.ToolCode).
    tool: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), nullable=True
    )
    # Grounds (at least one before submission) and the officer's account.
    unlicensed_trading: Mapped[bool] = mapped_column(Boolean, default=False)
    breach_of_conditions: Mapped[bool] = mapped_column(Boolean, default=False)
    narrative: Mapped[str] = mapped_column(Text, default="")
    # A personal detail kept only for the exempt paper: the designated premises supervisor.
    dps_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    recommendation: Mapped[str | None] = mapped_column(String(30), nullable=True)
    suspension_months: Mapped[int | None] = mapped_column(Integer, nullable=True)
    recommended_conditions: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The offer of support to victims and survivors: anonymous, required before submission.
    support_provider: Mapped[str | None] = mapped_column(String(300), nullable=True)
    support_taken_up: Mapped[str | None] = mapped_column(String(12), nullable=True)
    support_offered_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    support_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The only words of the officer's the public paper prints: written for publication by the
    # author, checked against every name the referral knows, approved by the signing supervisor.
    public_summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    public_summary_approved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), nullable=True
    )
    public_summary_approved_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), nullable=True
    )
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    signed_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # The statutory process: the enforcement case whose events and deadlines drive it.
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("enforcement_cases.id"), nullable=True, index=True
    )
    process_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    hearing_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    # The sub-committee's decision and what followed it.
    decision: Mapped[str | None] = mapped_column(String(30), nullable=True)
    decision_suspension_months: Mapped[int | None] = mapped_column(Integer, nullable=True)
    decision_conditions: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON list
    decision_withdrawn: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON list of ids
    decision_reasons: Mapped[str | None] = mapped_column(Text, nullable=True)
    hearing_held_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    appeal_lodged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    appeal_outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    appeal_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    effect_applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    effect_summary: Mapped[str | None] = mapped_column(String(400), nullable=True)
    suspension_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    suspension_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    breaches: Mapped[list[ReferralBreach]] = relationship(
        cascade="all, delete-orphan",
        lazy="raise",
        order_by="(ReferralBreach.condition_number, ReferralBreach.inspected_at, ReferralBreach.id)",
    )
    evidence: Mapped[list[ReferralEvidence]] = relationship(
        cascade="all, delete-orphan",
        lazy="raise",
        order_by="(ReferralEvidence.occurred_at, ReferralEvidence.id)",
    )
    support_services: Mapped[list[ReferralSupportService]] = relationship(
        cascade="all, delete-orphan", lazy="raise", order_by="ReferralSupportService.service"
    )
    support_providers: Mapped[list[ReferralSupportProvider]] = relationship(
        cascade="all, delete-orphan", lazy="raise", order_by="ReferralSupportProvider.service_id"
    )
    representations: Mapped[list[ReferralRepresentation]] = relationship(
        cascade="all, delete-orphan",
        lazy="raise",
        order_by="(ReferralRepresentation.received_on, ReferralRepresentation.id)",
    )

    __mapper_args__ = {"version_id_col": version}


class ReferralBreach(Base):
    """A licence condition named as breached, with one inspection that found it breached."""

    __tablename__ = "referral_breaches"
    __table_args__ = (UniqueConstraint("referral_id", "condition_id", "inspection_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("committee_referrals.id", ondelete="CASCADE")
    )
    condition_id: Mapped[int] = mapped_column(ForeignKey("licence_conditions.id"), index=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    # Kept as they stood when chosen, so a signed-off referral reads the same later.
    condition_number: Mapped[int] = mapped_column(Integer)
    condition_text: Mapped[str] = mapped_column(Text)
    inspected_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReferralEvidence(Base):
    """One evidence item, captured when selected, with the classification that decides redaction.

    `public_text` may appear in the public paper; `exempt_text` only in the exempt one. The
    classification (enforcement.referrals.drafting.Disclosure) says how much of the item the public
    paper may show at all.
    """

    __tablename__ = "referral_evidence"
    __table_args__ = (
        UniqueConstraint("referral_id", "kind", "source_id"),
        Index("ix_referral_evidence_referral_id_occurred_at", "referral_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("committee_referrals.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    title: Mapped[str] = mapped_column(String(300))
    public_text: Mapped[str] = mapped_column(Text)
    exempt_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    classification: Mapped[str] = mapped_column(String(20))
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Handling code C: what a paper may say of the item, approved at sign-off by someone its
    # conditions name; without it the papers say only that restricted intelligence was withheld.
    sanitised_summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    sanitised_approved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), nullable=True
    )
    sanitised_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ReferralSupportService(Base):
    """One service offered to victims and survivors (codes from enforcement.referrals.drafting)."""

    __tablename__ = "referral_support_services"

    referral_id: Mapped[int] = mapped_column(
        ForeignKey("committee_referrals.id", ondelete="CASCADE"), primary_key=True
    )
    service: Mapped[str] = mapped_column(String(40), primary_key=True)


class ReferralSupportProvider(Base):
    """A service from the support directory through which support was offered."""

    __tablename__ = "referral_support_providers"

    referral_id: Mapped[int] = mapped_column(
        ForeignKey("committee_referrals.id", ondelete="CASCADE"), primary_key=True
    )
    service_id: Mapped[int] = mapped_column(ForeignKey("support_services.id"), primary_key=True)


class ReferralRepresentation(Base):
    """Representations received from one kind of party: how many, and what they said."""

    __tablename__ = "referral_representations"
    __table_args__ = (CheckConstraint("count > 0", name="count_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("committee_referrals.id", ondelete="CASCADE"), index=True
    )
    party: Mapped[str] = mapped_column(String(30))
    count: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text)
    received_on: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReferralHistory(Base):
    """A step in the referral's life: a draft submitted, returned or signed off, with comments.

    `snapshot` is the draft as it stood (JSON), so every version the supervisor saw is kept.
    """

    __tablename__ = "referral_history"
    __table_args__ = (Index("ix_referral_history_referral_id_at", "referral_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("committee_referrals.id", ondelete="CASCADE")
    )
    action: Mapped[str] = mapped_column(String(20))
    status_after: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    snapshot: Mapped[str | None] = mapped_column(Text, nullable=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


__all__ = [
    "Referral",
    "ReferralBreach",
    "ReferralEvidence",
    "ReferralHistory",
    "ReferralRepresentation",
    "ReferralSupportProvider",
    "ReferralSupportService",
]
