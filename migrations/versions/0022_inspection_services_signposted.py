"""The support directory's services an inspection signposted.

Revision ID: 0022
Revises: 0016
Create Date: 2026-12-06 04:30:00.000000

One new table, nothing existing changed: inspection_services links an inspection to each
service of the support directory the people present were told about (docs/inspections.md).
Inspections recorded before have none, which their page shows as not recorded.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inspection_services",
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspections.id"],
            name=op.f("fk_inspection_services_inspection_id_inspections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["support_services.id"],
            name=op.f("fk_inspection_services_service_id_support_services"),
        ),
        sa.PrimaryKeyConstraint("inspection_id", "service_id", name=op.f("pk_inspection_services")),
    )


def downgrade() -> None:
    op.drop_table("inspection_services")
