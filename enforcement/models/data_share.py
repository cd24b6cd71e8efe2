"""The quarterly data share with partners, and partners' own submissions of figures."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from enforcement.models.base import Base, UTCDateTime


class DataShare(Base):
    """One edition of a quarter's anonymised data share, frozen when it is produced.

    `rows_json` holds exactly the rows the files will carry (enforcement.measures.anonymise's schema),
    so a supervisor signs off what was previewed and every download gives the same bytes.
    """

    __tablename__ = "data_shares"
    __table_args__ = (
        UniqueConstraint("quarter", "edition"),
        Index("ix_data_shares_quarter_status", "quarter", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quarter: Mapped[str] = mapped_column(String(7))  # "2026-Q1"
    edition: Mapped[int] = mapped_column(Integer)
    # awaiting_sign_off, signed_off, superseded
    status: Mapped[str] = mapped_column(String(20))
    produced_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    produced_at: Mapped[datetime] = mapped_column(UTCDateTime())
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    signed_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    rows_json: Mapped[str] = mapped_column(Text)
    content_sha256: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}


class PartnerSubmission(Base):
    """One organisation's figures for a quarter, imported whole from a CSV file.

    A later import for the same organisation and quarter supersedes it (kept for the record).
    """

    __tablename__ = "partner_submissions"
    __table_args__ = (
        Index("ix_partner_submissions_quarter_status", "quarter", "status"),
        Index("ix_partner_submissions_organisation_id_quarter", "organisation_id", "quarter"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    quarter: Mapped[str] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(20))  # current, superseded
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    file_sha256: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(Integer)


class PartnerSubmissionRow(Base):
    """One figure of a submission: a count for a ward ("" when not known), measure and age group."""

    __tablename__ = "partner_submission_rows"
    __table_args__ = (
        UniqueConstraint("submission_id", "ward_code", "measure", "age_group"),
        CheckConstraint("count >= 0", name="count_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("partner_submissions.id", ondelete="CASCADE"), index=True
    )
    ward_code: Mapped[str] = mapped_column(String(12))
    measure: Mapped[str] = mapped_column(String(40))
    age_group: Mapped[str] = mapped_column(String(12))
    count: Mapped[int] = mapped_column(Integer)


__all__ = ["DataShare", "PartnerSubmission", "PartnerSubmissionRow"]
