"""Every statutory rule pinned by worked examples, plus the engine's statuses, overrides and checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from enforcement.cases.calendar import WorkingCalendar
from enforcement.cases.rules import (
    CITATIONS_CHECKED,
    NEXT_STEPS,
    RULES,
    TOOLS,
    RuleDefinitionError,
    next_steps,
)
from enforcement.cases.statutory import (
    Deadline,
    Event,
    RuleBook,
    RuleOverrideError,
    SequenceError,
    UnknownRuleError,
    UnknownToolError,
    derive_deadlines,
    max_amount,
    unit_choices,
    validate_event_sequence,
)
from enforcement.cases.vocab import Counting, Direction, EventKind, Status, ToolCode
from enforcement.clock import LONDON
from enforcement.errors import ValidationFailed

E = EventKind
CAL = WorkingCalendar.from_holidays_package(range(2025, 2035))
BOOK = RuleBook()
FAR_FUTURE = datetime(2040, 1, 1, tzinfo=UTC)


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """Return an aware London wall-clock time."""
    return datetime(y, mo, d, h, mi, tzinfo=LONDON)


def end_of(y: int, mo: int, d: int) -> datetime:
    """Return the last instant of a London calendar day."""
    return datetime(y, mo, d, 23, 59, 59, 999999, tzinfo=LONDON)


def ev(kind: EventKind, when: datetime, scheduled_for: datetime | None = None) -> Event:
    return Event(kind, when, scheduled_for=scheduled_for)


def deadline(
    rule_id: str, events: list[Event], now: datetime = FAR_FUTURE, book: RuleBook = BOOK
) -> Deadline | None:
    tool = book.get(rule_id).tool
    found = [d for d in derive_deadlines(tool, events, CAL, book, now) if d.rule.id == rule_id]
    return found[0] if found else None


@dataclass(frozen=True)
class Example:
    rule_id: str
    events: list[Event]
    due: datetime
    why: str


SERVED_XMAS_EVE = ev(E.NOTICE_SERVED, at(2027, 12, 24, 16, 30))

EXAMPLES = [
    # Anti-social Behaviour, Crime and Policing Act 2014
    Example("asbcpa.s77.notice_24h", [ev(E.NOTICE_ISSUED, at(2026, 3, 28, 22))],
            at(2026, 3, 29, 23), "24 real hours across the March change: the wall clock shows 23:00"),
    Example("asbcpa.s77.notice_24h", [ev(E.NOTICE_ISSUED, at(2027, 12, 24, 16))],
            at(2027, 12, 25, 16), "no Christmas disregard for a 24-hour notice (s77(3))"),
    Example("asbcpa.s77.notice_48h",
            [ev(E.NOTICE_ISSUED, at(2027, 12, 24, 16, 30)),
             ev(E.NOTICE_EXTENDED, at(2027, 12, 24, 17))],
            at(2027, 12, 27, 16, 30), "48 hours, Christmas Day not counted"),
    Example("asbcpa.s80.hearing", [SERVED_XMAS_EVE], at(2027, 12, 27, 16, 30),
            "served 16:30 Fri 24 Dec 2027: heard by 16:30 Mon 27 Dec 2027"),
    Example("asbcpa.s80.hearing", [ev(E.NOTICE_SERVED, at(2026, 12, 25, 10))],
            at(2026, 12, 28, 0), "served on Christmas Day: the count starts at midnight"),
    Example("asbcpa.s80.hearing", [ev(E.NOTICE_SERVED, at(2026, 12, 24, 23))],
            at(2026, 12, 27, 23), "one hour before Christmas, 47 after it"),
    Example("asbcpa.s80.hearing", [ev(E.NOTICE_SERVED, at(2026, 10, 24, 1, 30))],
            at(2026, 10, 26, 0, 30), "48 real hours across the October change: 00:30 GMT"),
    Example("asbcpa.s80.hearing", [ev(E.NOTICE_SERVED, at(2026, 7, 1, 12))],
            at(2026, 7, 3, 12), "an ordinary 48 hours"),
    Example("asbcpa.s81.adjournment", [ev(E.HEARING_ADJOURNED, at(2026, 7, 6, 11))],
            end_of(2026, 7, 20), "not more than 14 days, from the day after"),
    Example("asbcpa.s81.continued_notice", [ev(E.NOTICE_CONTINUED, at(2026, 12, 24, 15))],
            at(2026, 12, 26, 15), "s81(2) has no Christmas disregard"),
    Example("asbcpa.s80.order_duration", [ev(E.ORDER_MADE, at(2027, 1, 31, 14))],
            end_of(2027, 4, 30), "no 31 April: the corresponding-date rule gives 30 April"),
    Example("asbcpa.s80.order_duration", [ev(E.ORDER_MADE, at(2027, 1, 10, 14))],
            end_of(2027, 4, 10), "3 months after 10 January"),
    Example("asbcpa.s80.order_duration",
            [ev(E.ORDER_MADE, at(2027, 1, 10, 14), scheduled_for=at(2027, 2, 21, 14))],
            at(2027, 2, 21, 14), "an order made for six weeks ends when it says"),
    Example("asbcpa.s82.extension_window", [ev(E.ORDER_MADE, at(2027, 1, 10, 14))],
            end_of(2027, 4, 10), "apply before the order ends"),
    Example("asbcpa.s82.total_duration",
            [ev(E.ORDER_MADE, at(2027, 1, 10, 14)), ev(E.ORDER_EXTENDED, at(2027, 4, 1, 10))],
            end_of(2027, 7, 10), "6 months in total from the order"),
    Example("asbcpa.s84.appeal", [ev(E.ORDER_MADE, at(2027, 3, 1, 11))], end_of(2027, 3, 21),
            "21 days beginning with the day of the decision"),
    Example("asbcpa.s84.appeal", [ev(E.ORDER_REFUSED, at(2027, 3, 15, 11))],
            end_of(2027, 4, 4), "date rules end at London midnight whatever the clock change"),
    Example("asbcpa.s90.compensation", [ev(E.NOTICE_CANCELLED, at(2027, 2, 10, 9))],
            end_of(2027, 5, 9), "3 months starting with the day of cancellation"),
    Example("asbcpa.s90.compensation", [ev(E.NOTICE_CANCELLED, at(2026, 10, 1, 11))],
            end_of(2026, 12, 31), "from a month's first day: three whole months"),
    Example("asbcpa.s90.compensation", [ev(E.NOTICE_CANCELLED, at(2026, 11, 30, 11))],
            end_of(2027, 2, 28), "no 30 February: the month's last day"),
    # Sexual Offences Act 2003, Part 2A
    Example("soa.s136d.hearing", [SERVED_XMAS_EVE], at(2027, 12, 26, 16, 30),
            "no Christmas Day disregard under s136D"),
    Example("soa.s136e.adjournment", [ev(E.HEARING_ADJOURNED, at(2026, 7, 6, 11))],
            end_of(2026, 7, 20), "up to 14 days"),
    Example("soa.s136d.order_duration", [ev(E.ORDER_MADE, at(2028, 2, 29, 10))],
            end_of(2028, 5, 29), "3 months from a leap day"),
    Example("soa.s136h.extension_window", [ev(E.ORDER_MADE, at(2027, 6, 1, 10))],
            end_of(2027, 9, 1), "before the order ends"),
    Example("soa.s136i.total_duration",
            [ev(E.ORDER_MADE, at(2027, 6, 1, 10)), ev(E.ORDER_EXTENDED, at(2027, 8, 20, 10))],
            end_of(2027, 12, 1), "6 months in total"),
    Example("soa.s136k.appeal", [ev(E.ORDER_MADE, at(2027, 6, 1, 10))], end_of(2027, 6, 21),
            "21 days beginning with the decision"),
    # Immigration Act 2016, Schedule 6
    Example("iwc.sch6.hearing", [ev(E.NOTICE_SERVED, at(2026, 12, 24, 9))],
            at(2026, 12, 27, 9), "15 hours on Christmas Eve, 33 from Boxing Day"),
    Example("iwc.sch6.order_duration", [ev(E.ORDER_MADE, at(2027, 3, 15, 10))],
            end_of(2028, 3, 15), "12 months"),
    Example("iwc.sch6.total_duration",
            [ev(E.ORDER_MADE, at(2027, 3, 15, 10)), ev(E.ORDER_EXTENDED, at(2028, 3, 1, 10))],
            end_of(2029, 3, 15), "24 months in total"),
    # Licensing Act 2003: review
    Example("la.s51.representations", [ev(E.APPLICATION_RECEIVED, at(2027, 4, 1, 10))],
            end_of(2027, 4, 29), "28 consecutive days starting the day after receipt"),
    Example("la.s52.hearing", [ev(E.APPLICATION_RECEIVED, at(2027, 4, 1, 10))],
            end_of(2027, 5, 28), "20 working days from Fri 30 Apr; Mon 3 May is a bank holiday"),
    Example("la.s52.notice_of_hearing",
            [ev(E.HEARING_LISTED, at(2027, 5, 10, 10), scheduled_for=at(2027, 6, 1, 10))],
            end_of(2027, 5, 17), "10 working days before Tue 1 Jun; Mon 31 May is a holiday"),
    Example("la.s52.determination", [ev(E.HEARING_HELD, at(2027, 6, 1, 10))],
            end_of(2027, 6, 7), "5 working days beginning with the day of the hearing"),
    Example("la.s52.determination", [ev(E.HEARING_HELD, at(2027, 12, 24, 10))],
            end_of(2028, 1, 4), "over Christmas and the New Year substitute day"),
    Example("la.s52.appeal", [ev(E.DECISION_NOTIFIED, at(2027, 6, 4, 10))],
            end_of(2027, 6, 24), "21 days beginning with notification"),
    # Licensing Act 2003: summary review
    Example("la.s53a.interim_steps", [ev(E.APPLICATION_RECEIVED, at(2027, 3, 25, 14))],
            at(2027, 3, 31, 14), "48 working hours: 10 h Thu, Good Friday, the weekend (and its"
            " clock change) and Easter Monday left out, 24 h Tue, 14 h Wed: 14:00 BST"),
    Example("la.s53a.interim_steps", [ev(E.APPLICATION_RECEIVED, at(2027, 12, 24, 16, 30))],
            at(2027, 12, 30, 16, 30), "7.5 h on Christmas Eve, Christmas Day, the weekend and"
            " both substitute bank holidays left out, 24 h Wed, 16.5 h Thu"),
    Example("la.s53a.interim_steps", [ev(E.APPLICATION_RECEIVED, at(2027, 12, 31, 15))],
            at(2028, 1, 5, 15), "9 h on New Year's Eve, the weekend and the substitute New"
            " Year's Day (Mon 3 Jan) left out, 24 h Tue, 15 h Wed"),
    Example("la.s53a.interim_steps", [ev(E.APPLICATION_RECEIVED, at(2027, 3, 26, 17))],
            at(2027, 4, 1, 0), "received on Good Friday: the clock starts at midnight on Tue"),
    Example("la.s53a.notify", [ev(E.APPLICATION_RECEIVED, at(2027, 3, 25, 17))],
            at(2027, 3, 31, 17), "7 h Thu, Easter weekend skipped, 24 h Tue, 17 h Wed"),
    Example("la.s53a.representations", [ev(E.APPLICATION_RECEIVED, at(2027, 3, 25, 17))],
            end_of(2027, 4, 12), "10 working days starting the day after receipt"),
    Example("la.s53a.determination", [ev(E.APPLICATION_RECEIVED, at(2027, 3, 25, 17))],
            end_of(2027, 4, 22), "28 days after the day of receipt"),
    Example("la.s53a.notice_of_hearing",
            [ev(E.HEARING_LISTED, at(2027, 4, 1, 10), scheduled_for=at(2027, 4, 19, 10))],
            end_of(2027, 4, 12), "5 working days before the hearing"),
    Example("la.s53a.appeal", [ev(E.DECISION_NOTIFIED, at(2027, 4, 22, 16))],
            end_of(2027, 5, 12), "21 days beginning with notification"),
    # Licensing Act 2003: review after closure
    Example("la.s167.representations", [ev(E.ORDER_NOTICE_RECEIVED, at(2027, 12, 24, 10))],
            end_of(2027, 12, 31), "7 days starting the day after receipt"),
    Example("la.s167.determination", [ev(E.ORDER_NOTICE_RECEIVED, at(2027, 12, 24, 10))],
            end_of(2028, 1, 21), "no later than 28 days after the day of receipt"),
    Example("la.s167.notice_of_hearing",
            [ev(E.HEARING_LISTED, at(2027, 12, 30, 10), scheduled_for=at(2028, 1, 11, 10))],
            end_of(2028, 1, 4), "5 working days before Tue 11 Jan 2028"),
    Example("la.s167.appeal", [ev(E.DECISION_NOTIFIED, at(2028, 1, 21, 10))],
            end_of(2028, 2, 10), "21 days beginning with notification"),
    # London Local Authorities Act 1991
    Example("llaa.appeal", [ev(E.DECISION_NOTIFIED, at(2027, 2, 1, 10))], end_of(2027, 2, 21),
            "21 days, notification day counted"),
    # Modern Slavery Act 2015
    Example("msa.s19.notify_details", [ev(E.ORDER_SERVED, at(2027, 10, 30, 10))],
            end_of(2027, 11, 1), "3 days beginning with service, across the October change"),
    Example("msa.s17.minimum_duration", [ev(E.ORDER_MADE, at(2026, 1, 10, 10))],
            end_of(2031, 1, 9), "at least 5 years beginning with the day made"),
    Example("msa.s26.notify_details", [ev(E.ORDER_SERVED, at(2026, 12, 31, 10))],
            end_of(2027, 1, 2), "3 days beginning with service"),
    Example("msa.s24.minimum_duration", [ev(E.ORDER_MADE, at(2028, 2, 29, 10))],
            end_of(2030, 2, 28), "at least 2 years from a leap day"),
    Example("msa.s24.minimum_duration", [ev(E.ORDER_MADE, at(2026, 3, 1, 11))],
            end_of(2028, 2, 29), "2 years beginning with 1 March run to the leap day"),
    Example("msa.s17.minimum_duration", [ev(E.ORDER_MADE, at(2027, 3, 1, 11))],
            end_of(2032, 2, 29), "5 years beginning with 1 March 2027"),
    # Local practice
    Example("local.welfare.follow_up", [ev(E.VISIT_RECORDED, at(2027, 6, 3, 20))],
            end_of(2027, 6, 17), "default 14 days"),
    Example("local.welfare.follow_up",
            [ev(E.VISIT_RECORDED, at(2027, 6, 3, 20), scheduled_for=at(2027, 6, 10, 12))],
            at(2027, 6, 10, 12), "the date set on the visit replaces the default"),
    Example("local.poster.follow_up", [ev(E.POSTER_CHECK_FAILED, at(2027, 12, 20, 11))],
            end_of(2028, 1, 3), "14 days"),
    Example("local.intel.review", [ev(E.FLAG_RECORDED, at(2027, 1, 15, 9))],
            end_of(2028, 1, 15), "12 months at the latest"),
    Example("local.intel.review",
            [ev(E.FLAG_RECORDED, at(2027, 1, 15, 9)), ev(E.FLAG_REVIEWED, at(2027, 6, 1, 9))],
            end_of(2028, 6, 1), "each review starts the next period"),
]  # fmt: skip


def test_every_rule_has_a_worked_example() -> None:
    assert {e.rule_id for e in EXAMPLES} == {r.id for r in RULES if r.derived}


def test_periods_a_workflow_reads_are_never_derived_as_deadlines() -> None:
    periods = {r.id for r in RULES if not r.derived}
    assert len(periods) == 12 and all(p.startswith("local.intel.review.") for p in periods)
    derived = derive_deadlines(
        ToolCode.INTELLIGENCE_REVIEW,
        [ev(E.FLAG_RECORDED, at(2027, 1, 15, 9))],
        CAL,
        BOOK,
        at(2027, 2, 1, 9),
    )
    assert [d.rule.id for d in derived] == ["local.intel.review"]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: f"{e.rule_id}: {e.why}")
def test_worked_example(example: Example) -> None:
    found = deadline(example.rule_id, example.events)
    assert found is not None
    assert found.due_at == example.due, found.counting_explanation
    assert found.due_at.tzinfo is UTC


def test_the_quoted_christmas_example_explains_itself() -> None:
    found = deadline("asbcpa.s80.hearing", [SERVED_XMAS_EVE], now=at(2027, 12, 24, 17))
    assert found is not None
    assert found.status is Status.PENDING
    assert found.due_at.astimezone(LONDON) == at(2027, 12, 27, 16, 30)
    assert found.counting_explanation == (
        "48 hours from service of the notice at 16:30 GMT on Fri 24 Dec 2027,"
        " with Christmas Day not counted: by 16:30 GMT on Mon 27 Dec 2027"
    )
    assert found.time_left(at(2027, 12, 27, 16)) == timedelta(minutes=30)


def test_autumn_clock_change_is_48_real_hours() -> None:
    served = at(2026, 10, 24, 1, 30)  # BST
    found = deadline("asbcpa.s80.hearing", [ev(E.NOTICE_SERVED, served)])
    assert found is not None
    assert found.due_at - served == timedelta(hours=48)
    assert found.due_at.astimezone(LONDON).strftime("%H:%M %Z") == "00:30 GMT"


def test_chained_hearing_explains_what_it_counts_from() -> None:
    found = deadline("la.s52.hearing", [ev(E.APPLICATION_RECEIVED, at(2027, 4, 1, 10))])
    assert found is not None
    assert found.counting_explanation == (
        "20 working days beginning with the day after the last day of the representations"
        " period (Thu 29 Apr 2027): end of Fri 28 May 2027"
    )
    assert found.anchor.kind is E.APPLICATION_RECEIVED


# --- statuses ---------------------------------------------------------------------------------


def test_met_when_heard_in_time() -> None:
    held = ev(E.HEARING_HELD, at(2027, 12, 27, 10))
    found = deadline("asbcpa.s80.hearing", [SERVED_XMAS_EVE, held])
    assert found is not None and found.status is Status.MET and found.met_by == held


def test_missed_when_heard_late_or_not_at_all() -> None:
    late = ev(E.ORDER_MADE, at(2027, 12, 28, 10))
    found = deadline("asbcpa.s80.hearing", [SERVED_XMAS_EVE, late])
    assert found is not None and found.status is Status.MISSED and found.met_by == late
    none = deadline("asbcpa.s80.hearing", [SERVED_XMAS_EVE], now=at(2027, 12, 28))
    assert none is not None and none.status is Status.MISSED and none.met_by is None


def test_closed_when_the_notice_is_cancelled_in_time() -> None:
    cancelled = ev(E.NOTICE_CANCELLED, at(2027, 12, 26, 9))
    found = deadline("asbcpa.s80.hearing", [SERVED_XMAS_EVE, cancelled], now=at(2028, 1, 5))
    assert found is not None and found.status is Status.CLOSED


def test_a_cancellation_after_the_deadline_does_not_hide_a_miss() -> None:
    cancelled = ev(E.NOTICE_CANCELLED, at(2027, 12, 29, 9))
    found = deadline("asbcpa.s80.hearing", [SERVED_XMAS_EVE, cancelled], now=at(2028, 1, 5))
    assert found is not None and found.status is Status.MISSED


def test_a_reserved_notice_restarts_the_clock() -> None:
    again = ev(E.NOTICE_SERVED, at(2027, 12, 29, 9))
    held = ev(E.HEARING_HELD, at(2027, 12, 27, 10))
    found = deadline("asbcpa.s80.hearing", [SERVED_XMAS_EVE, held, again], now=at(2027, 12, 29))
    assert found is not None
    assert found.anchor == again and found.status is Status.PENDING
    assert found.due_at == at(2027, 12, 31, 9)


def test_appeal_window_statuses() -> None:
    made = ev(E.ORDER_MADE, at(2027, 3, 1, 11))
    assert deadline("asbcpa.s84.appeal", [made], now=at(2027, 3, 5)).status is Status.PENDING  # type: ignore[union-attr]
    assert deadline("asbcpa.s84.appeal", [made], now=at(2027, 4, 1)).status is Status.LAPSED  # type: ignore[union-attr]
    lodged = ev(E.APPEAL_LODGED, at(2027, 3, 21, 16))
    assert deadline("asbcpa.s84.appeal", [made, lodged]).status is Status.MET  # type: ignore[union-attr]
    late = ev(E.APPEAL_LODGED, at(2027, 3, 22, 9))
    assert deadline("asbcpa.s84.appeal", [made, late]).status is Status.MISSED  # type: ignore[union-attr]


def test_order_duration_lapses_or_closes_early() -> None:
    made = ev(E.ORDER_MADE, at(2027, 1, 10, 14))
    lapsed = deadline("asbcpa.s80.order_duration", [made], now=at(2027, 5, 1))
    assert lapsed is not None and lapsed.status is Status.LAPSED
    discharged = ev(E.ORDER_DISCHARGED, at(2027, 2, 1, 10))
    closed = deadline("asbcpa.s80.order_duration", [made, discharged], now=at(2027, 5, 1))
    assert closed is not None and closed.status is Status.CLOSED


def test_a_recorded_expiry_brings_the_end_forward() -> None:
    made = ev(E.ORDER_MADE, at(2027, 1, 10, 14))
    expired = ev(E.ORDER_EXPIRED, at(2027, 3, 1, 11))
    for rule_id in ("asbcpa.s80.order_duration", "asbcpa.s82.extension_window"):
        found = deadline(rule_id, [made, expired], now=at(2027, 3, 2))
        assert found is not None
        assert found.due_at == at(2027, 3, 1, 11) and found.status is Status.LAPSED
        assert found.counting_explanation.startswith(
            "ended on the record at 11:00 GMT on Mon 1 Mar"
        )


def test_minimum_duration_is_pending_then_lapses() -> None:
    made = ev(E.ORDER_MADE, at(2026, 1, 10, 10))
    rule = "msa.s17.minimum_duration"
    assert deadline(rule, [made], now=at(2030, 1, 1)).status is Status.PENDING  # type: ignore[union-attr]
    assert deadline(rule, [made], now=at(2031, 1, 10)).status is Status.LAPSED  # type: ignore[union-attr]


def test_notice_of_hearing_in_time_late_and_unlisted() -> None:
    listed = ev(E.HEARING_LISTED, at(2027, 5, 10, 10), scheduled_for=at(2027, 6, 1, 10))
    given = ev(E.NOTICE_OF_HEARING_GIVEN, at(2027, 5, 17, 15))
    rule = "la.s52.notice_of_hearing"
    assert deadline(rule, [listed, given]).status is Status.MET  # type: ignore[union-attr]
    late = ev(E.NOTICE_OF_HEARING_GIVEN, at(2027, 5, 18, 9))
    assert deadline(rule, [listed, late]).status is Status.MISSED  # type: ignore[union-attr]
    unlisted = ev(E.HEARING_LISTED, at(2027, 5, 10, 10))
    assert deadline(rule, [unlisted]) is None


def test_rules_wait_for_their_anchor_and_requirements() -> None:
    issued = ev(E.NOTICE_ISSUED, at(2027, 12, 24, 16))
    ids = [d.rule.id for d in derive_deadlines("asbcpa_closure", [issued], CAL, BOOK, FAR_FUTURE)]
    assert ids == ["asbcpa.s77.notice_24h"]
    extended = ev(E.NOTICE_EXTENDED, at(2027, 12, 24, 18))
    both = derive_deadlines("asbcpa_closure", [issued, extended], CAL, BOOK, FAR_FUTURE)
    statuses = {d.rule.id: d.status for d in both}
    assert statuses == {
        "asbcpa.s77.notice_24h": Status.CLOSED,
        "asbcpa.s77.notice_48h": Status.LAPSED,
    }


def test_no_events_no_deadlines_and_prosecution_has_none() -> None:
    for tool in ToolCode:
        assert derive_deadlines(tool, [], CAL, BOOK, FAR_FUTURE) == []


def test_unknown_tool_and_naive_times_are_refused() -> None:
    with pytest.raises(UnknownToolError):
        derive_deadlines("dog_licence", [], CAL, BOOK, FAR_FUTURE)
    with pytest.raises(ValueError, match="aware"):
        derive_deadlines("asbcpa_closure", [], CAL, BOOK, datetime(2027, 1, 1))
    with pytest.raises(ValueError, match="aware"):
        Event(E.NOTICE_SERVED, datetime(2027, 1, 1))


def test_event_kind_given_as_stored_text_is_accepted() -> None:
    assert Event("notice_served", at(2027, 1, 1)).kind is E.NOTICE_SERVED  # type: ignore[arg-type]


# --- the rule book ----------------------------------------------------------------------------


def test_override_is_a_data_change() -> None:
    book = RuleBook.from_overrides({"asbcpa.s80.order_duration": {"amount": 6}})
    made = [ev(E.ORDER_MADE, at(2027, 1, 10, 14))]
    found = deadline("asbcpa.s80.order_duration", made, book=book)
    assert found is not None and found.due_at == end_of(2027, 7, 10)
    assert BOOK.get("asbcpa.s80.order_duration").amount == 3


def test_override_from_json_with_unit_alias_and_end_of_day() -> None:
    book = RuleBook.from_json(
        '{"asbcpa.s84.appeal": {"unit": "starting_day_after", "end_of_day": false}}'
    )
    rule = book.get("asbcpa.s84.appeal")
    assert rule.counting is Counting.STARTING_DAY_AFTER and not rule.end_of_day
    found = deadline("asbcpa.s84.appeal", [ev(E.ORDER_MADE, at(2027, 3, 1, 11))], book=book)
    assert found is not None and found.due_at == at(2027, 3, 22, 11)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"no.such.rule": {"amount": 1}}, "unknown rule id"),
        ({"asbcpa.s84.appeal": {"unit": "fortnights"}}, "fortnights"),
        ({"asbcpa.s84.appeal": {"amount": 0}}, "amount"),
        ({"asbcpa.s84.appeal": {"amount": "21"}}, "amount"),
        ({"asbcpa.s84.appeal": {"anchor_event": "order_served"}}, "cannot override anchor_event"),
        ({"asbcpa.s84.appeal": {"unit": "days_before"}}, "before"),
        ({"la.s52.notice_of_hearing": {"counting": "hours_after"}}, "before"),
        ({"asbcpa.s84.appeal": {"counting": "beginning_with", "unit": "beginning_with"}}, "both"),
        ({"asbcpa.s84.appeal": {"confirmed": "yes"}}, "true or false"),
        ({"asbcpa.s84.appeal": {"citation": ""}}, "text"),
        ({"asbcpa.s84.appeal": 21}, "object"),
        # An amount no date can hold the deadline of stopped every case's clock at every tick.
        ({"asbcpa.s84.appeal": {"amount": 4_000_000}}, "at most 366 days"),
        ({"asbcpa.s84.appeal": {"amount": 367}}, "at most 366 days"),
        ({"asbcpa.s80.hearing": {"amount": 721}}, "at most 720 hours"),
        ({"local.welfare.follow_up": {"amount": 91}}, "at most 90 days"),
        # The local. rules are read by workflows as days: their counting stays the table's.
        (
            {"local.poster.follow_up": {"counting": "months_after", "amount": 2}},
            "local.poster.follow_up: counting 'months_after' is not allowed.*starting_day_after",
        ),
        (
            {"local.welfare.follow_up": {"counting": "hours_after", "amount": 48}},
            "local.welfare.follow_up: counting 'hours_after' is not allowed",
        ),
        (
            {"local.intel.review.open.ungraded": {"counting": "hours_after", "amount": 700}},
            "local.intel.review.open.ungraded: counting 'hours_after' is not allowed",
        ),
        ({"local.intel.review.open.ungraded": {"amount": 366}}, "at most 365 days"),
        ({"local.intel.review": {"unit": "starting_day_after"}}, "not allowed"),
        # A chained rule counts in days (calendar or working), never hours, months or years.
        ({"la.s52.hearing": {"counting": "months_after", "amount": 2}}, "chained rule"),
        ({"la.s52.hearing": {"unit": "years_beginning_with", "amount": 1}}, "chained rule"),
        ({"la.s52.hearing": {"counting": "hours_after"}}, "chained rule"),
    ],
)
def test_bad_overrides_are_clear_errors(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(RuleOverrideError, match=message):
        RuleBook.from_overrides(overrides)  # type: ignore[arg-type]


def test_a_chained_rule_may_change_among_day_counts() -> None:
    book = RuleBook.from_overrides({"la.s52.hearing": {"counting": "starting_day_after"}})
    assert book.get("la.s52.hearing").counting is Counting.STARTING_DAY_AFTER
    assert all(c.is_days for c in unit_choices(BOOK.get("la.s52.hearing")))
    assert unit_choices(BOOK.get("local.poster.follow_up")) == (Counting.STARTING_DAY_AFTER,)


def test_every_override_a_workflow_rule_accepts_its_workflow_accepts() -> None:
    # The welfare and flag workflows (packages beside enforcement.cases) take these rules'
    # amounts as days: the largest amount an override may give must be one they take.
    from enforcement.intelligence import flags
    from enforcement.welfare import visits

    read_as_days = [
        rule
        for rule in BOOK
        if rule.id == "local.welfare.follow_up" or rule.id.startswith("local.intel.review.")
    ]
    assert len(read_as_days) == 13
    for rule in read_as_days:
        assert unit_choices(rule) == (Counting.STARTING_DAY_AFTER,), rule.id
        most = max_amount(rule, rule.counting)
        book = RuleBook.from_overrides({rule.id: {"amount": most}})
        if rule.id == "local.welfare.follow_up":
            assert most == visits.MAX_FOLLOW_UP_DAYS
        else:
            assert most == flags.MAX_REVIEW_DAYS
            flags.review_rules_from({r.id: r.amount for r in book if not r.derived})
    with pytest.raises(ValueError, match="1 to 365"):
        flags.review_rules_from({"local.intel.review.open.ungraded": flags.MAX_REVIEW_DAYS + 1})


def test_bad_override_json() -> None:
    with pytest.raises(RuleOverrideError, match="not JSON"):
        RuleBook.from_json("{")
    with pytest.raises(RuleOverrideError, match="object"):
        RuleBook.from_json("[]")


def test_rule_book_refuses_duplicates_and_chains_out_of_order() -> None:
    parent, child = BOOK.get("la.s51.representations"), BOOK.get("la.s52.hearing")
    with pytest.raises(RuleDefinitionError, match="earlier rule"):
        RuleBook([child, parent])
    with pytest.raises(RuleDefinitionError, match="duplicate"):
        RuleBook([parent, parent])


def test_unknown_rule_lookup() -> None:
    with pytest.raises(UnknownRuleError):
        BOOK.get("asbcpa.s999")
    assert "asbcpa.s80.hearing" in BOOK and len(BOOK) == len(RULES)


# --- the toolkit ------------------------------------------------------------------------------


def test_every_rule_belongs_to_a_listed_tool() -> None:
    for tool in TOOLS.values():
        assert tool.rule_ids == tuple(r.id for r in RULES if r.tool is tool.code)
    assert {r.tool for r in RULES} <= set(TOOLS)
    assert set(TOOLS) == set(ToolCode)


def test_closure_orders_under_the_2014_act_and_immigration_act_open_a_s167_review() -> None:
    assert [s.opens_tool for s in next_steps("asbcpa_closure", "order_made")] == [
        ToolCode.CLOSURE_REVIEW
    ]
    assert next_steps("illegal_working_closure", "order_made")[0].anchor_event is (
        E.ORDER_NOTICE_RECEIVED
    )
    # s167(1) names only 2014 Act and Immigration Act orders: not Sexual Offences Act ones.
    assert next_steps("soa_closure", "order_made") == ()
    assert all(s.opens_tool in TOOLS for s in NEXT_STEPS)


def test_design_items_still_to_confirm_are_flagged() -> None:
    unconfirmed = {r.id for r in RULES if not r.confirmed}
    assert {
        "la.s52.notice_of_hearing",
        "asbcpa.s82.extension_window",
        "asbcpa.s82.total_duration",
        "soa.s136e.adjournment",
        "soa.s136k.appeal",
        "llaa.appeal",
    } <= unconfirmed
    assert "asbcpa.s80.hearing" not in unconfirmed


def test_citations_checked_record_words_and_sources() -> None:
    for check in CITATIONS_CHECKED:
        assert check.words
        if check.confirmed:
            assert check.source.startswith("http")


def test_before_rules_count_back_and_only_they_do() -> None:
    for rule in RULES:
        assert (rule.direction is Direction.BEFORE) == rule.counting.is_before


# --- checking a new event against the case ----------------------------------------------------

NOW = at(2027, 6, 1, 12)


def test_a_valid_sequence_passes() -> None:
    issued = ev(E.NOTICE_ISSUED, at(2027, 5, 31, 9))
    served = ev(E.NOTICE_SERVED, at(2027, 5, 31, 10))
    validate_event_sequence("asbcpa_closure", [], issued, NOW)
    validate_event_sequence("asbcpa_closure", [issued], served, NOW)
    validate_event_sequence("asbcpa_closure", [issued, served], ev(E.ORDER_MADE, NOW), NOW)


@pytest.mark.parametrize(
    ("tool", "existing", "new", "field", "message"),
    [
        ("asbcpa_closure", [], ev(E.NOTICE_ISSUED, NOW + timedelta(minutes=2)), "at", "future"),
        ("asbcpa_closure", [ev(E.NOTICE_ISSUED, at(2027, 5, 31, 11))],
         ev(E.NOTICE_SERVED, at(2027, 5, 31, 10)), "at", "cannot come before"),
        ("asbcpa_closure", [], ev(E.NOTICE_SERVED, at(2027, 5, 31, 10)), "kind", "first"),
        ("soa_closure", [ev(E.NOTICE_ISSUED, at(2027, 5, 31, 9))],
         ev(E.ORDER_MADE, at(2027, 5, 31, 10)), "kind", "notice served"),
        ("asbcpa_closure", [ev(E.NOTICE_ISSUED, at(2027, 5, 31, 9))],
         ev(E.NOTICE_ISSUED, at(2027, 5, 31, 9)), "at", "already recorded"),
        ("premises_review", [ev(E.APPLICATION_RECEIVED, at(2027, 5, 1, 9))],
         ev(E.APPEAL_DECIDED, at(2027, 5, 31, 9)), "kind", "appeal lodged"),
        ("premises_review", [ev(E.APPLICATION_RECEIVED, at(2027, 5, 1, 9))],
         ev(E.HEARING_HELD, at(2027, 5, 31, 9)), "kind", "hearing listed"),
        ("premises_review", [ev(E.APPLICATION_RECEIVED, at(2027, 5, 1, 9))],
         ev(E.HEARING_LISTED, at(2027, 5, 2, 9)), "scheduled_for", "date and time"),
        ("premises_review", [ev(E.APPLICATION_RECEIVED, at(2027, 5, 1, 9))],
         ev(E.HEARING_LISTED, at(2027, 5, 2, 9), scheduled_for=at(2027, 5, 1, 9)),
         "scheduled_for", "after"),
        ("welfare_visit", [], ev(E.ORDER_MADE, at(2027, 5, 2, 9)), "kind", "not an event"),
    ],
)  # fmt: skip
def test_sequence_errors(
    tool: str, existing: list[Event], new: Event, field: str, message: str
) -> None:
    with pytest.raises(SequenceError) as caught:
        validate_event_sequence(tool, existing, new, NOW)
    assert field in caught.value.errors
    assert message in caught.value.errors[field]
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, ValidationFailed)


def test_a_minute_of_clock_skew_is_allowed() -> None:
    validate_event_sequence(
        "welfare_visit", [], ev(E.VISIT_RECORDED, NOW + timedelta(seconds=50)), NOW
    )


def test_sequence_check_refuses_unknown_tools() -> None:
    with pytest.raises(UnknownToolError):
        validate_event_sequence("dog_licence", [], ev(E.VISIT_RECORDED, NOW), NOW)


def test_the_easter_summary_review_explains_itself_in_bst() -> None:
    found = deadline("la.s53a.interim_steps", [ev(E.APPLICATION_RECEIVED, at(2027, 3, 25, 14))])
    assert found is not None
    assert found.counting_explanation == (
        "48 hours from receipt of the application at 14:00 GMT on Thu 25 Mar 2027, with time on"
        " non-working days not counted: by 14:00 BST on Wed 31 Mar 2027"
    )
