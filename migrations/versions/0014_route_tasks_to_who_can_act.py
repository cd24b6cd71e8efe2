"""Tasks reach whoever can act: re-route open reminders, and hand on referrals waiting now.

Revision ID: 0014
Revises: 0018
Create Date: 2026-12-06 03:30:00.000000

Data only, no schema change. A case run by a committee referral has its steps recorded by the
committee clerks on the referral, so its open statutory reminders move from the officer in
charge to the clerks' team (not yet acknowledged by them, escalating when they fall due, as
the domain readdresses them: docs/reminders.md). Referrals already waiting for someone get the
task the workflow now makes when they reach that point: awaiting sign-off (supervisors),
signed off (committee clerks), returned (their author), due 5 days (10 for the author) after
they last changed.

Downgrade puts the statutory reminders back with the case's officer in charge (or the
licensing team, for a council case with none, as before) and cancels the open tasks of the
three new kinds, keeping every row.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0019"  # re-chained after main's 0018 (written against 0013)
branch_labels = None
depends_on = None

_reminders = sa.table(
    "reminders",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("subject_type", sa.String),
    sa.column("subject_id", sa.Integer),
    sa.column("premises_id", sa.Integer),
    sa.column("title", sa.String),
    sa.column("due_at", sa.DateTime(timezone=True)),
    sa.column("owner_user_id", sa.Integer),
    sa.column("team", sa.String),
    sa.column("statutory", sa.Boolean),
    sa.column("status", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("next_send_at", sa.DateTime(timezone=True)),
    sa.column("escalate_at", sa.DateTime(timezone=True)),
    sa.column("acknowledged_at", sa.DateTime(timezone=True)),
    sa.column("acknowledged_by_id", sa.Integer),
)
_referrals = sa.table(
    "committee_referrals",
    sa.column("id", sa.Integer),
    sa.column("reference", sa.String),
    sa.column("premises_id", sa.Integer),
    sa.column("author_id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("case_id", sa.Integer),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
_cases = sa.table(
    "enforcement_cases",
    sa.column("id", sa.Integer),
    sa.column("officer_id", sa.Integer),
    sa.column("owner_organisation_id", sa.Integer),
)
_organisations = sa.table(
    "organisations", sa.column("id", sa.Integer), sa.column("kind", sa.String)
)

_REFERRAL = "committee_referral"
_CASE = "enforcement_case"
_STATUTORY = "statutory_deadline"
# status -> (kind, title, days until due, to the author)
_WAITING = {
    "submitted": ("referral_sign_off", "Sign off or return committee referral {ref}", 5, False),
    "signed_off": (
        "referral_signed_off",
        "Open the statutory process of committee referral {ref}",
        5,
        False,
    ),
    "returned": (
        "referral_returned",
        "Committee referral {ref} was returned with comments: change it and submit it again",
        10,
        True,
    ),
}
_TEAMS = {"referral_sign_off": "supervisors", "referral_signed_off": "clerks"}


def _referral_case_reminders() -> sa.ColumnElement[bool]:
    run_by_referral = sa.select(_referrals.c.case_id).where(_referrals.c.case_id.is_not(None))
    return sa.and_(
        _reminders.c.kind == _STATUTORY,
        _reminders.c.subject_type == _CASE,
        _reminders.c.status == "open",
        _reminders.c.subject_id.in_(run_by_referral),
    )


def upgrade() -> None:
    op.execute(
        _reminders.update()
        .where(_referral_case_reminders(), _reminders.c.team.is_distinct_from("clerks"))
        .values(
            owner_user_id=None,
            team="clerks",
            acknowledged_at=None,
            acknowledged_by_id=None,
            escalate_at=_reminders.c.due_at,
        )
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            _referrals.c.id,
            _referrals.c.reference,
            _referrals.c.premises_id,
            _referrals.c.author_id,
            _referrals.c.status,
            _referrals.c.updated_at,
        )
        .where(_referrals.c.status.in_(list(_WAITING)))
        .order_by(_referrals.c.id)
    ).all()
    for rid, ref, premises_id, author_id, status, changed in rows:
        kind, title, days, to_author = _WAITING[status]
        due = changed + timedelta(days=days)
        mine = sa.and_(
            _reminders.c.subject_type == _REFERRAL,
            _reminders.c.subject_id == rid,
            _reminders.c.kind == kind,
        )
        if bind.scalar(
            sa.select(sa.func.count())
            .select_from(_reminders)
            .where(mine, _reminders.c.status == "open")
        ) or (to_author and author_id is None):
            continue
        row = {
            "premises_id": premises_id,
            "title": title.format(ref=ref)[:200],
            "owner_user_id": author_id if to_author else None,
            "team": None if to_author else _TEAMS[kind],
            "statutory": False,
            "status": "open",
            "next_send_at": changed,
        }
        # One reminder per subject, kind and due time: one this downgrade cancelled is reopened.
        same = bind.scalar(sa.select(_reminders.c.id).where(mine, _reminders.c.due_at == due))
        if same is not None:
            bind.execute(_reminders.update().where(_reminders.c.id == same).values(**row))
            continue
        bind.execute(
            _reminders.insert().values(
                kind=kind,
                subject_type=_REFERRAL,
                subject_id=rid,
                due_at=due,
                created_at=changed,
                **row,
            )
        )


def downgrade() -> None:
    officer = (
        sa.select(_cases.c.officer_id)
        .where(_cases.c.id == _reminders.c.subject_id)
        .scalar_subquery()
    )
    unowned_council = (
        sa.select(_cases.c.id)
        .join(_organisations, _organisations.c.id == _cases.c.owner_organisation_id)
        .where(
            _cases.c.id == _reminders.c.subject_id,
            _cases.c.officer_id.is_(None),
            _organisations.c.kind == "council",
        )
        .exists()
    )
    op.execute(
        _reminders.update()
        .where(_referral_case_reminders(), _reminders.c.team == "clerks")
        .values(
            owner_user_id=officer,
            team=sa.case((unowned_council, sa.literal("licensing")), else_=sa.null()),
            acknowledged_at=None,
            acknowledged_by_id=None,
        )
    )
    op.execute(
        _reminders.update()
        .where(
            _reminders.c.kind.in_([kind for kind, *_ in _WAITING.values()]),
            _reminders.c.status == "open",
        )
        .values(status="cancelled", next_send_at=None, escalate_at=None)
    )
