"""Summaries of the action plan's measures for closed quarters.

Revision ID: 0025
Revises: 0023
Create Date: 2026-12-06 06:00:00.000000

One new table, nothing existing changed: measure_summaries holds one measure's counts for one
closed quarter, every ward, kept by the scheduler's tick and discarded by any write that could
change them (docs/dashboard.md). Empty after the upgrade: the dashboard computes every figure
live until the tick (or `flask measures summarise`) fills it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "measure_summaries",
        sa.Column("measure", sa.String(length=60), nullable=False),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cells_json", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("definition", sa.String(length=64), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("measure", "quarter", name=op.f("pk_measure_summaries")),
    )
    op.create_index(
        op.f("ix_measure_summaries_starts_at"), "measure_summaries", ["starts_at"], unique=False
    )
    op.create_index(
        op.f("ix_measure_summaries_ends_at"), "measure_summaries", ["ends_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_measure_summaries_ends_at"), table_name="measure_summaries")
    op.drop_index(op.f("ix_measure_summaries_starts_at"), table_name="measure_summaries")
    op.drop_table("measure_summaries")
