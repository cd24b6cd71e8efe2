"""The statutory rule table, as data: each rule's anchor event, amount, counting and citation.

The rules and their sources are explained in docs/statutory-clock.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from enforcement.cases.vocab import Counting, Direction, EventKind, ScheduledUse, ToolCode
from enforcement.vocab import OrganisationKind

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
    #: False for a period a workflow reads as a number (a flag's review by grade band), which
    #: the engine never derives as a case deadline.
    derived: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount < 1:
            raise RuleDefinitionError(f"{self.id}: amount must be a whole number of 1 or more")
        if (self.direction is Direction.BEFORE) != self.counting.is_before:
            raise RuleDefinitionError(
                f"{self.id}: a 'before' rule must count back (working_days_before or days_before)"
                " and only a 'before' rule may"
            )
        if self.anchor_rule is not None and not self.counting.is_days:
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
         "Licensing Act 2003, s53A(2)(a) and (5)", _E.APPLICATION_RECEIVED, 48,
         _C.WORKING_HOURS_AFTER, met_by=(_E.INTERIM_STEPS_CONSIDERED,),
         note="'48 working hours': s53A(5) disregards time not on a working day, so a weekend,"
              " Christmas Day, Good Friday or a bank holiday stops the clock."),
    Rule("la.s53a.notify", _T.SUMMARY_REVIEW,
         "Notify the holder and responsible authorities of the review",
         "SI 2005/42, reg 36A", _E.APPLICATION_RECEIVED, 48, _C.WORKING_HOURS_AFTER,
         met_by=(_E.HOLDER_NOTIFIED,), confirmed=False,
         note="reg 36A(3) computes the 48 hours as s53A(5) does: time not on a working day is"
              " disregarded."),
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
    Rule("msa.s17.minimum_duration", _T.STPO,
         "Earliest date of discharge without consent (5 years)",
         "Modern Slavery Act 2015, s17(4) and s20", _E.ORDER_MADE, 5, _C.YEARS_BEGINNING_WITH,
         _D.NOT_BEFORE,
         note="Not a deadline: the order runs for a fixed period of at least 5 years or until"
              " further order, and the court may not discharge it before this date without"
              " consent."),
    Rule("msa.s26.notify_details", _T.STRO, "Defendant must notify name and address",
         "Modern Slavery Act 2015, s26(3)", _E.ORDER_SERVED, 3, _C.BEGINNING_WITH,
         met_by=(_E.DETAILS_NOTIFIED,), note="Only where the order imposes this requirement."),
    Rule("msa.s24.minimum_duration", _T.STRO,
         "Earliest date of discharge without consent (2 years)",
         "Modern Slavery Act 2015, s24(4) and s27", _E.ORDER_MADE, 2, _C.YEARS_BEGINNING_WITH,
         _D.NOT_BEFORE,
         note="Not a deadline: the order runs for a fixed period of at least 2 years or until"
              " further order, and the court may not discharge it before this date without"
              " consent."),
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
    # Local practice read by the intelligence workflow: days from a flag's last grading or
    # status change to its review, by status and grade band (docs/grading.md), never derived.
    *(
        Rule(f"local.intel.review.{status}.{band}", _T.INTELLIGENCE_REVIEW,
             f"Review a flag {what} ({'not graded' if band == 'ungraded' else band + ' grading'})",
             "Local practice: review periods by grading and status",
             _E.FLAG_RECORDED, days, _C.STARTING_DAY_AFTER, met_by=(_E.FLAG_REVIEWED,),
             derived=False)
        for status, what, bands in (
            ("open", "still open", (("ungraded", 14), ("strong", 30), ("moderate", 60),
                                 ("weak", 90))),
            ("under_assessment", "under assessment",
             (("ungraded", 14), ("strong", 14), ("moderate", 30), ("weak", 30))),
            ("actioned", "actioned", (("ungraded", 90), ("strong", 90), ("moderate", 180),
                                         ("weak", 180))),
        )
        for band, days in bands
    ),
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
