"""Lists of welfare visits and the guidance adherence view, each through the access policy."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session

from enforcement import audit, policy
from enforcement.access import Actor, Permission, require
from enforcement.clock import london_midnight_utc, to_london
from enforcement.errors import ValidationFailed
from enforcement.models import Premises, Reminder
from enforcement.models.welfare import WelfareVisit, WelfareVisitGuidance, WelfareVisitIndicator
from enforcement.paging import Page, QueryProblems, offset
from enforcement.policy import Visibility
from enforcement.reminders import reminders
from enforcement.reminders.vocab import ReminderKind
from enforcement.welfare.visits import SUBJECT, ward_names
from enforcement.welfare.vocab import INDICATORS, GuidanceItem

# --- Lists -----------------------------------------------------------------------------------

INDICATOR_ANY = "any"
FOLLOW_UP_OPEN = "open"
FOLLOW_UP_OVERDUE = "overdue"


@dataclass(frozen=True)
class VisitQuery:
    ward: str = ""
    date_from: date | None = None
    date_to: date | None = None
    indicator: str = ""
    follow_up: str = ""
    page: int = 1
    page_size: int = 50


@dataclass(frozen=True)
class VisitRow:
    id: int
    visited_at: datetime
    premises_id: int
    premises_name: str
    ward_name: str | None
    property_described: str
    people_present: int
    indicators_observed: bool
    follow_up_due_at: datetime | None
    released: bool


VisitPage = Page[VisitRow]


def visit_query_problems(q: VisitQuery) -> dict[str, str]:
    """Return what is wrong with list parameters, keyed by parameter."""
    return (
        QueryProblems()
        .choice("indicator", q.indicator, [INDICATOR_ANY, *INDICATORS], "Unknown indicator")
        .choice(
            "follow_up",
            q.follow_up,
            (FOLLOW_UP_OPEN, FOLLOW_UP_OVERDUE),
            "Unknown follow-up filter",
        )
        .date_range(q.date_from, q.date_to)
        .page(q.page, q.page_size)
        .found
    )


def _open_follow_up(now: datetime | None = None) -> ColumnElement[bool]:
    clauses = [
        Reminder.subject_type == SUBJECT,
        Reminder.subject_id == WelfareVisit.id,
        Reminder.kind == ReminderKind.FOLLOW_UP_VISIT,
        Reminder.status == reminders.OPEN,
    ]
    if now is not None:
        clauses.append(Reminder.due_at < now)
    return exists().where(*clauses)


def _has_indicators() -> ColumnElement[bool]:
    return exists().where(WelfareVisitIndicator.visit_id == WelfareVisit.id) | (
        WelfareVisit.other_indicators.is_not(None)
    )


def _visit_filters(actor: Actor, now: datetime, q: VisitQuery) -> list[ColumnElement[bool]]:
    """Return the WHERE clauses of a visit list: what the actor may read, then the filters."""
    where: list[ColumnElement[bool]] = [policy.visible_visits_clause(actor, Visibility.CONTENT)]
    if q.ward:
        where.append(WelfareVisit.ward_code == q.ward)
    if q.date_from:
        where.append(WelfareVisit.visited_at >= london_midnight_utc(q.date_from))
    if q.date_to:
        where.append(WelfareVisit.visited_at < london_midnight_utc(q.date_to + timedelta(days=1)))
    if q.indicator == INDICATOR_ANY:
        where.append(_has_indicators())
    elif q.indicator:
        where.append(
            exists().where(
                WelfareVisitIndicator.visit_id == WelfareVisit.id,
                WelfareVisitIndicator.code == q.indicator,
            )
        )
    if q.follow_up == FOLLOW_UP_OPEN:
        where.append(_open_follow_up())
    elif q.follow_up == FOLLOW_UP_OVERDUE:
        where.append(_open_follow_up(now))
    return where


def search_visits(session: Session, actor: Actor, now: datetime, q: VisitQuery) -> VisitPage:
    """Return a page of the visits whose content the actor may see, newest first (audited)."""
    require(actor, Permission.WELFARE_VISIT_LIST)
    if problems := visit_query_problems(q):
        raise ValidationFailed(problems)
    where = _visit_filters(actor, now, q)
    total = session.scalar(select(func.count()).select_from(WelfareVisit).where(*where)) or 0
    page = q.page
    due = (
        select(func.min(Reminder.due_at))
        .where(
            Reminder.subject_type == SUBJECT,
            Reminder.subject_id == WelfareVisit.id,
            Reminder.kind == ReminderKind.FOLLOW_UP_VISIT,
            Reminder.status == reminders.OPEN,
        )
        .correlate(WelfareVisit)
        .scalar_subquery()
    )
    raw = session.execute(
        select(
            WelfareVisit.id,
            WelfareVisit.visited_at,
            WelfareVisit.premises_id,
            Premises.name,
            WelfareVisit.ward_code,
            WelfareVisit.property_described,
            WelfareVisit.people_present,
            _has_indicators(),
            due,
            WelfareVisit.released,
        )
        .join(Premises, Premises.id == WelfareVisit.premises_id)
        .where(*where)
        .order_by(WelfareVisit.visited_at.desc(), WelfareVisit.id.desc())
        .limit(q.page_size)
        .offset(offset(page, q.page_size))
    ).all()
    names = ward_names(session)
    rows = [
        VisitRow(
            id=r[0],
            visited_at=r[1],
            premises_id=r[2],
            premises_name=r[3],
            ward_name=names.get(r[4]),
            property_described=r[5],
            people_present=r[6],
            indicators_observed=bool(r[7]),
            follow_up_due_at=_aware(r[8]),
            released=bool(r[9]),
        )
        for r in raw
    ]
    if rows:
        audit.record(
            session,
            actor,
            now,
            action=policy.WELFARE_VISIT.view_action,
            entity_type=SUBJECT,
            entity_id=None,
            summary=f"Listed {len(rows)} welfare visits",
            after={"shown": [r.id for r in rows]},
        )
    return VisitPage(rows=rows, total=total, page=page, page_size=q.page_size)


def _aware(value: object) -> datetime | None:
    """Return an aggregate's timestamp as aware UTC (a subquery bypasses the column's type)."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# --- Guidance adherence ----------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    visits: int = 0
    met: int = 0

    @property
    def share(self) -> float | None:
        return None if self.visits == 0 else self.met / self.visits

    def add(self, met: bool) -> Tally:
        return Tally(self.visits + 1, self.met + int(met))


Quarter = tuple[int, int]  # (year, quarter 1 to 4), calendar quarters in London time


def quarter_label(q: Quarter) -> str:
    """Name a calendar quarter as people say it: "January to March 2026"."""
    months = ("January to March", "April to June", "July to September", "October to December")
    return f"{months[q[1] - 1]} {q[0]}"


@dataclass(frozen=True)
class WardAdherence:
    code: str | None
    name: str
    by_quarter: dict[Quarter, Tally]
    total: Tally


@dataclass(frozen=True)
class AdherenceReport:
    quarters: list[Quarter]
    wards: list[WardAdherence]
    overall: WardAdherence
    items: list[tuple[GuidanceItem, Tally]]


def adherence_report(session: Session, actor: Actor) -> AdherenceReport:
    """Return the share of visits with the whole guidance checklist met, per ward and quarter.

    Counts only the visits whose content the actor may see (a ward officer: their wards).
    """
    require(actor, Permission.WELFARE_VISIT_LIST)
    visible = policy.visible_visits_clause(actor, Visibility.CONTENT)
    rows = session.execute(
        select(
            WelfareVisit.id,
            WelfareVisit.ward_code,
            WelfareVisit.visited_at,
            WelfareVisit.guidance_met,
        ).where(visible)
    ).all()
    met_items: Counter[str] = Counter(
        session.scalars(
            select(WelfareVisitGuidance.item)
            .join(WelfareVisit, WelfareVisit.id == WelfareVisitGuidance.visit_id)
            .where(visible)
        )
    )
    names = ward_names(session)
    per_ward: dict[str, dict[Quarter, Tally]] = {}
    ward_totals: dict[str, Tally] = {}
    overall_q: dict[Quarter, Tally] = {}
    overall = Tally()
    for _id, code, visited_at, met in rows:
        local = to_london(visited_at)
        quarter = (local.year, (local.month - 1) // 3 + 1)
        cells = per_ward.setdefault(code, {})
        cells[quarter] = cells.get(quarter, Tally()).add(met)
        ward_totals[code] = ward_totals.get(code, Tally()).add(met)
        overall_q[quarter] = overall_q.get(quarter, Tally()).add(met)
        overall = overall.add(met)
    quarters = sorted(overall_q)
    wards_out = sorted(
        (
            WardAdherence(code, names.get(code, code), per_ward[code], ward_totals[code])
            for code in per_ward
        ),
        key=lambda w: w.name,
    )
    return AdherenceReport(
        quarters=quarters,
        wards=wards_out,
        overall=WardAdherence(None, "All wards", overall_q, overall),
        items=[(g, Tally(overall.visits, met_items.get(g.value, 0))) for g in GuidanceItem],
    )
