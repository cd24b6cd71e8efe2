"""The words of enforcement cases: the events recorded, the tools used, how statutes count."""

from __future__ import annotations

from enforcement.vocab import Labelled

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


class Counting(Labelled):
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
        return self in HOUR_COUNTS

    @property
    def is_days(self) -> bool:
        """Say whether the period is a number of days (calendar or working), not hours, months
        or years: the only counting a chained rule may take."""
        return not self.is_hours and self not in MONTH_YEAR_COUNTS

    @property
    def is_before(self) -> bool:
        """Say whether the period counts back from the anchor ("at least N before")."""
        return self in (Counting.WORKING_DAYS_BEFORE, Counting.DAYS_BEFORE)

    @property
    def unit(self) -> str:
        """Return the unit the amount is in, as words."""
        if self.is_hours:
            return "hours"
        if self in WORKING_DAY_COUNTS:
            return "working days"
        if self in (Counting.MONTHS_AFTER, Counting.MONTHS_BEGINNING_WITH):
            return "months"
        if self is Counting.YEARS_BEGINNING_WITH:
            return "years"
        return "days"


HOUR_COUNTS = frozenset(
    {Counting.HOURS_AFTER, Counting.HOURS_AFTER_NO_XMAS, Counting.WORKING_HOURS_AFTER}
)
MONTH_YEAR_COUNTS = frozenset(
    {Counting.MONTHS_AFTER, Counting.MONTHS_BEGINNING_WITH, Counting.YEARS_BEGINNING_WITH}
)
WORKING_DAY_COUNTS = frozenset(
    {
        Counting.WORKING_DAYS_AFTER,
        Counting.WORKING_DAYS_BEGINNING_WITH,
        Counting.WORKING_DAYS_BEFORE,
    }
)


class Direction(Labelled):
    """What a deadline asks of the people in the case."""

    BY = "by"  # something must happen by due_at (met or missed)
    WINDOW = "window"  # something may be done, but only by due_at (an appeal, a claim)
    BEFORE = "before"  # at least N before the anchor: due_at is the latest permitted instant
    EXPIRES = "expires"  # a notice, order or period ends at due_at at the latest
    NOT_BEFORE = "not_before"  # a minimum period: nothing may end it before due_at


class ScheduledUse(Labelled):
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


class CaseStatus(Labelled):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class ServedHow(Labelled):
    """How a notice or order was served on the premises or the person."""

    IN_PERSON = "in_person", "In person"
    POST = "post", "By post"
    AFFIXED = "affixed", "Affixed to the premises"
    OTHER = "other", "Other"
