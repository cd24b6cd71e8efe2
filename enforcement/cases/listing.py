"""The enforcement case list: filters on owner, tool, ward and deadlines, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from enforcement.access import Actor, Permission, require
from enforcement.cases.clock import OWED, live_status
from enforcement.cases.statutory import RuleBook, UnknownRuleError
from enforcement.cases.vocab import CaseStatus, Direction, Status, ToolCode
from enforcement.errors import ValidationFailed
from enforcement.models import Organisation, Premises, PremisesWard, User, Ward
from enforcement.models.cases import CaseDeadline, EnforcementCase
from enforcement.paging import Page, QueryProblems, offset

#: The tools a case can use (the welfare, poster and intelligence clocks belong to their records).
CASE_TOOLS: tuple[ToolCode, ...] = (
    ToolCode.ASBCPA_CLOSURE,
    ToolCode.SOA_CLOSURE,
    ToolCode.ILLEGAL_WORKING_CLOSURE,
    ToolCode.PREMISES_REVIEW,
    ToolCode.SUMMARY_REVIEW,
    ToolCode.CLOSURE_REVIEW,
    ToolCode.SPECIAL_TREATMENT,
    ToolCode.STPO,
    ToolCode.STRO,
    ToolCode.PROSECUTION,
)


def _title(rulebook: RuleBook, rule_id: str) -> str:
    try:
        return rulebook.get(rule_id).title
    except UnknownRuleError:
        return rule_id


DUE_SOON = timedelta(days=7)
DUE_FILTERS = {"due_7_days": "Due in the next 7 days", "missed": "Missed a deadline"}
SORTS = {
    "deadline": "Next deadline",
    "-opened": "Newest first",
    "opened": "Oldest first",
    "reference": "Reference",
}


@dataclass(frozen=True)
class CaseQuery:
    tool: str = ""
    status: str = ""
    owner: str = ""
    ward: str = ""
    due: str = ""
    sort: str = "deadline"
    page: int = 1
    page_size: int = 50


@dataclass(frozen=True)
class NextDeadline:
    title: str
    due_at: datetime
    status: str


@dataclass(frozen=True)
class CaseRow:
    id: int
    reference: str
    tool: str
    status: str
    premises_id: int
    premises_name: str
    ward_name: str | None
    owner_name: str
    officer_name: str | None
    opened_at: datetime
    next_deadline: NextDeadline | None
    missed: int


CasePage = Page[CaseRow]


def query_problems(q: CaseQuery) -> dict[str, str]:
    """Return what is wrong with list parameters, keyed by parameter."""
    return (
        QueryProblems()
        .choice("tool", q.tool, (t.value for t in CASE_TOOLS), "Unknown enforcement tool")
        .choice("status", q.status, (s.value for s in CaseStatus), "Unknown case status")
        .record_id("owner", q.owner, "Unknown organisation")
        .choice("due", q.due, DUE_FILTERS, "Unknown deadline filter")
        .sort(q.sort, SORTS)
        .page(q.page, q.page_size)
        .found
    )


def _missed_clause(now: datetime) -> ColumnElement[bool]:
    """A deadline missed: stored so, or pending, owed and already past (the clock not run yet)."""
    return or_(
        CaseDeadline.status == Status.MISSED.value,
        and_(
            CaseDeadline.status == Status.PENDING.value,
            CaseDeadline.direction.in_(OWED),
            CaseDeadline.due_at < now,
        ),
    )


def _pending_clause() -> ColumnElement[bool]:
    return and_(
        CaseDeadline.status == Status.PENDING.value,
        CaseDeadline.direction != Direction.NOT_BEFORE.value,
    )


def _open_clause(now: datetime) -> ColumnElement[bool]:
    """A deadline still asking something: to come, or owed, past and not yet done."""
    owed = CaseDeadline.direction.in_(OWED)
    return or_(
        and_(_pending_clause(), or_(CaseDeadline.due_at >= now, owed)),
        and_(
            CaseDeadline.status == Status.MISSED.value,
            CaseDeadline.met_by_event_id.is_(None),
            owed,
        ),
    )


def _filters(q: CaseQuery, now: datetime) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if q.tool:
        where.append(EnforcementCase.tool == q.tool)
    if q.status:
        where.append(EnforcementCase.status == q.status)
    if q.owner:
        where.append(EnforcementCase.owner_organisation_id == int(q.owner))
    if q.ward:
        where.append(
            EnforcementCase.premises_id.in_(
                select(Premises.id)
                .join(PremisesWard, PremisesWard.premises_id == Premises.id)
                .join(Ward, Ward.id == PremisesWard.ward_id)
                .where(Ward.code == q.ward)
            )
        )
    if q.due == "due_7_days":
        where.append(
            exists().where(
                CaseDeadline.case_id == EnforcementCase.id,
                _pending_clause(),
                CaseDeadline.due_at >= now,
                CaseDeadline.due_at <= now + DUE_SOON,
            )
        )
    elif q.due == "missed":
        where.append(
            exists().where(CaseDeadline.case_id == EnforcementCase.id, _missed_clause(now))
        )
    return where


def _deadlines_of(
    session: Session, ids: list[int], now: datetime, rulebook: RuleBook
) -> tuple[dict[int, NextDeadline], dict[int, int]]:
    """Return each case's next open deadline and how many it has missed, as at `now`."""
    upcoming: dict[int, NextDeadline] = {}
    missed: dict[int, int] = {}
    if ids:
        for case_id, rule_id, due, status, direction, still_open in session.execute(
            select(
                CaseDeadline.case_id,
                CaseDeadline.rule_id,
                CaseDeadline.due_at,
                CaseDeadline.status,
                CaseDeadline.direction,
                _open_clause(now),
            )
            .where(
                CaseDeadline.case_id.in_(ids),
                or_(_open_clause(now), _missed_clause(now)),
            )
            .order_by(CaseDeadline.case_id, CaseDeadline.due_at, CaseDeadline.id)
        ):
            live = live_status(status, direction, due, now)
            if live == Status.MISSED:
                missed[case_id] = missed.get(case_id, 0) + 1
            if still_open and case_id not in upcoming:
                upcoming[case_id] = NextDeadline(_title(rulebook, rule_id), due, live)
    return upcoming, missed


def search_cases(
    session: Session, actor: Actor, now: datetime, q: CaseQuery, rulebook: RuleBook
) -> CasePage:
    """Return one page of cases matching the filters, each with its next deadline as at `now`."""
    require(actor, Permission.CASE_VIEW)
    if problems := query_problems(q):
        raise ValidationFailed(problems)
    where = _filters(q, now)
    total = session.scalar(select(func.count()).select_from(EnforcementCase).where(*where)) or 0
    next_due = (
        select(func.min(CaseDeadline.due_at))
        .where(CaseDeadline.case_id == EnforcementCase.id, _open_clause(now))
        .correlate(EnforcementCase)
        .scalar_subquery()
    )
    orders: dict[str, list[Any]] = {
        "deadline": [next_due.asc().nulls_last(), EnforcementCase.opened_at.desc()],
        "-opened": [EnforcementCase.opened_at.desc()],
        "opened": [EnforcementCase.opened_at.asc()],
        "reference": [EnforcementCase.reference.asc()],
    }
    officer = aliased(User)
    page = q.page
    raw = session.execute(
        select(
            EnforcementCase.id,
            EnforcementCase.reference,
            EnforcementCase.tool,
            EnforcementCase.status,
            Premises.id,
            Premises.name,
            Ward.name,
            Organisation.name,
            officer.display_name,
            EnforcementCase.opened_at,
        )
        .join(Premises, Premises.id == EnforcementCase.premises_id)
        .outerjoin(PremisesWard, PremisesWard.premises_id == Premises.id)
        .outerjoin(Ward, Ward.id == PremisesWard.ward_id)
        .join(Organisation, Organisation.id == EnforcementCase.owner_organisation_id)
        .outerjoin(officer, officer.id == EnforcementCase.officer_id)
        .where(*where)
        .order_by(*orders[q.sort], EnforcementCase.id.desc())
        .limit(q.page_size)
        .offset(offset(page, q.page_size))
    ).all()
    upcoming, missed = _deadlines_of(session, [r[0] for r in raw], now, rulebook)
    rows = [
        CaseRow(
            id=r[0],
            reference=r[1],
            tool=r[2],
            status=r[3],
            premises_id=r[4],
            premises_name=r[5],
            ward_name=r[6],
            owner_name=r[7],
            officer_name=r[8],
            opened_at=r[9],
            next_deadline=upcoming.get(r[0]),
            missed=missed.get(r[0], 0),
        )
        for r in raw
    ]
    return CasePage(rows=rows, total=total, page=page, page_size=q.page_size)
