"""The statutory clock: enforcement rules as data and a pure engine that derives deadlines from events."""

from __future__ import annotations

import calendar as _monthcal
import functools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple

from enforcement.calendar import WorkingCalendar
from enforcement.clock import LONDON, london_midnight_utc, to_london
from enforcement.errors import ValidationFailed
from enforcement.vocab import Labelled, OrganisationKind

# ---------------------------------------------------------------------------------------------
# Vocabularies


class EventKind(Labelled):
    """What happened in a case; every deadline counts from, and is met by, one of these."""

    NOTICE_ISSUED = "notice_issued", "Notice issued"
    NOTICE_SERVED = "notice_served", "Notice served"
    NOTICE_EXTENDED = "notice_extended", "Notice extended (or issued for 48 hours)"
    NOTICE_CANCELLED = "notice_cancelled", "Notice cancelled"
    NOTICE_CONTINUED = "notice_continued", "Court continued the notice"
    APPLICATION_RECEIVED = "application_received", "Application received"
    HOLDER_NOTIFIED = "holder_notified", "Holder and responsible authorities notified"
    INTERIM_STEPS_CONSIDERED = "interim_steps_considered", "Interim steps considered"
    REPRESENTATIONS_CLOSED = "representations_closed", "Representations closed"
    HEARING_LISTED = "hearing_listed", "Hearing listed"
    NOTICE_OF_HEARING_GIVEN = "notice_of_hearing_given", "Notice of hearing given"
    HEARING_HELD = "hearing_held", "Hearing held"
    HEARING_ADJOURNED = "hearing_adjourned", "Hearing adjourned"
    ORDER_MADE = "order_made", "Order made"
    ORDER_REFUSED = "order_refused", "Order refused"
    ORDER_SERVED = "order_served", "Order served"
    ORDER_NOTICE_RECEIVED = "order_notice_received", "Notice of closure order received"
    EXTENSION_APPLIED = "extension_applied", "Extension applied for"
    ORDER_EXTENDED = "order_extended", "Order extended"
    ORDER_EXPIRED = "order_expired", "Order expired"
    ORDER_DISCHARGED = "order_discharged", "Order discharged"
    DETAILS_NOTIFIED = "details_notified", "Name and address notified"
    DECISION_MADE = "decision_made", "Decision made"
    DECISION_NOTIFIED = "decision_notified", "Decision notified"
    APPEAL_LODGED = "appeal_lodged", "Appeal lodged"
    APPEAL_DECIDED = "appeal_decided", "Appeal decided"
    COMPENSATION_CLAIMED = "compensation_claimed", "Compensation claimed"
    VISIT_RECORDED = "visit_recorded", "Welfare visit recorded"
    RETURN_VISIT_MADE = "return_visit_made", "Return visit made"
    POSTER_CHECK_FAILED = "poster_check_failed", "Poster check failed"
    FOLLOW_UP_INSPECTED = "follow_up_inspected", "Follow-up inspection held"
    FLAG_RECORDED = "flag_recorded", "Intelligence flag recorded"
    FLAG_REVIEWED = "flag_reviewed", "Intelligence flag reviewed"


# How each event reads inside a sentence ("48 hours from service of the notice at ...").
_PHRASE: dict[EventKind, str] = {
    EventKind.NOTICE_ISSUED: "issue of the notice",
    EventKind.NOTICE_SERVED: "service of the notice",
    EventKind.NOTICE_CONTINUED: "the court's order continuing the notice",
    EventKind.APPLICATION_RECEIVED: "receipt of the application",
    EventKind.HEARING_LISTED: "the hearing",
    EventKind.HEARING_HELD: "the hearing",
    EventKind.HEARING_ADJOURNED: "the adjournment",
    EventKind.NOTICE_CANCELLED: "cancellation of the notice",
    EventKind.ORDER_MADE: "the order",
    EventKind.ORDER_REFUSED: "refusal of the order",
    EventKind.ORDER_EXTENDED: "the extension of the order",
    EventKind.ORDER_EXPIRED: "the end of the order",
    EventKind.ORDER_DISCHARGED: "discharge of the order",
    EventKind.ORDER_SERVED: "service of the order",
    EventKind.ORDER_NOTICE_RECEIVED: "receipt of the closure order notice",
    EventKind.DECISION_NOTIFIED: "notification of the decision",
    EventKind.VISIT_RECORDED: "the visit",
    EventKind.POSTER_CHECK_FAILED: "the failed poster check",
    EventKind.FLAG_RECORDED: "the flag",
    EventKind.FLAG_REVIEWED: "the last review",
}


def _phrase(kind: EventKind) -> str:
    return _PHRASE.get(kind, kind.label.lower())


class ToolCode(Labelled):
    """One enforcement tool from the toolkit; a case uses exactly one."""

    ASBCPA_CLOSURE = "asbcpa_closure", "Closure notice and order (2014 Act)"
    SOA_CLOSURE = "soa_closure", "Closure notice and order (Sexual Offences Act 2003)"
    ILLEGAL_WORKING_CLOSURE = "illegal_working_closure", "Illegal working closure"
    PREMISES_REVIEW = "premises_review", "Premises licence review"
    SUMMARY_REVIEW = "summary_review", "Summary review"
    CLOSURE_REVIEW = "closure_review", "Premises licence review after a closure order"
    SPECIAL_TREATMENT = "special_treatment", "Special treatment licence revocation"
    STPO = "stpo", "Slavery and trafficking prevention order"
    STRO = "stro", "Slavery and trafficking risk order"
    PROSECUTION = "prosecution", "Prosecution"
    WELFARE_VISIT = "welfare_visit", "Welfare visit follow-up"
    POSTER_FOLLOW_UP = "poster_follow_up", "Poster follow-up inspection"
    INTELLIGENCE_REVIEW = "intelligence_review", "Intelligence review"


class Counting(StrEnum):
    """How a statute counts a period from its anchor.

    Date-based periods end with a London calendar day (the "last day"); hour-based periods
    count real elapsed time from the anchor instant, so they are 48 real hours across a
    clock change even though the wall clock moves by 47 or 49.
    """

    BEGINNING_WITH = "beginning_with"  # N days beginning with the day of X: last day X + N - 1
    STARTING_DAY_AFTER = "starting_day_after"  # N days starting the day after X: last day X + N
    WORKING_DAYS_AFTER = "working_days_after"  # the N-th working day after X
    WORKING_DAYS_BEGINNING_WITH = "working_days_beginning_with"  # X counts if a working day
    WORKING_DAYS_BEFORE = "working_days_before"  # latest day: the N-th working day before X
    DAYS_BEFORE = "days_before"  # latest day: X - N
    HOURS_AFTER = "hours_after"  # real elapsed hours
    HOURS_AFTER_NO_XMAS = "hours_after_no_xmas"  # time on 25 December (London) not counted
    WORKING_HOURS_AFTER = "working_hours_after"  # time on non-working days not counted
    MONTHS_AFTER = "months_after"  # last day: the corresponding date N months on
    MONTHS_BEGINNING_WITH = "months_beginning_with"  # "N months starting with the day of X"
    YEARS_BEGINNING_WITH = "years_beginning_with"  # "N years beginning with the day of X"

    @property
    def is_hours(self) -> bool:
        """Say whether the period is clock time rather than calendar days."""
        return self in _HOUR_COUNTS

    @property
    def is_before(self) -> bool:
        """Say whether the period counts back from the anchor ("at least N before")."""
        return self in (Counting.WORKING_DAYS_BEFORE, Counting.DAYS_BEFORE)

    @property
    def unit(self) -> str:
        """Return the unit the amount is in, as words."""
        if self.is_hours:
            return "hours"
        if self in _WORKING_DAY_COUNTS:
            return "working days"
        if self in (Counting.MONTHS_AFTER, Counting.MONTHS_BEGINNING_WITH):
            return "months"
        if self is Counting.YEARS_BEGINNING_WITH:
            return "years"
        return "days"


_HOUR_COUNTS = frozenset(
    {Counting.HOURS_AFTER, Counting.HOURS_AFTER_NO_XMAS, Counting.WORKING_HOURS_AFTER}
)
_WORKING_DAY_COUNTS = frozenset(
    {
        Counting.WORKING_DAYS_AFTER,
        Counting.WORKING_DAYS_BEGINNING_WITH,
        Counting.WORKING_DAYS_BEFORE,
    }
)


class Direction(StrEnum):
    """What a deadline asks of the people in the case."""

    BY = "by"  # something must happen by due_at (met or missed)
    WINDOW = "window"  # something may be done, but only by due_at (an appeal, a claim)
    BEFORE = "before"  # at least N before the anchor: due_at is the latest permitted instant
    EXPIRES = "expires"  # a notice, order or period ends at due_at at the latest
    NOT_BEFORE = "not_before"  # a minimum period: nothing may end it before due_at


class ScheduledUse(StrEnum):
    """What to do with a date set on the anchor record itself (Event.scheduled_for)."""

    IGNORE = "ignore"
    CAP = "cap"  # the record may set an earlier end (an order made for 6 weeks, not 3 months)
    REPLACE = "replace"  # the record sets the date (a return visit "in 7 days"); rule = default


class Status(Labelled):
    PENDING = "pending", "Pending"
    MET = "met", "Met"
    MISSED = "missed", "Missed"
    LAPSED = "lapsed", "Period ended"
    CLOSED = "closed", "Not applicable"


# ---------------------------------------------------------------------------------------------
# Rules as data


class RuleDefinitionError(ValueError):
    """A rule's fields contradict each other (for example a 'before' rule counting forwards)."""


@dataclass(frozen=True)
class Rule:
    """One statutory (or local) time limit, anchored on an event and counted one way.

    A date-based rule ends at the end of its last London day when `end_of_day` is set
    (represented as the next London midnight minus one microsecond, so 23:59:59.999999 on
    normal and clock-change days alike); otherwise at the anchor's wall-clock time on that day.
    Hour-based rules ignore `end_of_day`. `anchor_rule` chains a rule onto another rule's last
    day (a hearing counted from the end of a representation period); `alt_anchors` lets any of
    several events start the clock; `requires` derives the rule only once one of those events
    has been recorded; an event in `ends_with` (an order recorded as expired) brings the end
    forward to when it happened. `confirmed` is False where the statute text could not be checked.
    """

    id: str
    tool: ToolCode
    title: str
    citation: str
    anchor_event: EventKind
    amount: int
    counting: Counting
    direction: Direction = Direction.BY
    end_of_day: bool = True
    met_by: tuple[EventKind, ...] = ()
    closed_by: tuple[EventKind, ...] = ()
    alt_anchors: tuple[EventKind, ...] = ()
    anchor_rule: str | None = None
    requires: tuple[EventKind, ...] = ()
    ends_with: tuple[EventKind, ...] = ()
    scheduled: ScheduledUse = ScheduledUse.IGNORE
    confirmed: bool = True
    note: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount < 1:
            raise RuleDefinitionError(f"{self.id}: amount must be a whole number of 1 or more")
        if (self.direction is Direction.BEFORE) != self.counting.is_before:
            raise RuleDefinitionError(
                f"{self.id}: a 'before' rule must count back (working_days_before or days_before)"
                " and only a 'before' rule may"
            )
        if self.anchor_rule is not None and self.counting.is_hours:
            raise RuleDefinitionError(f"{self.id}: a chained rule must count in days")

    @property
    def unit(self) -> str:
        """Return the unit of `amount` in words ("hours", "working days", ...)."""
        return self.counting.unit

    @property
    def anchors(self) -> tuple[EventKind, ...]:
        """Return every event kind that starts this rule's clock."""
        return (self.anchor_event, *self.alt_anchors)


_E = EventKind
_T = ToolCode
_C = Counting
_D = Direction
_CAP = ScheduledUse.CAP
_COURT_DECIDED = (_E.HEARING_HELD, _E.HEARING_ADJOURNED, _E.ORDER_MADE, _E.ORDER_REFUSED)
_ORDER_ENDED = (_E.ORDER_DISCHARGED, _E.ORDER_EXPIRED)
_EXPIRY = (_E.ORDER_EXPIRED,)

# fmt: off
#: The default rule table. A change in the law is a change here or an override (RuleBook).
RULES: tuple[Rule, ...] = (
    # Anti-social Behaviour, Crime and Policing Act 2014, Part 4 Chapter 3
    Rule("asbcpa.s77.notice_24h", _T.ASBCPA_CLOSURE, "Closure notice ends (24-hour notice)",
         "Anti-social Behaviour, Crime and Policing Act 2014, s77(1)", _E.NOTICE_ISSUED, 24,
         _C.HOURS_AFTER, _D.EXPIRES, closed_by=(_E.NOTICE_EXTENDED, _E.NOTICE_CANCELLED),
         scheduled=_CAP,
         note="No Christmas Day disregard: s77(3) applies it only to the 48-hour period."),
    Rule("asbcpa.s77.notice_48h", _T.ASBCPA_CLOSURE,
         "Closure notice ends (48-hour or extended notice)",
         "Anti-social Behaviour, Crime and Policing Act 2014, s77(2)-(4)", _E.NOTICE_ISSUED, 48,
         _C.HOURS_AFTER_NO_XMAS, _D.EXPIRES, closed_by=(_E.NOTICE_CANCELLED,),
         requires=(_E.NOTICE_EXTENDED,), scheduled=_CAP,
         note="Applies once a notice is extended, or issued for 48 hours by a superintendent or"
              " signed by the chief executive or designate (record that as an extension)."),
    Rule("asbcpa.s80.hearing", _T.ASBCPA_CLOSURE, "Court must hear the closure order application",
         "Anti-social Behaviour, Crime and Policing Act 2014, s80(3)-(4)", _E.NOTICE_SERVED, 48,
         _C.HOURS_AFTER_NO_XMAS, met_by=_COURT_DECIDED, closed_by=(_E.NOTICE_CANCELLED,)),
    Rule("asbcpa.s81.adjournment", _T.ASBCPA_CLOSURE, "Adjourned closure hearing must resume",
         "Anti-social Behaviour, Crime and Policing Act 2014, s81(3)", _E.HEARING_ADJOURNED, 14,
         _C.STARTING_DAY_AFTER, met_by=(_E.HEARING_HELD, _E.ORDER_MADE, _E.ORDER_REFUSED),
         closed_by=(_E.NOTICE_CANCELLED,),
         note="'Not more than 14 days', counted from the day after the adjournment."),
    Rule("asbcpa.s81.continued_notice", _T.ASBCPA_CLOSURE, "Continued closure notice ends",
         "Anti-social Behaviour, Crime and Policing Act 2014, s81(2)", _E.NOTICE_CONTINUED, 48,
         _C.HOURS_AFTER, _D.EXPIRES, closed_by=(_E.NOTICE_CANCELLED, _E.ORDER_MADE),
         note="Counted from the court's order; s81(2) has no Christmas Day disregard."),
    Rule("asbcpa.s80.order_duration", _T.ASBCPA_CLOSURE, "Closure order ends (3-month maximum)",
         "Anti-social Behaviour, Crime and Policing Act 2014, s80(6)", _E.ORDER_MADE, 3,
         _C.MONTHS_AFTER, _D.EXPIRES, closed_by=(_E.ORDER_DISCHARGED, _E.ORDER_EXTENDED),
         ends_with=_EXPIRY, scheduled=_CAP),
    Rule("asbcpa.s82.extension_window", _T.ASBCPA_CLOSURE,
         "Apply to extend the closure order before it ends",
         "Anti-social Behaviour, Crime and Policing Act 2014, s82", _E.ORDER_MADE, 3,
         _C.MONTHS_AFTER, _D.WINDOW, met_by=(_E.EXTENSION_APPLIED,),
         closed_by=(_E.ORDER_DISCHARGED,), alt_anchors=(_E.ORDER_EXTENDED,), ends_with=_EXPIRY,
         scheduled=_CAP, confirmed=False,
         note="Shown against the latest order or extension; set the order's own end on it."),
    Rule("asbcpa.s82.total_duration", _T.ASBCPA_CLOSURE,
         "Extended closure order ends (6 months in total)",
         "Anti-social Behaviour, Crime and Policing Act 2014, s82", _E.ORDER_MADE, 6,
         _C.MONTHS_AFTER, _D.EXPIRES, closed_by=(_E.ORDER_DISCHARGED,),
         requires=(_E.ORDER_EXTENDED,), ends_with=_EXPIRY, confirmed=False,
         note="The Crime and Policing Act 2026 lets the Home Secretary change these limits."),
    Rule("asbcpa.s84.appeal", _T.ASBCPA_CLOSURE, "Appeal to the Crown Court",
         "Anti-social Behaviour, Crime and Policing Act 2014, s84(5)", _E.ORDER_MADE, 21,
         _C.BEGINNING_WITH, _D.WINDOW, met_by=(_E.APPEAL_LODGED,),
         alt_anchors=(_E.ORDER_REFUSED, _E.ORDER_EXTENDED)),
    Rule("asbcpa.s90.compensation", _T.ASBCPA_CLOSURE, "Claim compensation",
         "Anti-social Behaviour, Crime and Policing Act 2014, s90(3)", _E.NOTICE_CANCELLED, 3,
         _C.MONTHS_BEGINNING_WITH, _D.WINDOW, met_by=(_E.COMPENSATION_CLAIMED,),
         alt_anchors=(_E.ORDER_REFUSED, *_ORDER_ENDED),
         note="3 months starting with the day of cancellation, refusal or the order ending."),
    # Sexual Offences Act 2003, Part 2A
    Rule("soa.s136d.hearing", _T.SOA_CLOSURE, "Court must hear the closure order application",
         "Sexual Offences Act 2003, s136D(3)", _E.NOTICE_SERVED, 48, _C.HOURS_AFTER,
         met_by=_COURT_DECIDED,
         note="No Christmas Day disregard in s136D, unlike the 2014 Act."),
    Rule("soa.s136e.adjournment", _T.SOA_CLOSURE, "Adjourned closure hearing must resume",
         "Sexual Offences Act 2003, s136E", _E.HEARING_ADJOURNED, 14, _C.STARTING_DAY_AFTER,
         met_by=(_E.HEARING_HELD, _E.ORDER_MADE, _E.ORDER_REFUSED), confirmed=False),
    Rule("soa.s136d.order_duration", _T.SOA_CLOSURE, "Closure order ends (3-month maximum)",
         "Sexual Offences Act 2003, s136D(2)", _E.ORDER_MADE, 3, _C.MONTHS_AFTER, _D.EXPIRES,
         closed_by=(_E.ORDER_DISCHARGED, _E.ORDER_EXTENDED), ends_with=_EXPIRY, scheduled=_CAP),
    Rule("soa.s136h.extension_window", _T.SOA_CLOSURE,
         "Apply to extend the closure order before it ends", "Sexual Offences Act 2003, s136H(1)",
         _E.ORDER_MADE, 3, _C.MONTHS_AFTER, _D.WINDOW, met_by=(_E.EXTENSION_APPLIED,),
         closed_by=(_E.ORDER_DISCHARGED,), alt_anchors=(_E.ORDER_EXTENDED,), ends_with=_EXPIRY,
         scheduled=_CAP,
         note="Needs a superintendent's authority and the council consulted (s136H(2)-(5))."),
    Rule("soa.s136i.total_duration", _T.SOA_CLOSURE,
         "Extended closure order ends (6 months in total)", "Sexual Offences Act 2003, s136I",
         _E.ORDER_MADE, 6, _C.MONTHS_AFTER, _D.EXPIRES, closed_by=(_E.ORDER_DISCHARGED,),
         requires=(_E.ORDER_EXTENDED,), ends_with=_EXPIRY, confirmed=False),
    Rule("soa.s136k.appeal", _T.SOA_CLOSURE, "Appeal to the Crown Court",
         "Sexual Offences Act 2003, s136K", _E.ORDER_MADE, 21, _C.BEGINNING_WITH, _D.WINDOW,
         met_by=(_E.APPEAL_LODGED,), alt_anchors=(_E.ORDER_REFUSED, _E.ORDER_EXTENDED),
         confirmed=False),
    # Immigration Act 2016, Schedule 6
    Rule("iwc.sch6.hearing", _T.ILLEGAL_WORKING_CLOSURE,
         "Court must hear the compliance order application",
         "Immigration Act 2016, Sch 6 para 5(3)-(4)", _E.NOTICE_SERVED, 48,
         _C.HOURS_AFTER_NO_XMAS, met_by=_COURT_DECIDED, closed_by=(_E.NOTICE_CANCELLED,)),
    Rule("iwc.sch6.order_duration", _T.ILLEGAL_WORKING_CLOSURE,
         "Compliance order ends (12-month maximum)", "Immigration Act 2016, Sch 6 para 5(8)",
         _E.ORDER_MADE, 12, _C.MONTHS_AFTER, _D.EXPIRES,
         closed_by=(_E.ORDER_DISCHARGED, _E.ORDER_EXTENDED), ends_with=_EXPIRY, scheduled=_CAP,
         confirmed=False),
    Rule("iwc.sch6.total_duration", _T.ILLEGAL_WORKING_CLOSURE,
         "Extended compliance order ends (24 months in total)", "Immigration Act 2016, Sch 6",
         _E.ORDER_MADE, 24, _C.MONTHS_AFTER, _D.EXPIRES, closed_by=(_E.ORDER_DISCHARGED,),
         requires=(_E.ORDER_EXTENDED,), ends_with=_EXPIRY, confirmed=False),
    # Licensing Act 2003: review (s51-52)
    Rule("la.s51.representations", _T.PREMISES_REVIEW, "Representations period ends",
         "Licensing Act 2003, s51(3)(c); SI 2005/42 regs 22 and 38(2)(ii)",
         _E.APPLICATION_RECEIVED, 28, _C.STARTING_DAY_AFTER, _D.EXPIRES),
    Rule("la.s52.hearing", _T.PREMISES_REVIEW, "Review hearing must start",
         "Licensing Act 2003 (Hearings) Regulations 2005, reg 5 and Sch 1 para 7",
         _E.APPLICATION_RECEIVED, 20, _C.WORKING_DAYS_AFTER,
         anchor_rule="la.s51.representations", met_by=(_E.HEARING_HELD, _E.HEARING_ADJOURNED)),
    Rule("la.s52.notice_of_hearing", _T.PREMISES_REVIEW, "Give notice of the review hearing",
         "Licensing Act 2003 (Hearings) Regulations 2005, reg 6(4)", _E.HEARING_LISTED, 10,
         _C.WORKING_DAYS_BEFORE, _D.BEFORE, met_by=(_E.NOTICE_OF_HEARING_GIVEN,),
         confirmed=False),
    Rule("la.s52.determination", _T.PREMISES_REVIEW, "Sub-committee must decide the review",
         "Licensing Act 2003 (Hearings) Regulations 2005, reg 26(2)", _E.HEARING_HELD, 5,
         _C.WORKING_DAYS_BEGINNING_WITH, met_by=(_E.DECISION_MADE,),
         note="Counted from the last day of the hearing (record each day held)."),
    Rule("la.s52.appeal", _T.PREMISES_REVIEW, "Appeal to the magistrates' court",
         "Licensing Act 2003, s181 and Sch 5 paras 8 and 9(2)", _E.DECISION_NOTIFIED, 21,
         _C.BEGINNING_WITH, _D.WINDOW, met_by=(_E.APPEAL_LODGED,),
         note="The decision has no effect until this period ends or an appeal is disposed of"
              " (s52(11))."),
    # Licensing Act 2003: summary review (s53A-53D)
    Rule("la.s53a.interim_steps", _T.SUMMARY_REVIEW, "Consider interim steps",
         "Licensing Act 2003, s53A(2)(a)", _E.APPLICATION_RECEIVED, 48, _C.HOURS_AFTER,
         met_by=(_E.INTERIM_STEPS_CONSIDERED,),
         note="Counted as plain clock time; whether non-working days are disregarded was not"
              " confirmed, so this errs early."),
    Rule("la.s53a.notify", _T.SUMMARY_REVIEW,
         "Notify the holder and responsible authorities of the review",
         "SI 2005/42, reg 36A", _E.APPLICATION_RECEIVED, 48, _C.WORKING_HOURS_AFTER,
         met_by=(_E.HOLDER_NOTIFIED,), confirmed=False,
         note="reg 36A(3) sets how the 48 hours are computed; time on non-working days is"
              " left out here, as secondary sources describe it."),
    Rule("la.s53a.representations", _T.SUMMARY_REVIEW, "Representations period ends",
         "SI 2005/42, reg 22 (as amended by SI 2007/2502)", _E.APPLICATION_RECEIVED, 10,
         _C.WORKING_DAYS_AFTER, _D.EXPIRES, confirmed=False),
    Rule("la.s53a.determination", _T.SUMMARY_REVIEW, "Review must be determined",
         "Licensing Act 2003, s53A(2)(b); Hearings Regulations reg 26(1)(ab)",
         _E.APPLICATION_RECEIVED, 28, _C.STARTING_DAY_AFTER, met_by=(_E.DECISION_MADE,),
         note="Decided at the end of the hearing; no adjournment past this day."),
    Rule("la.s53a.notice_of_hearing", _T.SUMMARY_REVIEW, "Give notice of the review hearing",
         "Licensing Act 2003 (Hearings) Regulations 2005, reg 6(3)", _E.HEARING_LISTED, 5,
         _C.WORKING_DAYS_BEFORE, _D.BEFORE, met_by=(_E.NOTICE_OF_HEARING_GIVEN,)),
    Rule("la.s53a.appeal", _T.SUMMARY_REVIEW, "Appeal to the magistrates' court",
         "Licensing Act 2003, Sch 5 Part 1 and para 9(2)", _E.DECISION_NOTIFIED, 21,
         _C.BEGINNING_WITH, _D.WINDOW, met_by=(_E.APPEAL_LODGED,), confirmed=False),
    # Licensing Act 2003: review after a closure order (s167)
    Rule("la.s167.representations", _T.CLOSURE_REVIEW, "Representations period ends",
         "SI 2005/42, regs 22 and 38(2)(i)", _E.ORDER_NOTICE_RECEIVED, 7,
         _C.STARTING_DAY_AFTER, _D.EXPIRES),
    Rule("la.s167.determination", _T.CLOSURE_REVIEW, "Review must be determined",
         "Licensing Act 2003, s167(3); Hearings Regulations reg 26(1)(d)",
         _E.ORDER_NOTICE_RECEIVED, 28, _C.STARTING_DAY_AFTER, met_by=(_E.DECISION_MADE,)),
    Rule("la.s167.notice_of_hearing", _T.CLOSURE_REVIEW, "Give notice of the review hearing",
         "Licensing Act 2003 (Hearings) Regulations 2005, reg 6(3)", _E.HEARING_LISTED, 5,
         _C.WORKING_DAYS_BEFORE, _D.BEFORE, met_by=(_E.NOTICE_OF_HEARING_GIVEN,)),
    Rule("la.s167.appeal", _T.CLOSURE_REVIEW, "Appeal to the magistrates' court",
         "Licensing Act 2003, Sch 5 Part 3", _E.DECISION_NOTIFIED, 21, _C.BEGINNING_WITH,
         _D.WINDOW, met_by=(_E.APPEAL_LODGED,), confirmed=False),
    # London Local Authorities Act 1991, Part II
    Rule("llaa.appeal", _T.SPECIAL_TREATMENT, "Appeal to the magistrates' court",
         "London Local Authorities Act 1991, Part II", _E.DECISION_NOTIFIED, 21,
         _C.BEGINNING_WITH, _D.WINDOW, met_by=(_E.APPEAL_LODGED,), confirmed=False,
         note="Councils say 'within 21 days of written notification'; counted here with the"
              " day of notification as day 1, the earlier reading."),
    # Modern Slavery Act 2015, Part 2
    Rule("msa.s19.notify_details", _T.STPO, "Defendant must notify name and address",
         "Modern Slavery Act 2015, s19(3)", _E.ORDER_SERVED, 3, _C.BEGINNING_WITH,
         met_by=(_E.DETAILS_NOTIFIED,), note="Only where the order imposes this requirement."),
    Rule("msa.s17.minimum_duration", _T.STPO, "Order runs at least 5 years (fixed period)",
         "Modern Slavery Act 2015, s17(4)", _E.ORDER_MADE, 5, _C.YEARS_BEGINNING_WITH,
         _D.NOT_BEFORE, note="Or until further order."),
    Rule("msa.s26.notify_details", _T.STRO, "Defendant must notify name and address",
         "Modern Slavery Act 2015, s26(3)", _E.ORDER_SERVED, 3, _C.BEGINNING_WITH,
         met_by=(_E.DETAILS_NOTIFIED,), note="Only where the order imposes this requirement."),
    Rule("msa.s24.minimum_duration", _T.STRO, "Order runs at least 2 years (fixed period)",
         "Modern Slavery Act 2015, s24(4)", _E.ORDER_MADE, 2, _C.YEARS_BEGINNING_WITH,
         _D.NOT_BEFORE, note="Or until further order."),
    # Local practice, configurable
    Rule("local.welfare.follow_up", _T.WELFARE_VISIT, "Return to the premises",
         "Local practice (Operation Moontwist): set on each visit", _E.VISIT_RECORDED, 14,
         _C.STARTING_DAY_AFTER, met_by=(_E.RETURN_VISIT_MADE,),
         scheduled=ScheduledUse.REPLACE, note="Default when the visit sets no return date."),
    Rule("local.poster.follow_up", _T.POSTER_FOLLOW_UP, "Follow-up inspection of the poster",
         "Local practice: configurable", _E.POSTER_CHECK_FAILED, 14, _C.STARTING_DAY_AFTER,
         met_by=(_E.FOLLOW_UP_INSPECTED,), scheduled=ScheduledUse.REPLACE),
    Rule("local.intel.review", _T.INTELLIGENCE_REVIEW, "Review the intelligence flag",
         "Local practice: by grading and status, 12 months at the latest", _E.FLAG_RECORDED,
         12, _C.MONTHS_AFTER, met_by=(_E.FLAG_REVIEWED,), alt_anchors=(_E.FLAG_REVIEWED,),
         scheduled=_CAP, note="Each review starts the next review period."),
)
# fmt: on


# ---------------------------------------------------------------------------------------------
# Tools and what one tool opens in another


@dataclass(frozen=True)
class Tool:
    """An enforcement tool: what it is, who usually holds it, its rules and its event order.

    `prerequisites` maps an event kind to the kinds of which at least one must already have
    happened (at or before it): a notice is served only after it is issued.
    """

    code: ToolCode
    act: str
    holders: tuple[OrganisationKind, ...]
    prerequisites: Mapping[EventKind, tuple[EventKind, ...]]
    rule_ids: tuple[str, ...] = ()
    events: frozenset[EventKind] = frozenset()

    @property
    def label(self) -> str:
        return self.code.label


_CLOSURE_ORDER: dict[EventKind, tuple[EventKind, ...]] = {
    _E.NOTICE_SERVED: (_E.NOTICE_ISSUED,),
    _E.NOTICE_EXTENDED: (_E.NOTICE_ISSUED,),
    _E.NOTICE_CANCELLED: (_E.NOTICE_ISSUED,),
    _E.HEARING_HELD: (_E.NOTICE_SERVED,),
    _E.HEARING_ADJOURNED: (_E.NOTICE_SERVED,),
    _E.NOTICE_CONTINUED: (_E.NOTICE_SERVED,),
    _E.ORDER_MADE: (_E.NOTICE_SERVED,),
    _E.ORDER_REFUSED: (_E.NOTICE_SERVED,),
    _E.ORDER_SERVED: (_E.ORDER_MADE,),
    _E.EXTENSION_APPLIED: (_E.ORDER_MADE,),
    _E.ORDER_EXTENDED: (_E.ORDER_MADE,),
    _E.ORDER_EXPIRED: (_E.ORDER_MADE,),
    _E.ORDER_DISCHARGED: (_E.ORDER_MADE,),
    _E.APPEAL_LODGED: (_E.ORDER_MADE, _E.ORDER_REFUSED, _E.ORDER_EXTENDED),
    _E.APPEAL_DECIDED: (_E.APPEAL_LODGED,),
    _E.COMPENSATION_CLAIMED: (_E.NOTICE_CANCELLED, _E.ORDER_REFUSED, *_ORDER_ENDED),
}


def _review_order(start: EventKind) -> dict[EventKind, tuple[EventKind, ...]]:
    return {
        _E.HOLDER_NOTIFIED: (start,),
        _E.INTERIM_STEPS_CONSIDERED: (start,),
        _E.REPRESENTATIONS_CLOSED: (start,),
        _E.HEARING_LISTED: (start,),
        _E.NOTICE_OF_HEARING_GIVEN: (_E.HEARING_LISTED,),
        _E.HEARING_HELD: (_E.HEARING_LISTED,),
        _E.HEARING_ADJOURNED: (_E.HEARING_LISTED,),
        _E.DECISION_MADE: (_E.HEARING_HELD,),
        _E.DECISION_NOTIFIED: (_E.DECISION_MADE,),
        _E.APPEAL_LODGED: (_E.DECISION_MADE,),
        _E.APPEAL_DECIDED: (_E.APPEAL_LODGED,),
    }


_PREVENTION_ORDER: dict[EventKind, tuple[EventKind, ...]] = {
    _E.ORDER_SERVED: (_E.ORDER_MADE,),
    _E.DETAILS_NOTIFIED: (_E.ORDER_SERVED,),
    _E.ORDER_EXTENDED: (_E.ORDER_MADE,),
    _E.ORDER_DISCHARGED: (_E.ORDER_MADE,),
    _E.ORDER_EXPIRED: (_E.ORDER_MADE,),
    _E.APPEAL_LODGED: (_E.ORDER_MADE,),
    _E.APPEAL_DECIDED: (_E.APPEAL_LODGED,),
}

_APPEAL_ONLY: dict[EventKind, tuple[EventKind, ...]] = {
    _E.HEARING_HELD: (_E.HEARING_LISTED,),
    _E.DECISION_NOTIFIED: (_E.DECISION_MADE,),
    _E.APPEAL_LODGED: (_E.DECISION_MADE,),
    _E.APPEAL_DECIDED: (_E.APPEAL_LODGED,),
}

_POLICE, _COUNCIL, _OTHER = (
    OrganisationKind.POLICE,
    OrganisationKind.COUNCIL,
    OrganisationKind.OTHER_AGENCY,
)


def _tool(
    code: ToolCode,
    act: str,
    holders: tuple[OrganisationKind, ...],
    prerequisites: Mapping[EventKind, tuple[EventKind, ...]],
    starts: tuple[EventKind, ...] = (),
) -> Tool:
    rules = [rule for rule in RULES if rule.tool is code]
    kinds: set[EventKind] = set(starts)
    for later, earlier in prerequisites.items():
        kinds.update((later, *earlier))
    for rule in rules:
        kinds.update(
            (*rule.anchors, *rule.met_by, *rule.closed_by, *rule.requires, *rule.ends_with)
        )
    return Tool(
        code, act, holders, dict(prerequisites), tuple(r.id for r in rules), frozenset(kinds)
    )


# fmt: off
#: Every tool in the toolkit, keyed by code.
TOOLS: Mapping[ToolCode, Tool] = {
    tool.code: tool
    for tool in (
        _tool(_T.ASBCPA_CLOSURE, "Anti-social Behaviour, Crime and Policing Act 2014, Part 4 Ch 3",
              (_POLICE, _COUNCIL), _CLOSURE_ORDER),
        _tool(_T.SOA_CLOSURE, "Sexual Offences Act 2003, Part 2A", (_POLICE,), _CLOSURE_ORDER),
        _tool(_T.ILLEGAL_WORKING_CLOSURE, "Immigration Act 2016, Sch 6", (_OTHER,),
              _CLOSURE_ORDER),
        _tool(_T.PREMISES_REVIEW, "Licensing Act 2003, s51-53", (_COUNCIL, _POLICE),
              _review_order(_E.APPLICATION_RECEIVED)),
        _tool(_T.SUMMARY_REVIEW, "Licensing Act 2003, s53A-53D", (_POLICE,),
              _review_order(_E.APPLICATION_RECEIVED)),
        _tool(_T.CLOSURE_REVIEW, "Licensing Act 2003, s167", (_COUNCIL,),
              _review_order(_E.ORDER_NOTICE_RECEIVED)),
        _tool(_T.SPECIAL_TREATMENT, "London Local Authorities Act 1991, Part II", (_COUNCIL,),
              _APPEAL_ONLY),
        _tool(_T.STPO, "Modern Slavery Act 2015, s14-22", (_POLICE, _OTHER), _PREVENTION_ORDER),
        _tool(_T.STRO, "Modern Slavery Act 2015, s23-29", (_POLICE, _OTHER), _PREVENTION_ORDER),
        _tool(_T.PROSECUTION, "Various", (_COUNCIL, _POLICE), _APPEAL_ONLY),
        _tool(_T.WELFARE_VISIT, "None (Operation Moontwist practice)", (_POLICE,),
              {_E.RETURN_VISIT_MADE: (_E.VISIT_RECORDED,)}),
        _tool(_T.POSTER_FOLLOW_UP, "Modern slavery strategy (local policy)", (_COUNCIL,),
              {_E.FOLLOW_UP_INSPECTED: (_E.POSTER_CHECK_FAILED,)}),
        _tool(_T.INTELLIGENCE_REVIEW, "3x5x2 handling (local policy)", (_POLICE, _COUNCIL),
              {_E.FLAG_REVIEWED: (_E.FLAG_RECORDED,)}),
    )
}
# fmt: on


@dataclass(frozen=True)
class NextStep:
    """An event in one tool that opens a case of another tool with its own clock."""

    from_tool: ToolCode
    on_event: EventKind
    opens_tool: ToolCode
    anchor_event: EventKind
    condition: str
    citation: str


# fmt: off
NEXT_STEPS: tuple[NextStep, ...] = (
    NextStep(_T.ASBCPA_CLOSURE, _E.ORDER_MADE, _T.CLOSURE_REVIEW, _E.ORDER_NOTICE_RECEIVED,
             "the premises hold a premises licence; the court notifies the licensing authority",
             "Anti-social Behaviour, Crime and Policing Act 2014, s80(9) and s84(7);"
             " Licensing Act 2003, s167(1)"),
    NextStep(_T.ILLEGAL_WORKING_CLOSURE, _E.ORDER_MADE, _T.CLOSURE_REVIEW,
             _E.ORDER_NOTICE_RECEIVED,
             "the premises hold a premises licence; the court notifies the licensing authority",
             "Licensing Act 2003, s167(1A)"),
)
# fmt: on


def next_steps(tool: str, kind: str) -> tuple[NextStep, ...]:
    """Return the cases that an event of `kind` in a `tool` case may open."""
    return tuple(s for s in NEXT_STEPS if s.from_tool == tool and s.on_event == kind)


class CitationCheck(NamedTuple):
    """What was checked against public statute text, with the words found and where."""

    citation: str
    confirmed: bool
    words: str
    source: str


# fmt: off
#: The statute text checked for the rule table (closing note of the statutory clock issue).
CITATIONS_CHECKED: tuple[CitationCheck, ...] = (
    CitationCheck("ASBCPA 2014 s77(1)-(3)", True,
                  "The maximum period that may be specified in a closure notice is 24 hours unless"
                  " subsection (2) applies. ... In calculating when the period of 48 hours ends,"
                  " Christmas Day is to be disregarded.",
                  "https://crimeline.co.uk/legislationdisplay/?leg=ukpga%2F2014%2F12%2Fsection%2F77"),
    CitationCheck("ASBCPA 2014 s80(3)-(6)", True,
                  "The application must be heard by the magistrates' court not later than 48 hours"
                  " after service of the closure notice. In calculating when the period of 48 hours"
                  " ends, Christmas Day is to be disregarded. ... The period may not exceed 3 months.",
                  "https://legislation.gov.uk/ukpga/2014/12/section/80/enacted"),
    CitationCheck("ASBCPA 2014 s81(2)-(3)", True,
                  "continues in force for a specified further period of not more than 48 hours ..."
                  " adjourn the hearing of the application for a period of not more than 14 days",
                  "https://crimeline.co.uk/legislationdisplay/?leg=%2Fukpga%2F2014%2F12%2Fsection%2F81%2F2025-09-10"),
    CitationCheck("ASBCPA 2014 s82", False,
                  "Statute text not found; a LexisNexis Q&A says 'a further three months - not to"
                  " exceed six months in total'.",
                  "https://www.lexisnexis.co.uk/legal/guidance/based-on-section-83za7-of-the-anti-social-behaviour-crime-policing-act-2014-do-you-always-have-to"),
    CitationCheck("ASBCPA 2014 s84(5)", True,
                  "An appeal under this section must be made within the period of 21 days beginning"
                  " with the date of the decision to which it relates.",
                  "https://legislation.gov.uk/ukpga/2014/12/part/4/chapter/3/crossheading/appeals/2014-05-13/data.html"),
    CitationCheck("ASBCPA 2014 s90(3)", True,
                  "before the end of the period of 3 months starting with ... the day on which the"
                  " closure notice was cancelled ... a closure order was refused ... the closure"
                  " order ceased to have effect",
                  "http://legislation.gov.uk/ukpga/2014/12/section/90/enacted?view=plain"),
    CitationCheck("SOA 2003 s136D(2)-(3)", True,
                  "closed to all persons for such period not exceeding 3 months ... heard by the"
                  " magistrates' court not later than 48 hours after the notice was served in"
                  " pursuance of section 136C(3)(a)  [no Christmas Day provision]",
                  "https://www.legislation.gov.uk/ukpga/2003/42/part/2A/crossheading/closure-orders?view=plain"),
    CitationCheck("SOA 2003 s136H(1)-(5)", True,
                  "At any time before the end of the period for which a closure order is made or"
                  " extended a constable may make a complaint ... for an extension or further"
                  " extension",
                  "https://legislation.gov.uk/ukpga/2003/42/section/136H/2015-05-03/data.html"),
    CitationCheck("SOA 2003 s136E, s136I, s136K", False,
                  "Not found: adjournment (14 days), 6-month total and 21-day appeal kept as"
                  " configurable data.", ""),
    CitationCheck("Immigration Act 2016 Sch 6 para 5(3)-(4)", True,
                  "The application must be heard by the court not later than 48 hours after service"
                  " of the illegal working closure notice. In calculating when the period of 48"
                  " hours ends, Christmas Day is to be disregarded.",
                  "http://www.legislation.gov.uk/ukpga/2016/19/schedule/6/paragraph/5/enacted"),
    CitationCheck("Immigration Act 2016 Sch 6 para 5(8), para 6", False,
                  "Text cut off at 'The maximum period for which an illegal working compliance"
                  " order o...': 12 and 24 months not confirmed.",
                  "http://www.legislation.gov.uk/ukpga/2016/19/schedule/6/paragraph/5/enacted"),
    CitationCheck("Licensing Act 2003 s167(1), (1A), (3)", True,
                  "The authority must reach a determination on the review no later than 28 days"
                  " after the day on which it receives the notice ... (1A) This section also"
                  " applies where a court has made an illegal working compliance order  [s167(1)"
                  " names 2014 Act orders only: Sexual Offences Act closure orders do not trigger"
                  " it]",
                  "https://www.legislation.gov.uk/ukpga/2003/17/section/167/data.html"),
    CitationCheck("Licensing Act 2003 s53A(2)", True,
                  "(a) within 48 hours of the time of its receipt, consider under section 53B"
                  " whether it is necessary to take interim steps ... (b) within 28 days after the"
                  " day of its receipt, review that licence",
                  "http://legislation.gov.uk/ukpga/2006/38/section/21/data.html"),
    CitationCheck("SI 2005/42 reg 36A", False,
                  "'within 48 hours of the time of the receipt of the application, give notice of"
                  " the review to (a) the holder ... (b) each responsible authority'; para (3)"
                  " ('In computing the period of 48 hours ...') was cut off.",
                  "http://legislation.data.gov.uk/uksi/2007/2502/made/data.htm?wrap=true"),
    CitationCheck("SI 2005/42 reg 38(2)", True,
                  "following a closure order under section 167, for a period of no less than seven"
                  " consecutive days starting on the day after the day on which the relevant"
                  " licensing authority received the notice ... in all other cases ... 28"
                  " consecutive days starting on the day after the day on which the application"
                  " was given  [as made; reg 22 itself not read]",
                  "http://www.legislation.gov.uk/uksi/2005/42/regulation/38/made"),
    CitationCheck("SI 2005/42 reg 22 (summary review: 10 working days)", False,
                  "Not found.", ""),
    CitationCheck("Hearings Regulations 2005 reg 5, Sch 1 para 7", True,
                  "Section 52(2) ... 20 working days beginning with the day after the end of the"
                  " period during which representations may be made",
                  "https://legislation.gov.uk/uksi/2005/44/schedules/2007-10-01/data.html"),
    CitationCheck("Hearings Regulations 2005 reg 6(3)", True,
                  "section 167(5)(a) ... [or section 53C ...] ... no later than five working days"
                  " before the day or the first day on which the hearing is to be held",
                  "https://legislation.gov.uk/uksi/2005/44/regulation/6"),
    CitationCheck("Hearings Regulations 2005 reg 6(4)", False,
                  "Not found: the 10 working days for s52 review hearings is kept as data.", ""),
    CitationCheck("Hearings Regulations 2005 reg 26", True,
                  "(1) ... section 53B ... section 53C ... section 167(5)(a) ... the authority must"
                  " make its determination at the conclusion of the hearing. (2) In any other case"
                  " ... within the period of five working days beginning with the day or the last"
                  " day on which the hearing was held",
                  "http://legislation.gov.uk/id/uksi/2005/44/regulation/26/3"),
    CitationCheck("Licensing Act 2003 Sch 5 para 9(2)", True,
                  "within the period of 21 days beginning with the day on which the appellant was"
                  " notified by the licensing authority of the decision appealed against",
                  "https://legislation.gov.uk/ukpga/2003/17/schedule/5/paragraph/9/enacted"),
    CitationCheck("Modern Slavery Act 2015 s17(4), s19(3), s24(4), s26(3)", True,
                  "for a fixed period, specified in the order, of at least 5 years, or until"
                  " further order ... Before the end of the period of 3 days beginning with the day"
                  " on which a slavery and trafficking prevention order requiring the defendant to"
                  " comply with subsections (3) to (6) is first served  [risk orders: at least 2"
                  " years, s24(4); notification s26(3)]",
                  "https://en.wikisource.org/wiki/Page:Modern_Slavery_Act_2015.pdf/20"),
    CitationCheck("London Local Authorities Act 1991 ss6-8", False,
                  "Not found: the 21-day appeal and the licence staying in force are kept as data.",
                  ""),
)
# fmt: on


# ---------------------------------------------------------------------------------------------
# The rule book: defaults plus overrides


class UnknownRuleError(KeyError):
    """No rule has the given id."""


class RuleOverrideError(ValueError):
    """An override names an unknown rule or field, or gives a value the rule cannot take."""


_OVERRIDABLE = frozenset(
    {"amount", "counting", "unit", "citation", "title", "note", "confirmed", "end_of_day"}
)


class RuleBook:
    """Hold the rules in force: the defaults, with any overrides from configuration."""

    def __init__(self, rules: Iterable[Rule] = RULES) -> None:
        self._rules: dict[str, Rule] = {}
        for rule in rules:
            if rule.id in self._rules:
                raise RuleDefinitionError(f"duplicate rule id {rule.id!r}")
            self._rules[rule.id] = rule
        seen: set[str] = set()
        for rule in self._rules.values():
            # The engine derives in table order, so a chained rule must follow its parent.
            if rule.anchor_rule is not None and (
                rule.anchor_rule not in seen or self._rules[rule.anchor_rule].tool is not rule.tool
            ):
                raise RuleDefinitionError(
                    f"{rule.id}: anchor_rule {rule.anchor_rule!r} must be an earlier rule of the"
                    " same tool"
                )
            seen.add(rule.id)
        by_tool: dict[str, list[Rule]] = {}
        for rule in self._rules.values():
            by_tool.setdefault(rule.tool, []).append(rule)
        self._by_tool = {tool: tuple(rules) for tool, rules in by_tool.items()}

    @classmethod
    def from_overrides(
        cls, overrides: Mapping[str, Mapping[str, Any]], base: Iterable[Rule] = RULES
    ) -> RuleBook:
        """Build a rule book from `base` with some fields of some rules replaced.

        Example: RuleBook.from_overrides({"asbcpa.s80.order_duration": {"amount": 6}}).
        Fields that may change: amount, counting (or its alias unit), citation, title, note,
        confirmed, end_of_day. Raises RuleOverrideError naming the rule and field at fault.
        """
        rules = {rule.id: rule for rule in base}
        for rule_id, changes in overrides.items():
            if rule_id not in rules:
                raise RuleOverrideError(f"unknown rule id {rule_id!r}")
            if not isinstance(changes, Mapping):
                raise RuleOverrideError(f"{rule_id}: overrides must be an object of fields")
            rules[rule_id] = _apply_override(rules[rule_id], changes)
        return cls(rules.values())

    @classmethod
    def from_json(cls, text: str, base: Iterable[Rule] = RULES) -> RuleBook:
        """Build a rule book from a JSON object of overrides ({"rule.id": {"amount": 6}})."""
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RuleOverrideError(f"rule overrides are not JSON: {exc}") from exc
        if not isinstance(document, dict):
            raise RuleOverrideError("rule overrides must be a JSON object keyed by rule id")
        return cls.from_overrides(document, base)

    @classmethod
    def from_json_file(cls, path: Path, base: Iterable[Rule] = RULES) -> RuleBook:
        """Build a rule book from a JSON file of overrides."""
        return cls.from_json(path.read_text(encoding="utf-8"), base)

    def get(self, rule_id: str) -> Rule:
        """Return the rule with this id; raise UnknownRuleError if there is none."""
        try:
            return self._rules[rule_id]
        except KeyError:
            raise UnknownRuleError(rule_id) from None

    def for_tool(self, tool: str) -> tuple[Rule, ...]:
        """Return the rules of one tool in table order."""
        return self._by_tool.get(tool, ())

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules.values())

    def __len__(self) -> int:
        return len(self._rules)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules


def _apply_override(rule: Rule, changes: Mapping[str, Any]) -> Rule:
    unknown = set(changes) - _OVERRIDABLE
    if unknown:
        raise RuleOverrideError(
            f"{rule.id}: cannot override {', '.join(sorted(unknown))};"
            f" allowed: {', '.join(sorted(_OVERRIDABLE))}"
        )
    if "unit" in changes and "counting" in changes:
        raise RuleOverrideError(f"{rule.id}: give counting or unit, not both")
    values: dict[str, Any] = {}
    for key, value in changes.items():
        name = "counting" if key == "unit" else key
        if name == "counting":
            try:
                values[name] = Counting(value)
            except ValueError:
                raise RuleOverrideError(
                    f"{rule.id}: {key} {value!r} is not one of {', '.join(c.value for c in Counting)}"
                ) from None
        elif name == "amount":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise RuleOverrideError(f"{rule.id}: amount must be a whole number of 1 or more")
            values[name] = value
        elif name in ("confirmed", "end_of_day"):
            if not isinstance(value, bool):
                raise RuleOverrideError(f"{rule.id}: {name} must be true or false")
            values[name] = value
        else:
            if not isinstance(value, str) or (name != "note" and not value.strip()):
                raise RuleOverrideError(f"{rule.id}: {name} must be text")
            values[name] = value
    try:
        return replace(rule, **values)
    except RuleDefinitionError as exc:
        raise RuleOverrideError(str(exc)) from exc


# ---------------------------------------------------------------------------------------------
# The engine


def _require_aware(moment: datetime, what: str) -> None:
    if moment.tzinfo is UTC:  # the common case, answered without asking for the offset
        return
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime")


@dataclass(frozen=True)
class Event:
    """Something that happened in a case, at an aware instant.

    `scheduled_for` carries a time the event sets: the hearing time on hearing_listed, the
    end an order or notice specifies, the return date set on a visit.
    """

    kind: EventKind
    at: datetime
    id: int | None = None
    scheduled_for: datetime | None = None

    def __post_init__(self) -> None:
        if type(self.kind) is not EventKind:
            object.__setattr__(self, "kind", EventKind(self.kind))
        _require_aware(self.at, "Event.at")
        if self.scheduled_for is not None:
            _require_aware(self.scheduled_for, "Event.scheduled_for")


@dataclass(frozen=True)
class Deadline:
    """A deadline derived from one rule and the events of a case.

    `due_at` is aware UTC: the moment the period ends or, for a 'before' rule, the latest
    instant the act is still in time. `last_day` is the London date of the last day for
    date-based rules (None for hour-based ones).
    """

    rule: Rule
    due_at: datetime
    anchor: Event
    status: Status
    met_by: Event | None
    counting_explanation: str
    last_day: date | None = None

    @property
    def confirmed(self) -> bool:
        return self.rule.confirmed

    def time_left(self, now: datetime) -> timedelta:
        """Return how long remains until due_at (negative once it has passed)."""
        _require_aware(now, "now")
        return self.due_at - now


class UnknownToolError(ValueError):
    """The tool code is not in the toolkit."""


def _tool_code(tool: str) -> ToolCode:
    try:
        return ToolCode(tool)
    except ValueError:
        raise UnknownToolError(f"unknown enforcement tool {tool!r}") from None


def derive_deadlines(
    tool: str,
    events: Sequence[Event],
    calendar: WorkingCalendar,
    rulebook: RuleBook,
    now: datetime,
) -> list[Deadline]:
    """Derive every deadline of a case of `tool` from its recorded events, as at `now`.

    Each rule counts from the latest event of its anchor kinds, so a re-served notice
    restarts the clock. Rules whose anchor has not happened yet yield nothing. Arithmetic is
    in Europe/London; every due_at is aware UTC. Raises UnknownToolError for an unknown tool
    and ValueError for a naive `now`.
    """
    code = _tool_code(tool)
    _require_aware(now, "now")
    # Oldest first, once: every rule below reads the events in this order.
    ordered = sorted(events, key=_event_order)
    derived: dict[str, Deadline | None] = {}
    for rule in rulebook.for_tool(code):
        derived[rule.id] = _derive(rule, ordered, calendar, derived, now)
    return [deadline for deadline in derived.values() if deadline is not None]


def _event_order(event: Event) -> tuple[datetime, int]:
    return event.at, event.id or 0


def _latest(ordered: Sequence[Event], kinds: tuple[EventKind, ...]) -> Event | None:
    """Return the latest event of the kinds, from events already in _event_order."""
    for event in reversed(ordered):
        if event.kind in kinds:
            return event
    return None


def _derive(
    rule: Rule,
    events: Sequence[Event],
    calendar: WorkingCalendar,
    derived: Mapping[str, Deadline | None],
    now: datetime,
) -> Deadline | None:
    if rule.anchor_rule is not None:
        parent = derived.get(rule.anchor_rule)
        if parent is None:
            return None
        anchor = parent.anchor
        start = parent.due_at
        start_day = parent.last_day or to_london(parent.due_at).date()
        subject = f"the last day of the {parent.rule.title.lower().removesuffix(' ends')}"
    else:
        found = _latest(events, rule.anchors)
        if found is None:
            return None
        anchor = found
        begin = anchor.scheduled_for if rule.direction is Direction.BEFORE else anchor.at
        if begin is None:
            return None
        start = begin
        start_day = to_london(start).date()
        subject = _phrase(anchor.kind)
    if rule.requires and not any(e.kind in rule.requires and e.at >= anchor.at for e in events):
        return None
    due_at, last_day, explanation = _count(rule, start, start_day, subject, calendar)
    sched = anchor.scheduled_for if rule.anchor_rule is None else None
    if sched is not None and rule.scheduled is ScheduledUse.REPLACE:
        due_at, last_day = sched.astimezone(UTC), None
        explanation = f"date set on the record: {_moment(sched)} (default {explanation})"
    elif sched is not None and rule.scheduled is ScheduledUse.CAP and sched < due_at:
        due_at, last_day = sched.astimezone(UTC), None
        explanation = f"end set on the record, {_moment(sched)}, within the limit of {explanation}"
    ended = (
        [e.at for e in events if e.kind in rule.ends_with and anchor.at <= e.at < due_at]
        if rule.ends_with
        else None
    )
    if ended:
        due_at, last_day = min(ended).astimezone(UTC), None
        explanation = f"ended on the record at {_moment(due_at)}; the limit was {explanation}"
    status, met = _status(rule, anchor, events, due_at, now)
    return Deadline(rule, due_at, anchor, status, met, explanation, last_day)


def _status(
    rule: Rule, anchor: Event, ordered: Sequence[Event], due_at: datetime, now: datetime
) -> tuple[Status, Event | None]:
    # The first event after the anchor (oldest first) that meets the rule, and the first that
    # closes it; an event of the anchor's kind at the anchor's instant is the anchor itself.
    met: Event | None = None
    closing: Event | None = None
    for e in ordered:
        if e.at < anchor.at or (e.at == anchor.at and e.kind is anchor.kind):
            continue
        if met is None and e.kind in rule.met_by:
            met = e
        if closing is None and e.kind in rule.closed_by:
            closing = e
    closed_in_time = closing is not None and closing.at <= due_at
    if met is not None and met.at <= due_at:
        return Status.MET, met
    if closed_in_time:
        return Status.CLOSED, None
    if met is not None:
        # Done, but late: an appeal out of time, a notice of hearing given too late.
        return Status.MISSED, met
    if now <= due_at:
        return Status.PENDING, None
    if rule.direction in (Direction.BY, Direction.BEFORE):
        return Status.MISSED, None
    return Status.LAPSED, None


_HOURS_EXCLUSION = {
    Counting.HOURS_AFTER_NO_XMAS: ", with Christmas Day not counted",
    Counting.WORKING_HOURS_AFTER: ", with time on non-working days not counted",
}


def _count(
    rule: Rule, start: datetime, start_day: date, subject: str, calendar: WorkingCalendar
) -> tuple[datetime, date | None, str]:
    """Return the due instant, the London last day (date rules) and the words that explain it."""
    n, counting = rule.amount, rule.counting
    if counting.is_hours:
        due = _count_hours(start, n, counting, calendar)
        exclusion = _HOURS_EXCLUSION.get(counting, "")
        return (
            due,
            None,
            f"{n} hours from {subject} at {_moment(start)}{exclusion}: by {_moment(due)}",
        )
    last = _last_day(counting, n, start_day, calendar)
    if rule.end_of_day:
        due = london_midnight_utc(last + timedelta(days=1)) - timedelta(microseconds=1)
        ends = f"end of {_day(last)}"
    else:
        local = to_london(start)
        due = datetime.combine(last, local.time(), tzinfo=LONDON).astimezone(UTC)
        ends = _moment(due)
    return due, last, f"{_describe(counting, n)} {subject} ({_day(start_day)}): {ends}"


@functools.lru_cache(maxsize=256)
def _describe(counting: Counting, n: int) -> str:
    unit = counting.unit if n != 1 else counting.unit.removesuffix("s")
    return {
        Counting.BEGINNING_WITH: f"{n} {unit} beginning with the day of",
        Counting.STARTING_DAY_AFTER: f"{n} consecutive {unit} starting the day after",
        Counting.WORKING_DAYS_AFTER: f"{n} {unit} beginning with the day after",
        Counting.WORKING_DAYS_BEGINNING_WITH: f"{n} {unit} beginning with the day of",
        Counting.WORKING_DAYS_BEFORE: f"at least {n} {unit} before",
        Counting.DAYS_BEFORE: f"at least {n} {unit} before",
        Counting.MONTHS_AFTER: f"{n} {unit} after",
        Counting.MONTHS_BEGINNING_WITH: f"{n} {unit} starting with the day of",
        Counting.YEARS_BEGINNING_WITH: f"{n} {unit} beginning with the day of",
    }[counting]


def _last_day(counting: Counting, n: int, start: date, calendar: WorkingCalendar) -> date:
    match counting:
        case Counting.BEGINNING_WITH:
            return start + timedelta(days=n - 1)
        case Counting.STARTING_DAY_AFTER:
            return start + timedelta(days=n)
        case Counting.WORKING_DAYS_AFTER:
            return calendar.add_working_days(start, n)
        case Counting.WORKING_DAYS_BEGINNING_WITH:
            # The day of the hearing is day 1 only if it is itself a working day.
            return calendar.add_working_days(start, n - 1 if calendar.is_working_day(start) else n)
        case Counting.WORKING_DAYS_BEFORE:
            return calendar.subtract_working_days(start, n)
        case Counting.DAYS_BEFORE:
            return start - timedelta(days=n)
        case Counting.MONTHS_AFTER:
            return add_months(start, n)
        case Counting.MONTHS_BEGINNING_WITH:
            return add_months(start - timedelta(days=1), n)
        case Counting.YEARS_BEGINNING_WITH:
            return add_months(start - timedelta(days=1), 12 * n)
    raise RuleDefinitionError(f"{counting} is not a date-based counting")


def add_months(day: date, months: int) -> date:
    """Return the corresponding date `months` later, or the month's last day if there is none.

    This is the corresponding-date rule the courts apply to periods of months
    (Dodds v Walker [1981] 1 WLR 1027): 31 January + 1 month is the end of February.
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = _monthcal.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _count_hours(
    start: datetime, hours: int, counting: Counting, calendar: WorkingCalendar
) -> datetime:
    """Add clock hours to an instant, leaving out London days that do not count.

    Real elapsed time is added in UTC, so a period across a clock change is still that many
    real hours. Christmas Day (HOURS_AFTER_NO_XMAS) or non-working days (WORKING_HOURS_AFTER)
    are stepped over whole, from London midnight to London midnight: a period that starts on
    Christmas Day starts counting at midnight on 26 December.
    """
    begin = start.astimezone(UTC)
    if counting is Counting.HOURS_AFTER:
        return begin + timedelta(hours=hours)
    skip: Callable[[date], bool] = (
        _is_christmas_day if counting is Counting.HOURS_AFTER_NO_XMAS else _not_working(calendar)
    )
    remaining, cursor = timedelta(hours=hours), begin
    while True:
        day = to_london(cursor).date()
        day_end = london_midnight_utc(day + timedelta(days=1))
        if not skip(day):
            available = day_end - cursor
            if remaining <= available:
                return cursor + remaining
            remaining -= available
        cursor = day_end


def _is_christmas_day(day: date) -> bool:
    return (day.month, day.day) == (12, 25)


def _not_working(calendar: WorkingCalendar) -> Callable[[date], bool]:
    return lambda day: not calendar.is_working_day(day)


@functools.lru_cache(maxsize=8192)
def _day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def _moment(moment: datetime) -> str:
    local = to_london(moment)
    return f"{local.hour:02d}:{local.minute:02d} on {_day(local.date())}"


# ---------------------------------------------------------------------------------------------
# Checking a new event against the case so far


class SequenceError(ValidationFailed, ValueError):
    """A new event cannot follow the events already recorded; `errors` maps field to message."""


#: How far ahead of `now` an event may be stamped before it counts as "in the future".
CLOCK_SKEW = timedelta(minutes=1)


def validate_event_sequence(
    tool: str, existing: Sequence[Event], new: Event, now: datetime
) -> None:
    """Check that `new` may be recorded after `existing` in a case of `tool`.

    Raises SequenceError (a ValidationFailed and a ValueError, with a message per field) when
    the event is not one this tool records, lies in the future, duplicates an event of the same
    kind at the same instant, lacks a date the event must set, or comes before the event it
    depends on (a service before the issue, an order before the notice was served, a decided
    appeal with none lodged). Raises UnknownToolError for an unknown tool.
    """
    code = _tool_code(tool)
    _require_aware(now, "now")
    spec = TOOLS[code]
    errors: dict[str, str] = {}
    if new.kind not in spec.events:
        errors["kind"] = f"'{new.kind.label}' is not an event of a {code.label.lower()} case"
    if new.at > now + CLOCK_SKEW:
        errors["at"] = "cannot be in the future"
    elif any(e.kind is new.kind and e.at == new.at for e in existing):
        errors["at"] = f"'{new.kind.label}' is already recorded at {_moment(new.at)}"
    if new.kind is EventKind.HEARING_LISTED and new.scheduled_for is None:
        errors["scheduled_for"] = "give the date and time of the hearing"
    elif new.scheduled_for is not None and new.scheduled_for < new.at:
        errors["scheduled_for"] = "must be after the time it was set"
    needed = spec.prerequisites.get(new.kind, ())
    if needed and "kind" not in errors:
        earlier = [e for e in existing if e.kind in needed]
        names = " or ".join(f"'{k.label.lower()}'" for k in needed)
        if not earlier:
            errors["kind"] = f"'{new.kind.label}' needs {names} recorded first"
        elif all(e.at > new.at for e in earlier) and "at" not in errors:
            first = min(e.at for e in earlier)
            errors["at"] = f"'{new.kind.label}' cannot come before {names} ({_moment(first)})"
    if errors:
        raise SequenceError(errors)
