"""Licensing Committee referrals: the referral, its breaches, evidence, support, representations, history.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 18:00:00.000000

Also records on a licence condition the referral whose decision added it
(licence_conditions.source_referral_id).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "committee_referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("premises_id", sa.Integer(), nullable=False),
        sa.Column("licence_id", sa.Integer(), nullable=False),
        sa.Column("tool", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("unlicensed_trading", sa.Boolean(), nullable=False),
        sa.Column("breach_of_conditions", sa.Boolean(), nullable=False),
        sa.Column("narrative", sa.Text(), nullable=False),
        sa.Column("dps_name", sa.String(length=200), nullable=True),
        sa.Column("recommendation", sa.String(length=30), nullable=True),
        sa.Column("suspension_months", sa.Integer(), nullable=True),
        sa.Column("recommended_conditions", sa.Text(), nullable=True),
        sa.Column("support_provider", sa.String(length=300), nullable=True),
        sa.Column("support_taken_up", sa.String(length=12), nullable=True),
        sa.Column("support_offered_on", sa.Date(), nullable=True),
        sa.Column("support_note", sa.Text(), nullable=True),
        sa.Column("submitted_at", WHEN, nullable=True),
        sa.Column("signed_off_at", WHEN, nullable=True),
        sa.Column("signed_off_by_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("process_opened_at", WHEN, nullable=True),
        sa.Column("hearing_at", WHEN, nullable=True),
        sa.Column("decision", sa.String(length=30), nullable=True),
        sa.Column("decision_suspension_months", sa.Integer(), nullable=True),
        sa.Column("decision_conditions", sa.Text(), nullable=True),
        sa.Column("decision_withdrawn", sa.Text(), nullable=True),
        sa.Column("decision_reasons", sa.Text(), nullable=True),
        sa.Column("hearing_held_at", WHEN, nullable=True),
        sa.Column("decided_at", WHEN, nullable=True),
        sa.Column("notified_at", WHEN, nullable=True),
        sa.Column("appeal_lodged_at", WHEN, nullable=True),
        sa.Column("appeal_outcome", sa.String(length=20), nullable=True),
        sa.Column("appeal_decided_at", WHEN, nullable=True),
        sa.Column("effect_applied_at", WHEN, nullable=True),
        sa.Column("effect_summary", sa.String(length=400), nullable=True),
        sa.Column("suspension_ends_at", WHEN, nullable=True),
        sa.Column("suspension_ended_at", WHEN, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "decision_suspension_months IS NULL OR decision_suspension_months BETWEEN 1 AND 3",
            name=op.f("ck_committee_referrals_decision_suspension_up_to_3_months"),
        ),
        sa.CheckConstraint(
            "suspension_months IS NULL OR suspension_months BETWEEN 1 AND 3",
            name=op.f("ck_committee_referrals_suspension_up_to_3_months"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_committee_referrals_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["enforcement_cases.id"],
            name=op.f("fk_committee_referrals_case_id_enforcement_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["licence_id"], ["licences.id"], name=op.f("fk_committee_referrals_licence_id_licences")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_committee_referrals_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["premises_id"],
            ["premises.id"],
            name=op.f("fk_committee_referrals_premises_id_premises"),
        ),
        sa.ForeignKeyConstraint(
            ["signed_off_by_id"],
            ["users.id"],
            name=op.f("fk_committee_referrals_signed_off_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_committee_referrals")),
        sa.UniqueConstraint("reference", name=op.f("uq_committee_referrals_reference")),
    )
    with op.batch_alter_table("committee_referrals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_committee_referrals_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_committee_referrals_hearing_at"), ["hearing_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_committee_referrals_licence_id"), ["licence_id"], unique=False
        )
        batch_op.create_index(
            "ix_committee_referrals_premises_id_created_at",
            ["premises_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_committee_referrals_status_updated_at", ["status", "updated_at"], unique=False
        )

    op.create_table(
        "referral_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", WHEN, nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("public_text", sa.Text(), nullable=False),
        sa.Column("exempt_text", sa.Text(), nullable=True),
        sa.Column("classification", sa.String(length=20), nullable=False),
        sa.Column("captured_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["committee_referrals.id"],
            name=op.f("fk_referral_evidence_referral_id_committee_referrals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_evidence")),
        sa.UniqueConstraint(
            "referral_id",
            "kind",
            "source_id",
            name=op.f("uq_referral_evidence_referral_id_kind_source_id"),
        ),
    )
    with op.batch_alter_table("referral_evidence", schema=None) as batch_op:
        batch_op.create_index(
            "ix_referral_evidence_referral_id_occurred_at",
            ["referral_id", "occurred_at"],
            unique=False,
        )

    op.create_table(
        "referral_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("status_after", sa.String(length=20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("snapshot", sa.Text(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_referral_history_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["committee_referrals.id"],
            name=op.f("fk_referral_history_referral_id_committee_referrals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_history")),
    )
    with op.batch_alter_table("referral_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_referral_history_referral_id_at", ["referral_id", "at"], unique=False
        )

    op.create_table(
        "referral_representations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("party", sa.String(length=30), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", WHEN, nullable=False),
        sa.CheckConstraint("count > 0", name=op.f("ck_referral_representations_count_positive")),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_referral_representations_recorded_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["committee_referrals.id"],
            name=op.f("fk_referral_representations_referral_id_committee_referrals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_representations")),
    )
    with op.batch_alter_table("referral_representations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referral_representations_referral_id"), ["referral_id"], unique=False
        )

    op.create_table(
        "referral_support_services",
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["committee_referrals.id"],
            name=op.f("fk_referral_support_services_referral_id_committee_referrals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "referral_id", "service", name=op.f("pk_referral_support_services")
        ),
    )
    op.create_table(
        "referral_breaches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("condition_id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("condition_number", sa.Integer(), nullable=False),
        sa.Column("condition_text", sa.Text(), nullable=False),
        sa.Column("inspected_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["condition_id"],
            ["licence_conditions.id"],
            name=op.f("fk_referral_breaches_condition_id_licence_conditions"),
        ),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspections.id"],
            name=op.f("fk_referral_breaches_inspection_id_inspections"),
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["committee_referrals.id"],
            name=op.f("fk_referral_breaches_referral_id_committee_referrals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_breaches")),
        sa.UniqueConstraint(
            "referral_id",
            "condition_id",
            "inspection_id",
            name=op.f("uq_referral_breaches_referral_id_condition_id_inspection_id"),
        ),
    )
    with op.batch_alter_table("referral_breaches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referral_breaches_condition_id"), ["condition_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_referral_breaches_inspection_id"), ["inspection_id"], unique=False
        )

    with op.batch_alter_table("licence_conditions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_referral_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_licence_conditions_source_referral_id_committee_referrals"),
            "committee_referrals",
            ["source_referral_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("licence_conditions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_licence_conditions_source_referral_id_committee_referrals"),
            type_="foreignkey",
        )
        batch_op.drop_column("source_referral_id")
    for table in (
        "referral_breaches",
        "referral_support_services",
        "referral_representations",
        "referral_history",
        "referral_evidence",
        "committee_referrals",
    ):
        op.drop_table(table)
