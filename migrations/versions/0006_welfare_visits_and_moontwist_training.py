"""Operation Moontwist: officers' training, welfare visits and their indicators, referrals, guidance.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 12:37:19.372133
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "moontwist_training",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("course", sa.String(length=200), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_moontwist_training_recorded_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_moontwist_training_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moontwist_training")),
        sa.UniqueConstraint(
            "user_id",
            "completed_on",
            "course",
            name=op.f("uq_moontwist_training_user_id_completed_on_course"),
        ),
    )
    with op.batch_alter_table("moontwist_training", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_moontwist_training_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "welfare_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("premises_id", sa.Integer(), nullable=False),
        sa.Column("ward_code", sa.String(length=12), nullable=False),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("trigger", sa.String(length=30), nullable=False),
        sa.Column("property_described", sa.String(length=30), nullable=False),
        sa.Column("property_other", sa.String(length=200), nullable=True),
        sa.Column("people_present", sa.Integer(), nullable=False),
        sa.Column("other_officers", sa.String(length=400), nullable=True),
        sa.Column("other_indicators", sa.Text(), nullable=True),
        sa.Column("interpreter_used", sa.Boolean(), nullable=False),
        sa.Column("interpreter_language", sa.String(length=20), nullable=True),
        sa.Column("support_info_left", sa.Boolean(), nullable=False),
        sa.Column("feedback", sa.Text(), nullable=True),
        sa.Column("crime_reference", sa.String(length=40), nullable=True),
        sa.Column("guidance_met", sa.Boolean(), nullable=False),
        sa.Column("return_requested", sa.Boolean(), nullable=False),
        sa.Column("follow_up_days", sa.Integer(), nullable=False),
        sa.Column("follow_up_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("no_identifiers_confirmed", sa.Boolean(), nullable=False),
        sa.Column("released", sa.Boolean(), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by_id", sa.Integer(), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "people_present >= 0", name=op.f("ck_welfare_visits_people_present_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_welfare_visits_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["interpreter_language"],
            ["languages.code"],
            name=op.f("fk_welfare_visits_interpreter_language_languages"),
        ),
        sa.ForeignKeyConstraint(
            ["premises_id"], ["premises.id"], name=op.f("fk_welfare_visits_premises_id_premises")
        ),
        sa.ForeignKeyConstraint(
            ["released_by_id"], ["users.id"], name=op.f("fk_welfare_visits_released_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_welfare_visits")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_welfare_visits_idempotency_key")),
    )
    with op.batch_alter_table("welfare_visits", schema=None) as batch_op:
        batch_op.create_index(
            "ix_welfare_visits_premises_id_visited_at", ["premises_id", "visited_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_welfare_visits_visited_at"), ["visited_at"], unique=False
        )
        batch_op.create_index(
            "ix_welfare_visits_ward_code_visited_at", ["ward_code", "visited_at"], unique=False
        )

    op.create_table(
        "welfare_referral_counts",
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("route", sa.String(length=30), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.CheckConstraint("count > 0", name=op.f("ck_welfare_referral_counts_count_positive")),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["welfare_visits.id"],
            name=op.f("fk_welfare_referral_counts_visit_id_welfare_visits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("visit_id", "route", name=op.f("pk_welfare_referral_counts")),
    )
    op.create_table(
        "welfare_visit_guidance",
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["welfare_visits.id"],
            name=op.f("fk_welfare_visit_guidance_visit_id_welfare_visits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("visit_id", "item", name=op.f("pk_welfare_visit_guidance")),
    )
    op.create_table(
        "welfare_visit_indicators",
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["welfare_visits.id"],
            name=op.f("fk_welfare_visit_indicators_visit_id_welfare_visits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("visit_id", "code", name=op.f("pk_welfare_visit_indicators")),
    )
    with op.batch_alter_table("welfare_visit_indicators", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_welfare_visit_indicators_code"), ["code"], unique=False
        )

    op.create_table(
        "welfare_visit_languages",
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("language_code", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["language_code"],
            ["languages.code"],
            name=op.f("fk_welfare_visit_languages_language_code_languages"),
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["welfare_visits.id"],
            name=op.f("fk_welfare_visit_languages_visit_id_welfare_visits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "visit_id", "language_code", name=op.f("pk_welfare_visit_languages")
        ),
    )
    op.create_table(
        "welfare_visit_officers",
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_welfare_visit_officers_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["welfare_visits.id"],
            name=op.f("fk_welfare_visit_officers_visit_id_welfare_visits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("visit_id", "user_id", name=op.f("pk_welfare_visit_officers")),
    )


def downgrade() -> None:
    op.drop_table("welfare_visit_officers")
    op.drop_table("welfare_visit_languages")
    with op.batch_alter_table("welfare_visit_indicators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_welfare_visit_indicators_code"))

    op.drop_table("welfare_visit_indicators")
    op.drop_table("welfare_visit_guidance")
    op.drop_table("welfare_referral_counts")
    with op.batch_alter_table("welfare_visits", schema=None) as batch_op:
        batch_op.drop_index("ix_welfare_visits_ward_code_visited_at")
        batch_op.drop_index(batch_op.f("ix_welfare_visits_visited_at"))
        batch_op.drop_index("ix_welfare_visits_premises_id_visited_at")

    op.drop_table("welfare_visits")
    with op.batch_alter_table("moontwist_training", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moontwist_training_user_id"))

    op.drop_table("moontwist_training")
