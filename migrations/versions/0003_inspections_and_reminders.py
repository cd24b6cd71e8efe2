"""Inspections with condition findings and poster checks, evidence files, compliance, reminders.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 12:25:16.360232
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evidence_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("original_name", sa.String(length=200), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_evidence_files_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_files")),
        sa.UniqueConstraint("sha256", name=op.f("uq_evidence_files_sha256")),
    )
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject_type", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("premises_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("owner_user_id", sa.Integer(), nullable=True),
        sa.Column("team", sa.String(length=60), nullable=True),
        sa.Column("statutory", sa.Boolean(), nullable=False),
        sa.Column("rule_id", sa.String(length=60), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("close_reason", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["users.id"], name=op.f("fk_reminders_closed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["owner_user_id"], ["users.id"], name=op.f("fk_reminders_owner_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["premises_id"], ["premises.id"], name=op.f("fk_reminders_premises_id_premises")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
        sa.UniqueConstraint(
            "subject_type",
            "subject_id",
            "kind",
            "due_at",
            name=op.f("uq_reminders_subject_type_subject_id_kind_due_at"),
        ),
    )
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reminders_owner_user_id_status", ["owner_user_id", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_reminders_premises_id"), ["premises_id"], unique=False)
        batch_op.create_index("ix_reminders_status_due_at", ["status", "due_at"], unique=False)

    op.create_table(
        "inspections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("premises_id", sa.Integer(), nullable=False),
        sa.Column("licence_id", sa.Integer(), nullable=True),
        sa.Column("inspected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("joint_with_police", sa.Boolean(), nullable=False),
        sa.Column("other_officers", sa.String(length=400), nullable=True),
        sa.Column("observations", sa.Text(), nullable=True),
        sa.Column("poster_displayed", sa.Boolean(), nullable=False),
        sa.Column("poster_visible_public", sa.Boolean(), nullable=False),
        sa.Column("poster_visible_workers", sa.Boolean(), nullable=False),
        sa.Column("poster_compliant", sa.Boolean(), nullable=False),
        sa.Column("poster_shortfall", sa.String(length=400), nullable=True),
        sa.Column("poster_photo_id", sa.Integer(), nullable=True),
        sa.Column("follow_up_needed", sa.Boolean(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_inspections_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["licence_id"], ["licences.id"], name=op.f("fk_inspections_licence_id_licences")
        ),
        sa.ForeignKeyConstraint(
            ["poster_photo_id"],
            ["evidence_files.id"],
            name=op.f("fk_inspections_poster_photo_id_evidence_files"),
        ),
        sa.ForeignKeyConstraint(
            ["premises_id"], ["premises.id"], name=op.f("fk_inspections_premises_id_premises")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspections")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_inspections_idempotency_key")),
    )
    with op.batch_alter_table("inspections", schema=None) as batch_op:
        batch_op.create_index(
            "ix_inspections_premises_id_inspected_at", ["premises_id", "inspected_at"], unique=False
        )

    op.create_table(
        "condition_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("condition_id", sa.Integer(), nullable=False),
        sa.Column("finding", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["condition_id"],
            ["licence_conditions.id"],
            name=op.f("fk_condition_findings_condition_id_licence_conditions"),
        ),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspections.id"],
            name=op.f("fk_condition_findings_inspection_id_inspections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_condition_findings")),
        sa.UniqueConstraint(
            "inspection_id",
            "condition_id",
            name=op.f("uq_condition_findings_inspection_id_condition_id"),
        ),
    )
    with op.batch_alter_table("condition_findings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_condition_findings_condition_id"), ["condition_id"], unique=False
        )

    op.create_table(
        "inspection_languages",
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("language_code", sa.String(length=20), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspections.id"],
            name=op.f("fk_inspection_languages_inspection_id_inspections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["language_code"],
            ["languages.code"],
            name=op.f("fk_inspection_languages_language_code_languages"),
        ),
        sa.PrimaryKeyConstraint(
            "inspection_id", "language_code", "role", name=op.f("pk_inspection_languages")
        ),
    )
    op.create_table(
        "inspection_officers",
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspections.id"],
            name=op.f("fk_inspection_officers_inspection_id_inspections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_inspection_officers_user_id_users")
        ),
        sa.PrimaryKeyConstraint("inspection_id", "user_id", name=op.f("pk_inspection_officers")),
    )
    op.create_table(
        "premises_compliance",
        sa.Column("premises_id", sa.Integer(), nullable=False),
        sa.Column("latest_inspection_id", sa.Integer(), nullable=False),
        sa.Column("last_inspected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("poster_compliant", sa.Boolean(), nullable=False),
        sa.Column("missing_languages", sa.String(length=400), nullable=True),
        sa.ForeignKeyConstraint(
            ["latest_inspection_id"],
            ["inspections.id"],
            name=op.f("fk_premises_compliance_latest_inspection_id_inspections"),
        ),
        sa.ForeignKeyConstraint(
            ["premises_id"],
            ["premises.id"],
            name=op.f("fk_premises_compliance_premises_id_premises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("premises_id", name=op.f("pk_premises_compliance")),
    )
    with op.batch_alter_table("premises_compliance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_premises_compliance_last_inspected_at"),
            ["last_inspected_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("premises_compliance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_premises_compliance_last_inspected_at"))

    op.drop_table("premises_compliance")
    op.drop_table("inspection_officers")
    op.drop_table("inspection_languages")
    with op.batch_alter_table("condition_findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_condition_findings_condition_id"))

    op.drop_table("condition_findings")
    with op.batch_alter_table("inspections", schema=None) as batch_op:
        batch_op.drop_index("ix_inspections_premises_id_inspected_at")

    op.drop_table("inspections")
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_index("ix_reminders_status_due_at")
        batch_op.drop_index(batch_op.f("ix_reminders_premises_id"))
        batch_op.drop_index("ix_reminders_owner_user_id_status")

    op.drop_table("reminders")
    op.drop_table("evidence_files")
