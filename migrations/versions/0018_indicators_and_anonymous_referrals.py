"""Indicators on inspections, and anonymous referral records in place of counts by route.

Revision ID: 0018
Revises: 0013
Create Date: 2026-12-06 03:00:00.000000

inspection_indicators holds the indicators of exploitation observed at an inspection.
anonymous_referrals (with anonymous_referral_types) holds one record per referral made from a
welfare visit or an inspection. Today's counts by route on visits (welfare_referral_counts) are
turned into that many records each, with the age group, gender, place and exploitation type
"not known", submitted on the visit's London date and made by the visit's author's
organisation; then the counts table goes. Going down rebuilds the counts from the records made
from visits (records made from inspections have nowhere to go and are lost).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0013"
branch_labels = None
depends_on = None

_LONDON = ZoneInfo("Europe/London")
_RESPONDER_OF_KIND = {
    "police": "police",
    "council": "local_authority",
    "charity": "ngo",
    "other_agency": "government_agency",
}


def _create_counts_table() -> None:
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


def _as_utc(value: object) -> datetime:
    if isinstance(value, str):  # SQLite hands back text
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def upgrade() -> None:
    op.create_table(
        "inspection_indicators",
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspections.id"],
            name=op.f("fk_inspection_indicators_inspection_id_inspections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("inspection_id", "code", name=op.f("pk_inspection_indicators")),
    )
    op.create_index(
        op.f("ix_inspection_indicators_code"), "inspection_indicators", ["code"], unique=False
    )
    referrals = op.create_table(
        "anonymous_referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("welfare_visit_id", sa.Integer(), nullable=True),
        sa.Column("inspection_id", sa.Integer(), nullable=True),
        sa.Column("ward_code", sa.String(length=12), nullable=True),
        sa.Column("route", sa.String(length=30), nullable=False),
        sa.Column("age_group", sa.String(length=20), nullable=False),
        sa.Column("age_disputed", sa.Boolean(), nullable=False),
        sa.Column("consent_given", sa.Boolean(), nullable=True),
        sa.Column("gender", sa.String(length=20), nullable=False),
        sa.Column("exploitation_place", sa.String(length=20), nullable=False),
        sa.Column("first_responder_org_id", sa.Integer(), nullable=True),
        sa.Column("first_responder_type", sa.String(length=30), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("rg_decided_on", sa.Date(), nullable=True),
        sa.Column("rg_outcome", sa.String(length=20), nullable=True),
        sa.Column("cg_decided_on", sa.Date(), nullable=True),
        sa.Column("cg_outcome", sa.String(length=20), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(welfare_visit_id IS NULL) <> (inspection_id IS NULL)",
            name=op.f("ck_anonymous_referrals_one_source"),
        ),
        sa.ForeignKeyConstraint(
            ["welfare_visit_id"],
            ["welfare_visits.id"],
            name=op.f("fk_anonymous_referrals_welfare_visit_id_welfare_visits"),
        ),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspections.id"],
            name=op.f("fk_anonymous_referrals_inspection_id_inspections"),
        ),
        sa.ForeignKeyConstraint(
            ["first_responder_org_id"],
            ["organisations.id"],
            name=op.f("fk_anonymous_referrals_first_responder_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_anonymous_referrals_recorded_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_anonymous_referrals")),
    )
    op.create_index(
        op.f("ix_anonymous_referrals_welfare_visit_id"),
        "anonymous_referrals",
        ["welfare_visit_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_anonymous_referrals_inspection_id"),
        "anonymous_referrals",
        ["inspection_id"],
        unique=False,
    )
    op.create_index(
        "ix_anonymous_referrals_submitted_on_ward_code",
        "anonymous_referrals",
        ["submitted_on", "ward_code"],
        unique=False,
    )
    types = op.create_table(
        "anonymous_referral_types",
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("exploitation_type", sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["anonymous_referrals.id"],
            name=op.f("fk_anonymous_referral_types_referral_id_anonymous_referrals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "referral_id", "exploitation_type", name=op.f("pk_anonymous_referral_types")
        ),
    )
    _records_from_counts(referrals, types)
    op.drop_table("welfare_referral_counts")


def _records_from_counts(referrals: sa.Table, types: sa.Table) -> None:
    """One record per referral counted on a visit, in visit and route order."""
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT c.visit_id, c.route, c.count, v.ward_code, v.visited_at, v.author_id,"
            " v.created_at, u.organisation_id, o.kind"
            " FROM welfare_referral_counts c"
            " JOIN welfare_visits v ON v.id = c.visit_id"
            " LEFT JOIN users u ON u.id = v.author_id"
            " LEFT JOIN organisations o ON o.id = u.organisation_id"
            " ORDER BY c.visit_id, c.route"
        )
    ).all()
    for visit_id, route, count, ward, visited_at, author, created, org, kind in rows:
        made = _as_utc(created)
        for _ in range(int(count)):
            new_id = conn.execute(
                referrals.insert()
                .values(
                    welfare_visit_id=visit_id,
                    inspection_id=None,
                    ward_code=ward or None,
                    route=route,
                    age_group="not_known",
                    age_disputed=False,
                    consent_given=None,
                    gender="not_recorded",
                    exploitation_place="not_known",
                    first_responder_org_id=org,
                    first_responder_type=_RESPONDER_OF_KIND.get(kind or "", "not_known"),
                    submitted_on=_as_utc(visited_at).astimezone(_LONDON).date(),
                    recorded_by_id=author,
                    created_at=made,
                    updated_at=made,
                    version=1,
                )
                .returning(referrals.c.id)
            ).scalar_one()
            conn.execute(types.insert().values(referral_id=new_id, exploitation_type="not_known"))


def downgrade() -> None:
    _create_counts_table()
    op.execute(
        "INSERT INTO welfare_referral_counts (visit_id, route, count)"
        " SELECT welfare_visit_id, route, COUNT(*) FROM anonymous_referrals"
        " WHERE welfare_visit_id IS NOT NULL GROUP BY welfare_visit_id, route"
    )
    op.drop_table("anonymous_referral_types")
    op.drop_index("ix_anonymous_referrals_submitted_on_ward_code", table_name="anonymous_referrals")
    op.drop_index(op.f("ix_anonymous_referrals_inspection_id"), table_name="anonymous_referrals")
    op.drop_index(op.f("ix_anonymous_referrals_welfare_visit_id"), table_name="anonymous_referrals")
    op.drop_table("anonymous_referrals")
    op.drop_index(op.f("ix_inspection_indicators_code"), table_name="inspection_indicators")
    op.drop_table("inspection_indicators")
