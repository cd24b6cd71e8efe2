"""The licence's LGA/esd fields, import fingerprints, and register import runs.

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-06 03:00:00.000000

licences gain the rest of the esd premises licence schema (the case date, the service type, the
status as published, the holder's address, the applicant type, the designated premises
supervisor, the licensable activities and their hours, the decision, the licence's address on
the web, the UPRN) and, like premises, the fingerprint of what the last import left. Every new
column is nullable, so the licences already held keep their data as it was. A new table holds
register import runs (the file, its progress and its report).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0017"
branch_labels = None
depends_on = None

LICENCE_COLUMNS: tuple[tuple[str, sa.types.TypeEngine[object]], ...] = (
    ("case_date", sa.Date()),
    ("service_type", sa.String(length=80)),
    ("status_label", sa.String(length=60)),
    ("holder_address", sa.String(length=400)),
    ("holder_postcode", sa.String(length=10)),
    ("applicant_type", sa.String(length=80)),
    ("dps_name", sa.String(length=200)),
    ("dps_licence_no", sa.String(length=60)),
    ("dps_address", sa.String(length=400)),
    ("dps_postcode", sa.String(length=10)),
    ("alcohol_supply", sa.Boolean()),
    ("alcohol_on_sales", sa.Boolean()),
    ("alcohol_off_sales", sa.Boolean()),
    ("late_night_refreshment", sa.Boolean()),
    ("regulated_entertainment", sa.String(length=400)),
    ("activity_hours", sa.Text()),
    ("decision_date", sa.Date()),
    ("decided_by", sa.String(length=200)),
    ("licence_url", sa.String(length=500)),
    ("uprn", sa.String(length=12)),
    ("geo_point_url", sa.String(length=500)),
    ("import_fingerprint", sa.String(length=64)),
)


def upgrade() -> None:
    with op.batch_alter_table("licences") as batch:
        for name, type_ in LICENCE_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
    with op.batch_alter_table("premises") as batch:
        batch.add_column(sa.Column("import_fingerprint", sa.String(length=64), nullable=True))
    op.create_table(
        "import_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("stage", sa.String(length=80), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("report", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_import_runs_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_runs")),
    )
    op.create_index("ix_import_runs_created_at", "import_runs", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_import_runs_created_at", table_name="import_runs")
    op.drop_table("import_runs")
    with op.batch_alter_table("premises") as batch:
        batch.drop_column("import_fingerprint")
    with op.batch_alter_table("licences") as batch:
        for name, _type in reversed(LICENCE_COLUMNS):
            batch.drop_column(name)
