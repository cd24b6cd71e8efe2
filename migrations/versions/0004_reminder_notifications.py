"""Reminder notifications: lead-time state, the mail outbox, sends, escalations, the scheduler lease.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 12:36:26.006494
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduler_leases",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=120), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduler_leases")),
    )
    op.create_table(
        "outbox_mails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reminder_id", sa.Integer(), nullable=True),
        sa.Column("lead", sa.String(length=20), nullable=True),
        sa.Column("recipient_user_id", sa.Integer(), nullable=True),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("digest_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["digest_id"], ["outbox_mails.id"], name=op.f("fk_outbox_mails_digest_id_outbox_mails")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_user_id"],
            ["users.id"],
            name=op.f("fk_outbox_mails_recipient_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["reminder_id"],
            ["reminders.id"],
            name=op.f("fk_outbox_mails_reminder_id_reminders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_mails")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_mails_dedupe_key")),
    )
    with op.batch_alter_table("outbox_mails", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_mails_digest_id"), ["digest_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_outbox_mails_recipient_user_id"), ["recipient_user_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outbox_mails_reminder_id"), ["reminder_id"], unique=False
        )
        batch_op.create_index(
            "ix_outbox_mails_status_next_attempt_at", ["status", "next_attempt_at"], unique=False
        )

    op.create_table(
        "reminder_escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reminder_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["reminder_id"],
            ["reminders.id"],
            name=op.f("fk_reminder_escalations_reminder_id_reminders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["supervisor_id"],
            ["users.id"],
            name=op.f("fk_reminder_escalations_supervisor_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_escalations")),
        sa.UniqueConstraint(
            "reminder_id", "reason", name=op.f("uq_reminder_escalations_reminder_id_reason")
        ),
    )
    with op.batch_alter_table("reminder_escalations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reminder_escalations_supervisor_id"), ["supervisor_id"], unique=False
        )

    op.create_table(
        "reminder_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reminder_id", sa.Integer(), nullable=False),
        sa.Column("lead", sa.String(length=20), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["reminder_id"],
            ["reminders.id"],
            name=op.f("fk_reminder_sends_reminder_id_reminders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_sends")),
        sa.UniqueConstraint("reminder_id", "lead", name=op.f("uq_reminder_sends_reminder_id_lead")),
    )
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("leads", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("next_send_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("escalate_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("acknowledged_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("snoozed_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("snooze_reason", sa.String(length=200), nullable=True))
        batch_op.create_index("ix_reminders_escalate_at", ["escalate_at"], unique=False)
        batch_op.create_index("ix_reminders_next_send_at", ["next_send_at"], unique=False)
        batch_op.create_index("ix_reminders_team_status", ["team", "status"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_reminders_acknowledged_by_id_users"),
            "users",
            ["acknowledged_by_id"],
            ["id"],
        )
    # Reminders made before the scheduler existed are planned by its first tick.
    op.execute("UPDATE reminders SET next_send_at = created_at WHERE status = 'open'")

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supervisor_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "digest_preference",
                sa.String(length=20),
                server_default="immediate",
                nullable=False,
            )
        )
        batch_op.create_index(batch_op.f("ix_users_supervisor_id"), ["supervisor_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_users_supervisor_id_users"), "users", ["supervisor_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_users_supervisor_id_users"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_users_supervisor_id"))
        batch_op.drop_column("digest_preference")
        batch_op.drop_column("supervisor_id")

    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_reminders_acknowledged_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_index("ix_reminders_team_status")
        batch_op.drop_index("ix_reminders_next_send_at")
        batch_op.drop_index("ix_reminders_escalate_at")
        batch_op.drop_column("snooze_reason")
        batch_op.drop_column("snoozed_until")
        batch_op.drop_column("acknowledged_by_id")
        batch_op.drop_column("acknowledged_at")
        batch_op.drop_column("escalate_at")
        batch_op.drop_column("next_send_at")
        batch_op.drop_column("leads")

    op.drop_table("reminder_sends")
    with op.batch_alter_table("reminder_escalations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_escalations_supervisor_id"))

    op.drop_table("reminder_escalations")
    with op.batch_alter_table("outbox_mails", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_mails_status_next_attempt_at")
        batch_op.drop_index(batch_op.f("ix_outbox_mails_reminder_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_mails_recipient_user_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_mails_digest_id"))

    op.drop_table("outbox_mails")
    op.drop_table("scheduler_leases")
