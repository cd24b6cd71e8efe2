"""Intelligence flags, and the audit trail's hash chain with append-only triggers.

Revision ID: 0008
Revises: 0007

Existing audit events get their chain computed here, in id order from the genesis hash, with
a frozen copy of the scheme-1 hash (enforcement.audit_chain; a unit test keeps the two equal).
Then triggers refuse UPDATE and DELETE on audit_events, on PostgreSQL and on SQLite.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

GENESIS = "0" * 64


def chain_hash(prev_hash: str, row: Any) -> str:
    """Scheme 1 of enforcement.audit_chain, frozen for this migration."""
    at = row.at
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    body = json.dumps(
        [
            at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            row.actor_id,
            row.actor_label,
            row.action,
            row.entity_type,
            row.entity_id,
            row.summary,
            row.before_json,
            row.after_json,
            row.ip_address,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


PG_REFUSE = """
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql
"""

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intel_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("premises_id", sa.Integer(), nullable=True),
        sa.Column("location_text", sa.String(length=300), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("ward_code", sa.String(length=12), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_type", sa.String(length=30), nullable=False),
        sa.Column("report_text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("grade_scheme", sa.String(length=8), nullable=True),
        sa.Column("source_grade", sa.String(length=1), nullable=True),
        sa.Column("intelligence_grade", sa.String(length=1), nullable=True),
        sa.Column("handling_code", sa.String(length=1), nullable=True),
        sa.Column("handling_conditions", sa.Text(), nullable=True),
        sa.Column("conditional", sa.Boolean(), nullable=False),
        sa.Column("graded_by_id", sa.Integer(), nullable=True),
        sa.Column("graded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("submitted_org_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "premises_id IS NOT NULL OR location_text IS NOT NULL OR latitude IS NOT NULL",
            name=op.f("ck_intel_flags_has_place"),
        ),
        sa.ForeignKeyConstraint(
            ["graded_by_id"], ["users.id"], name=op.f("fk_intel_flags_graded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["premises_id"], ["premises.id"], name=op.f("fk_intel_flags_premises_id_premises")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"], ["users.id"], name=op.f("fk_intel_flags_submitted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_org_id"],
            ["organisations.id"],
            name=op.f("fk_intel_flags_submitted_org_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intel_flags")),
    )
    with op.batch_alter_table("intel_flags", schema=None) as batch_op:
        batch_op.create_index(
            "ix_intel_flags_premises_id_status", ["premises_id", "status"], unique=False
        )
        batch_op.create_index("ix_intel_flags_reported_at_id", ["reported_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_intel_flags_status"), ["status"], unique=False)
        batch_op.create_index(
            "ix_intel_flags_submitted_by_id_reported_at",
            ["submitted_by_id", "reported_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_intel_flags_ward_code_reported_at", ["ward_code", "reported_at"], unique=False
        )

    op.create_table(
        "intel_flag_exploitation",
        sa.Column("flag_id", sa.Integer(), nullable=False),
        sa.Column("form", sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(
            ["flag_id"],
            ["intel_flags.id"],
            name=op.f("fk_intel_flag_exploitation_flag_id_intel_flags"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("flag_id", "form", name=op.f("pk_intel_flag_exploitation")),
    )
    op.create_table(
        "intel_flag_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.Column("linked_by_id", sa.Integer(), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(case_id IS NOT NULL AND referral_id IS NULL) OR (case_id IS NULL AND referral_id IS NOT NULL)",
            name=op.f("ck_intel_flag_links_one_target"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["enforcement_cases.id"],
            name=op.f("fk_intel_flag_links_case_id_enforcement_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["flag_id"],
            ["intel_flags.id"],
            name=op.f("fk_intel_flag_links_flag_id_intel_flags"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["linked_by_id"], ["users.id"], name=op.f("fk_intel_flag_links_linked_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intel_flag_links")),
    )
    with op.batch_alter_table("intel_flag_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intel_flag_links_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            "ix_intel_flag_links_flag_id_case_id", ["flag_id", "case_id"], unique=True
        )
        batch_op.create_index(
            "ix_intel_flag_links_flag_id_referral_id", ["flag_id", "referral_id"], unique=True
        )
        batch_op.create_index(
            batch_op.f("ix_intel_flag_links_referral_id"), ["referral_id"], unique=False
        )

    op.create_table(
        "intel_flag_organisations",
        sa.Column("flag_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["flag_id"],
            ["intel_flags.id"],
            name=op.f("fk_intel_flag_organisations_flag_id_intel_flags"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_intel_flag_organisations_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint(
            "flag_id", "organisation_id", name=op.f("pk_intel_flag_organisations")
        ),
    )
    with op.batch_alter_table("intel_flag_organisations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_intel_flag_organisations_organisation_id"),
            ["organisation_id"],
            unique=False,
        )

    op.create_table(
        "intel_flag_roles",
        sa.Column("flag_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["flag_id"],
            ["intel_flags.id"],
            name=op.f("fk_intel_flag_roles_flag_id_intel_flags"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("flag_id", "role", name=op.f("pk_intel_flag_roles")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    _chain_existing_events()
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
    _refuse_changes()


def _chain_existing_events() -> None:
    bind = op.get_bind()
    events = sa.table(
        "audit_events",
        *(
            sa.column(name)
            for name in (
                "id",
                "at",
                "actor_id",
                "actor_label",
                "action",
                "entity_type",
                "entity_id",
                "summary",
                "before_json",
                "after_json",
                "ip_address",
                "prev_hash",
                "hash",
            )
        ),
    )
    prev, after = GENESIS, 0
    while True:
        rows = bind.execute(
            sa.select(events).where(events.c.id > after).order_by(events.c.id).limit(5000)
        ).all()
        if not rows:
            return
        updates = []
        for row in rows:
            digest = chain_hash(prev, row)
            updates.append({"b_id": row.id, "prev_hash": prev, "hash": digest})
            prev = digest
        bind.execute(
            sa.update(events)
            .where(events.c.id == sa.bindparam("b_id"))
            .values(prev_hash=sa.bindparam("prev_hash"), hash=sa.bindparam("hash")),
            updates,
        )
        after = rows[-1].id


def _refuse_changes() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_REFUSE)
        op.execute(
            "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"
            )


def _allow_changes() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_change ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")


def downgrade() -> None:
    _allow_changes()
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")

    op.drop_table("intel_flag_roles")
    with op.batch_alter_table("intel_flag_organisations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intel_flag_organisations_organisation_id"))

    op.drop_table("intel_flag_organisations")
    with op.batch_alter_table("intel_flag_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intel_flag_links_referral_id"))
        batch_op.drop_index("ix_intel_flag_links_flag_id_referral_id")
        batch_op.drop_index("ix_intel_flag_links_flag_id_case_id")
        batch_op.drop_index(batch_op.f("ix_intel_flag_links_case_id"))

    op.drop_table("intel_flag_links")
    op.drop_table("intel_flag_exploitation")
    with op.batch_alter_table("intel_flags", schema=None) as batch_op:
        batch_op.drop_index("ix_intel_flags_ward_code_reported_at")
        batch_op.drop_index("ix_intel_flags_submitted_by_id_reported_at")
        batch_op.drop_index(batch_op.f("ix_intel_flags_status"))
        batch_op.drop_index("ix_intel_flags_reported_at_id")
        batch_op.drop_index("ix_intel_flags_premises_id_status")

    op.drop_table("intel_flags")
