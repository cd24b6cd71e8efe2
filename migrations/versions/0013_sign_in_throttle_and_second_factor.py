"""Sign-in throttling per address, and a second factor (TOTP and recovery codes).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 00:00:00.000000

sign_in_attempts gains the stage an attempt was at and whether it was refused unchecked, and an
index by address; user_sessions gain whether the second factor is still owed. New columns are
added in place (with server defaults, so existing rows are filled); two new tables hold each
user's TOTP secret and recovery codes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "sign_in_attempts",
        sa.Column("stage", sa.String(length=20), server_default="password", nullable=False),
    )
    op.add_column(
        "sign_in_attempts",
        sa.Column("throttled", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_index("ix_sign_in_attempts_ip_address_at", "sign_in_attempts", ["ip_address", "at"])
    op.add_column(
        "user_sessions",
        sa.Column(
            "awaiting_second_factor", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
    )
    op.add_column(
        "user_sessions", sa.Column("second_factor_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_table(
        "second_factors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_second_factors_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_second_factors")),
        sa.UniqueConstraint("user_id", name=op.f("uq_second_factors_user_id")),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_recovery_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_recovery_codes_code_hash")),
    )
    op.create_index(op.f("ix_recovery_codes_user_id"), "recovery_codes", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_recovery_codes_user_id"), table_name="recovery_codes")
    op.drop_table("recovery_codes")
    op.drop_table("second_factors")
    with op.batch_alter_table("user_sessions") as batch:
        batch.drop_column("second_factor_at")
        batch.drop_column("awaiting_second_factor")
    op.drop_index("ix_sign_in_attempts_ip_address_at", table_name="sign_in_attempts")
    with op.batch_alter_table("sign_in_attempts") as batch:
        batch.drop_column("throttled")
        batch.drop_column("stage")
