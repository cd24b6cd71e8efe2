"""The public register's rate limit: requests per client and minute.

Revision ID: 0017
Revises: 0013
Create Date: 2026-12-06 03:30:00.000000

One new table; nothing existing changes, so no data moves either way.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "public_register_hits",
        sa.Column("client_key", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("client_key", "window_start", name=op.f("pk_public_register_hits")),
    )
    op.create_index(
        op.f("ix_public_register_hits_window_start"),
        "public_register_hits",
        ["window_start"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_public_register_hits_window_start"), table_name="public_register_hits")
    op.drop_table("public_register_hits")
