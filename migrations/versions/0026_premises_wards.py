"""The ward of each premises moves to a narrow table of its own, premises_wards.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 12:00:00.000000

A boundary review moves most premises to another ward. With the ward on `premises`, each move
wrote a new version of a wide row and an entry in every index of the table (the trigram index
among them). In `premises_wards` (premises, ward; a row only for a premises inside a ward) the
same move rewrites two small indexes (docs/wards-and-maps.md). The rows are copied across, then
the column and its index are dropped; the downgrade copies them back.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "premises_wards",
        sa.Column("premises_id", sa.Integer(), nullable=False),
        sa.Column("ward_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["premises_id"],
            ["premises.id"],
            name=op.f("fk_premises_wards_premises_id_premises"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ward_id"], ["wards.id"], name=op.f("fk_premises_wards_ward_id_wards")
        ),
        sa.PrimaryKeyConstraint("premises_id", name=op.f("pk_premises_wards")),
    )
    op.execute(
        "INSERT INTO premises_wards (premises_id, ward_id) "
        "SELECT id, ward_id FROM premises WHERE ward_id IS NOT NULL"
    )
    op.create_index(
        "ix_premises_wards_ward_id", "premises_wards", ["ward_id", "premises_id"], unique=False
    )
    with op.batch_alter_table("premises", schema=None) as batch_op:
        batch_op.drop_index("ix_premises_ward_id_name")
        batch_op.drop_constraint("fk_premises_ward_id_wards", type_="foreignkey")
        batch_op.drop_column("ward_id")


def downgrade() -> None:
    with op.batch_alter_table("premises", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ward_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_premises_ward_id_wards", "wards", ["ward_id"], ["id"])
        batch_op.create_index("ix_premises_ward_id_name", ["ward_id", "name_sort"], unique=False)
    op.execute(
        "UPDATE premises SET ward_id = "
        "(SELECT ward_id FROM premises_wards WHERE premises_wards.premises_id = premises.id)"
    )
    op.drop_index("ix_premises_wards_ward_id", table_name="premises_wards")
    op.drop_table("premises_wards")
