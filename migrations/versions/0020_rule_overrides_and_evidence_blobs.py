"""Local rule overrides managed on the admin page, and evidence photos kept in the database.

Revision ID: 0020
Revises: 0013
Create Date: 2026-12-06 03:00:00.000000

Two new tables, nothing existing changed: rule_overrides holds each local change to a rule of
the rule table with the day it takes effect (docs/statutory-clock.md); evidence_blobs holds the
bytes of photos when EVIDENCE_STORE=database (docs/inspections.md). A downgrade refuses while
photos are kept in the database, which it would lose: move them to the folder first
(`flask evidence move --to folder`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rule_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=80), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("counting", sa.String(length=40), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_rule_overrides_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by_id"],
            ["users.id"],
            name=op.f("fk_rule_overrides_withdrawn_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_overrides")),
    )
    op.create_index(
        "ix_rule_overrides_rule_id_effective_from",
        "rule_overrides",
        ["rule_id", "effective_from"],
    )
    op.create_table(
        "evidence_blobs",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_evidence_blobs")),
    )


def downgrade() -> None:
    kept = op.get_bind().execute(sa.text("SELECT count(*) FROM evidence_blobs")).scalar_one()
    if kept:
        raise RuntimeError(
            f"{kept} evidence photos are kept in the database: move them to the folder first"
            " (flask evidence move --to folder), then downgrade"
        )
    op.drop_table("evidence_blobs")
    op.drop_index("ix_rule_overrides_rule_id_effective_from", table_name="rule_overrides")
    op.drop_table("rule_overrides")
