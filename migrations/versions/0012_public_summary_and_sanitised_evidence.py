"""The public summary of a referral and the sanitised summaries of its handling code C evidence.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 00:00:00.000000

The public committee paper is built from a summary written for publication and approved by
the signing supervisor, never from the narrative; a handling code C evidence item enters a
paper only as a sanitised summary approved by someone its conditions name. Each keeps who
approved it and when. Batch mode, so SQLite gets the foreign keys by rebuilding the tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Timestamps as the models store them (UTC, with time zone on PostgreSQL): op.* only here.
WHEN = sa.DateTime(timezone=True)

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("committee_referrals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_summary", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("public_summary_approved_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("public_summary_approved_at", WHEN, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_committee_referrals_public_summary_approved_by_id_users"),
            "users",
            ["public_summary_approved_by_id"],
            ["id"],
        )
    with op.batch_alter_table("referral_evidence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sanitised_summary", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("sanitised_approved_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("sanitised_approved_at", WHEN, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_referral_evidence_sanitised_approved_by_id_users"),
            "users",
            ["sanitised_approved_by_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("referral_evidence", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_referral_evidence_sanitised_approved_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("sanitised_approved_at")
        batch_op.drop_column("sanitised_approved_by_id")
        batch_op.drop_column("sanitised_summary")
    with op.batch_alter_table("committee_referrals", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_committee_referrals_public_summary_approved_by_id_users"),
            type_="foreignkey",
        )
        batch_op.drop_column("public_summary_approved_at")
        batch_op.drop_column("public_summary_approved_by_id")
        batch_op.drop_column("public_summary")
