"""Enforcement cases, their recorded events and the deadlines the statutory clock derives.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 12:36:51.503540
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "enforcement_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("premises_id", sa.Integer(), nullable=False),
        sa.Column("tool", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("owner_organisation_id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("parent_case_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("close_reason", sa.String(length=400), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("clock_digest", sa.String(length=32), nullable=True),
        sa.Column("clock_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["users.id"], name=op.f("fk_enforcement_cases_officer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_id"], ["users.id"], name=op.f("fk_enforcement_cases_opened_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["owner_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_enforcement_cases_owner_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_case_id"],
            ["enforcement_cases.id"],
            name=op.f("fk_enforcement_cases_parent_case_id_enforcement_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["premises_id"], ["premises.id"], name=op.f("fk_enforcement_cases_premises_id_premises")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enforcement_cases")),
        sa.UniqueConstraint("reference", name=op.f("uq_enforcement_cases_reference")),
    )
    with op.batch_alter_table("enforcement_cases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_enforcement_cases_officer_id"), ["officer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_enforcement_cases_owner_organisation_id"),
            ["owner_organisation_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_enforcement_cases_parent_case_id"), ["parent_case_id"], unique=False
        )
        batch_op.create_index(
            "ix_enforcement_cases_premises_id_opened_at", ["premises_id", "opened_at"], unique=False
        )
        batch_op.create_index(
            "ix_enforcement_cases_status_opened_at", ["status", "opened_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_enforcement_cases_tool"), ["tool"], unique=False)

    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=True),
        sa.Column("served_how", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["enforcement_cases.id"],
            name=op.f("fk_case_events_case_id_enforcement_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_case_events_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_events_case_id_occurred_at", ["case_id", "occurred_at"], unique=False
        )

    op.create_table(
        "case_deadlines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=60), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("direction", sa.String(length=12), nullable=False),
        sa.Column("anchor_event_id", sa.Integer(), nullable=False),
        sa.Column("met_by_event_id", sa.Integer(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["anchor_event_id"],
            ["case_events.id"],
            name=op.f("fk_case_deadlines_anchor_event_id_case_events"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["enforcement_cases.id"],
            name=op.f("fk_case_deadlines_case_id_enforcement_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["met_by_event_id"],
            ["case_events.id"],
            name=op.f("fk_case_deadlines_met_by_event_id_case_events"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_deadlines")),
        sa.UniqueConstraint("case_id", "rule_id", name=op.f("uq_case_deadlines_case_id_rule_id")),
    )
    with op.batch_alter_table("case_deadlines", schema=None) as batch_op:
        batch_op.create_index("ix_case_deadlines_status_due_at", ["status", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_deadlines", schema=None) as batch_op:
        batch_op.drop_index("ix_case_deadlines_status_due_at")

    op.drop_table("case_deadlines")
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_index("ix_case_events_case_id_occurred_at")

    op.drop_table("case_events")
    with op.batch_alter_table("enforcement_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enforcement_cases_tool"))
        batch_op.drop_index("ix_enforcement_cases_status_opened_at")
        batch_op.drop_index("ix_enforcement_cases_premises_id_opened_at")
        batch_op.drop_index(batch_op.f("ix_enforcement_cases_parent_case_id"))
        batch_op.drop_index(batch_op.f("ix_enforcement_cases_owner_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_enforcement_cases_officer_id"))

    op.drop_table("enforcement_cases")
