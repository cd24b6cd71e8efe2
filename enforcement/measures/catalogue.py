"""The action plan's measures from the tracker's own records (appendix 6 of the strategy).

Each function counts one quarter, per ward, in one to three grouped queries. Restricted
records are read only through the access policy: welfare visits at the content level (the
measures read what a visit recorded: its indicators, guidance checklist and referrals),
intelligence flags at the existence level (a premises of concern is counted from the flags
the actor may know exist; nothing a flag says is read).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from enforcement import policy
from enforcement.access import Actor, Permission, can
from enforcement.cases.clock import OWED
from enforcement.cases.listing import CASE_TOOLS
from enforcement.cases.vocab import Status
from enforcement.clock import london_today, months_before
from enforcement.intelligence.vocab import ExploitationForm
from enforcement.measures.quarters import Quarter
from enforcement.measures.registry import (
    WARD_UNKNOWN,
    Category,
    Cells,
    RecordLink,
    Share,
    Target,
    measure,
    shared,
)
from enforcement.models import (
    AuditEvent,
    Licence,
    MoontwistTraining,
    Premises,
    PremisesWard,
    Referral,
    ReferralRecord,
    User,
    UserRole,
    UserWard,
    Ward,
    WelfareVisit,
)
from enforcement.models.cases import CaseDeadline, EnforcementCase
from enforcement.models.flags import IntelFlag, IntelFlagExploitation
from enforcement.models.inspections import Inspection, PremisesCompliance
from enforcement.models.welfare import WelfareVisitIndicator
from enforcement.numbers import record_id
from enforcement.policy import Visibility
from enforcement.referrals.vocab import Recommendation
from enforcement.register.rules import TRADING_STATUSES
from enforcement.register.wards import wards_in_force
from enforcement.safeguarding.vocab import AgeGroup, ReferralRoute
from enforcement.vocab import LicenceStatus, Role

# --- shared helpers ------------------------------------------------------------------------------


def _ward_key(code: Any) -> str:
    return WARD_UNKNOWN if code is None else str(code)


def _ward_filter(column: Any, ward: str | None) -> list[ColumnElement[bool]]:
    """Restrict a query to one ward (the empty key: no ward, outside the borough, not located)."""
    if ward is None:
        return []
    if ward == WARD_UNKNOWN:
        return [or_(column.is_(None), column == WARD_UNKNOWN)]
    return [column == ward]


def _in_quarter(column: Any, quarter: Quarter) -> list[ColumnElement[bool]]:
    return [column >= quarter.start_utc, column < quarter.end_utc]


def _dates(quarter: Quarter) -> tuple[tuple[str, str], ...]:
    """The welfare visit list's date filters (day, month, year each) covering the quarter."""
    first, last = quarter.first_day, quarter.last_day
    return (
        *(("date_from", str(v)) for v in (first.day, first.month, first.year)),
        *(("date_to", str(v)) for v in (last.day, last.month, last.year)),
    )


def _ward_param(ward: str | None) -> tuple[tuple[str, str], ...]:
    return () if not ward else (("ward", ward),)


def _no_ward_links(ward: str | None) -> bool:
    # The lists cannot select "no ward", so the unknown bucket links nowhere.
    return ward == WARD_UNKNOWN


def _add(cells: dict[str, dict[str, int]], ward: Any, **counts: int) -> None:
    row = cells.setdefault(_ward_key(ward), {})
    for key, n in counts.items():
        row[key] = row.get(key, 0) + int(n or 0)


# --- action 1.3: Operation Moontwist ----------------------------------------------------------


def _training_links(_q: Quarter, _ward: str | None) -> Iterable[RecordLink]:
    return (
        RecordLink(
            "training",
            "Moontwist training by ward and the officers trained",
            Permission.TRAINING_VIEW,
        ),
    )


@measure(
    key="moontwist_training",
    title="Ward officers trained in Operation Moontwist",
    action="1.3",
    description="Active Dedicated Ward Officers and Safer Neighbourhood Team officers (users with "
    "the ward officer role covering a ward in force), and how many had completed a Moontwist "
    "course by the end of the quarter. An officer covering several wards counts in each of "
    "them, and once for the borough.",
    categories=(
        Category("trained", "Trained by the end of the quarter"),
        Category("not_trained", "Not yet trained"),
        Category("officers", "Ward officers (DWO and SNT)"),
    ),
    parts=("trained", "not_trained"),
    total="officers",
    wards_add_up=False,
    share=Share(("trained",), ("officers",), "Share trained"),
    target=Target(
        "One third of Dedicated Ward Officers and Safer Neighbourhood Team officers trained",
        share=Fraction(1, 3),
    ),
    note="Roles are as they stand today: the tracker keeps no history of who held the ward "
    "officer role in past quarters.",
    links=_training_links,
    chart=("trained", "not_trained"),
)
def moontwist_training(
    session: Session, _actor: Actor, now: datetime, quarter: Quarter, ward: str | None
) -> Cells:
    as_of = min(quarter.last_day, london_today(now))
    trained = set(
        session.scalars(
            select(MoontwistTraining.user_id)
            .where(MoontwistTraining.completed_on <= quarter.last_day)
            .distinct()
        )
    )
    in_force = [w.code for w in wards_in_force(session, as_of)]
    cover = session.execute(
        select(UserWard.ward_code, User.id)
        .join(User, User.id == UserWard.user_id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            UserRole.role == Role.WARD_OFFICER.value,
            User.is_active.is_(True),
            UserWard.ward_code.in_(in_force),
            *_ward_filter(UserWard.ward_code, ward),
        )
    ).all()
    officers: dict[str, set[int]] = defaultdict(set)
    for code, uid in cover:
        officers[code].add(uid)
    everyone: set[int] = set().union(*officers.values()) if officers else set()

    def counts(ids: set[int]) -> dict[str, int]:
        done = len(ids & trained)
        return {"trained": done, "not_trained": len(ids) - done, "officers": len(ids)}

    by_ward = {code: counts(officers.get(code, set())) for code in in_force}
    return Cells(by_ward=by_ward, total=counts(everyone))


def _visits_visible(actor: Actor) -> ColumnElement[bool]:
    # The visit measures read what visits recorded, so they count the visits whose content the
    # actor may see (everyone holding the dashboard permission may see every visit's content).
    return policy.visible_visits_clause(actor, Visibility.CONTENT)


def _visit_links(q: Quarter, ward: str | None) -> Iterable[RecordLink]:
    if _no_ward_links(ward):
        return ()
    return (
        RecordLink(
            "welfare_visits",
            "The welfare visits of the quarter",
            Permission.WELFARE_VISIT_LIST,
            (*_ward_param(ward), *_dates(q)),
        ),
    )


def _has_indicators() -> ColumnElement[bool]:
    return or_(
        exists().where(WelfareVisitIndicator.visit_id == WelfareVisit.id),
        WelfareVisit.other_indicators.is_not(None),
    )


def _visits_split(
    session: Session,
    actor: Actor,
    quarter: Quarter,
    ward: str | None,
    condition: ColumnElement[bool],
    yes: str,
    no: str,
) -> Cells:
    """The quarter's welfare visits the actor may read, by ward: all, and those meeting a
    condition and not."""
    rows = session.execute(
        select(
            WelfareVisit.ward_code,
            func.count(WelfareVisit.id),
            func.sum(case((condition, 1), else_=0)),
        )
        .where(
            _visits_visible(actor),
            *_in_quarter(WelfareVisit.visited_at, quarter),
            *_ward_filter(WelfareVisit.ward_code, ward),
        )
        .group_by(WelfareVisit.ward_code)
    ).all()
    cells: dict[str, dict[str, int]] = {}
    for code, visits, meeting in rows:
        _add(cells, code, visits=visits, **{yes: meeting, no: visits - int(meeting or 0)})
    return Cells(by_ward=cells)


@measure(
    key="welfare_visits",
    title="Welfare visits made",
    action="1.3",
    description="Operation Moontwist welfare visits to premises selling sexual services made in "
    "the quarter (London time), in the ward of the premises when the visit was logged, and "
    "whether any indicator of exploitation was observed.",
    categories=(
        Category("with_indicators", "Indicators of exploitation observed"),
        Category("without_indicators", "No indicators observed"),
        Category("visits", "Visits made"),
    ),
    parts=("with_indicators", "without_indicators"),
    total="visits",
    target=Target("Proactive welfare visits to premises selling sexual services (no number set)"),
    links=_visit_links,
    chart=("with_indicators", "without_indicators"),
)
def welfare_visits(
    session: Session, actor: Actor, _now: datetime, quarter: Quarter, ward: str | None
) -> Cells:
    return _visits_split(
        session, actor, quarter, ward, _has_indicators(), "with_indicators", "without_indicators"
    )


def _adherence_links(_q: Quarter, _ward: str | None) -> Iterable[RecordLink]:
    return (
        RecordLink(
            "adherence", "Guidance adherence by ward and quarter", Permission.WELFARE_VISIT_LIST
        ),
    )


@measure(
    key="guidance_followed",
    title="Welfare visits whose record shows the Moontwist guidance followed",
    action="1.3",
    description="Of the quarter's welfare visits, those whose record shows every item of the "
    "Moontwist guidance checklist followed.",
    categories=(
        Category("followed", "Whole checklist followed"),
        Category("not_followed", "Some of the checklist not followed"),
        Category("visits", "Visits made", same_as=("welfare_visits", "visits")),
    ),
    parts=("followed", "not_followed"),
    total="visits",
    share=Share(("followed",), ("visits",), "Share with the guidance followed"),
    target=Target(
        "Qualitative analysis of Operation Moontwist crime reports showing guidance was "
        "followed (no number set)"
    ),
    links=_adherence_links,
    chart=("followed", "not_followed"),
)
def guidance_followed(
    session: Session, actor: Actor, _now: datetime, quarter: Quarter, ward: str | None
) -> Cells:
    return _visits_split(
        session,
        actor,
        quarter,
        ward,
        WelfareVisit.guidance_met.is_(True),
        "followed",
        "not_followed",
    )


def _follow_up_links(_q: Quarter, ward: str | None) -> Iterable[RecordLink]:
    if _no_ward_links(ward):
        return ()
    return (
        RecordLink(
            "welfare_visits",
            "Visits whose follow-up is overdue",
            Permission.WELFARE_VISIT_LIST,
            (*_ward_param(ward), ("follow_up", "overdue")),
        ),
    )


@measure(
    key="follow_ups",
    title="Follow-up welfare visits made on time",
    action="1.3",
    description="Welfare visits whose follow-up fell due in the quarter (indicators were "
    "observed or a return was asked for), and whether a later visit to the same premises was "
    "logged by the date it was due, after it, or not yet.",
    categories=(
        Category("on_time", "Made on time"),
        Category("late", "Made late"),
        Category("not_made", "Not made, and overdue"),
        Category("not_yet_due", "Not yet due"),
        Category("due", "Follow-ups due in the quarter"),
    ),
    parts=("on_time", "late", "not_made", "not_yet_due"),
    total="due",
    share=Share(("on_time",), ("on_time", "late", "not_made"), "Share made on time"),
    links=_follow_up_links,
    chart=("on_time", "late", "not_made", "not_yet_due"),
)
def follow_ups(
    session: Session, actor: Actor, now: datetime, quarter: Quarter, ward: str | None
) -> Cells:
    visible = _visits_visible(actor)
    due = session.execute(
        select(
            WelfareVisit.premises_id,
            WelfareVisit.visited_at,
            WelfareVisit.follow_up_due_at,
            WelfareVisit.ward_code,
        ).where(
            visible,
            *_in_quarter(WelfareVisit.follow_up_due_at, quarter),
            *_ward_filter(WelfareVisit.ward_code, ward),
        )
    ).all()
    cells: dict[str, dict[str, int]] = {}
    if not due:
        return Cells(by_ward=cells)
    # Every later visit to those premises, at most one query per 500 premises.
    later: dict[int, list[datetime]] = defaultdict(list)
    premises_ids = sorted({r[0] for r in due})
    earliest = min(r[1] for r in due)
    for start in range(0, len(premises_ids), 500):
        chunk = premises_ids[start : start + 500]
        for pid, at in session.execute(
            select(WelfareVisit.premises_id, WelfareVisit.visited_at).where(
                visible, WelfareVisit.premises_id.in_(chunk), WelfareVisit.visited_at > earliest
            )
        ):
            later[pid].append(at)
    for pid, visited_at, due_at, code in due:
        assert due_at is not None  # selected by its quarter
        after = [at for at in later.get(pid, []) if at > visited_at]
        first = min(after) if after else None
        if first is not None and first <= due_at:
            _add(cells, code, on_time=1, due=1)
        elif first is not None:
            _add(cells, code, late=1, due=1)
        elif due_at < now:
            _add(cells, code, not_made=1, due=1)
        else:
            _add(cells, code, not_yet_due=1, due=1)
    return Cells(by_ward=cells)


# --- action 2.5: the anti-trafficking poster --------------------------------------------------

_POSTER_NOTE = (
    "Licensed premises are those holding an active licence today: the tracker keeps licence "
    "status history only in the audit trail. The check counted is the latest one on or before "
    "the last day of the quarter."
)


def _poster_cells(
    session: Session, quarter: Quarter, ward: str | None
) -> dict[str, dict[str, int]]:
    """Per ward: licensed premises, their latest poster check by the quarter's end, and whether
    they were checked in the twelve months to it.

    A premises' latest check overall is kept beside it (`premises_compliance`); when that is
    before the quarter's end it is also the latest by then, so only premises inspected since
    need their inspections searched (an index seek each, newest first).
    """
    end = quarter.end_utc
    year_before = months_before(quarter.end_utc, 12)  # calendar months, London time
    before_end = PremisesCompliance.last_inspected_at < end
    latest_at = (
        select(func.max(Inspection.inspected_at))
        .where(Inspection.premises_id == Premises.id, Inspection.inspected_at < end)
        .correlate(Premises)
        .scalar_subquery()
    )
    # The poster check of that latest inspection (the newest row if two share the moment).
    latest_ok = (
        select(Inspection.poster_compliant)
        .where(Inspection.premises_id == Premises.id, Inspection.inspected_at < end)
        .order_by(Inspection.inspected_at.desc(), Inspection.id.desc())
        .limit(1)
        .correlate(Premises)
        .scalar_subquery()
    )
    licensed = exists().where(
        Licence.premises_id == Premises.id, Licence.status.in_(TRADING_STATUSES)
    )
    per_premises = (
        select(
            Ward.code.label("code"),
            case((before_end, PremisesCompliance.last_inspected_at), else_=latest_at).label("at"),
            case((before_end, PremisesCompliance.poster_compliant), else_=latest_ok).label("ok"),
        )
        .select_from(Premises)
        .outerjoin(PremisesWard, PremisesWard.premises_id == Premises.id)
        .outerjoin(Ward, Ward.id == PremisesWard.ward_id)
        .outerjoin(PremisesCompliance, PremisesCompliance.premises_id == Premises.id)
        .where(licensed, *_ward_filter(Ward.code, ward))
        .subquery()
    )
    rows = session.execute(
        select(
            per_premises.c.code,
            func.count(),
            func.sum(case((per_premises.c.at.is_(None), 1), else_=0)),
            func.sum(case((per_premises.c.ok.is_(True), 1), else_=0)),
            func.sum(case((per_premises.c.at >= year_before, 1), else_=0)),
        ).group_by(per_premises.c.code)
    ).all()
    cells: dict[str, dict[str, int]] = {}
    for code, total, never, compliant, recent in rows:
        total, never, compliant, recent = (int(x or 0) for x in (total, never, compliant, recent))
        _add(
            cells,
            code,
            licensed=total,
            never_checked=never,
            compliant=compliant,
            not_compliant=total - never - compliant,
            checked=recent,
            not_checked=total - recent,
        )
    return cells


def _shared_poster_cells(
    session: Session, quarter: Quarter, ward: str | None
) -> dict[str, dict[str, int]]:
    # Both poster measures read the same pass; a dashboard or a share computes it once.
    return shared(session, ("poster", quarter, ward), lambda: _poster_cells(session, quarter, ward))


def _compliance_links(_q: Quarter, ward: str | None) -> Iterable[RecordLink]:
    links = [
        RecordLink(
            "compliance",
            "Poster compliance by ward, as it stands today",
            Permission.COMPLIANCE_VIEW,
        )
    ]
    if not _no_ward_links(ward):
        links.append(
            RecordLink(
                "premises",
                "Licensed premises" + (" in the ward" if ward else ""),
                Permission.PREMISES_VIEW,
                (*_ward_param(ward), ("licence_status", LicenceStatus.ACTIVE.value)),
            )
        )
    return links


@measure(
    key="poster_compliance",
    title="Licensed premises with a compliant anti-trafficking poster at their latest check",
    action="2.5",
    description="Premises holding an active licence, by the poster check at their latest "
    "inspection on or before the end of the quarter: compliant only when displayed where both "
    "the public and the people working there can see it, in every language the premises needs.",
    categories=(
        Category("compliant", "Compliant at the latest check"),
        Category("not_compliant", "Not compliant at the latest check"),
        Category("never_checked", "Never checked"),
        Category("licensed", "Licensed premises"),
    ),
    parts=("compliant", "not_compliant", "never_checked"),
    total="licensed",
    share=Share(("compliant",), ("licensed",), "Share compliant"),
    target=Target(
        "All licence holders display the Stop The Traffik poster where staff and the public can "
        "see it, in the languages needed",
        share=Fraction(1),
    ),
    note=_POSTER_NOTE,
    links=_compliance_links,
    chart=("compliant", "not_compliant", "never_checked"),
)
def poster_compliance(
    session: Session, _actor: Actor, _now: datetime, quarter: Quarter, ward: str | None
) -> Cells:
    return Cells(by_ward=_shared_poster_cells(session, quarter, ward))


@measure(
    key="premises_checked",
    title="Licensed premises checked in the last 12 months",
    action="2.5",
    description="Premises holding an active licence that had an inspection (with its poster "
    "check) in the twelve months up to the end of the quarter.",
    categories=(
        Category("checked", "Checked in the 12 months to the end of the quarter"),
        Category("not_checked", "Not checked in those 12 months"),
        Category("licensed", "Licensed premises", same_as=("poster_compliance", "licensed")),
    ),
    parts=("checked", "not_checked"),
    total="licensed",
    share=Share(("checked",), ("licensed",), "Share checked"),
    note=_POSTER_NOTE,
    links=_compliance_links,
    chart=("checked", "not_checked"),
)
def premises_checked(
    session: Session, _actor: Actor, _now: datetime, quarter: Quarter, ward: str | None
) -> Cells:
    return Cells(by_ward=_shared_poster_cells(session, quarter, ward))


# --- actions 4.1, 4.4 and 4.5: exploiters brought to justice ------------------------------------


def _cases_link(ward: str | None) -> RecordLink:
    return RecordLink(
        "cases",
        "Enforcement cases" + (" in the ward" if ward else "") + ", newest first",
        Permission.CASE_VIEW,
        (*_ward_param(ward), ("sort", "-opened")),
    )


def _concern_links(_q: Quarter, ward: str | None) -> Iterable[RecordLink]:
    if _no_ward_links(ward):
        return ()
    return (_flags_link(ward, "Open intelligence flags", ("status", "open")), _cases_link(ward))


def _flags_link(ward: str | None, label: str, *query: tuple[str, str]) -> RecordLink:
    """The flags list (as far as the person may read it), in the ward if one is chosen."""
    return RecordLink(
        "flags",
        label + (" in the ward" if ward else ""),
        Permission.FLAG_LIST,
        (*_ward_param(ward), *query),
    )


@measure(
    key="premises_of_concern",
    title="Premises identified of concern",
    action="4.4",
    description="Premises with an intelligence flag reported or an enforcement case opened in "
    "the quarter, each counted once, in the premises' ward; and flags about a place not yet in "
    "the register. Flags are counted as far as you may know they exist; nothing they say is "
    "read.",
    categories=(
        Category("flag_only", "Intelligence flag only"),
        Category("case_only", "Enforcement case only"),
        Category("flag_and_case", "Both a flag and a case"),
        Category("premises", "Premises identified"),
        Category("places_not_in_register", "Flags about a place not in the register"),
    ),
    parts=("flag_only", "case_only", "flag_and_case"),
    total="premises",
    target=Target("An increased number of premises identified", increase_of="premises"),
    links=_concern_links,
    chart=("flag_only", "case_only", "flag_and_case", "places_not_in_register"),
)
def premises_of_concern(
    session: Session, actor: Actor, _now: datetime, quarter: Quarter, ward: str | None
) -> Cells:
    known = policy.visible_flags_clause(actor, Visibility.EXISTENCE)
    flagged = select(
        IntelFlag.premises_id.label("pid"), literal(1).label("f"), literal(0).label("c")
    ).where(known, IntelFlag.premises_id.is_not(None), *_in_quarter(IntelFlag.reported_at, quarter))
    opened = select(
        EnforcementCase.premises_id.label("pid"), literal(0).label("f"), literal(1).label("c")
    ).where(*_in_quarter(EnforcementCase.opened_at, quarter))
    both = union_all(flagged, opened).subquery()
    per = (
        select(both.c.pid, func.max(both.c.f).label("f"), func.max(both.c.c).label("c"))
        .group_by(both.c.pid)
        .subquery()
    )
    rows = session.execute(
        select(Ward.code, per.c.f, per.c.c, func.count())
        .select_from(per)
        .join(Premises, Premises.id == per.c.pid)
        .outerjoin(PremisesWard, PremisesWard.premises_id == Premises.id)
        .outerjoin(Ward, Ward.id == PremisesWard.ward_id)
        .where(*_ward_filter(Ward.code, ward))
        .group_by(Ward.code, per.c.f, per.c.c)
    ).all()
    cells: dict[str, dict[str, int]] = {}
    for code, f, c, n in rows:
        kind = "flag_and_case" if f and c else ("flag_only" if f else "case_only")
        _add(cells, code, premises=n, **{kind: n})
    for code, n in session.execute(
        select(IntelFlag.ward_code, func.count(IntelFlag.id))
        .where(
            known,
            IntelFlag.premises_id.is_(None),
            *_in_quarter(IntelFlag.reported_at, quarter),
            *_ward_filter(IntelFlag.ward_code, ward),
        )
        .group_by(IntelFlag.ward_code)
    ):
        _add(cells, code, places_not_in_register=n)
    return Cells(by_ward=cells)


def _flag_links(_q: Quarter, ward: str | None) -> Iterable[RecordLink]:
    if _no_ward_links(ward):
        return ()
    return (_flags_link(ward, "Intelligence flags"),)


@measure(
    key="flags_by_form",
    title="Intelligence flags by form of exploitation",
    action="4.4",
    description="Intelligence flags reported in the quarter, by each form of exploitation they "
    "report (a flag that reports two forms counts under both), in the ward of the premises or "
    "place; and the flags themselves, each counted once. Flags are counted as far as you may "
    "know they exist; nothing they say is read.",
    categories=(
        *(Category(f.value, f.label) for f in ExploitationForm),
        Category("flags", "Intelligence flags reported"),
    ),
    links=_flag_links,
    chart=tuple(f.value for f in ExploitationForm),
)
def flags_by_form(
    session: Session, actor: Actor, _now: datetime, quarter: Quarter, ward: str | None
) -> Cells:
    # A flag about a premises is in the premises' ward; one about a place, in the place's.
    place = case((IntelFlag.premises_id.is_(None), IntelFlag.ward_code), else_=Ward.code)
    reported = (
        select(place.label("code"), IntelFlag.id.label("fid"))
        .select_from(IntelFlag)
        .outerjoin(PremisesWard, PremisesWard.premises_id == IntelFlag.premises_id)
        .outerjoin(Ward, Ward.id == PremisesWard.ward_id)
        .where(
            policy.visible_flags_clause(actor, Visibility.EXISTENCE),
            *_in_quarter(IntelFlag.reported_at, quarter),
            *_ward_filter(place, ward),
        )
        .subquery()
    )
    cells: dict[str, dict[str, int]] = {}
    for code, n in session.execute(select(reported.c.code, func.count()).group_by(reported.c.code)):
        _add(cells, code, flags=n)
    for code, form, n in session.execute(
        select(reported.c.code, IntelFlagExploitation.form, func.count())
        .join(IntelFlagExploitation, IntelFlagExploitation.flag_id == reported.c.fid)
        .group_by(reported.c.code, IntelFlagExploitation.form)
    ):
        _add(cells, code, **{form: n})
    return Cells(by_ward=cells)


def _case_links(_q: Quarter, ward: str | None) -> Iterable[RecordLink]:
    if _no_ward_links(ward):
        return ()
    return (_cases_link(ward),)


@measure(
    key="enforcement_actions",
    title="Enforcement actions used, by tool",
    action="4.1",
    description="Enforcement cases opened in the quarter (one use of one tool against a "
    "premises), including reviews the law opened after a closure order.",
    categories=(
        *(Category(t.value, t.label) for t in CASE_TOOLS),
        Category("cases", "Enforcement actions used"),
    ),
    parts=tuple(t.value for t in CASE_TOOLS),
    total="cases",
    target=Target("Increase in the number of enforcement actions used", increase_of="cases"),
    links=_case_links,
    chart=tuple(t.value for t in CASE_TOOLS),
)
def enforcement_actions(
    session: Session, _actor: Actor, _now: datetime, quarter: Quarter, ward: str | None
) -> Cells:
    rows = session.execute(
        select(Ward.code, EnforcementCase.tool, func.count(EnforcementCase.id))
        .join(Premises, Premises.id == EnforcementCase.premises_id)
        .outerjoin(PremisesWard, PremisesWard.premises_id == Premises.id)
        .outerjoin(Ward, Ward.id == PremisesWard.ward_id)
        .where(*_in_quarter(EnforcementCase.opened_at, quarter), *_ward_filter(Ward.code, ward))
        .group_by(Ward.code, EnforcementCase.tool)
    ).all()
    cells: dict[str, dict[str, int]] = {}
    for code, tool, n in rows:
        _add(cells, code, cases=n, **{tool: n})
    return Cells(by_ward=cells)


def _referral_links(_q: Quarter, _ward: str | None) -> Iterable[RecordLink]:
    return (
        RecordLink("referrals", "Referrals to the Licensing Committee", Permission.REFERRAL_VIEW),
    )


@measure(
    key="committee_referrals",
    title="Referrals to the Licensing Committee",
    action="4.5",
    description="Referrals of premises trading without a licence or in breach of its conditions "
    "that a supervisor signed off to the committee clerks in the quarter, by the officer's "
    "recommendation, in the premises' ward; and the decisions made on referrals in the quarter.",
    categories=(
        *(Category(r.value, r.label) for r in Recommendation),
        Category("referrals", "Referrals signed off to the committee"),
        Category("decisions", "Decisions made in the quarter"),
    ),
    parts=tuple(r.value for r in Recommendation),
    total="referrals",
    note="Every referral carries an offer of support to victims and survivors: it cannot be "
    "submitted without one.",
    links=_referral_links,
    chart=(*(r.value for r in Recommendation), "decisions"),
)
def committee_referrals(
    session: Session, _actor: Actor, _now: datetime, quarter: Quarter, ward: str | None
) -> Cells:
    cells: dict[str, dict[str, int]] = {}
    base = (
        select(Ward.code, Referral.recommendation, func.count(Referral.id))
        .join(Premises, Premises.id == Referral.premises_id)
        .outerjoin(PremisesWard, PremisesWard.premises_id == Premises.id)
        .outerjoin(Ward, Ward.id == PremisesWard.ward_id)
        .where(*_ward_filter(Ward.code, ward))
        .group_by(Ward.code, Referral.recommendation)
    )
    for code, recommendation, n in session.execute(
        base.where(*_in_quarter(Referral.signed_off_at, quarter))
    ):
        _add(cells, code, referrals=n, **({recommendation: n} if recommendation else {}))
    for code, _recommendation, n in session.execute(
        base.where(*_in_quarter(Referral.decided_at, quarter))
    ):
        _add(cells, code, decisions=n)
    return Cells(by_ward=cells)


#: Audit actions that record a licence's status changing: the licence edit form, and a status
#: change alone (a Licensing Committee decision taking effect, enforcement.register.licences).
LICENCE_STATUS_ACTIONS: tuple[str, ...] = ("licence.update", "licence.status")
_ENDED = (LicenceStatus.REVOKED.value, LicenceStatus.SUSPENDED.value)


def _licence_links(_q: Quarter, ward: str | None) -> Iterable[RecordLink]:
    if _no_ward_links(ward):
        return ()
    return tuple(
        RecordLink(
            "premises",
            f"Premises with a {status} licence" + (" in the ward" if ward else ""),
            Permission.PREMISES_VIEW,
            (*_ward_param(ward), ("licence_status", status)),
        )
        for status in _ENDED
    )


def revocations_in(session: Session, quarter: Quarter) -> set[tuple[int, str]]:
    """Return (licence id, status) for each licence revoked or suspended in the quarter.

    Read from the audit trail: every change of a licence's status writes an event, in the same
    transaction, whose `after` holds the new status; the trail is append-only and hash-chained.
    The SQL narrows to events mentioning the status; the JSON is then read to be sure.
    """
    mentions = or_(*(AuditEvent.after_json.like(f'%"status": "{s}"%') for s in _ENDED))
    found: set[tuple[int, str]] = set()
    for entity_id, after_json in session.execute(
        select(AuditEvent.entity_id, AuditEvent.after_json).where(
            AuditEvent.action.in_(LICENCE_STATUS_ACTIONS),
            AuditEvent.entity_type == "licence",
            *_in_quarter(AuditEvent.at, quarter),
            mentions,
        )
    ):
        try:
            after = json.loads(after_json or "{}")
        except ValueError:
            continue
        status = after.get("status") if isinstance(after, dict) else None
        found_id = record_id(str(entity_id)) if entity_id else None
        if status in _ENDED and found_id is not None:
            found.add((found_id, str(status)))
    return found


@measure(
    key="licences_revoked_suspended",
    title="Licences revoked or suspended",
    action="4.5",
    description="Licences whose status was changed to revoked or to suspended in the quarter, "
    "from the audit trail of licence changes, in the ward of the premises. A licence "
    "suspended and later revoked in the same quarter counts under both.",
    categories=(
        Category("revoked", "Revoked"),
        Category("suspended", "Suspended"),
        Category("changes", "Revoked or suspended"),
    ),
    parts=("revoked", "suspended"),
    total="changes",
    target=Target("Increased number of licences revoked", increase_of="revoked"),
    links=_licence_links,
    chart=("revoked", "suspended"),
)
def licences_revoked_suspended(
    session: Session, _actor: Actor, _now: datetime, quarter: Quarter, ward: str | None
) -> Cells:
    changes = revocations_in(session, quarter)
    cells: dict[str, dict[str, int]] = {}
    if not changes:
        return Cells(by_ward=cells)
    wards: dict[int, str | None] = {}
    ids = sorted({licence_id for licence_id, _ in changes})
    for start in range(0, len(ids), 500):
        for licence_id, code in session.execute(
            select(Licence.id, Ward.code)
            .join(Premises, Premises.id == Licence.premises_id)
            .outerjoin(PremisesWard, PremisesWard.premises_id == Premises.id)
            .outerjoin(Ward, Ward.id == PremisesWard.ward_id)
            .where(Licence.id.in_(ids[start : start + 500]))
        ):
            wards[licence_id] = code
    for licence_id, status in changes:
        if licence_id not in wards:
            continue  # a licence no longer in the register
        if ward is not None and _ward_key(wards[licence_id]) != ward:
            continue
        _add(cells, wards[licence_id], changes=1, **{status: 1})
    return Cells(by_ward=cells)


# --- action 3.2: referrals ---------------------------------------------------------------------


_NRM_BY_AGE = {AgeGroup.ADULT.value: "nrm_adult", AgeGroup.CHILD.value: "nrm_child"}
#: Referrals for support, outside the NRM: counted apart, by route.
_FOR_SUPPORT = (ReferralRoute.SPECIALIST_CHARITY.value, ReferralRoute.SOCIAL_SERVICES.value)


@measure(
    key="nrm_referrals",
    title="NRM referrals and Duty to Notify reports",
    action="3.2",
    description="Anonymous referral records made from welfare visits and inspections and "
    "submitted in the quarter: referrals to the National Referral Mechanism, of adults (who "
    "gave informed consent) and of children (who are always referred), and anonymous Duty to "
    "Notify reports (for adults who did not consent to the NRM); apart from them, referrals "
    "for support to a specialist charity or to social services; and the welfare visits where "
    "someone appeared to be under 18.",
    categories=(
        Category("nrm_adult", "NRM referrals of adults"),
        Category("nrm_child", "NRM referrals of children"),
        Category("nrm_age_not_known", "NRM referrals, age not known"),
        Category("duty_to_notify", "Duty to Notify reports (adults)"),
        Category("referrals", "NRM referrals and Duty to Notify reports"),
        Category("specialist_charity", "Referrals to a specialist support charity"),
        Category("social_services", "Referrals to social services"),
        Category("child_visits", "Visits where someone appeared to be under 18"),
    ),
    parts=("nrm_adult", "nrm_child", "nrm_age_not_known", "duty_to_notify"),
    total="referrals",
    target=Target("Increase in NRM/MS1 referrals", increase_of="referrals"),
    note="Each referral is one anonymous record, counted in the quarter it was submitted. "
    "Referrals counted on visits before the service kept a record per referral have their "
    "age group 'not known'. Partners' referral figures, by age group, are in the partner "
    "picture.",
    links=_visit_links,
    chart=("nrm_adult", "nrm_child", "nrm_age_not_known", "duty_to_notify"),
)
def nrm_referrals(
    session: Session, actor: Actor, _now: datetime, quarter: Quarter, ward: str | None
) -> Cells:
    # A visit's referrals are read as its content is, an inspection's by whoever reads inspections.
    sources = [and_(ReferralRecord.welfare_visit_id.is_not(None), _visits_visible(actor))]
    if can(actor, Permission.INSPECTION_VIEW):
        sources.append(ReferralRecord.inspection_id.is_not(None))
    cells: dict[str, dict[str, int]] = {}
    for code, route, age, n in session.execute(
        select(
            ReferralRecord.ward_code,
            ReferralRecord.route,
            ReferralRecord.age_group,
            func.count(ReferralRecord.id),
        )
        .outerjoin(WelfareVisit, WelfareVisit.id == ReferralRecord.welfare_visit_id)
        .where(
            or_(*sources),
            ReferralRecord.submitted_on >= quarter.first_day,
            ReferralRecord.submitted_on <= quarter.last_day,
            *_ward_filter(ReferralRecord.ward_code, ward),
        )
        .group_by(ReferralRecord.ward_code, ReferralRecord.route, ReferralRecord.age_group)
    ):
        if route in _FOR_SUPPORT:  # not part of the NRM figures' total
            _add(cells, code, **{route: n})
            continue
        if route == ReferralRoute.DUTY_TO_NOTIFY:
            key = "duty_to_notify"
        else:
            key = _NRM_BY_AGE.get(age, "nrm_age_not_known")
        _add(cells, code, referrals=n, **{key: n})
    for code, n in session.execute(
        select(WelfareVisit.ward_code, func.count(WelfareVisit.id))
        .where(
            _visits_visible(actor),
            *_in_quarter(WelfareVisit.visited_at, quarter),
            *_ward_filter(WelfareVisit.ward_code, ward),
            exists().where(
                WelfareVisitIndicator.visit_id == WelfareVisit.id,
                WelfareVisitIndicator.code == "appears_under_18",
            ),
        )
        .group_by(WelfareVisit.ward_code)
    ):
        _add(cells, code, child_visits=n)
    return Cells(by_ward=cells)


@measure(
    key="immigration_referrals",
    title="Immigration referrals from welfare visits",
    action="3.2",
    description="Welfare visits of the quarter whose recorded outcome is an immigration "
    "referral, each of which needs a recorded justification and a supervisor's approval: "
    "approved, declined, and awaiting a decision.",
    categories=(
        Category("approved", "Approved by a supervisor"),
        Category("declined", "Declined by a supervisor"),
        Category("pending", "Awaiting a decision"),
        Category("made", "Immigration referrals asked for"),
    ),
    parts=("approved", "declined", "pending"),
    total="made",
    note="The strategy sets no target: welfare is not enforcement, so each referral needs a "
    "recorded justification and a supervisor's approval.",
    links=_visit_links,
    chart=("approved", "declined", "pending"),
)
def immigration_referrals(
    session: Session, actor: Actor, _now: datetime, quarter: Quarter, ward: str | None
) -> Cells:
    cells: dict[str, dict[str, int]] = {}
    for code, status, n in session.execute(
        select(WelfareVisit.ward_code, WelfareVisit.immigration_status, func.count(WelfareVisit.id))
        .where(
            _visits_visible(actor),
            WelfareVisit.immigration_status.is_not(None),
            *_in_quarter(WelfareVisit.visited_at, quarter),
            *_ward_filter(WelfareVisit.ward_code, ward),
        )
        .group_by(WelfareVisit.ward_code, WelfareVisit.immigration_status)
    ):
        if status in {"approved", "declined", "pending"}:
            _add(cells, code, made=n, **{status: n})
    return Cells(by_ward=cells)


# --- the statutory clock ---------------------------------------------------------------------


def _deadline_links(_q: Quarter, ward: str | None) -> Iterable[RecordLink]:
    if _no_ward_links(ward):
        return ()
    return (
        RecordLink(
            "cases",
            "Cases that missed a deadline" + (" in the ward" if ward else ""),
            Permission.CASE_VIEW,
            (*_ward_param(ward), ("due", "missed")),
        ),
    )


@measure(
    key="deadlines",
    title="Statutory deadlines met and missed",
    action="",
    description="Deadlines of enforcement cases that something had to be done by (a hearing, "
    "a determination, a notice), falling due in the quarter, as they stand now: met, missed, "
    "or still to come.",
    categories=(
        Category("met", "Met"),
        Category("missed", "Missed"),
        Category("pending", "Still to come"),
        Category("due", "Deadlines falling due in the quarter"),
    ),
    parts=("met", "missed", "pending"),
    total="due",
    share=Share(("met",), ("met", "missed"), "Share met"),
    links=_deadline_links,
    chart=("met", "missed", "pending"),
)
def deadlines(
    session: Session, _actor: Actor, now: datetime, quarter: Quarter, ward: str | None
) -> Cells:
    pending = CaseDeadline.status == Status.PENDING.value
    missed = or_(
        CaseDeadline.status == Status.MISSED.value, and_(pending, CaseDeadline.due_at < now)
    )
    rows = session.execute(
        select(
            Ward.code,
            func.sum(case((CaseDeadline.status == Status.MET.value, 1), else_=0)),
            func.sum(case((missed, 1), else_=0)),
            func.sum(case((and_(pending, CaseDeadline.due_at >= now), 1), else_=0)),
        )
        .join(EnforcementCase, EnforcementCase.id == CaseDeadline.case_id)
        .join(Premises, Premises.id == EnforcementCase.premises_id)
        .outerjoin(PremisesWard, PremisesWard.premises_id == Premises.id)
        .outerjoin(Ward, Ward.id == PremisesWard.ward_id)
        .where(
            CaseDeadline.direction.in_(sorted(OWED)),
            CaseDeadline.status.in_([Status.MET.value, Status.MISSED.value, Status.PENDING.value]),
            *_in_quarter(CaseDeadline.due_at, quarter),
            *_ward_filter(Ward.code, ward),
        )
        .group_by(Ward.code)
    ).all()
    cells: dict[str, dict[str, int]] = {}
    for code, met, missed_n, pending_n in rows:
        met, missed_n, pending_n = int(met or 0), int(missed_n or 0), int(pending_n or 0)
        _add(
            cells, code, met=met, missed=missed_n, pending=pending_n, due=met + missed_n + pending_n
        )
    return Cells(by_ward=cells)
