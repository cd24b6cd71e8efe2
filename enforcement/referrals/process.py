"""Licensing Committee referrals with the clerk: the statutory process and the decision taking effect.

A committee clerk runs the process through an enforcement case (enforcement.cases.casework), so every
date comes from the statutory clock: the representation period, the hearing window (a hearing
outside it is refused), the notice of hearing, the determination and the appeal period. The
decision takes effect when the appeal period ends, or when an appeal is dismissed or withdrawn
(an appeal lodged suspends it); then the licence changes: revoked, suspended until a date, or
its conditions modified with the new ones recorded as coming from the referral.

Clerks do not hold `case.edit`: the referral records its case's events on the clerk's behalf
(an actor acting for the referral, named in the audit trail), and only through the workflows
here, each of which checks the clerk's `referral.clerk` permission first.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.attributes import flag_modified

from enforcement import audit
from enforcement.access import Actor, Permission, require
from enforcement.cases import casework as cases
from enforcement.cases.calendar import WorkingCalendar
from enforcement.cases.clock import OPEN, events_of
from enforcement.cases.rules import TOOLS
from enforcement.cases.statutory import (
    Event,
    RuleBook,
    UnknownRuleError,
    derive_deadlines,
)
from enforcement.cases.vocab import EventKind, ToolCode
from enforcement.clock import (
    add_months,
    is_end_of_london_day,
    london_midnight_utc,
    london_today,
    moment_text,
    to_london,
)
from enforcement.clock import day_text as day_in_words
from enforcement.errors import ValidationFailed
from enforcement.identifiers import Plural
from enforcement.models import (
    AuditEvent,
    CaseDeadline,
    EnforcementCase,
    Licence,
    LicenceCondition,
    Referral,
    ReferralRepresentation,
)
from enforcement.referrals.drafting import (
    IN_FORCE,
    MAX_NARRATIVE,
    MAX_REPRESENTATIONS,
    MAX_TEXT,
    SUBJECT,
    check_text,
    check_version,
    decisions_for,
    load,
    rules_for,
    set_status,
)
from enforcement.referrals.evidence import (
    day_text,
)
from enforcement.referrals.tasks import close_task
from enforcement.referrals.vocab import (
    APPEAL_RULE_IDS,
    DECISION_LABELS,
    DECISION_STANDS,
    MAX_SUSPENSION_MONTHS,
    AppealOutcome,
    Party,
    Recommendation,
    ReferralStatus,
)
from enforcement.register import licences
from enforcement.reminders import reminders, routing
from enforcement.reminders.vocab import ReminderKind
from enforcement.vocab import LicenceStatus

_S = ReferralStatus


# ---------------------------------------------------------------------------------------------
# The clerk: the statutory process


def _process_actor(actor: Actor, referral: Referral) -> Actor:
    """Act in the referral's case for the clerk: named in the audit trail, allowed the case steps."""
    return replace(
        actor,
        label=f"{actor.label} (committee referral {referral.reference})"[:254],
        is_system=True,
    )


def _for_clerk(
    session: Session,
    actor: Actor,
    referral_id: int,
    expected_version: int,
    allowed: Iterable[ReferralStatus],
    what: str,
) -> Referral:
    require(actor, Permission.REFERRAL_CLERK)
    referral = load(session, referral_id)
    check_version(referral, expected_version)
    if referral.status not in {s.value for s in allowed}:
        raise ValidationFailed(
            {
                "status": f"You cannot {what} now: the referral's status is"
                f" \u201c{ReferralStatus.label_of(referral.status)}\u201d"
            }
        )
    return referral


def deadlines_of(session: Session, case_id: int | None) -> dict[str, CaseDeadline]:
    if case_id is None:
        return {}
    return {
        row.rule_id: row
        for row in session.scalars(
            select(CaseDeadline)
            .where(CaseDeadline.case_id == case_id)
            .execution_options(populate_existing=True)
        )
    }


def _record(
    session: Session,
    actor: Actor,
    now: datetime,
    referral: Referral,
    kind: EventKind,
    at: datetime | None,
    at_field: str,
    calendar: WorkingCalendar,
    rulebook: RuleBook,
    *,
    scheduled_for: datetime | None = None,
    scheduled_field: str = "scheduled_for",
    note: str | None = None,
) -> cases.Recorded:
    """Record an event in the referral's case through the case workflow; errors on our fields."""
    assert referral.case_id is not None
    case = session.get(EnforcementCase, referral.case_id)
    assert case is not None
    try:
        return cases.record_event(
            session,
            _process_actor(actor, referral),
            now,
            case.id,
            case.version,
            # The process opens its case when the clerk starts it, usually after the review
            # application was received: those earlier dates are the process's own, not slips.
            cases.EventInput(
                kind=kind.value,
                occurred_at=at,
                scheduled_for=scheduled_for,
                note=note,
                confirm_earlier=True,
            ),
            calendar=calendar,
            rulebook=rulebook,
        )
    except ValidationFailed as exc:
        names = {"occurred_at": at_field, "scheduled_for": scheduled_field, "kind": at_field}
        raise ValidationFailed(
            {names.get(k, k): _sentence(names.get(k, k), v) for k, v in exc.errors.items()}
        ) from exc


#: What each date of the clerk's steps is, to begin a sentence the case workflow leaves
#: unfinished ("cannot be in the future").
_SUBJECTS = {
    "received_on": "The date the review application was received",
    "listed_on": "The date the hearing was listed",
    "hearing_on": "The hearing",
    "given_on": "The date notice of the hearing was given",
    "held_on": "The date the hearing was held",
    "decided_on": "The date of the decision",
    "notified_on": "The date the decision was notified",
    "lodged_on": "The date the appeal was lodged",
    "appeal_decided_on": "The date the appeal ended",
}


def _sentence(field_name: str, message: str) -> str:
    """A whole sentence: the case engine's fragments get their subject."""
    if message[:1].islower():
        return f"{_SUBJECTS.get(field_name, 'The date')} {message}"
    return message


def _case_officer(session: Session, referral: Referral) -> int | None:
    """Return who should be officer in charge: the author, else the supervisor who signed off."""
    if referral.organisation_id is None:
        return None
    officers = {uid for uid, _ in cases.officer_choices(session, [referral.organisation_id])}
    return next(
        (uid for uid in (referral.author_id, referral.signed_off_by_id) if uid in officers), None
    )


def _linkable_case(
    session: Session, referral: Referral, tool: ToolCode, case_id: int
) -> EnforcementCase | None:
    """Return the case if a referral may use it: open, same premises and tool, no one else's."""
    case = session.get(EnforcementCase, case_id)
    taken = session.scalar(
        select(Referral.id).where(Referral.case_id == case_id, Referral.id != referral.id)
    )
    if (
        case is None
        or case.premises_id != referral.premises_id
        or case.tool != tool.value
        or case.status != OPEN
        or taken is not None
    ):
        return None
    return case


def _open_review_case(
    session: Session, process: Actor, now: datetime, referral: Referral, tool: ToolCode
) -> EnforcementCase:
    """Open the referral's case, with its author or signer as officer in charge."""
    licence = session.get(Licence, referral.licence_id)
    assert licence is not None
    officer_id = _case_officer(session, referral)
    if officer_id is None or referral.organisation_id is None:
        raise ValidationFailed(
            {
                "status": "Nobody who drafted or signed off this referral can be officer in"
                " charge of its case any more: ask a supervisor to open the case"
            }
        )
    try:
        return cases.open_case(
            session,
            process,
            now,
            cases.CaseInput(
                premises_id=referral.premises_id,
                tool=tool.value,
                owner_organisation_id=referral.organisation_id,
                officer_id=officer_id,
                summary=f"Licensing Committee referral {referral.reference}: {tool.label.lower()}"
                f" of licence {licence.reference}.",
            ),
        )
    except ValidationFailed as exc:
        raise ValidationFailed({"status": "; ".join(exc.errors.values())}) from exc


def open_process(
    session: Session,
    actor: Actor,
    now: datetime,
    referral_id: int,
    expected_version: int,
    *,
    received_at: datetime | None,
    calendar: WorkingCalendar,
    rulebook: RuleBook,
    existing_case_id: int | None = None,
) -> Referral:
    """Open the statutory process: the review (or revocation) case whose clock sets every date.

    For a premises licence review the application is recorded as received at `received_at`,
    which starts the representation period and the hearing window. `existing_case_id` links an
    open case of the same tool at the premises instead of opening a new one.
    """
    referral = _for_clerk(
        session, actor, referral_id, expected_version, [_S.SIGNED_OFF], "open the process"
    )
    tool = ToolCode(referral.tool)
    needs_application = EventKind.APPLICATION_RECEIVED in TOOLS[tool].events
    errors: dict[str, str] = {}
    if needs_application and received_at is None:
        errors["received_on"] = "Enter when the review application was received"
    elif received_at is not None and received_at > now:
        errors["received_on"] = "The application cannot have been received in the future"
    case: EnforcementCase | None = None
    if existing_case_id is not None:
        case = _linkable_case(session, referral, tool, existing_case_id)
        if case is None:
            errors["case_id"] = (
                f"Choose an open {tool.label.lower()} case at this premises that no other"
                " referral uses"
            )
    if errors:
        raise ValidationFailed(errors)
    if case is None:
        case = _open_review_case(session, _process_actor(actor, referral), now, referral, tool)
    referral.case_id = case.id
    referral.process_opened_at = now
    before = set_status(referral, _S.PROCESS_OPEN, now)
    session.flush()
    # The clerks record the case's steps from now on: its reminders go to them.
    cases.readdress_reminders(session, actor, now, case.id, calendar, rulebook)
    close_task(session, actor, now, referral, ReminderKind.REFERRAL_SIGNED_OFF, "Process opened")
    if needs_application and not any(
        e.kind is EventKind.APPLICATION_RECEIVED for e in events_of(session, case.id)
    ):
        _record(
            session,
            actor,
            now,
            referral,
            EventKind.APPLICATION_RECEIVED,
            received_at,
            "received_on",
            calendar,
            rulebook,
            note=f"Application for the review in committee referral {referral.reference}.",
        )
    audit.record(
        session,
        actor,
        now,
        action="referral.open_process",
        entity_type=SUBJECT,
        entity_id=referral.id,
        summary=f"Opened the statutory process of committee referral {referral.reference}"
        f" as case {case.reference}",
        before={"status": before},
        after={"status": referral.status, "case_id": case.id},
    )
    return referral


def rule_words(rulebook: RuleBook, rule_id: str) -> tuple[str, str]:
    try:
        rule = rulebook.get(rule_id)
    except UnknownRuleError:
        return rule_id, ""
    return rule.title, rule.citation


def _bound(moment: datetime, *, first: bool) -> str:
    """A window's bound in words: a whole day when it falls at a day's end, else the moment."""
    local = to_london(moment)
    if not is_end_of_london_day(moment):
        return moment_text(moment)
    return day_in_words(local.date() + timedelta(days=1) if first else local.date())


@dataclass(frozen=True)
class HearingWindow:
    """When a hearing may be held: after `opens` (exclusive) and by `closes`; None if unbounded.

    `why` says where the window comes from; `what` names the process ("premises licence review").
    """

    opens: datetime | None
    closes: datetime | None
    why: str
    what: str = "process"

    @property
    def rule(self) -> str:
        """The window in one plain sentence, e.g. "The hearing must be between Friday 3 April
        2026 and Thursday 30 April 2026 (the hearing window for this premises licence review)."
        """
        if self.opens is None or self.closes is None:
            return self.why
        return (
            f"The hearing must be between {_bound(self.opens, first=True)} and"
            f" {_bound(self.closes, first=False)} (the hearing window for this {self.what})."
        )


def hearing_window(
    session: Session, referral: Referral, rulebook: RuleBook
) -> HearingWindow | None:
    """Read the hearing window from the case's derived deadlines (None before the process opens)."""
    if referral.case_id is None:
        return None
    rules = rules_for(referral.tool)
    if rules.hearing is None or rules.representations is None:
        return HearingWindow(
            None,
            None,
            f"The rule book sets no hearing window for a {ToolCode.label_of(referral.tool).lower()}:"
            " give the licence holder a fair chance to make representations first.",
        )
    rows = deadlines_of(session, referral.case_id)
    reps, hearing = rows.get(rules.representations), rows.get(rules.hearing)
    if reps is None or hearing is None:
        return None
    _title, citation = rule_words(rulebook, rules.hearing)
    return HearingWindow(
        reps.due_at,
        hearing.due_at,
        f"{citation} requires the hearing within {hearing.explanation.split(':')[0]}"
        f" (the representation period ends at {moment_text(reps.due_at)}).",
        ToolCode.label_of(referral.tool).lower(),
    )


def _check_in_window(
    session: Session, referral: Referral, hearing_at: datetime, rulebook: RuleBook
) -> None:
    """Refuse a hearing outside the window the case's deadlines give, saying why."""
    window = hearing_window(session, referral, rulebook)
    if window is None:
        raise ValidationFailed(
            {"hearing_on": "Record when the review application was received before listing"}
        )
    if (
        window.opens is not None
        and window.closes is not None
        and not (window.opens < hearing_at <= window.closes)
    ):
        raise ValidationFailed({"hearing_on": window.rule})


def _check_notice_possible(
    session: Session,
    referral: Referral,
    listed_at: datetime,
    hearing_at: datetime,
    now: datetime,
    calendar: WorkingCalendar,
    rulebook: RuleBook,
) -> None:
    """Refuse a hearing so soon that its notice would have been due before it was listed."""
    rules = rules_for(referral.tool)
    if rules.notice_of_hearing is not None and referral.case_id is not None:
        proposed = [
            *events_of(session, referral.case_id),
            Event(EventKind.HEARING_LISTED, listed_at, scheduled_for=hearing_at),
        ]
        notice = next(
            (
                d
                for d in derive_deadlines(referral.tool, proposed, calendar, rulebook, now)
                if d.rule.id == rules.notice_of_hearing
            ),
            None,
        )
        if notice is not None and notice.due_at < listed_at:
            raise ValidationFailed(
                {
                    "hearing_on": f"Notice of the hearing must be given at least"
                    f" {notice.rule.amount} {notice.rule.unit} before it ({notice.rule.citation}),"
                    f" so by {moment_text(notice.due_at)}: that was before the hearing was listed."
                    " Choose a later date."
                }
            )


def list_hearing(
    session: Session,
    actor: Actor,
    now: datetime,
    referral_id: int,
    expected_version: int,
    *,
    hearing_at: datetime | None,
    listed_at: datetime | None,
    calendar: WorkingCalendar,
    rulebook: RuleBook,
) -> Referral:
    """List the hearing on a date inside the window the clock gives; refuse any other, saying why.

    A premises licence review hearing must be after the representation period ends and within
    the hearing period (read from the case's deadlines, never recomputed here), and late enough
    that notice of it can be given in time after it is listed (the engine says by when).
    """
    referral = _for_clerk(
        session,
        actor,
        referral_id,
        expected_version,
        [_S.PROCESS_OPEN, _S.HEARING_LISTED],
        "list the hearing",
    )
    if referral.hearing_held_at is not None:
        raise ValidationFailed({"hearing_on": "The hearing has already been held"})
    errors: dict[str, str] = {}
    if hearing_at is None:
        errors["hearing_on"] = "Enter the date and time of the hearing"
    if listed_at is None:
        errors["listed_on"] = "Enter when the hearing was listed"
    elif listed_at > now:
        errors["listed_on"] = "The hearing cannot be listed in the future"
    if errors:
        raise ValidationFailed(errors)
    assert hearing_at is not None and listed_at is not None
    if hearing_at <= listed_at:
        raise ValidationFailed({"hearing_on": "The hearing must be after the time it was listed"})
    _check_in_window(session, referral, hearing_at, rulebook)
    _check_notice_possible(session, referral, listed_at, hearing_at, now, calendar, rulebook)
    _record(
        session,
        actor,
        now,
        referral,
        EventKind.HEARING_LISTED,
        listed_at,
        "listed_on",
        calendar,
        rulebook,
        scheduled_for=hearing_at,
        scheduled_field="hearing_on",
    )
    before = audit.snapshot(referral, ("status", "hearing_at"))
    referral.hearing_at = hearing_at
    set_status(referral, _S.HEARING_LISTED, now)
    flag_modified(referral, "updated_at")
    session.flush()
    _hearing_reminder(session, actor, now, referral)
    audit.record(
        session,
        actor,
        now,
        action="referral.list_hearing",
        entity_type=SUBJECT,
        entity_id=referral.id,
        summary=f"Listed the hearing of committee referral {referral.reference} for"
        f" {moment_text(hearing_at)}",
        before=before,
        after=audit.snapshot(referral, ("status", "hearing_at")),
    )
    return referral


def _hearing_reminder(session: Session, actor: Actor, now: datetime, referral: Referral) -> None:
    """Keep the clerks' hearing reminder in step with the listing (none once it is held)."""
    wanted: list[reminders.ReminderSpec] = []
    if referral.hearing_at is not None and referral.hearing_held_at is None:
        wanted.append(
            reminders.ReminderSpec(
                kind=ReminderKind.HEARING,
                subject_type=SUBJECT,
                subject_id=referral.id,
                title=f"Licensing sub-committee hearing: referral {referral.reference}",
                due_at=referral.hearing_at,
                premises_id=referral.premises_id,
                team=routing.route(ReminderKind.HEARING).team,
            )
        )
    reminders.reconcile(
        session,
        kind=ReminderKind.HEARING,
        subject_type=SUBJECT,
        wanted={referral.id: wanted},
        now=now,
        actor=actor,
        default_reason="Hearing held or moved",
    )


def record_notice_given(
    session: Session,
    actor: Actor,
    now: datetime,
    referral_id: int,
    expected_version: int,
    *,
    given_at: datetime | None,
    calendar: WorkingCalendar,
    rulebook: RuleBook,
) -> Referral:
    """Record that notice of the hearing was given (meets the notice deadline, or shows it late)."""
    referral = _for_clerk(
        session, actor, referral_id, expected_version, [_S.HEARING_LISTED], "record the notice"
    )
    if rules_for(referral.tool).notice_of_hearing is None:
        raise ValidationFailed({"given_on": "This process has no notice of hearing to record"})
    if given_at is None:
        raise ValidationFailed({"given_on": "Enter when notice of the hearing was given"})
    _record(
        session,
        actor,
        now,
        referral,
        EventKind.NOTICE_OF_HEARING_GIVEN,
        given_at,
        "given_on",
        calendar,
        rulebook,
    )
    referral.updated_at = now
    flag_modified(referral, "updated_at")
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="referral.notice_given",
        entity_type=SUBJECT,
        entity_id=referral.id,
        summary=f"Recorded notice of the hearing of committee referral {referral.reference}",
        after={"given_at": given_at.isoformat()},
    )
    return referral


@dataclass(frozen=True)
class RepresentationInput:
    party: str
    count: int | None
    summary: str
    received_on: date | None


def add_representations(
    session: Session,
    actor: Actor,
    now: datetime,
    referral_id: int,
    expected_version: int,
    data: RepresentationInput,
) -> ReferralRepresentation:
    """Record representations received from one kind of party; none after the period ends."""
    referral = _for_clerk(
        session,
        actor,
        referral_id,
        expected_version,
        [_S.PROCESS_OPEN, _S.HEARING_LISTED],
        "record representations",
    )
    errors: dict[str, str] = {}
    today = london_today(now)
    if data.party not in {p.value for p in Party}:
        errors["party"] = "Select who made the representations"
    if data.count is None or not 1 <= data.count <= MAX_REPRESENTATIONS:
        errors["count"] = f"Enter how many, from 1 to {MAX_REPRESENTATIONS:,}"
    summary = (data.summary or "").strip()
    if not summary:
        errors["summary"] = "Summarise what the representations say"
    else:
        check_text(errors, "summary", "The summary", summary, MAX_TEXT, today)
    if data.received_on is None:
        errors["received_on"] = "Enter the date they were received"
    elif data.received_on > today:
        errors["received_on"] = "The date received cannot be in the future"
    else:
        rules = rules_for(referral.tool)
        period = deadlines_of(session, referral.case_id).get(rules.representations or "")
        if period is not None and london_midnight_utc(data.received_on) > period.due_at:
            errors["received_on"] = (
                f"The representation period ended at {moment_text(period.due_at)}:"
                " representations received after it cannot be considered"
            )
    if errors:
        raise ValidationFailed(errors)
    assert data.received_on is not None and data.count is not None
    row = ReferralRepresentation(
        referral_id=referral.id,
        party=data.party,
        count=data.count,
        summary=summary,
        received_on=data.received_on,
        recorded_by_id=actor.user_id,
        recorded_at=now,
    )
    session.add(row)
    referral.updated_at = now
    flag_modified(referral, "updated_at")
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="referral.representations",
        entity_type=SUBJECT,
        entity_id=referral.id,
        summary=f"Recorded {data.count} representation{'s' if data.count != 1 else ''} from"
        f" {Party.label_of(data.party).lower()} in committee referral {referral.reference}",
        after={
            "party": data.party,
            "count": data.count,
            "received_on": data.received_on.isoformat(),
        },
    )
    return row


@dataclass(frozen=True)
class OutcomeInput:
    """The hearing held and the sub-committee's decision (with its notification, if given yet)."""

    held_at: datetime | None
    decided_at: datetime | None
    decision: str
    reasons: str
    notified_at: datetime | None = None
    suspension_months: int | None = None
    new_conditions: tuple[str, ...] = ()
    withdrawn_condition_ids: frozenset[int] = frozenset()


def _outcome_problems(
    session: Session,
    referral: Referral,
    data: OutcomeInput,
    new_conditions: tuple[str, ...],
    withdrawn: frozenset[int],
    reasons: str,
    today: date,
) -> dict[str, str]:
    """Return what is wrong with a recorded outcome, keyed by form field."""
    errors: dict[str, str] = {}
    if data.held_at is None:
        errors["held_on"] = "Enter when the hearing was held"
    if data.decided_at is None:
        errors["decided_on"] = "Enter when the sub-committee made its decision"
    if data.decision not in {d.value for d in decisions_for(referral.tool)}:
        errors["decision"] = "Select the decision the sub-committee made"
    elif data.decision == Recommendation.SUSPEND and not (
        data.suspension_months is not None and 1 <= data.suspension_months <= MAX_SUSPENSION_MONTHS
    ):
        errors["decision_suspension_months"] = "A suspension is for 1, 2 or 3 months"
    if data.decision == Recommendation.MODIFY_CONDITIONS:
        if not new_conditions and not withdrawn:
            errors["new_conditions"] = "Enter the new conditions, or choose conditions to remove"
        elif any(len(c) > licences.MAX_CONDITION_LENGTH for c in new_conditions):
            errors["new_conditions"] = (
                f"Each condition must be {licences.MAX_CONDITION_LENGTH:,} characters or fewer"
            )
        own = set(
            session.scalars(
                select(LicenceCondition.id).where(
                    LicenceCondition.licence_id == referral.licence_id,
                    LicenceCondition.is_active.is_(True),
                )
            )
        )
        if withdrawn - own:
            errors["withdrawn_condition_ids"] = "Choose conditions the licence has now"
    if not reasons:
        errors["reasons"] = "Give the sub-committee's reasons"
    else:
        check_text(errors, "reasons", Plural("The reasons"), reasons, MAX_NARRATIVE, today)
    if data.held_at is not None and data.decided_at is not None and data.decided_at < data.held_at:
        errors["decided_on"] = "The decision cannot come before the hearing"
    if (
        data.notified_at is not None
        and data.decided_at is not None
        and data.notified_at < data.decided_at
    ):
        errors["notified_on"] = "The decision cannot be notified before it was made"
    return errors


def record_outcome(
    session: Session,
    actor: Actor,
    now: datetime,
    referral_id: int,
    expected_version: int,
    data: OutcomeInput,
    *,
    calendar: WorkingCalendar,
    rulebook: RuleBook,
) -> Referral:
    """Record that the hearing was held and what the sub-committee decided, and why.

    The decision takes effect only later (see `apply_due_effects`): nothing changes on the
    licence yet.
    """
    referral = _for_clerk(
        session, actor, referral_id, expected_version, [_S.HEARING_LISTED], "record the outcome"
    )
    new_conditions = tuple(c.strip() for c in data.new_conditions if c.strip())
    withdrawn = frozenset(data.withdrawn_condition_ids)
    reasons = (data.reasons or "").strip()
    if errors := _outcome_problems(
        session, referral, data, new_conditions, withdrawn, reasons, london_today(now)
    ):
        raise ValidationFailed(errors)
    assert data.held_at is not None and data.decided_at is not None
    for kind, at, field_name in (
        (EventKind.HEARING_HELD, data.held_at, "held_on"),
        (EventKind.DECISION_MADE, data.decided_at, "decided_on"),
        (EventKind.DECISION_NOTIFIED, data.notified_at, "notified_on"),
    ):
        if at is not None:
            _record(session, actor, now, referral, kind, at, field_name, calendar, rulebook)
    before = referral.status
    referral.hearing_held_at = data.held_at
    referral.decided_at = data.decided_at
    referral.notified_at = data.notified_at
    referral.decision = data.decision
    referral.decision_suspension_months = (
        data.suspension_months if data.decision == Recommendation.SUSPEND else None
    )
    modify = data.decision == Recommendation.MODIFY_CONDITIONS
    referral.decision_conditions = json.dumps(list(new_conditions)) if modify else None
    referral.decision_withdrawn = json.dumps(sorted(withdrawn)) if modify else None
    referral.decision_reasons = reasons
    set_status(referral, _S.DECIDED, now)
    session.flush()
    _hearing_reminder(session, actor, now, referral)
    audit.record(
        session,
        actor,
        now,
        action="referral.decision",
        entity_type=SUBJECT,
        entity_id=referral.id,
        summary=f"Recorded the decision in committee referral {referral.reference}:"
        f" {DECISION_LABELS.get(data.decision, data.decision).lower()}",
        before={"status": before},
        after={
            "status": referral.status,
            "decision": referral.decision,
            "suspension_months": referral.decision_suspension_months,
            "new_conditions": list(new_conditions) if modify else [],
            "withdrawn_condition_ids": sorted(withdrawn) if modify else [],
            "held_at": data.held_at.isoformat(),
            "decided_at": data.decided_at.isoformat(),
            "notified_at": data.notified_at.isoformat() if data.notified_at else None,
        },
    )
    return referral


def record_notification(
    session: Session,
    actor: Actor,
    now: datetime,
    referral_id: int,
    expected_version: int,
    *,
    notified_at: datetime | None,
    calendar: WorkingCalendar,
    rulebook: RuleBook,
) -> Referral:
    """Record when the decision was notified: the appeal period counts from it."""
    referral = _for_clerk(
        session, actor, referral_id, expected_version, [_S.DECIDED], "record the notification"
    )
    if referral.notified_at is not None:
        raise ValidationFailed({"notified_on": "The notification has already been recorded"})
    if notified_at is None:
        raise ValidationFailed({"notified_on": "Enter when the decision was notified"})
    if referral.decided_at is not None and notified_at < referral.decided_at:
        raise ValidationFailed(
            {"notified_on": "The decision cannot be notified before it was made"}
        )
    _record(
        session,
        actor,
        now,
        referral,
        EventKind.DECISION_NOTIFIED,
        notified_at,
        "notified_on",
        calendar,
        rulebook,
    )
    referral.notified_at = notified_at
    referral.updated_at = now
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="referral.notified",
        entity_type=SUBJECT,
        entity_id=referral.id,
        summary=f"Recorded that the decision in committee referral {referral.reference} was notified",
        after={"notified_at": notified_at.isoformat()},
    )
    return referral


def record_appeal(
    session: Session,
    actor: Actor,
    now: datetime,
    referral_id: int,
    expected_version: int,
    *,
    lodged_at: datetime | None,
    calendar: WorkingCalendar,
    rulebook: RuleBook,
) -> Referral:
    """Record an appeal lodged: the decision has no effect until the appeal is decided.

    An appeal lodged in time may be recorded after the decision took effect (the appeal period
    ended before the clerk heard of it): the decision's effect is then undone, audited, as the
    law says it has none until the appeal is disposed of (Licensing Act 2003 s52(11)); dismissed
    or withdrawn, it takes effect again then. An appeal lodged after the appeal period is refused.
    """
    referral = _for_clerk(
        session, actor, referral_id, expected_version, [_S.DECIDED, _S.CLOSED], "record an appeal"
    )
    if referral.status == _S.CLOSED and not appeal_open_after_effect(referral):
        raise ValidationFailed(
            {"lodged_on": "You cannot record an appeal now: the referral is closed"}
        )
    if lodged_at is None:
        raise ValidationFailed({"lodged_on": "Enter when the appeal was lodged"})
    period = _appeal_period_ends(session, referral)
    if period is not None and lodged_at > period:
        raise ValidationFailed(
            {
                "lodged_on": f"The appeal period ended at {moment_text(period)}: an appeal"
                " lodged after it cannot be recorded against the decision"
            }
        )
    if referral.decided_at is not None and lodged_at < referral.decided_at:
        raise ValidationFailed({"lodged_on": "An appeal cannot be lodged before the decision"})
    before = referral.status
    _record(
        session,
        actor,
        now,
        referral,
        EventKind.APPEAL_LODGED,
        lodged_at,
        "lodged_on",
        calendar,
        rulebook,
    )
    referral.appeal_lodged_at = lodged_at
    if referral.effect_applied_at is not None:
        _undo_effect(
            session,
            now,
            referral,
            f"an appeal against the decision in committee referral {referral.reference} was"
            f" lodged on {day_text(lodged_at)}",
        )
    set_status(referral, _S.APPEALED, now)
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="referral.appeal",
        entity_type=SUBJECT,
        entity_id=referral.id,
        summary=f"Recorded an appeal against the decision in committee referral {referral.reference}",
        before={"status": before},
        after={"status": referral.status, "lodged_at": lodged_at.isoformat()},
    )
    return referral


def record_appeal_decision(
    session: Session,
    actor: Actor,
    now: datetime,
    referral_id: int,
    expected_version: int,
    *,
    decided_at: datetime | None,
    outcome: str,
    calendar: WorkingCalendar,
    rulebook: RuleBook,
) -> Referral:
    """Record how the appeal ended: dismissed or withdrawn, the decision takes effect then."""
    referral = _for_clerk(
        session, actor, referral_id, expected_version, [_S.APPEALED], "record the appeal's outcome"
    )
    errors: dict[str, str] = {}
    if decided_at is None:
        errors["appeal_decided_on"] = "Enter when the appeal was decided or withdrawn"
    if outcome not in {o.value for o in AppealOutcome}:
        errors["appeal_outcome"] = "Select how the appeal ended"
    if errors:
        raise ValidationFailed(errors)
    assert decided_at is not None
    _record(
        session,
        actor,
        now,
        referral,
        EventKind.APPEAL_DECIDED,
        decided_at,
        "appeal_decided_on",
        calendar,
        rulebook,
        note=AppealOutcome.label_of(outcome),
    )
    referral.appeal_outcome = outcome
    referral.appeal_decided_at = decided_at
    referral.updated_at = now
    flag_modified(referral, "updated_at")
    if outcome == AppealOutcome.ALLOWED:
        if referral.effect_applied_at is not None:
            _undo_effect(
                session,
                now,
                referral,
                f"the appeal against the decision in committee referral {referral.reference}"
                " was allowed",
            )
        set_status(referral, _S.CLOSED, now)
        referral.effect_summary = "The appeal was allowed: the decision did not take effect."
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="referral.appeal_decided",
        entity_type=SUBJECT,
        entity_id=referral.id,
        summary=f"Recorded the outcome of the appeal in committee referral {referral.reference}:"
        f" {AppealOutcome.label_of(outcome).lower()}",
        after={"outcome": outcome, "decided_at": decided_at.isoformat()},
    )
    if outcome in DECISION_STANDS:
        apply_due_effects(session, now, referral_ids=[referral.id])
    return referral


# ---------------------------------------------------------------------------------------------
# The decision taking effect


def effect_from(
    decision: str | None,
    effect_applied_at: datetime | None,
    appeal_lodged_at: datetime | None,
    appeal_outcome: str | None,
    appeal_decided_at: datetime | None,
    appeal_period_ends: datetime | None,
) -> datetime | None:
    """Say from when a decision may take effect, or None while it cannot (yet, or ever).

    Licensing Act 2003 s52(11): not until the appeal period ends or an appeal is disposed of.
    An appeal lodged suspends it; dismissed or withdrawn, the decision takes effect then;
    allowed, never. Before notification there is no appeal period yet, so no date.
    `appeal_period_ends` is read from the case's derived appeal deadline.
    """
    if decision is None or effect_applied_at is not None:
        return None
    if appeal_lodged_at is not None:
        return appeal_decided_at if appeal_outcome in DECISION_STANDS else None
    return appeal_period_ends


def effect_due(referral: Referral, appeal_period_ends: datetime | None) -> datetime | None:
    """Say from when a referral's decision may take effect (see `effect_from`)."""
    return effect_from(
        referral.decision,
        referral.effect_applied_at,
        referral.appeal_lodged_at,
        referral.appeal_outcome,
        referral.appeal_decided_at,
        appeal_period_ends,
    )


def _due_clause(now: datetime, appeal: Any) -> Any:
    return and_(
        Referral.status.in_([_S.DECIDED.value, _S.APPEALED.value]),
        Referral.effect_applied_at.is_(None),
        Referral.decision.is_not(None),
        or_(
            and_(Referral.appeal_lodged_at.is_(None), appeal.due_at < now),
            and_(
                Referral.appeal_outcome.in_([o.value for o in DECISION_STANDS]),
                Referral.appeal_decided_at <= now,
            ),
        ),
    )


def apply_due_effects(
    session: Session, now: datetime, *, referral_ids: Sequence[int] | None = None, limit: int = 200
) -> list[Referral]:
    """Apply every decision whose time to take effect has come; end suspensions that have run.

    Idempotent: a decision applied once is stamped and never applied again, and the referral's
    version makes two appliers at once (the scheduler and a page view) collide rather than
    both change the licence. Called by the scheduler's tick and when a referral is viewed.
    Returns the referrals changed.
    """
    appeal = aliased(CaseDeadline)
    stmt = (
        select(Referral, appeal.due_at)
        .outerjoin(
            appeal,
            and_(appeal.case_id == Referral.case_id, appeal.rule_id.in_(APPEAL_RULE_IDS)),
        )
        .where(_due_clause(now, appeal))
        .order_by(Referral.id)
        .limit(limit)
    )
    if referral_ids is not None:
        stmt = stmt.where(Referral.id.in_(referral_ids))
    changed = []
    for referral, ends in session.execute(stmt).all():
        took_effect = effect_due(referral, ends)
        if took_effect is None or took_effect > now:
            continue
        _apply(session, now, referral, took_effect)
        changed.append(referral)
    ending = select(Referral).where(
        Referral.decision == Recommendation.SUSPEND.value,
        Referral.effect_applied_at.is_not(None),
        Referral.suspension_ended_at.is_(None),
        Referral.suspension_ends_at <= now,
    )
    if referral_ids is not None:
        ending = ending.where(Referral.id.in_(referral_ids))
    for referral in session.scalars(ending.order_by(Referral.id).limit(limit)):
        _end_suspension(session, now, referral)
        changed.append(referral)
    return changed


def status_in_effect(now: datetime, licence_id: Any) -> Any:
    """A correlated SQL expression: the status a licence has at `now` by a Licensing Committee
    decision that has taken effect but is not applied yet, or NULL; for the public register.

    The scheduler applies a decision within a tick of it taking effect; until then the licence
    still says what it said. Only revocations and suspensions change a status (a revocation
    first); a decision within its appeal period, or under appeal, has not taken effect (see
    `effect_from`), so it gives NULL. `licence_id` is the outer query's licence id column.
    """
    appeal = aliased(CaseDeadline)
    revoke, suspend = Recommendation.REVOKE.value, Recommendation.SUSPEND.value
    return (
        select(
            case(
                (Referral.decision == revoke, LicenceStatus.REVOKED.value),
                else_=LicenceStatus.SUSPENDED.value,
            )
        )
        .outerjoin(
            appeal,
            and_(appeal.case_id == Referral.case_id, appeal.rule_id.in_(APPEAL_RULE_IDS)),
        )
        .where(
            Referral.licence_id == licence_id,
            Referral.decision.in_([revoke, suspend]),
            _due_clause(now, appeal),
        )
        .order_by(case((Referral.decision == revoke, 0), else_=1), Referral.id)
        .limit(1)
        .correlate_except(Referral, appeal)
        .scalar_subquery()
    )


def _decision_actor(referral: Referral) -> Actor:
    return Actor.system(f"Licensing Committee decision (referral {referral.reference})")


def _apply(session: Session, now: datetime, referral: Referral, took_effect: datetime) -> None:
    """Change the licence as the decision says, from `took_effect` (the end of the appeal period,
    so in effect from the next instant: the next London day for a period ending with a day)."""
    actor = _decision_actor(referral)
    starts = took_effect + timedelta(microseconds=1)
    licence = session.get(Licence, referral.licence_id)
    assert licence is not None
    why = f"decision in committee referral {referral.reference} took effect"
    decision = referral.decision
    # Kept on the audit event, so undoing the effect puts back what the licence was.
    status_before = licence.status
    summary: str
    if licence.status not in IN_FORCE and decision != Recommendation.NO_ACTION:
        summary = (
            f"The decision took effect on {day_text(starts)}, but the licence was already"
            f" {LicenceStatus.label_of(licence.status).lower()}: {LEFT_AS_IT_WAS}."
        )
    elif decision == Recommendation.REVOKE:
        licences.change_status(session, actor, now, licence.id, LicenceStatus.REVOKED, reason=why)
        summary = f"Licence {licence.reference} revoked with effect from {day_text(starts)}."
    elif decision == Recommendation.SUSPEND:
        months = referral.decision_suspension_months or 1
        ends_day = add_months(to_london(starts).date(), months)
        referral.suspension_ends_at = london_midnight_utc(ends_day)
        licences.change_status(
            session,
            actor,
            now,
            licence.id,
            LicenceStatus.SUSPENDED,
            reason=f"{why}; suspended until {ends_day.day} {ends_day:%B %Y}",
        )
        summary = (
            f"Licence {licence.reference} suspended from {day_text(starts)} until"
            f" {ends_day.day} {ends_day:%B %Y}."
        )
    elif decision == Recommendation.MODIFY_CONDITIONS:
        withdrawn = json.loads(referral.decision_withdrawn or "[]")
        added = json.loads(referral.decision_conditions or "[]")
        for condition_id in withdrawn:
            licences.set_condition_active(session, actor, now, int(condition_id), False)
        for text in added:
            licences.add_condition(
                session, actor, now, licence.id, str(text), source_referral_id=referral.id
            )
        summary = (
            f"Conditions of licence {licence.reference} modified with effect from"
            f" {day_text(starts)}: {len(added)} added, {len(withdrawn)} removed."
        )
    elif decision == Recommendation.REMOVE_DPS:
        licences.remove_dps(session, actor, now, licence.id, reason=why)
        summary = (
            f"The designated premises supervisor was removed from licence {licence.reference}"
            f" with effect from {day_text(starts)}."
        )
    else:
        summary = "No action was taken on the licence."
    referral.effect_applied_at = now
    referral.effect_summary = summary[:400]
    before = set_status(referral, _S.CLOSED, now)
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="referral.effect",
        entity_type=SUBJECT,
        entity_id=referral.id,
        summary=summary,
        before={"status": before},
        after={
            "status": referral.status,
            "took_effect": took_effect.isoformat(),
            "licence_status_before": status_before,
        },
    )


#: How an effect that did not touch the licence ends its summary (so undoing it touches nothing).
LEFT_AS_IT_WAS = "it was left as it was"


def appeal_open_after_effect(referral: Referral) -> bool:
    """Say whether an appeal may still be recorded on a referral closed by its decision's effect."""
    return (
        referral.status == _S.CLOSED
        and referral.effect_applied_at is not None
        and referral.appeal_lodged_at is None
        and referral.decision is not None
    )


def _appeal_period_ends(session: Session, referral: Referral) -> datetime | None:
    rows = deadlines_of(session, referral.case_id)
    return next((rows[r].due_at for r in APPEAL_RULE_IDS if r in rows), None)


def _status_before_effect(
    session: Session, now: datetime, referral: Referral, licence: Licence, decided: str
) -> str:
    """The status a licence had before a decision's effect changed it to `decided`.

    Read from the audit: the `referral.effect` event keeps the licence's status before it
    (`licence_status_before`, among the event's after values); for an effect applied before it was kept there, the `licence.status`
    event of the change to `decided`. A licence suspended by another committee decision whose
    suspension has ended meanwhile is active again; one with nothing on record too.
    """
    found: str | None = None
    effect = session.scalar(
        select(AuditEvent.after_json)
        .where(
            AuditEvent.action == "referral.effect",
            AuditEvent.entity_type == SUBJECT,
            AuditEvent.entity_id == str(referral.id),
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    if effect:
        found = json.loads(effect).get("licence_status_before")
    if found is None:
        for before_json, after_json in session.execute(
            select(AuditEvent.before_json, AuditEvent.after_json)
            .where(
                AuditEvent.action == "licence.status",
                AuditEvent.entity_type == "licence",
                AuditEvent.entity_id == str(licence.id),
            )
            .order_by(AuditEvent.id.desc())
        ):
            if json.loads(after_json or "{}").get("status") == decided:
                found = json.loads(before_json or "{}").get("status")
                break
    if found == LicenceStatus.SUSPENDED.value:
        # Suspended by another decision: only while that suspension still runs.
        others = list(
            session.execute(
                select(Referral.suspension_ends_at, Referral.suspension_ended_at)
                .where(
                    Referral.licence_id == licence.id,
                    Referral.id != referral.id,
                    Referral.decision == Recommendation.SUSPEND.value,
                    Referral.suspension_ends_at.is_not(None),
                )
                .order_by(Referral.id)
            )
        )
        running = [
            ends for ends, ended in others if ended is None and ends is not None and ends > now
        ]
        if others and not running:
            found = LicenceStatus.ACTIVE.value
    if found not in IN_FORCE:
        return LicenceStatus.ACTIVE.value
    return found


def _undo_effect(session: Session, now: datetime, referral: Referral, why: str) -> None:
    """Undo a decision's effect on the licence, audited: an appeal suspends it, or overturned it.

    The licence is in force again, with the status it had before the effect (a licence that
    was suspended before a revocation is suspended again; see `_status_before_effect`), and
    conditions the decision added are withdrawn and those it removed reinstated. An effect that
    left the licence as it was undoes nothing on it.
    """
    actor = _decision_actor(referral)
    licence = session.get(Licence, referral.licence_id)
    assert licence is not None
    touched = not (referral.effect_summary or "").endswith(f"{LEFT_AS_IT_WAS}.")
    decision = referral.decision
    undone: dict[str | None, str] = {
        Recommendation.REVOKE: LicenceStatus.REVOKED.value,
        Recommendation.SUSPEND: LicenceStatus.SUSPENDED.value,
    }
    if touched and decision in undone and licence.status == undone[decision]:
        restored = _status_before_effect(session, now, referral, licence, undone[decision])
        if restored != licence.status:
            licences.change_status(session, actor, now, licence.id, restored, reason=why)
    elif touched and decision == Recommendation.MODIFY_CONDITIONS:
        for condition in session.scalars(
            select(LicenceCondition)
            .where(
                LicenceCondition.source_referral_id == referral.id,
                LicenceCondition.is_active.is_(True),
            )
            .order_by(LicenceCondition.id)
        ):
            licences.set_condition_active(session, actor, now, condition.id, False)
        for condition_id in json.loads(referral.decision_withdrawn or "[]"):
            licences.set_condition_active(session, actor, now, int(condition_id), True)
    assert referral.effect_applied_at is not None
    before = {"effect_applied_at": referral.effect_applied_at.isoformat()}
    referral.effect_applied_at = None
    referral.suspension_ends_at = None
    referral.suspension_ended_at = None
    referral.effect_summary = f"Licence {licence.reference} restored: {why}."[:400]
    referral.updated_at = now
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="referral.effect_undone",
        entity_type=SUBJECT,
        entity_id=referral.id,
        summary=f"The decision in committee referral {referral.reference} no longer has effect:"
        f" {why}",
        before=before,
        after={"licence_status": licence.status},
    )


def _end_suspension(session: Session, now: datetime, referral: Referral) -> None:
    actor = _decision_actor(referral)
    licence = session.get(Licence, referral.licence_id)
    assert licence is not None
    referral.suspension_ended_at = now
    referral.updated_at = now
    if licence.status == LicenceStatus.SUSPENDED:
        licences.change_status(
            session,
            actor,
            now,
            licence.id,
            LicenceStatus.ACTIVE,
            reason=f"suspension in committee referral {referral.reference} ended",
        )
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="referral.suspension_ended",
        entity_type=SUBJECT,
        entity_id=referral.id,
        summary=f"The suspension in committee referral {referral.reference} ended",
    )
