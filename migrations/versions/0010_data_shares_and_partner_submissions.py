"""The quarterly data share with partners, and partners' submissions of figures.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 16:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("edition", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("produced_by_id", sa.Integer(), nullable=True),
        sa.Column("produced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signed_off_by_id", sa.Integer(), nullable=True),
        sa.Column("signed_off_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rows_json", sa.Text(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["produced_by_id"], ["users.id"], name=op.f("fk_data_shares_produced_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["signed_off_by_id"], ["users.id"], name=op.f("fk_data_shares_signed_off_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_shares")),
        sa.UniqueConstraint("quarter", "edition", name=op.f("uq_data_shares_quarter_edition")),
    )
    with op.batch_alter_table("data_shares", schema=None) as batch_op:
        batch_op.create_index("ix_data_shares_quarter_status", ["quarter", "status"], unique=False)

    op.create_table(
        "partner_submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["imported_by_id"],
            ["users.id"],
            name=op.f("fk_partner_submissions_imported_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_partner_submissions_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_submissions")),
    )
    with op.batch_alter_table("partner_submissions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_partner_submissions_organisation_id_quarter",
            ["organisation_id", "quarter"],
            unique=False,
        )
        batch_op.create_index(
            "ix_partner_submissions_quarter_status", ["quarter", "status"], unique=False
        )

    op.create_table(
        "partner_submission_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("ward_code", sa.String(length=12), nullable=False),
        sa.Column("measure", sa.String(length=40), nullable=False),
        sa.Column("age_group", sa.String(length=12), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "count >= 0", name=op.f("ck_partner_submission_rows_count_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["partner_submissions.id"],
            name=op.f("fk_partner_submission_rows_submission_id_partner_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_submission_rows")),
        sa.UniqueConstraint(
            "submission_id",
            "ward_code",
            "measure",
            "age_group",
            name=op.f("uq_partner_submission_rows_submission_id_ward_code_measure_age_group"),
        ),
    )
    with op.batch_alter_table("partner_submission_rows", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_partner_submission_rows_submission_id"), ["submission_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("partner_submission_rows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_submission_rows_submission_id"))
    op.drop_table("partner_submission_rows")
    with op.batch_alter_table("partner_submissions", schema=None) as batch_op:
        batch_op.drop_index("ix_partner_submissions_quarter_status")
        batch_op.drop_index("ix_partner_submissions_organisation_id_quarter")
    op.drop_table("partner_submissions")
    with op.batch_alter_table("data_shares", schema=None) as batch_op:
        batch_op.drop_index("ix_data_shares_quarter_status")
    op.drop_table("data_shares")
