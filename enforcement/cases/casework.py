"""Enforcement cases: opening one on a premises, recording its events, the deadlines they start."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from enforcement import audit, identifiers
from enforcement.access import (
    Actor,
    Permission,
    can_for_organisation,
    require,
    roles_granted,
)
from enforcement.cases.calendar import WorkingCalendar
from enforcement.cases.clock import (
    CASE_SUBJECT,
    CLOSED,
    OPEN,
    OWED,
    RecomputeResult,
    bank_holidays_file,
    case_key,
    default_calendar,
    default_rulebook,
    events_of,
    live_status,
    recompute_open_deadlines,
    sync_cases,
)
from enforcement.cases.listing import (
    CASE_TOOLS,
    DUE_FILTERS,
    SORTS,
    CasePage,
    CaseQuery,
    CaseRow,
    query_problems,
    search_cases,
)
from enforcement.cases.rules import NEXT_STEPS, TOOLS, NextStep, Rule, next_steps
from enforcement.cases.statutory import (
    Event,
    RuleBook,
    SequenceError,
    UnknownRuleError,
    validate_event_sequence,
)
from enforcement.cases.vocab import CaseStatus, Direction, EventKind, ServedHow, Status, ToolCode
from enforcement.clock import day_text, london_today, to_london
from enforcement.errors import Forbidden, NotFound, StaleEdit, ValidationFailed
from enforcement.models import Licence, Organisation, Premises, Referral, User, UserRole, Ward
from enforcement.models.cases import CaseDeadline, CaseEvent, EnforcementCase
from enforcement.reminders import reminders
from enforcement.reminders.vocab import ReminderKind
from enforcement.vocab import LicenceRegime, LicenceStatus, OrganisationKind

__all__ = [
    "CASE_SUBJECT",
    "CASE_TOOLS",
    "DUE_FILTERS",
    "SORTS",
    "CasePage",
    "CaseQuery",
    "CaseRow",
    "CaseStatus",
    "RecomputeResult",
    "ServedHow",
    "bank_holidays_file",
    "case_page_sentences",
    "close_case",
    "default_calendar",
    "default_rulebook",
    "get_case",
    "open_case",
    "query_problems",
    "recompute_open_deadlines",
    "record_event",
    "search_cases",
    "update_case",
]

_T = ToolCode
_COUNCIL, _POLICE = OrganisationKind.COUNCIL.value, OrganisationKind.POLICE.value
#: Which kind of organisation may own a case of each tool. Reviews after closure and special
#: treatment licences are the licensing authority's; Sexual Offences Act closures and the
#: Modern Slavery Act orders are applied for by the police (the council notes the orders).
OWNER_KINDS: dict[ToolCode, frozenset[str]] = {
    _T.ASBCPA_CLOSURE: frozenset({_COUNCIL, _POLICE}),
    _T.SOA_CLOSURE: frozenset({_POLICE}),
    _T.ILLEGAL_WORKING_CLOSURE: frozenset({_COUNCIL, _POLICE}),
    _T.PREMISES_REVIEW: frozenset({_COUNCIL, _POLICE}),
    _T.SUMMARY_REVIEW: frozenset({_COUNCIL, _POLICE}),
    _T.CLOSURE_REVIEW: frozenset({_COUNCIL}),
    _T.SPECIAL_TREATMENT: frozenset({_COUNCIL}),
    _T.STPO: frozenset({_POLICE}),
    _T.STRO: frozenset({_POLICE}),
    _T.PROSECUTION: frozenset({_COUNCIL, _POLICE}),
}
#: Police-held orders that a council officer may open a case for, to note one.
NOTED_BY_COUNCIL = frozenset({_T.STPO, _T.STRO})
#: Licence states in which a premises licence still exists for s167 (suspended still counts).
LICENCE_IN_FORCE = frozenset({LicenceStatus.ACTIVE.value, LicenceStatus.SUSPENDED.value})
SERVICE_EVENTS = frozenset({EventKind.NOTICE_SERVED, EventKind.ORDER_SERVED})
#: Who may be an officer in charge: the roles that may change cases.
CASE_EDITORS = roles_granted(Permission.CASE_EDIT)
MAX_SUMMARY = 2_000
MAX_NOTE = 4_000
MAX_REASON = 400
CASE_FIELDS = ("reference", "premises_id", "tool", "status", "owner_organisation_id", "officer_id")


def tool_choices() -> list[tuple[str, str]]:
    """Return (code, label) pairs of the case tools, for a select."""
    return [(t.value, t.label) for t in CASE_TOOLS]


def event_kinds(tool: str) -> list[EventKind]:
    """Return the events a case of this tool records, in the order a case usually runs."""
    spec = TOOLS[ToolCode(tool)]
    return [kind for kind in EventKind if kind in spec.events]


def may_edit(actor: Actor, case: EnforcementCase) -> bool:
    """Say whether the actor may record events in, change or close this case."""
    return can_for_organisation(actor, Permission.CASE_EDIT, case.owner_organisation_id)


# ---------------------------------------------------------------------------------------------
# Opening a case


@dataclass(frozen=True)
class CaseInput:
    premises_id: int
    tool: str
    owner_organisation_id: int | None
    officer_id: int | None
    summary: str


def _next_reference(session: Session, now: datetime) -> str:
    prefix = f"EC-{to_london(now).year}-"
    last = session.scalar(
        select(EnforcementCase.reference)
        .where(EnforcementCase.reference.like(f"{prefix}%"))
        .order_by(func.length(EnforcementCase.reference).desc(), EnforcementCase.reference.desc())
        .limit(1)
    )
    number = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{number:04d}"


def _officer_problem(session: Session, officer_id: int | None, organisation_id: int) -> str | None:
    if officer_id is None:
        return "Select the officer in charge"
    user = session.get(User, officer_id)
    roles = set(session.scalars(select(UserRole.role).where(UserRole.user_id == officer_id)))
    if (
        user is None
        or not user.is_active
        or user.organisation_id != organisation_id
        or not roles & {r.value for r in CASE_EDITORS}
    ):
        return "The officer in charge must be a case officer of the owning organisation"
    return None


def _clean_text(value: str | None) -> str:
    return (value or "").strip()


def open_case(session: Session, actor: Actor, now: datetime, data: CaseInput) -> EnforcementCase:
    """Open an enforcement case on a premises for one tool, owned by an organisation.

    People open cases for their own organisation; a council officer may also note a police
    slavery and trafficking order. Raises NotFound for an unknown premises and
    ValidationFailed (tool, owner_organisation_id, officer_id, summary) for bad input.
    """
    require(actor, Permission.CASE_EDIT)
    premises = session.get(Premises, data.premises_id)
    if premises is None:
        raise NotFound("There is no such premises.")
    errors: dict[str, str] = {}
    tool = ToolCode(data.tool) if data.tool in {t.value for t in CASE_TOOLS} else None
    if tool is None:
        errors["tool"] = "Select the enforcement tool"
    owner = (
        session.get(Organisation, data.owner_organisation_id)
        if data.owner_organisation_id is not None
        else None
    )
    if owner is None:
        errors["owner_organisation_id"] = "Select the organisation that owns the case"
    elif tool is not None and owner.kind not in OWNER_KINDS[tool]:
        held_by = " or ".join(
            OrganisationKind.label_of(k).lower() for k in sorted(OWNER_KINDS[tool])
        )
        errors["owner_organisation_id"] = f"A {tool.label.lower()} case is held by the {held_by}"
    elif tool is not None and not actor.is_system and owner.id != actor.organisation_id:
        mine = session.get(Organisation, actor.organisation_id) if actor.organisation_id else None
        noting = tool in NOTED_BY_COUNCIL and mine is not None and mine.kind == _COUNCIL
        if not noting:
            errors["owner_organisation_id"] = "You can open cases only for your own organisation"
    if (
        owner is not None
        and "owner_organisation_id" not in errors
        and (problem := _officer_problem(session, data.officer_id, owner.id))
    ):
        errors["officer_id"] = problem
    summary = _clean_text(data.summary)
    if not summary:
        errors["summary"] = "Enter a summary of the case"
    elif len(summary) > MAX_SUMMARY:
        errors["summary"] = f"The summary must be {MAX_SUMMARY:,} characters or fewer"
    elif problem := identifiers.problem("The summary", summary, today=london_today(now)):
        errors["summary"] = problem
    if errors:
        raise ValidationFailed(errors)
    assert tool is not None and owner is not None
    case = _create(session, actor, now, premises, tool, owner.id, data.officer_id, summary, None)
    audit.record(
        session,
        actor,
        now,
        action="case.open",
        entity_type=CASE_SUBJECT,
        entity_id=case.id,
        summary=f"Opened {case.reference} ({tool.label}) at {premises.name}",
        after=audit.snapshot(case, CASE_FIELDS),
    )
    return case


def _create(
    session: Session,
    actor: Actor,
    now: datetime,
    premises: Premises,
    tool: ToolCode,
    owner_id: int,
    officer_id: int | None,
    summary: str,
    parent_id: int | None,
) -> EnforcementCase:
    case = EnforcementCase(
        reference=_next_reference(session, now),
        premises_id=premises.id,
        tool=tool.value,
        status=OPEN,
        owner_organisation_id=owner_id,
        officer_id=officer_id,
        summary=summary,
        parent_case_id=parent_id,
        opened_at=now,
        opened_by_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    return case


# ---------------------------------------------------------------------------------------------
# Recording events


@dataclass(frozen=True)
class EventInput:
    """What happened, when (aware; London time as typed), and what the event sets or says."""

    kind: str
    occurred_at: datetime | None
    scheduled_for: datetime | None = None
    served_how: str | None = None
    note: str | None = None
    #: The user ticked that an event dated before the case was opened really was.
    confirm_earlier: bool = False


@dataclass(frozen=True)
class Recorded:
    """The event saved, and any case the law opened because of it."""

    event: CaseEvent
    opened: list[EnforcementCase] = field(default_factory=list)


#: Said when a case is changed or closed after it was closed (its version moved on too).
CLOSED_MEANWHILE = (
    "This case was closed while you were working on it, so your changes have not been saved."
    " A closed case cannot be changed. Go back to the case to see why it was closed."
)


def _load_for_change(
    session: Session,
    actor: Actor,
    case_id: int,
    expected_version: int,
    *,
    open_only: bool = False,
) -> EnforcementCase:
    """Load a case the actor may change at `expected_version`, else refuse.

    With `open_only`, a closed case is refused as closed (StaleEdit, so the form is kept)
    before its version is compared: closing it is what moved the version on.
    """
    require(actor, Permission.CASE_EDIT)
    case = session.get(EnforcementCase, case_id)
    if case is None:
        raise NotFound("There is no such enforcement case.")
    if not may_edit(actor, case):
        raise Forbidden("Only the organisation that owns this case can change it.")
    if open_only and case.status != OPEN:
        raise StaleEdit(CLOSED_MEANWHILE)
    if case.version != expected_version:
        raise StaleEdit.changed_meanwhile("case")
    return case


#: Events and dates before this year are typing slips (a year of 0001 or 1900), never real.
EARLIEST_YEAR = 1990
#: A date an event sets (a hearing, the end of an order or notice) further ahead than this is a
#: typing slip too (9999, 2206 for 2026): a prevention order runs five years at least and may
#: run many more, so the bound is generous.
LATEST_YEARS_AHEAD = 50


def _date_problems(case: EnforcementCase, data: EventInput, now: datetime) -> dict[str, str]:
    """Refuse a year that can only be a slip, and an event before the case was opened unless confirmed.

    The opening is compared by London day: an event earlier on the day the case was opened
    (a notice served before anyone opened the case) needs no confirming.
    """
    errors: dict[str, str] = {}
    for key, moment in (("occurred_at", data.occurred_at), ("scheduled_for", data.scheduled_for)):
        if moment is not None and moment.tzinfo is not None:
            year = to_london(moment).year
            if year < EARLIEST_YEAR:
                errors[key] = (
                    f"The year {year:04d} is before {EARLIEST_YEAR}: check the year for a typing slip"
                )
            elif key == "scheduled_for" and year > to_london(now).year + LATEST_YEARS_AHEAD:
                errors[key] = (
                    f"The year {year:04d} is more than {LATEST_YEARS_AHEAD} years ahead: "
                    "check the year for a typing slip"
                )
    at = data.occurred_at
    if at is None or at.tzinfo is None or "occurred_at" in errors:
        return errors
    opened_on = to_london(case.opened_at).date()
    if to_london(at).date() < opened_on and not data.confirm_earlier:
        errors["confirm_earlier"] = (
            f"The event is before the case was opened on {opened_on.day} {opened_on:%B %Y}."
            " Tick to confirm the earlier date is right"
        )
    return errors


def _check_event(
    case: EnforcementCase, existing: Sequence[Event], data: EventInput, now: datetime
) -> Event:
    tool = case.tool
    errors: dict[str, str] = {}
    kind = EventKind(data.kind) if data.kind in {k.value for k in EventKind} else None
    if kind is None:
        errors["kind"] = "Select what happened"
    if data.occurred_at is None:
        errors["occurred_at"] = "Enter the date and time it happened"
    elif data.occurred_at.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware")
    if kind in SERVICE_EVENTS:
        if not data.served_how:
            errors["served_how"] = "Say how it was served"
        elif data.served_how not in {s.value for s in ServedHow}:
            errors["served_how"] = "Select how it was served"
    if data.note and len(data.note) > MAX_NOTE:
        errors["note"] = f"The note must be {MAX_NOTE:,} characters or fewer"
    elif problem := identifiers.problem("The note", data.note, today=london_today(now)):
        errors["note"] = problem
    if kind is None or data.occurred_at is None:
        raise ValidationFailed(errors)
    errors.update(_date_problems(case, data, now))
    if "occurred_at" in errors or "scheduled_for" in errors:
        raise ValidationFailed(errors)
    new = Event(kind, data.occurred_at, scheduled_for=data.scheduled_for)
    try:
        validate_event_sequence(tool, existing, new, now)
    except SequenceError as exc:
        # The engine calls the time field "at"; the form calls it occurred_at. A message left
        # for its caller to begin stays so: each caller's form names the field its own way
        # (case_page_sentences, and the referral process's steps).
        for key, message in exc.errors.items():
            errors.setdefault("occurred_at" if key == "at" else key, message)
    if errors:
        raise ValidationFailed(errors)
    return new


def case_page_sentences(kind: str, errors: Mapping[str, str]) -> dict[str, str]:
    """record_event's errors as whole sentences for the case page's event form.

    The statutory engine leaves some messages for the caller to begin ("cannot be in the
    future"); the case page's fields give them their subject.
    """
    subjects = {
        "occurred_at": "The date it happened",
        "scheduled_for": "The hearing"
        if kind == EventKind.HEARING_LISTED.value
        else "The date and time it sets",
    }
    return {
        key: f"{subjects.get(key, 'The date')} {message}" if message[:1].islower() else message
        for key, message in errors.items()
    }


def record_event(
    session: Session,
    actor: Actor,
    now: datetime,
    case_id: int,
    expected_version: int,
    data: EventInput,
    *,
    calendar: WorkingCalendar,
    rulebook: RuleBook,
) -> Recorded:
    """Record an event in a case, re-derive its deadlines and reminders, and open what the law opens.

    Refuses (ValidationFailed, nothing saved) an event this tool does not record, one in the
    future, a duplicate, one before the event it depends on, a service without how it was
    served, a year before 1990 (a typing slip), and one on a day before the case was opened
    unless `confirm_earlier` says that is right. A closure order on a premises holding a premises licence opens the review after
    closure (s167) as a linked council case with its clock started. Raises StaleEdit when the
    case changed since `expected_version`, Forbidden for another organisation's case.
    """
    case = _load_for_change(session, actor, case_id, expected_version)
    if case.status != OPEN:
        raise ValidationFailed({"case": "This case is closed: no more events can be recorded."})
    running = _referral_running(session, case.id)
    if running is not None and not actor.is_system:
        # The referral records the steps for its clerks (docs/referrals.md), keeping both in step.
        raise ValidationFailed(
            {
                "kind": f"Committee referral {running[1]} runs this case: the committee clerks"
                " record its steps on the referral"
            }
        )
    existing = events_of(session, case.id)
    new = _check_event(case, existing, data, now)
    row = CaseEvent(
        case_id=case.id,
        kind=new.kind.value,
        occurred_at=new.at,
        scheduled_for=new.scheduled_for,
        served_how=data.served_how if new.kind in SERVICE_EVENTS else None,
        note=_clean_text(data.note) or None,
        recorded_by_id=actor.user_id,
        recorded_at=now,
    )
    session.add(row)
    case.updated_at = now
    # Bump the version even within the same instant: a form opened before this event is stale.
    flag_modified(case, "updated_at")
    session.flush()
    events = [*existing, Event(new.kind, new.at, id=row.id, scheduled_for=new.scheduled_for)]
    sync_cases(
        session, actor, now, [case_key(session, case)], {case.id: events}, calendar, rulebook
    )
    audit.record(
        session,
        actor,
        now,
        action="case.event",
        entity_type=CASE_SUBJECT,
        entity_id=case.id,
        summary=f"Recorded '{new.kind.label}' in {case.reference}",
        after={
            "kind": row.kind,
            "occurred_at": row.occurred_at.isoformat(),
            "scheduled_for": row.scheduled_for.isoformat() if row.scheduled_for else None,
            "served_how": row.served_how,
            "before_opening_confirmed": data.confirm_earlier
            and to_london(row.occurred_at).date() < to_london(case.opened_at).date(),
        },
    )
    opened = []
    for step in next_steps(case.tool, new.kind):
        child = _open_next_step(session, actor, now, case, row, step, calendar, rulebook)
        if child is not None:
            opened.append(child)
    return Recorded(row, opened)


def holds_premises_licence(session: Session, premises_id: int) -> bool:
    """Say whether a premises holds a premises licence that still exists (active or suspended)."""
    return bool(
        session.scalar(
            select(
                exists().where(
                    Licence.premises_id == premises_id,
                    Licence.regime == LicenceRegime.PREMISES_LICENCE,
                    Licence.status.in_(LICENCE_IN_FORCE),
                )
            )
        )
    )


def _council_owner(session: Session, actor: Actor, case: EnforcementCase) -> Organisation | None:
    for org_id in (case.owner_organisation_id, actor.organisation_id):
        org = session.get(Organisation, org_id) if org_id is not None else None
        if org is not None and org.kind == _COUNCIL:
            return org
    return session.scalars(
        select(Organisation).where(Organisation.kind == _COUNCIL).order_by(Organisation.id)
    ).first()


def _open_next_step(
    session: Session,
    actor: Actor,
    now: datetime,
    case: EnforcementCase,
    trigger: CaseEvent,
    step: NextStep,
    calendar: WorkingCalendar,
    rulebook: RuleBook,
) -> EnforcementCase | None:
    if step.opens_tool is not _T.CLOSURE_REVIEW or not holds_premises_licence(
        session, case.premises_id
    ):
        return None
    already = session.scalar(
        select(EnforcementCase.id).where(
            EnforcementCase.parent_case_id == case.id,
            EnforcementCase.tool == step.opens_tool.value,
        )
    )
    owner = _council_owner(session, actor, case)
    if already is not None or owner is None:
        return None
    if case.owner_organisation_id == owner.id:
        officer_id = case.officer_id
    elif actor.organisation_id == owner.id:
        officer_id = actor.user_id
    else:
        officer_id = None  # the licensing team's until someone takes it on
    premises = session.get(Premises, case.premises_id)
    assert premises is not None
    child = _create(
        session,
        actor,
        now,
        premises,
        step.opens_tool,
        owner.id,
        officer_id,
        f"Review of the premises licence after the closure order in {case.reference}"
        f" ({step.citation}).",
        case.id,
    )
    # The court's notice is taken as received when the order was made, the earliest the clock
    # can start: recording the real time of receipt later restarts it from then.
    anchor = CaseEvent(
        case_id=child.id,
        kind=step.anchor_event.value,
        occurred_at=trigger.occurred_at,
        note=f"Recorded automatically from the closure order in {case.reference}. If the "
        "court's notice arrived later, record when it did.",
        recorded_by_id=actor.user_id,
        recorded_at=now,
    )
    session.add(anchor)
    session.flush()
    sync_cases(
        session,
        actor,
        now,
        [case_key(session, child)],
        {child.id: [Event(step.anchor_event, anchor.occurred_at, id=anchor.id)]},
        calendar,
        rulebook,
    )
    audit.record(
        session,
        actor,
        now,
        action="case.open",
        entity_type=CASE_SUBJECT,
        entity_id=child.id,
        summary=f"Opened {child.reference} ({step.opens_tool.label}) at {premises.name}:"
        f" the closure order in {case.reference} requires it",
        after=audit.snapshot(child, CASE_FIELDS),
    )
    return child


# ---------------------------------------------------------------------------------------------
# Changing and closing a case


def update_case(
    session: Session,
    actor: Actor,
    now: datetime,
    case_id: int,
    expected_version: int,
    *,
    officer_id: int | None,
    summary: str,
    calendar: WorkingCalendar,
    rulebook: RuleBook,
) -> EnforcementCase:
    """Change the officer in charge or the summary; the case's reminders follow the officer.

    A closed case cannot be changed (StaleEdit: it was closed since the form was opened).
    """
    case = _load_for_change(session, actor, case_id, expected_version, open_only=True)
    errors: dict[str, str] = {}
    if problem := _officer_problem(session, officer_id, case.owner_organisation_id):
        errors["officer_id"] = problem
    text = _clean_text(summary)
    if not text:
        errors["summary"] = "Enter a summary of the case"
    elif len(text) > MAX_SUMMARY:
        errors["summary"] = f"The summary must be {MAX_SUMMARY:,} characters or fewer"
    elif problem := identifiers.problem("The summary", text, today=london_today(now)):
        errors["summary"] = problem
    if errors:
        raise ValidationFailed(errors)
    before = audit.snapshot(case, ("officer_id", "summary"))
    case.officer_id = officer_id
    case.summary = text
    case.updated_at = now
    session.flush()
    if case.status == OPEN:
        sync_cases(
            session,
            actor,
            now,
            [case_key(session, case)],
            {case.id: events_of(session, case.id)},
            calendar,
            rulebook,
            reminders_for_all=True,
        )
    audit.record(
        session,
        actor,
        now,
        action="case.update",
        entity_type=CASE_SUBJECT,
        entity_id=case.id,
        summary=f"Changed {case.reference}",
        before=before,
        after=audit.snapshot(case, ("officer_id", "summary")),
    )
    return case


def readdress_reminders(
    session: Session,
    actor: Actor,
    now: datetime,
    case_id: int,
    calendar: WorkingCalendar,
    rulebook: RuleBook,
) -> None:
    """Readdress an open case's statutory reminders after who runs its steps changed.

    Called when a committee referral takes the case on: from then on its clerks record the
    steps, so the reminders go to them (docs/reminders.md).
    """
    case = session.get(EnforcementCase, case_id)
    if case is None or case.status != OPEN:
        return
    sync_cases(
        session,
        actor,
        now,
        [case_key(session, case)],
        {case.id: events_of(session, case.id)},
        calendar,
        rulebook,
        reminders_for_all=True,
    )


def close_case(
    session: Session, actor: Actor, now: datetime, case_id: int, expected_version: int, reason: str
) -> EnforcementCase:
    """Close a case: its pending deadlines no longer apply and its reminders are closed.

    A case already closed is refused (StaleEdit: it was closed since the form was opened).
    """
    case = _load_for_change(session, actor, case_id, expected_version, open_only=True)
    text = _clean_text(reason)
    if not text:
        raise ValidationFailed({"reason": "Say why the case is being closed"})
    if len(text) > MAX_REASON:
        raise ValidationFailed({"reason": f"The reason must be {MAX_REASON} characters or fewer"})
    if problem := identifiers.problem("The reason", text, today=london_today(now)):
        raise ValidationFailed({"reason": problem})
    case.status = CLOSED
    case.closed_at = now
    case.close_reason = text
    case.updated_at = now
    session.flush()
    for row in session.scalars(
        select(CaseDeadline)
        .where(CaseDeadline.case_id == case.id)
        .execution_options(populate_existing=True)
    ):
        status = live_status(row.status, row.direction, row.due_at, now)
        row.status = Status.CLOSED.value if status == Status.PENDING else status
        row.computed_at = now
    session.flush()
    reminders.reconcile(
        session,
        kind=ReminderKind.STATUTORY_DEADLINE,
        subject_type=CASE_SUBJECT,
        wanted={case.id: []},
        now=now,
        actor=actor,
        default_reason=f"Case {case.reference} closed",
    )
    audit.record(
        session,
        actor,
        now,
        action="case.close",
        entity_type=CASE_SUBJECT,
        entity_id=case.id,
        summary=f"Closed {case.reference}: {text}",
        before={"status": OPEN},
        after={"status": CLOSED, "close_reason": text},
    )
    return case


# ---------------------------------------------------------------------------------------------
# Reading a case


@dataclass(frozen=True)
class EventView:
    id: int
    kind: str
    label: str
    occurred_at: datetime
    scheduled_for: datetime | None
    served_how: str | None
    note: str | None
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class DeadlineView:
    """One deadline as the case page shows it, its status as it stands now."""

    rule_id: str
    title: str
    citation: str
    note: str
    direction: str
    due_at: datetime
    status: str
    explanation: str
    confirmed: bool
    hours_based: bool
    met_by: EventView | None
    anchor: EventView | None
    time_left: timedelta
    #: Set when the rule in force is a local one: what it says, beside the table's (statutory) rule.
    local_rule: str = ""

    @property
    def status_label(self) -> str:
        if self.is_minimum:
            return "Minimum period running" if self.status == Status.PENDING else "Period ended"
        return Status.label_of(self.status)

    @property
    def is_minimum(self) -> bool:
        """Say whether this is a minimum period (nothing ends it before), not something due."""
        return self.direction == Direction.NOT_BEFORE

    @property
    def earliest_on(self) -> date:
        """Return the London day a minimum period allows the order to end: the day after it."""
        return to_london(self.due_at + timedelta(microseconds=1)).date()

    @property
    def is_open(self) -> bool:
        if self.is_minimum:
            return False
        return self.status == Status.PENDING or (
            self.status == Status.MISSED and self.met_by is None and self.direction in OWED
        )


@dataclass(frozen=True)
class CaseLink:
    id: int
    reference: str
    tool: str
    status: str


@dataclass(frozen=True)
class NextStepView:
    """A step the law takes from this tool to another: taken (with its case), or why not yet."""

    step: NextStep
    case: CaseLink | None
    note: str


@dataclass(frozen=True)
class CaseDetail:
    case: EnforcementCase
    premises: Premises
    ward: Ward | None
    owner: Organisation
    officer: User | None
    parent: CaseLink | None
    children: list[CaseLink]
    events: list[EventView]
    deadlines: list[DeadlineView]
    next_steps: list[NextStepView]
    event_kinds: list[EventKind]
    may_edit: bool
    act: str
    #: The committee referral that runs the case (id, reference): its clerks record the steps.
    run_by_referral: tuple[int, str] | None = None

    @property
    def may_record(self) -> bool:
        """Say whether events are recorded here (not for a case a committee referral runs)."""
        return self.may_edit and self.run_by_referral is None

    @property
    def tool_label(self) -> str:
        return ToolCode.label_of(self.case.tool)

    @property
    def open_deadlines(self) -> list[DeadlineView]:
        return [d for d in self.deadlines if d.is_open]

    @property
    def minimum_periods(self) -> list[DeadlineView]:
        """Return the minimum periods still running (an order's earliest date of discharge)."""
        return [d for d in self.deadlines if d.is_minimum and d.status == Status.PENDING]


def _rule(rulebook: RuleBook, rule_id: str) -> Rule | None:
    try:
        return rulebook.get(rule_id)
    except UnknownRuleError:
        return None


def _local_rule(rulebook: RuleBook, rule_id: str) -> str:
    """Describe a local rule in force beside the rule of the table it replaces, or ""."""
    change = rulebook.local_change(rule_id)
    if change is None or rule_id not in rulebook:
        return ""
    rule, table = rulebook.get(rule_id), change.table_rule
    since = f" from {day_text(change.effective_from)}" if change.effective_from else ""
    return (
        f"Local rule: {rule.amount} {rule.unit}{since} (from {change.source}), in place of"
        f" {table.amount} {table.unit} under {table.citation}"
    )


def _next_step_views(
    session: Session, case: EnforcementCase, events: list[EventView], children: list[CaseLink]
) -> list[NextStepView]:
    views = []
    for step in (s for s in NEXT_STEPS if s.from_tool == case.tool):
        child = next((c for c in children if c.tool == step.opens_tool), None)
        happened = any(e.kind == step.on_event for e in events)
        if child is not None:
            note = (
                f"Opened as {child.reference} when the {step.on_event.label.lower()} was recorded."
            )
        elif happened and not holds_premises_licence(session, case.premises_id):
            note = "Not opened: the premises hold no premises licence."
        elif happened:
            note = "Not opened: no council organisation is set up to own it."
        else:
            note = f"Opens when '{step.on_event.label}' is recorded, if {step.condition}."
        views.append(NextStepView(step, child, note))
    return views


def _linked_cases(
    session: Session, case: EnforcementCase
) -> tuple[CaseLink | None, list[CaseLink]]:
    """Return the case this one follows from, if any, and the cases that follow from it."""
    links = session.execute(
        select(
            EnforcementCase.id,
            EnforcementCase.reference,
            EnforcementCase.tool,
            EnforcementCase.status,
            EnforcementCase.parent_case_id,
        ).where(
            or_(
                EnforcementCase.parent_case_id == case.id,
                EnforcementCase.id == case.parent_case_id,
            )
        )
    ).all()
    parent = next((CaseLink(*r[:4]) for r in links if r[0] == case.parent_case_id), None)
    children = [CaseLink(*r[:4]) for r in links if r[4] == case.id]
    return parent, children


def _event_views(session: Session, case_id: int) -> list[EventView]:
    """Return a case's events, latest first, each with who recorded it."""
    return [
        EventView(
            e.id,
            e.kind,
            EventKind.label_of(e.kind),
            e.occurred_at,
            e.scheduled_for,
            e.served_how,
            e.note,
            name or "the system",
            e.recorded_at,
        )
        for e, name in session.execute(
            select(CaseEvent, User.display_name)
            .outerjoin(User, User.id == CaseEvent.recorded_by_id)
            .where(CaseEvent.case_id == case_id)
            .order_by(CaseEvent.occurred_at.desc(), CaseEvent.id.desc())
        )
    ]


def _deadline_views(
    session: Session,
    case_id: int,
    events: list[EventView],
    now: datetime,
    rulebook: RuleBook,
) -> list[DeadlineView]:
    """Return a case's deadlines as at `now`: open ones first, each soonest first."""
    by_id = {e.id: e for e in events}
    deadlines: list[DeadlineView] = []
    for row in session.scalars(
        select(CaseDeadline)
        .where(CaseDeadline.case_id == case_id)
        .execution_options(populate_existing=True)
    ):
        rule = _rule(rulebook, row.rule_id)
        deadlines.append(
            DeadlineView(
                rule_id=row.rule_id,
                title=rule.title if rule else row.rule_id,
                citation=rule.citation if rule else "",
                note=rule.note if rule else "",
                direction=row.direction,
                due_at=row.due_at,
                status=live_status(row.status, row.direction, row.due_at, now),
                explanation=row.explanation,
                confirmed=row.confirmed,
                hours_based=bool(rule and rule.counting.is_hours),
                met_by=by_id.get(row.met_by_event_id) if row.met_by_event_id else None,
                anchor=by_id.get(row.anchor_event_id),
                time_left=row.due_at - now,
                local_rule=_local_rule(rulebook, row.rule_id),
            )
        )
    deadlines.sort(key=lambda d: (not d.is_open, d.due_at))
    return deadlines


def get_case(
    session: Session, actor: Actor, case_id: int, now: datetime, rulebook: RuleBook
) -> CaseDetail:
    """Return a case with its premises, people, events, deadlines (as at `now`) and next steps."""
    require(actor, Permission.CASE_VIEW)
    case = session.get(EnforcementCase, case_id)
    if case is None:
        raise NotFound("There is no such enforcement case.")
    premises = session.get(Premises, case.premises_id)
    assert premises is not None
    ward = session.get(Ward, premises.ward_id) if premises.ward_id is not None else None
    owner = session.get(Organisation, case.owner_organisation_id)
    assert owner is not None
    officer = session.get(User, case.officer_id) if case.officer_id is not None else None
    parent, children = _linked_cases(session, case)
    events = _event_views(session, case.id)
    deadlines = _deadline_views(session, case.id, events, now, rulebook)
    return CaseDetail(
        case=case,
        premises=premises,
        ward=ward,
        owner=owner,
        officer=officer,
        parent=parent,
        children=children,
        events=events,
        deadlines=deadlines,
        next_steps=_next_step_views(session, case, events, children),
        event_kinds=event_kinds(case.tool),
        may_edit=may_edit(actor, case) and case.status == OPEN,
        act=TOOLS[ToolCode(case.tool)].act,
        run_by_referral=_referral_running(session, case.id),
    )


def _referral_running(session: Session, case_id: int) -> tuple[int, str] | None:
    row = session.execute(
        select(Referral.id, Referral.reference).where(Referral.case_id == case_id).limit(1)
    ).first()
    return None if row is None else (row[0], row[1])


def officer_choices(session: Session, organisation_ids: Sequence[int]) -> list[tuple[int, str]]:
    """Return the active case officers of some organisations as (id, "Name (Organisation)")."""
    if not organisation_ids:
        return []
    rows = session.execute(
        select(User.id, User.display_name, Organisation.name)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(
            User.is_active.is_(True),
            User.organisation_id.in_(organisation_ids),
            exists().where(
                UserRole.user_id == User.id, UserRole.role.in_([r.value for r in CASE_EDITORS])
            ),
        )
        .order_by(Organisation.name, User.display_name, User.id)
    ).all()
    return [(uid, f"{name} ({org})") for uid, name, org in rows]


def owner_choices(session: Session) -> list[Organisation]:
    """Return the organisations that can own cases (councils and police), by name."""
    return list(
        session.scalars(
            select(Organisation)
            .where(Organisation.kind.in_([_COUNCIL, _POLICE]))
            .order_by(Organisation.name, Organisation.id)
        )
    )
