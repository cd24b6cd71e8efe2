"""A new referral draft form's one-off key, so the same form sent twice saves one draft.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 17:00:00.000000

Added without rebuilding committee_referrals: SQLite adds a nullable column and a unique index
in place. Going down drops the index, then the column (SQLite 3.35 and later drop a column in
place too).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "committee_referrals", sa.Column("idempotency_key", sa.String(length=64), nullable=True)
    )
    op.create_index(
        op.f("ix_committee_referrals_idempotency_key"),
        "committee_referrals",
        ["idempotency_key"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_committee_referrals_idempotency_key"), table_name="committee_referrals")
    op.drop_column("committee_referrals", "idempotency_key")
