"""A premises' timeline: what has happened to it, gathered from every capability the reader may see.

It sits above the register, inspections, welfare, cases and referrals, so that none of them needs
to import another to draw the premises page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from enforcement import policy
from enforcement.access import Actor, Permission, can, require
from enforcement.cases.vocab import EventKind, ToolCode
from enforcement.clock import london_midnight_utc, to_london
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
    """
    require(actor, Permission.PREMISES_VIEW)
    if licence_ids is None:
        licence_ids = list(
            session.scalars(select(Licence.id).where(Licence.premises_id == premises_id))
        )
    licence_keys = [str(i) for i in licence_ids]
    # Taking a premises offline is audited on it (enforcement.offline.package) but is no event
    # of the premises: on the timeline it would tell every reader who is about to visit.
    clause = and_(
        AuditEvent.entity_type == "premises",
        AuditEvent.entity_id == str(premises_id),
        AuditEvent.action != "premises.offline",
    )
    if licence_keys:
        clause = or_(
            clause,
            and_(AuditEvent.entity_type == "licence", AuditEvent.entity_id.in_(licence_keys)),
        )
    rows = session.execute(
        select(AuditEvent, User.display_name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(clause)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
    ).all()
    # People are shown by name; system work (imports, the demo loader) by what did it.
    items = [
        TimelineItem(at=e.at, title=e.summary, by=name or e.actor_label)
        for e, name in rows
        if e.entity_type != "inspection"
    ]
    for ins, name in session.execute(
        select(Inspection, User.display_name)
        .outerjoin(User, User.id == Inspection.author_id)
        .where(Inspection.premises_id == premises_id)
        .order_by(Inspection.inspected_at.desc(), Inspection.id.desc())
        .limit(limit)
    ):
        poster = "poster compliant" if ins.poster_compliant else f"poster {ins.poster_shortfall}"
        items.append(
            TimelineItem(
                at=ins.inspected_at,
                title=f"{InspectionReason.label_of(ins.reason)}: {poster}",
                by=name or "unknown officer",
                description="A follow-up inspection is due." if ins.follow_up_needed else None,
                link=("inspection", ins.id),
            )
        )
    items += _welfare_timeline(session, actor, premises_id, limit)
    if can(actor, Permission.CASE_VIEW):
        items += _case_timeline(session, premises_id, limit)
    if can(actor, Permission.REFERRAL_VIEW):
        items += _referral_timeline(session, premises_id, limit)
    return sorted(items, key=lambda item: item.at, reverse=True)[:limit]


def _case_timeline(session: Session, premises_id: int, limit: int) -> list[TimelineItem]:
    """Return the enforcement cases opened on a premises and their events (notes stay on the case)."""
    items = [
        TimelineItem(
            at=case.opened_at,
            title=f"Enforcement case {case.reference} opened: {ToolCode.label_of(case.tool)}",
            by=name or "the system",
            link=("case", case.id),
        )
        for case, name in session.execute(
            select(EnforcementCase, User.display_name)
            .outerjoin(User, User.id == EnforcementCase.opened_by_id)
            .where(EnforcementCase.premises_id == premises_id)
            .order_by(EnforcementCase.opened_at.desc(), EnforcementCase.id.desc())
            .limit(limit)
        )
    ]
    for event, reference, name in session.execute(
        select(CaseEvent, EnforcementCase.reference, User.display_name)
        .join(EnforcementCase, EnforcementCase.id == CaseEvent.case_id)
        .outerjoin(User, User.id == CaseEvent.recorded_by_id)
        .where(EnforcementCase.premises_id == premises_id)
        .order_by(CaseEvent.occurred_at.desc(), CaseEvent.id.desc())
        .limit(limit)
    ):
        items.append(
            TimelineItem(
                at=event.occurred_at,
                title=f"{reference}: {EventKind.label_of(event.kind)}",
                by=name or "the system",
                link=("case", event.case_id),
            )
        )
    return items


def _referral_timeline(session: Session, premises_id: int, limit: int) -> list[TimelineItem]:
    """Return the Licensing Committee referrals of a premises, each with where it stands now."""
    return [
        TimelineItem(
            at=referral.created_at,
            title=f"Committee referral {referral.reference} drafted"
            f" (now: {ReferralStatus.label_of(referral.status).lower()})",
            by=name or "the system",
            link=("referral", referral.id),
        )
        for referral, name in session.execute(
            select(Referral, User.display_name)
            .outerjoin(User, User.id == Referral.author_id)
            .where(Referral.premises_id == premises_id)
            .order_by(Referral.created_at.desc(), Referral.id.desc())
            .limit(limit)
        )
    ]


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
