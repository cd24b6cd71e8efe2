"""An index for nearby searches and the map: premises by latitude and longitude.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 13:10:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("premises", schema=None) as batch_op:
        batch_op.create_index("ix_premises_location", ["latitude", "longitude", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("premises", schema=None) as batch_op:
        batch_op.drop_index("ix_premises_location")
