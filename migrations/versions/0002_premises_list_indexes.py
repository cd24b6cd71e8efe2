"""Indexes for the premises list at scale: licence filters and name-ordered text search.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 12:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("licences", schema=None) as batch_op:
        batch_op.create_index(
            "ix_licences_regime_status_premises",
            ["regime", "status", "premises_id"],
            unique=False,
        )
    with op.batch_alter_table("premises", schema=None) as batch_op:
        # Empty on PostgreSQL by design: see Premises.__table_args__.
        batch_op.create_index(
            "ix_premises_name_search",
            ["name_sort", "id", "search_text"],
            unique=False,
            postgresql_where=sa.text("false"),
        )


def downgrade() -> None:
    with op.batch_alter_table("premises", schema=None) as batch_op:
        batch_op.drop_index("ix_premises_name_search")
    with op.batch_alter_table("licences", schema=None) as batch_op:
        batch_op.drop_index("ix_licences_regime_status_premises")
