"""Reading Licensing Committee referrals: one referral's page, and the clerks' lists."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased, selectinload

from enforcement import audit, policy
from enforcement.access import Actor, Permission, can, require
from enforcement.cases.clock import OPEN, live_status
from enforcement.cases.statutory import RuleBook, UnknownRuleError
from enforcement.cases.vocab import EventKind, Status, ToolCode
from enforcement.clock import london_midnight_utc
from enforcement.errors import ValidationFailed
from enforcement.intelligence import flags
from enforcement.models import (
    CaseDeadline,
    CaseEvent,
    EnforcementCase,
    IntelFlag,
    Licence,
    LicenceCondition,
    Premises,
    Referral,
    ReferralBreach,
    ReferralEvidence,
    ReferralHistory,
    ReferralRepresentation,
    ReferralSupportService,
    User,
    WelfareVisit,
)
from enforcement.paging import Page, QueryProblems, offset
from enforcement.policy import Visibility
from enforcement.referrals.drafting import (
    DraftInput,
    completeness_problems,
    load_referred,
    may_draft,
    rules_for,
    tool_for,
)
from enforcement.referrals.evidence import (
    breached_findings,
)
from enforcement.referrals.process import (
    HearingWindow,
    deadlines_of,
    effect_due,
    effect_from,
    hearing_window,
    rule_words,
)
from enforcement.referrals.vocab import (
    APPEAL_RULE_IDS,
    DECISION_LABELS,
    EDITABLE,
    NOTICE_RULE_IDS,
    AppealOutcome,
    Disclosure,
    EvidenceKind,
    ListView,
    Party,
    ReferralStatus,
    SupportService,
)

_S = ReferralStatus


# ---------------------------------------------------------------------------------------------
# Reading one referral


@dataclass(frozen=True)
class BreachView:
    number: int
    text: str
    inspections: list[tuple[int, datetime]]


@dataclass(frozen=True)
class EvidenceView:
    item: ReferralEvidence
    content_visible: bool

    @property
    def restricted(self) -> bool:
        return self.item.classification != Disclosure.OPEN

    @property
    def kind_label(self) -> str:
        return EvidenceKind.label_of(self.item.kind)

    @property
    def classification_label(self) -> str:
        return Disclosure.label_of(self.item.classification)


@dataclass(frozen=True)
class HistoryView:
    action: str
    at: datetime
    by: str
    comment: str | None
    status_after: str
    snapshot: dict[str, Any] | None


@dataclass(frozen=True)
class StepTaken:
    """One step taken in a referral, for its page's timeline (newest first).

    `day_only` marks a step known by its date alone (representations received on a day);
    `scheduled_for` is the hearing time a listing set.
    """

    at: datetime
    title: str
    by: str | None = None
    text: str | None = None
    comment: str | None = None
    snapshot: dict[str, Any] | None = None
    scheduled_for: datetime | None = None
    day_only: bool = False


#: The draft's history, as the timeline names it.
HISTORY_TITLES = {
    "submitted": "Submitted for sign-off",
    "returned": "Returned with comments",
    "signed_off": "Signed off",
}

#: The events the referral records in its process case, as the timeline names them.
PROCESS_EVENTS = {
    EventKind.APPLICATION_RECEIVED: "Review application received",
    EventKind.HEARING_LISTED: "Hearing listed",
    EventKind.NOTICE_OF_HEARING_GIVEN: "Notice of the hearing given",
    EventKind.HEARING_HELD: "Hearing held",
    EventKind.DECISION_MADE: "Decision made",
    EventKind.DECISION_NOTIFIED: "Decision notified",
    EventKind.APPEAL_LODGED: "Appeal lodged",
    EventKind.APPEAL_DECIDED: "Appeal decided",
}


@dataclass(frozen=True)
class ProcessDate:
    rule_id: str
    title: str
    citation: str
    due_at: datetime
    explanation: str
    status: str
    confirmed: bool


@dataclass(frozen=True)
class ReferralDetail:
    referral: Referral
    premises: Premises
    ward_name: str | None
    licence: Licence
    conditions: list[LicenceCondition]
    author: str | None
    signed_off_by: str | None
    case: EnforcementCase | None
    breaches: list[BreachView]
    evidence: list[EvidenceView]
    services: list[str]
    representations: list[ReferralRepresentation]
    history: list[HistoryView]
    process: list[ProcessDate]
    window: HearingWindow | None
    effect_from: datetime | None
    may_edit: bool
    may_sign_off: bool
    may_clerk: bool
    may_papers: bool
    missing: dict[str, str] = field(default_factory=dict)
    steps: list[StepTaken] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return ReferralStatus.label_of(self.referral.status)

    def _date_of(self, rule: str | None) -> ProcessDate | None:
        return next((p for p in self.process if p.rule_id == rule), None)

    @property
    def notice_due(self) -> ProcessDate | None:
        return self._date_of(rules_for(self.referral.tool).notice_of_hearing)

    @property
    def representations_due(self) -> ProcessDate | None:
        """The end of the representation period, if the process has one."""
        return self._date_of(rules_for(self.referral.tool).representations)

    @property
    def next_date(self) -> ProcessDate | None:
        """The soonest statutory date still to be met."""
        return next((p for p in self.process if p.status == Status.PENDING), None)

    def count_by_party(self) -> list[tuple[str, int]]:
        totals: dict[str, int] = {}
        for r in self.representations:
            totals[r.party] = totals.get(r.party, 0) + r.count
        return [(Party.label_of(p), n) for p, n in totals.items()]


def _visible_sources(
    session: Session, actor: Actor, items: Sequence[ReferralEvidence]
) -> tuple[set[tuple[str, int]], list[int], list[int]]:
    """Which restricted items' content the actor may see now, by the policy on their sources."""
    flag_ids = [e.source_id for e in items if e.kind == EvidenceKind.FLAG]
    visit_ids = [e.source_id for e in items if e.kind == EvidenceKind.WELFARE_VISIT]
    visible: set[tuple[str, int]] = set()
    shown_flags: list[int] = []
    shown_visits: list[int] = []
    if flag_ids and policy.most_visible(actor, flags.SUBJECT) >= Visibility.CONTENT:
        for flag in session.scalars(
            select(IntelFlag)
            .where(IntelFlag.id.in_(flag_ids))
            .options(
                selectinload(IntelFlag.audience_org_rows),
                selectinload(IntelFlag.audience_role_rows),
            )
        ):
            if policy.visibility(actor, flag) is Visibility.CONTENT:
                visible.add((EvidenceKind.FLAG.value, flag.id))
                shown_flags.append(flag.id)
    if (
        visit_ids
        and policy.most_visible(actor, policy.WELFARE_VISIT.record_type) >= Visibility.CONTENT
    ):
        for visit in session.scalars(select(WelfareVisit).where(WelfareVisit.id.in_(visit_ids))):
            if policy.visibility(actor, visit) is Visibility.CONTENT:
                visible.add((EvidenceKind.WELFARE_VISIT.value, visit.id))
                shown_visits.append(visit.id)
    return visible, sorted(shown_flags), sorted(shown_visits)


def process_dates(
    session: Session, referral: Referral, rulebook: RuleBook, now: datetime
) -> list[ProcessDate]:
    """Return the statutory dates of the referral's case, as the clock derived them."""
    out = []
    for rule_id, row in deadlines_of(session, referral.case_id).items():
        title, citation = rule_words(rulebook, rule_id)
        try:
            confirmed = rulebook.get(rule_id).confirmed
        except UnknownRuleError:
            confirmed = row.confirmed
        out.append(
            ProcessDate(
                rule_id,
                title,
                citation,
                row.due_at,
                row.explanation,
                live_status(row.status, row.direction, row.due_at, now),
                confirmed,
            )
        )
    return sorted(out, key=lambda p: p.due_at)


def _process_steps(session: Session, referral: Referral, names: dict[int, str]) -> list[StepTaken]:
    """The steps of the statutory process the referral recorded in its case (no notes)."""
    if referral.case_id is None:
        return []
    rows = list(
        session.scalars(
            select(CaseEvent)
            .where(
                CaseEvent.case_id == referral.case_id,
                CaseEvent.kind.in_([k.value for k in PROCESS_EVENTS]),
            )
            .order_by(CaseEvent.occurred_at, CaseEvent.id)
        )
    )
    names.update(_display_names(session, (e.recorded_by_id for e in rows)))
    steps = []
    listed = 0
    for e in rows:
        kind = EventKind(e.kind)
        title, text = PROCESS_EVENTS[kind], None
        if kind is EventKind.HEARING_LISTED:
            listed += 1
            title = "Hearing listed" if listed == 1 else "Hearing moved"
        elif kind is EventKind.DECISION_MADE and referral.decision:
            text = DECISION_LABELS.get(referral.decision, referral.decision)
        elif kind is EventKind.APPEAL_DECIDED and referral.appeal_outcome:
            text = AppealOutcome.label_of(referral.appeal_outcome)
        steps.append(
            StepTaken(
                e.occurred_at,
                title,
                names.get(e.recorded_by_id) if e.recorded_by_id else None,
                text,
                scheduled_for=e.scheduled_for if kind is EventKind.HEARING_LISTED else None,
            )
        )
    return steps


def steps_taken(
    session: Session,
    referral: Referral,
    history: Sequence[HistoryView],
    case: EnforcementCase | None,
    names: dict[int, str],
) -> list[StepTaken]:
    """Every step taken in a referral, newest first: its drafts, sign-off and process.

    Steps at the same moment keep the order they were taken in (the process opened before
    its hearing was listed).
    """
    steps = [
        StepTaken(
            referral.created_at,
            "Draft started",
            names.get(referral.author_id) if referral.author_id else None,
        ),
        *(
            StepTaken(
                h.at, HISTORY_TITLES.get(h.action, h.action), h.by, None, h.comment, h.snapshot
            )
            for h in reversed(history)
        ),
    ]
    process = _process_steps(session, referral, names)
    opened = f"The statutory process opened as case {case.reference}" if case else None
    received = next(
        (
            i
            for i, p in enumerate(process)
            if p.title == PROCESS_EVENTS[EventKind.APPLICATION_RECEIVED]
        ),
        None,
    )
    if received is not None:
        # The process starts from the application's receipt: said there, at the time given.
        process[received] = replace(process[received], text=opened)
    elif referral.process_opened_at is not None:
        steps.append(StepTaken(referral.process_opened_at, "Statutory process opened", text=opened))
    steps += process
    names.update(_display_names(session, (r.recorded_by_id for r in referral.representations)))
    for rep in referral.representations:
        steps.append(
            StepTaken(
                london_midnight_utc(rep.received_on),
                f"{rep.count} representation{'s' if rep.count != 1 else ''} received from"
                f" {Party.label_of(rep.party).lower()}",
                names.get(rep.recorded_by_id) if rep.recorded_by_id else None,
                day_only=True,
            )
        )
    if referral.effect_applied_at is not None:
        steps.append(
            StepTaken(
                referral.effect_applied_at, "Decision took effect", text=referral.effect_summary
            )
        )
    ordered = sorted(enumerate(steps), key=lambda pair: (pair[1].at, pair[0]), reverse=True)
    return [step for _, step in ordered]


def _display_names(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {u for u in user_ids if u is not None}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(wanted)))
    return {uid: name for uid, name in rows}


def _evidence_views(
    session: Session, actor: Actor, now: datetime, referral: Referral
) -> list[EvidenceView]:
    """Return the referral's evidence, each readable or not; reading restricted items is audited."""
    visible, shown_flags, shown_visits = _visible_sources(session, actor, referral.evidence)
    if shown_flags:
        audit.record(
            session,
            actor,
            now,
            action="intel_flag.list",
            entity_type=flags.SUBJECT,
            entity_id=None,
            summary=f"Read {len(shown_flags)} intelligence flags as evidence in committee"
            f" referral {referral.reference}",
            after={"shown": shown_flags, "referral_id": referral.id},
        )
    if shown_visits:
        audit.record(
            session,
            actor,
            now,
            action=policy.WELFARE_VISIT.view_action,
            entity_type=policy.WELFARE_VISIT.record_type,
            entity_id=None,
            summary=f"Read {len(shown_visits)} released welfare visits as evidence in committee"
            f" referral {referral.reference}",
            after={"shown": shown_visits, "referral_id": referral.id},
        )
    return [
        EvidenceView(
            e,
            e.classification == Disclosure.OPEN or (e.kind, e.source_id) in visible,
        )
        for e in referral.evidence
    ]


def get_referral(
    session: Session, actor: Actor, now: datetime, referral_id: int, rulebook: RuleBook
) -> ReferralDetail:
    """Return a referral with everything its page shows; seeing restricted evidence is audited."""
    require(actor, Permission.REFERRAL_VIEW)
    referred = load_referred(session, referral_id)
    referral, premises, licence = referred.referral, referred.premises, referred.licence
    ward_name = referred.ward_name
    history_rows = list(
        session.scalars(
            select(ReferralHistory)
            .where(ReferralHistory.referral_id == referral.id)
            .order_by(ReferralHistory.at.desc(), ReferralHistory.id.desc())
        )
    )
    names = _display_names(
        session,
        (referral.author_id, referral.signed_off_by_id, *(h.actor_id for h in history_rows)),
    )
    groups: dict[int, BreachView] = {}
    for b in referral.breaches:
        group = groups.setdefault(
            b.condition_id, BreachView(b.condition_number, b.condition_text, [])
        )
        group.inspections.append((b.inspection_id, b.inspected_at))
    evidence = _evidence_views(session, actor, now, referral)
    case = session.get(EnforcementCase, referral.case_id) if referral.case_id else None
    dates = process_dates(session, referral, rulebook, now)
    appeal_ends = next(
        (p.due_at for p in dates if p.rule_id == rules_for(referral.tool).appeal), None
    )
    editable = referral.status in EDITABLE and may_draft(actor, referral)
    history = [
        HistoryView(
            h.action,
            h.at,
            names.get(h.actor_id, "the system") if h.actor_id else "the system",
            h.comment,
            h.status_after,
            json.loads(h.snapshot) if h.snapshot else None,
        )
        for h in history_rows
    ]
    return ReferralDetail(
        referral=referral,
        premises=premises,
        ward_name=ward_name,
        licence=licence,
        conditions=list(licence.conditions),
        author=names.get(referral.author_id) if referral.author_id else None,
        signed_off_by=names.get(referral.signed_off_by_id) if referral.signed_off_by_id else None,
        case=case,
        breaches=sorted(groups.values(), key=lambda g: g.number),
        evidence=evidence,
        services=[SupportService.label_of(s.service) for s in referral.support_services],
        representations=list(referral.representations),
        history=history,
        process=dates,
        window=hearing_window(session, referral, rulebook),
        effect_from=effect_due(referral, appeal_ends),
        may_edit=editable,
        may_sign_off=referral.status == _S.SUBMITTED
        and can(actor, Permission.REFERRAL_SIGN_OFF)
        and actor.user_id != referral.author_id,
        may_clerk=can(actor, Permission.REFERRAL_CLERK),
        may_papers=can(actor, Permission.REFERRAL_PAPERS)
        and referral.status not in {*EDITABLE, _S.SUBMITTED},
        missing=completeness_problems(referral) if editable else {},
        steps=steps_taken(session, referral, history, case, names),
    )


def open_cases_to_link(session: Session, referral: Referral) -> list[tuple[int, str]]:
    """Return the open cases of the referral's tool at its premises that it could use instead."""
    taken = select(Referral.case_id).where(Referral.case_id.is_not(None))
    return [
        (cid, ref)
        for cid, ref in session.execute(
            select(EnforcementCase.id, EnforcementCase.reference)
            .where(
                EnforcementCase.premises_id == referral.premises_id,
                EnforcementCase.tool == referral.tool,
                EnforcementCase.status == OPEN,
                EnforcementCase.id.not_in(taken),
            )
            .order_by(EnforcementCase.opened_at.desc(), EnforcementCase.id.desc())
        )
    ]


def draft_values(session: Session, referral: Referral) -> DraftInput:
    """Return a stored draft as the form's input, to fill the form for a change."""
    services = frozenset(
        session.scalars(
            select(ReferralSupportService.service).where(
                ReferralSupportService.referral_id == referral.id
            )
        )
    )
    condition_ids = frozenset(
        session.scalars(
            select(ReferralBreach.condition_id).where(ReferralBreach.referral_id == referral.id)
        )
    )
    evidence = frozenset(
        (k, s)
        for k, s in session.execute(
            select(ReferralEvidence.kind, ReferralEvidence.source_id).where(
                ReferralEvidence.referral_id == referral.id
            )
        )
    )
    return DraftInput(
        licence_id=referral.licence_id,
        unlicensed_trading=referral.unlicensed_trading,
        breach_of_conditions=referral.breach_of_conditions,
        condition_ids=condition_ids,
        narrative=referral.narrative,
        evidence=evidence,
        recommendation=referral.recommendation,
        suspension_months=referral.suspension_months,
        recommended_conditions=referral.recommended_conditions,
        dps_name=referral.dps_name,
        support_services=services,
        support_provider=referral.support_provider,
        support_taken_up=referral.support_taken_up,
        support_offered_on=referral.support_offered_on,
        support_note=referral.support_note,
    )


@dataclass(frozen=True)
class LicenceChoice:
    licence: Licence
    tool: ToolCode | None
    breached: dict[int, list[tuple[int, datetime]]]


def licence_choices(session: Session, actor: Actor, premises_id: int) -> list[LicenceChoice]:
    """Return the premises' licences with, per condition, the inspections that found it breached."""
    require(actor, Permission.REFERRAL_VIEW)
    out = []
    for lic in session.scalars(
        select(Licence)
        .where(Licence.premises_id == premises_id)
        .options(selectinload(Licence.conditions))
        .order_by(Licence.id)
    ):
        out.append(
            LicenceChoice(lic, tool_for(lic), breached_findings(session, lic.id, premises_id))
        )
    return out


# ---------------------------------------------------------------------------------------------
# The lists


LIST_VIEWS = dict(ListView.choices())
SORTS = {
    "-updated": "Recently changed",
    "reference": "Reference",
    "hearing": "Hearing date",
    "premises": "Premises name",
}
DEFAULT_SORT: dict[str, str] = {
    ListView.ALL: "-updated",
    ListView.HEARINGS: "hearing",
    ListView.PAPERS: "notice",
    ListView.AWAITING_EFFECT: "effect",
}


@dataclass(frozen=True)
class ReferralQuery:
    view: str = ListView.ALL
    status: str = ""
    sort: str = ""
    page: int = 1
    page_size: int = 50


@dataclass(frozen=True)
class ReferralRow:
    id: int
    reference: str
    status: str
    tool: str
    premises_id: int
    premises_name: str
    licence_reference: str
    hearing_at: datetime | None
    notice_due_at: datetime | None
    notice_given: bool
    effect_from: datetime | None
    updated_at: datetime

    @property
    def status_label(self) -> str:
        return ReferralStatus.label_of(self.status)


ReferralPage = Page[ReferralRow]


def query_problems(q: ReferralQuery) -> dict[str, str]:
    """Return what is wrong with a list query (unknown view, status or sort)."""
    return (
        QueryProblems()
        .choice("view", q.view, LIST_VIEWS, "Unknown list", required=True)
        .choice("status", q.status, (s.value for s in ReferralStatus), "Unknown status")
        .sort(q.sort, SORTS, message="Unknown order", required=False)
        .page(q.page, q.page_size)
        .found
    )


def _list_filters(q: ReferralQuery, now: datetime, notice: Any) -> list[Any]:
    """Return the WHERE clauses of a clerks' list; `notice` is the joined notice deadline."""
    where: list[Any] = []
    if q.view == ListView.HEARINGS:
        where += [Referral.status == _S.HEARING_LISTED.value, Referral.hearing_at >= now]
    elif q.view == ListView.PAPERS:
        where += [
            Referral.status == _S.HEARING_LISTED.value,
            Referral.hearing_at >= now,
            notice.met_by_event_id.is_(None),
        ]
    elif q.view == ListView.AWAITING_EFFECT:
        where += [
            Referral.status.in_([_S.DECIDED.value, _S.APPEALED.value]),
            Referral.effect_applied_at.is_(None),
        ]
    if q.status:
        where.append(Referral.status == q.status)
    return where


def search_referrals(
    session: Session, actor: Actor, now: datetime, q: ReferralQuery
) -> ReferralPage:
    """Return a page of referrals for one of the clerks' lists, in two statements."""
    require(actor, Permission.REFERRAL_VIEW)
    if problems := query_problems(q):
        raise ValidationFailed(problems)
    notice = aliased(CaseDeadline)
    appeal = aliased(CaseDeadline)
    joined = (
        select(Referral)
        .join(Premises, Premises.id == Referral.premises_id)
        .join(Licence, Licence.id == Referral.licence_id)
        .outerjoin(
            notice, and_(notice.case_id == Referral.case_id, notice.rule_id.in_(NOTICE_RULE_IDS))
        )
        .outerjoin(
            appeal, and_(appeal.case_id == Referral.case_id, appeal.rule_id.in_(APPEAL_RULE_IDS))
        )
    )
    where = _list_filters(q, now, notice)
    total = session.scalar(select(func.count()).select_from(joined.where(*where).subquery())) or 0
    sort = q.sort or DEFAULT_SORT.get(q.view, "-updated")
    effect_order = func.coalesce(appeal.due_at, Referral.appeal_decided_at)
    orders: dict[str, list[Any]] = {
        "-updated": [Referral.updated_at.desc()],
        "reference": [Referral.reference],
        "hearing": [Referral.hearing_at.is_(None), Referral.hearing_at],
        "premises": [Premises.name_sort],
        "notice": [func.coalesce(notice.due_at, Referral.hearing_at)],
        "effect": [effect_order.is_(None), effect_order],
    }
    order = orders[sort]
    page = q.page
    rows = session.execute(
        joined.with_only_columns(
            Referral.id,
            Referral.reference,
            Referral.status,
            Referral.tool,
            Referral.premises_id,
            Premises.name,
            Licence.reference,
            Referral.hearing_at,
            notice.due_at,
            notice.met_by_event_id,
            appeal.due_at,
            Referral.decision,
            Referral.effect_applied_at,
            Referral.appeal_lodged_at,
            Referral.appeal_outcome,
            Referral.appeal_decided_at,
            Referral.updated_at,
        )
        .where(*where)
        .order_by(*order, Referral.id.desc())
        .limit(q.page_size)
        .offset(offset(page, q.page_size))
    ).all()
    out = []
    for r in rows:
        out.append(
            ReferralRow(
                id=r[0],
                reference=r[1],
                status=r[2],
                tool=r[3],
                premises_id=r[4],
                premises_name=r[5],
                licence_reference=r[6],
                hearing_at=r[7],
                notice_due_at=r[8],
                notice_given=r[9] is not None,
                effect_from=effect_from(r[11], r[12], r[13], r[14], r[15], r[10]),
                updated_at=r[16],
            )
        )
    return ReferralPage(out, total, page, q.page_size)
