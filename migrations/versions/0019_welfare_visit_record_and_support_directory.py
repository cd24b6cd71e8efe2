"""The whole welfare visit record, and the support directory.

Revision ID: 0019
Revises: 0013
Create Date: 2026-12-06 03:00:00.000000

welfare_visits gains attendance and approach, support, the immigration referral's justification
and supervisor's decision, and a handling code. Every new column is nullable ("not recorded")
except the handling code, which existing visits take as P; visits logged before keep all their
data and show their outcome as not recorded (no outcome rows). New tables: the support directory
(support_services and their languages), the services a visit signposted, a visit's outcomes,
and the directory services a committee referral's offer of support went through.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0020"
branch_labels = None
depends_on = None

_VISIT_COLUMNS = [
    ("dress", sa.String(length=20)),
    ("partner_agency_present", sa.Boolean()),
    ("partner_agency", sa.String(length=200)),
    ("interpreter_professional", sa.Boolean()),
    ("consent_to_talk", sa.String(length=20)),
    ("away_from_managers", sa.String(length=20)),
    ("follow_up_offered", sa.Boolean()),
    ("immigration_justification", sa.Text()),
    ("immigration_status", sa.String(length=12)),
    ("immigration_decided_at", sa.DateTime(timezone=True)),
    ("immigration_decision_note", sa.Text()),
    ("handling_conditions", sa.Text()),
]


def upgrade() -> None:
    op.create_table(
        "support_services",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("how_to_reach", sa.Text(), nullable=False),
        sa.Column("hours", sa.String(length=200), nullable=False),
        sa.Column("any_language", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_services")),
        sa.UniqueConstraint("name", name=op.f("uq_support_services_name")),
    )
    op.create_table(
        "support_service_languages",
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("language_code", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["language_code"],
            ["languages.code"],
            name=op.f("fk_support_service_languages_language_code_languages"),
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["support_services.id"],
            name=op.f("fk_support_service_languages_service_id_support_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "service_id", "language_code", name=op.f("pk_support_service_languages")
        ),
    )
    with op.batch_alter_table("welfare_visits") as batch:
        for name, type_ in _VISIT_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
        batch.add_column(sa.Column("immigration_decided_by_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("handling_code", sa.String(length=1), server_default="P", nullable=False)
        )
        batch.create_foreign_key(
            batch.f("fk_welfare_visits_immigration_decided_by_id_users"),
            "users",
            ["immigration_decided_by_id"],
            ["id"],
        )
    op.create_table(
        "welfare_visit_outcomes",
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["welfare_visits.id"],
            name=op.f("fk_welfare_visit_outcomes_visit_id_welfare_visits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("visit_id", "outcome", name=op.f("pk_welfare_visit_outcomes")),
    )
    op.create_table(
        "welfare_visit_services",
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["support_services.id"],
            name=op.f("fk_welfare_visit_services_service_id_support_services"),
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["welfare_visits.id"],
            name=op.f("fk_welfare_visit_services_visit_id_welfare_visits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("visit_id", "service_id", name=op.f("pk_welfare_visit_services")),
    )
    op.create_table(
        "referral_support_providers",
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["committee_referrals.id"],
            name=op.f("fk_referral_support_providers_referral_id_committee_referrals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["support_services.id"],
            name=op.f("fk_referral_support_providers_service_id_support_services"),
        ),
        sa.PrimaryKeyConstraint(
            "referral_id", "service_id", name=op.f("pk_referral_support_providers")
        ),
    )


def downgrade() -> None:
    op.drop_table("referral_support_providers")
    op.drop_table("welfare_visit_services")
    op.drop_table("welfare_visit_outcomes")
    with op.batch_alter_table("welfare_visits") as batch:
        batch.drop_constraint(
            batch.f("fk_welfare_visits_immigration_decided_by_id_users"), type_="foreignkey"
        )
        batch.drop_column("handling_code")
        batch.drop_column("immigration_decided_by_id")
        for name, _ in reversed(_VISIT_COLUMNS):
            batch.drop_column(name)
    op.drop_table("support_service_languages")
    op.drop_table("support_services")
