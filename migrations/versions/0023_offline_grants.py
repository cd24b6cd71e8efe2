"""Offline working's grants: what each user's tablet key is derived from (docs/offline.md).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 06:30:00.000000

One new table, nothing existing changed: offline_grants holds at most one grant per user (a
random nonce, when it was issued and when it ends). The key itself is never stored.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "offline_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_offline_grants_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offline_grants")),
    )
    op.create_index(op.f("ix_offline_grants_user_id"), "offline_grants", ["user_id"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_offline_grants_user_id"), table_name="offline_grants")
    op.drop_table("offline_grants")
