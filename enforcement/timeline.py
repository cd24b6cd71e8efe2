"""A premises' timeline: what has happened to it, gathered from every capability the reader may see.

It sits above the register, inspections, welfare, cases and referrals, so that none of them needs
to import another to draw the premises page.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    cast,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from enforcement import policy
from enforcement.access import Actor, Permission, can, require
from enforcement.cases.vocab import EventKind, ToolCode
from enforcement.clock import london_midnight_utc, to_london
from enforcement.inspections.poster import poster_phrase
from enforcement.models import (
    AuditEvent,
    CaseEvent,
    EnforcementCase,
    Inspection,
    Licence,
    Referral,
    User,
)
from enforcement.models.welfare import WelfareVisit
from enforcement.policy import Visibility
from enforcement.referrals.vocab import ReferralStatus
from enforcement.vocab import InspectionReason
from enforcement.welfare.visits import SUBJECT


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    title: str
    by: str
    description: str | None = None
    link: tuple[str, int] | None = None  # (kind of record, id): the page renders the address
    date_only: bool = False  # show the day, not the time (a restricted record's existence)


def premises_timeline(
    session: Session,
    actor: Actor,
    premises_id: int,
    limit: int = 50,
    licence_ids: Sequence[int] | None = None,
) -> list[TimelineItem]:
    """Return what has happened to a premises and its licences, newest first.

    licence_ids: the premises' licences when the caller has read them already (the premises
    page has), saving a statement; otherwise they are read here.

    Two statements whatever the reader may see: the changes to the premises and its licences,
    its inspections, and (for those who may read them) its enforcement cases, their events and
    its committee referrals come in one UNION ALL, each part its own newest `limit`; the
    welfare visits, whose visibility the access policy decides visit by visit, in another.
    """
    require(actor, Permission.PREMISES_VIEW)
    if licence_ids is None:
        licence_ids = list(
            session.scalars(select(Licence.id).where(Licence.premises_id == premises_id))
        )
    statement = _statement(
        limit,
        licences=bool(licence_ids),
        cases=can(actor, Permission.CASE_VIEW),
        referrals=can(actor, Permission.REFERRAL_VIEW),
    )
    params = {
        "premises_id": premises_id,
        "premises_key": str(premises_id),
        "licence_keys": [str(i) for i in licence_ids],
    }
    by_part: dict[int, list[TimelineItem]] = {}
    for row in session.execute(statement, params):
        by_part.setdefault(row.part, []).append(_item(row))
    # In the order the parts were read one by one before: the sort below keeps it for equal times.
    items = by_part.get(_AUDIT, []) + by_part.get(_INSPECTION, [])
    items += _welfare_timeline(session, actor, premises_id, limit)
    for part in (_CASE, _CASE_EVENT, _REFERRAL):
        items += by_part.get(part, [])
    return sorted(items, key=lambda item: item.at, reverse=True)[:limit]


@functools.lru_cache(maxsize=32)
def _statement(limit: int, *, licences: bool, cases: bool, referrals: bool) -> Select[Any]:
    """The timeline's one statement for what the reader may see, built once (building its
    subqueries took longer than running it): the premises, its licences' keys and the
    premises' key are bound parameters."""
    parts = [_audit_part(licences, limit), _inspection_part(limit)]
    if cases:
        parts += [_case_part(limit), _case_event_part(limit)]
    if referrals:
        parts.append(_referral_part(limit))
    merged = union_all(*parts).subquery("timeline")
    return select(merged).order_by(merged.c.part, merged.c.at.desc(), merged.c.sort_id.desc())


_PREMISES = bindparam("premises_id", type_=Integer)


# The parts of the timeline's one statement, each row shaped alike: which part, the record's
# id (the case's for a case event), when, three texts, two yes/no answers and the person's name.
_AUDIT, _INSPECTION, _CASE, _CASE_EVENT, _REFERRAL = range(5)


def _shaped(
    part: int,
    record_id: Any,
    sort_id: Any,
    at: Any,
    who: Any,
    *,
    text1: Any = None,
    text2: Any = None,
    yes1: Any = None,
    yes2: Any = None,
) -> Select[Any]:
    def text_(value: Any) -> Any:
        return cast(null(), String) if value is None else value

    def yes(value: Any) -> Any:
        return cast(null(), Boolean) if value is None else value

    return select(
        literal_column(str(part), Integer).label("part"),
        record_id.label("record_id"),
        sort_id.label("sort_id"),
        at.label("at"),
        text_(text1).label("text1"),
        text_(text2).label("text2"),
        yes(yes1).label("yes1"),
        yes(yes2).label("yes2"),
        who.label("who"),
    )


def _newest(stmt: Select[Any], *order: Any, limit: int) -> Select[Any]:
    """A part of the union, newest first and cut at `limit` (SQLite needs it as a subquery)."""
    sub = stmt.order_by(*order).limit(limit).subquery()
    return select(*sub.c)


def _audit_part(licences: bool, limit: int) -> Select[Any]:
    # Taking a premises offline is audited on it (enforcement.offline.package) but is no event
    # of the premises: on the timeline it would tell every reader who is about to visit.
    clause = and_(
        AuditEvent.entity_type == "premises",
        AuditEvent.entity_id == bindparam("premises_key", type_=String),
        AuditEvent.action != "premises.offline",
    )
    if licences:
        clause = or_(
            clause,
            and_(
                AuditEvent.entity_type == "licence",
                AuditEvent.entity_id.in_(bindparam("licence_keys", expanding=True)),
            ),
        )
    stmt = (
        _shaped(
            _AUDIT,
            AuditEvent.id,
            AuditEvent.id,
            AuditEvent.at,
            User.display_name,
            text1=AuditEvent.summary,
            text2=AuditEvent.actor_label,
        )
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(clause)
    )
    return _newest(stmt, AuditEvent.at.desc(), AuditEvent.id.desc(), limit=limit)


def _inspection_part(limit: int) -> Select[Any]:
    stmt = (
        _shaped(
            _INSPECTION,
            Inspection.id,
            Inspection.id,
            Inspection.inspected_at,
            User.display_name,
            text1=Inspection.reason,
            text2=Inspection.poster_shortfall,
            yes1=Inspection.poster_compliant,
            yes2=Inspection.follow_up_needed,
        )
        .outerjoin(User, User.id == Inspection.author_id)
        .where(Inspection.premises_id == _PREMISES)
    )
    return _newest(stmt, Inspection.inspected_at.desc(), Inspection.id.desc(), limit=limit)


def _case_part(limit: int) -> Select[Any]:
    """The enforcement cases opened on a premises (notes stay on the case)."""
    stmt = (
        _shaped(
            _CASE,
            EnforcementCase.id,
            EnforcementCase.id,
            EnforcementCase.opened_at,
            User.display_name,
            text1=EnforcementCase.reference,
            text2=EnforcementCase.tool,
        )
        .outerjoin(User, User.id == EnforcementCase.opened_by_id)
        .where(EnforcementCase.premises_id == _PREMISES)
    )
    return _newest(stmt, EnforcementCase.opened_at.desc(), EnforcementCase.id.desc(), limit=limit)


def _case_event_part(limit: int) -> Select[Any]:
    stmt = (
        _shaped(
            _CASE_EVENT,
            CaseEvent.case_id,
            CaseEvent.id,
            CaseEvent.occurred_at,
            User.display_name,
            text1=EnforcementCase.reference,
            text2=CaseEvent.kind,
        )
        .select_from(CaseEvent)
        .join(EnforcementCase, EnforcementCase.id == CaseEvent.case_id)
        .outerjoin(User, User.id == CaseEvent.recorded_by_id)
        .where(EnforcementCase.premises_id == _PREMISES)
    )
    return _newest(stmt, CaseEvent.occurred_at.desc(), CaseEvent.id.desc(), limit=limit)


def _referral_part(limit: int) -> Select[Any]:
    """The Licensing Committee referrals of a premises, each with where it stands now."""
    stmt = (
        _shaped(
            _REFERRAL,
            Referral.id,
            Referral.id,
            Referral.created_at,
            User.display_name,
            text1=Referral.reference,
            text2=Referral.status,
        )
        .outerjoin(User, User.id == Referral.author_id)
        .where(Referral.premises_id == _PREMISES)
    )
    return _newest(stmt, Referral.created_at.desc(), Referral.id.desc(), limit=limit)


def _item(row: Any) -> TimelineItem:
    """Word one row of the union as the page shows it."""
    if row.part == _AUDIT:
        # People are shown by name; system work (imports, the demo loader) by what did it.
        return TimelineItem(at=row.at, title=row.text1, by=row.who or row.text2)
    if row.part == _INSPECTION:
        poster = poster_phrase(bool(row.yes1), row.text2)
        return TimelineItem(
            at=row.at,
            title=f"{InspectionReason.label_of(row.text1)}: {poster}",
            by=row.who or "unknown officer",
            description="A follow-up inspection is due." if row.yes2 else None,
            link=("inspection", row.record_id),
        )
    if row.part == _CASE:
        return TimelineItem(
            at=row.at,
            title=f"Enforcement case {row.text1} opened: {ToolCode.label_of(row.text2)}",
            by=row.who or "the system",
            link=("case", row.record_id),
        )
    if row.part == _CASE_EVENT:
        return TimelineItem(
            at=row.at,
            title=f"{row.text1}: {EventKind.label_of(row.text2)}",
            by=row.who or "the system",
            link=("case", row.record_id),
        )
    return TimelineItem(
        at=row.at,
        title=f"Committee referral {row.text1} drafted"
        f" (now: {ReferralStatus.label_of(row.text2).lower()})",
        by=row.who or "the system",
        link=("referral", row.record_id),
    )


def _welfare_timeline(
    session: Session, actor: Actor, premises_id: int, limit: int = 50
) -> list[TimelineItem]:
    """Return the visits to a premises as the actor may see them on its timeline.

    Content level: the visit, its author and a link (the content is behind the link, where
    opening it is audited). Existence level: "Welfare visit" and the date, nothing else.
    Nothing at all for anyone else.
    """
    if policy.most_visible(actor, SUBJECT) is Visibility.NONE:
        return []  # administrators and partners: not even a query
    rows = session.execute(
        select(WelfareVisit, User.display_name)
        .outerjoin(User, User.id == WelfareVisit.author_id)
        .where(
            WelfareVisit.premises_id == premises_id,
            policy.visible_visits_clause(actor, Visibility.EXISTENCE),
        )
        .order_by(WelfareVisit.visited_at.desc(), WelfareVisit.id.desc())
        .limit(limit)
    ).all()
    items: list[TimelineItem] = []
    for visit, author in rows:
        level = policy.visibility(actor, visit)
        if level is Visibility.CONTENT:
            items.append(
                TimelineItem(
                    at=visit.visited_at,
                    title="Welfare visit (Operation Moontwist)",
                    by=author or "unknown officer",
                    description="Open the visit to see what was recorded. Opening it is logged.",
                    link=(SUBJECT, visit.id),
                )
            )
        elif level is Visibility.EXISTENCE:
            # The time of day is part of the content: give the London date only.
            items.append(
                TimelineItem(
                    at=london_midnight_utc(to_london(visit.visited_at).date()),
                    title="Welfare visit",
                    by="",
                    date_only=True,
                )
            )
    return items
