"""Properties that pin the counting conventions for any date, time, amount or case."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enforcement.cases.calendar import WorkingCalendar
from enforcement.cases.rules import RULES, TOOLS, Rule
from enforcement.cases.statutory import (
    MAX_AMOUNT,
    Deadline,
    Event,
    RuleBook,
    RuleOverrideError,
    derive_deadlines,
    max_amount,
    months_beginning_with,
)
from enforcement.cases.vocab import Counting, EventKind, Status
from enforcement.clock import LONDON, london_midnight_utc, to_london

CAL = WorkingCalendar.from_holidays_package(range(2025, 2036))
BOOK = RuleBook()
FAR_FUTURE = datetime(2045, 1, 1, tzinfo=UTC)

instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2032, 12, 31), timezones=st.just(UTC)
)
days = st.dates(min_value=date(2026, 1, 1), max_value=date(2032, 12, 31))


def only(rule_id: str, events: list[Event], book: RuleBook = BOOK) -> Deadline:
    tool = book.get(rule_id).tool
    found = [
        d for d in derive_deadlines(tool, events, CAL, book, FAR_FUTURE) if d.rule.id == rule_id
    ]
    assert len(found) == 1
    return found[0]


def christmas_day(year: int) -> tuple[datetime, datetime]:
    """Return the UTC bounds of 25 December in London."""
    return london_midnight_utc(date(year, 12, 25)), london_midnight_utc(date(year, 12, 26))


def counted_hours(start: datetime, end: datetime) -> timedelta:
    """Return the time between two instants that does not fall on Christmas Day."""
    total = end - start
    for year in {start.year, end.year}:
        xmas_start, xmas_end = christmas_day(year)
        overlap = min(end, xmas_end) - max(start, xmas_start)
        total -= max(overlap, timedelta(0))
    return total


@settings(deadline=None)
@given(days, st.integers(min_value=1, max_value=MAX_AMOUNT["days"]))
def test_beginning_with_is_one_day_earlier_than_starting_the_day_after(day: date, n: int) -> None:
    decided = [Event(EventKind.ORDER_MADE, datetime.combine(day, datetime.min.time(), LONDON))]
    book = RuleBook.from_overrides(
        {
            "asbcpa.s84.appeal": {"amount": n},
            "soa.s136k.appeal": {"amount": n, "counting": "starting_day_after"},
        }
    )
    beginning = only("asbcpa.s84.appeal", decided, book)
    after = only("soa.s136k.appeal", decided, book)
    assert beginning.last_day == day + timedelta(days=n - 1)
    assert after.last_day == day + timedelta(days=n)
    assert to_london(after.due_at).date() - to_london(beginning.due_at).date() == timedelta(days=1)


@settings(deadline=None)
@given(days, st.integers(min_value=0, max_value=60))
def test_working_day_counts_land_on_working_days(start: date, n: int) -> None:
    result = CAL.add_working_days(start, n)
    if n:
        assert result > start
        assert CAL.is_working_day(result)
        assert result.weekday() < 5 and (result.month, result.day) != (12, 25)
    assert CAL.working_days_between(start, result) == n
    back = CAL.subtract_working_days(start, n)
    assert back <= start and (n == 0 or CAL.is_working_day(back))
    # (back, start] holds the n - 1 working days between them, and start if it is one.
    expected = n - 1 + CAL.is_working_day(start) if n else 0
    assert CAL.working_days_between(back, start) == expected


@settings(deadline=None)
@given(instants)
def test_review_deadlines_in_working_days_are_working_days(received: datetime) -> None:
    events = [
        Event(EventKind.APPLICATION_RECEIVED, received),
        Event(EventKind.HEARING_HELD, received + timedelta(days=40)),
        Event(EventKind.HEARING_LISTED, received, scheduled_for=received + timedelta(days=40)),
    ]
    for rule_id in ("la.s52.hearing", "la.s52.determination", "la.s52.notice_of_hearing"):
        found = only(rule_id, events)
        assert found.last_day is not None and CAL.is_working_day(found.last_day)
    notice = only("la.s52.notice_of_hearing", events)
    hearing_day = to_london(received + timedelta(days=40)).date()
    assert notice.last_day is not None
    # Counting back from the day before the hearing, the notice day is the 10th working day.
    one = timedelta(days=1)
    assert CAL.working_days_between(notice.last_day - one, hearing_day - one) == 10


@settings(deadline=None)
@given(
    st.integers(min_value=2026, max_value=2032), st.integers(min_value=-96 * 60, max_value=72 * 60)
)
def test_48_hours_with_christmas_disregarded(year: int, minutes_from_christmas: int) -> None:
    xmas_start, xmas_end = christmas_day(year)
    served = xmas_start + timedelta(minutes=minutes_from_christmas)
    due = only("asbcpa.s80.hearing", [Event(EventKind.NOTICE_SERVED, served)]).due_at
    plain = served + timedelta(hours=48)
    if xmas_start <= served < xmas_end:
        assert due == xmas_end + timedelta(hours=48)  # starts counting at Boxing Day midnight
    elif served < xmas_end and plain > xmas_start:
        assert due == plain + timedelta(hours=24)  # the window crosses 25 December
    else:
        assert due == plain
    assert counted_hours(served, due) == timedelta(hours=48)
    # The Sexual Offences Act has no such disregard.
    soa = only("soa.s136d.hearing", [Event(EventKind.NOTICE_SERVED, served)]).due_at
    assert soa == plain


@settings(deadline=None)
@given(instants, st.sampled_from([2026, 2027, 2028, 2029, 2030, 2031, 2032]))
def test_hour_windows_are_real_hours_across_clock_changes(instant: datetime, year: int) -> None:
    # Put the instant in the week around the last Sunday of October (the autumn change).
    served = datetime(year, 10, 22, tzinfo=UTC) + timedelta(
        seconds=instant.timestamp() % (7 * 86400)
    )
    due = only("soa.s136d.hearing", [Event(EventKind.NOTICE_SERVED, served)]).due_at
    assert due - served == timedelta(hours=48)
    hearing = only("asbcpa.s80.hearing", [Event(EventKind.NOTICE_SERVED, served)]).due_at
    assert hearing - served == timedelta(hours=48)
    wall = to_london(due).replace(tzinfo=None) - to_london(served).replace(tzinfo=None)
    assert wall in (timedelta(hours=47), timedelta(hours=48), timedelta(hours=49))


@settings(deadline=None)
@given(instants)
def test_working_hours_count_only_working_time(received: datetime) -> None:
    due = only("la.s53a.notify", [Event(EventKind.APPLICATION_RECEIVED, received)]).due_at
    assert CAL.is_working_day(to_london(due - timedelta(microseconds=1)).date())
    counted = timedelta(0)
    cursor = received
    while cursor < due:
        step = min(due, london_midnight_utc(to_london(cursor).date() + timedelta(days=1)))
        if CAL.is_working_day(to_london(cursor).date()):
            counted += step - cursor
        cursor = step
    assert counted == timedelta(hours=48)


def working_time(start: datetime, end: datetime) -> timedelta:
    """Return the time between two instants that falls on London working days."""
    counted = timedelta(0)
    cursor = start
    while cursor < end:
        step = min(end, london_midnight_utc(to_london(cursor).date() + timedelta(days=1)))
        if CAL.is_working_day(to_london(cursor).date()):
            counted += step - cursor
        cursor = step
    return counted


@settings(deadline=None)
@given(instants)
def test_interim_steps_take_48_working_hours(received: datetime) -> None:
    # Licensing Act 2003 s53A(5): time not on a working day is disregarded.
    due = only("la.s53a.interim_steps", [Event(EventKind.APPLICATION_RECEIVED, received)]).due_at
    assert working_time(received, due) == timedelta(hours=48)
    # It ends on a working day, unless exactly at the midnight that ends one (then the London
    # date of the instant is the next day, which may be a Saturday or a holiday).
    local = to_london(due)
    if local.time() == datetime.min.time():
        assert CAL.is_working_day(local.date() - timedelta(days=1))
    else:
        assert CAL.is_working_day(local.date())
    # It is never earlier than 48 real hours, and the reg 36A(3) notice counts the same way.
    assert due - received >= timedelta(hours=48)
    notify = only("la.s53a.notify", [Event(EventKind.APPLICATION_RECEIVED, received)]).due_at
    assert notify == due


event_kinds = st.sampled_from(list(EventKind))
case_events = st.lists(
    st.builds(
        Event,
        event_kinds,
        instants,
        st.none(),
        st.one_of(st.none(), instants.map(lambda t: t + timedelta(days=30))),
    ),
    max_size=8,
)


@settings(deadline=None)
@given(st.sampled_from(list(TOOLS)), case_events, instants)
def test_deadlines_are_always_aware_utc_and_statuses_consistent(
    tool: str, events: list[Event], now: datetime
) -> None:
    for found in derive_deadlines(tool, events, CAL, BOOK, now):
        assert found.due_at.tzinfo is UTC
        if found.status is Status.MET:
            assert found.met_by is not None and found.met_by.at <= found.due_at
        if found.status is Status.PENDING:
            assert now <= found.due_at
        if (
            not found.rule.counting.is_hours
            and found.last_day is not None
            and found.rule.end_of_day
        ):
            # A date-based deadline ends as its London day ends, clock change or not.
            assert found.due_at + timedelta(microseconds=1) == london_midnight_utc(
                found.last_day + timedelta(days=1)
            )
            assert to_london(found.due_at).time().isoformat() == "23:59:59.999999"


# A rule and an amount it may take: from 1 to the most its unit allows (statutory.max_amount).
rules_and_amounts = st.sampled_from(RULES).flatmap(
    lambda r: st.tuples(st.just(r.id), st.integers(1, max_amount(r, r.counting)))
)


@settings(deadline=None)
@given(rules_and_amounts)
def test_an_override_changes_only_the_overridden_rule(rule_and_amount: tuple[str, int]) -> None:
    rule_id, amount = rule_and_amount
    book = RuleBook.from_overrides({rule_id: {"amount": amount}})
    for rule in RULES:
        if rule.id == rule_id:
            assert book.get(rule.id).amount == amount
            assert book.get(rule.id).counting is rule.counting
        else:
            assert book.get(rule.id) == rule


@given(st.sampled_from(RULES), st.integers(min_value=1, max_value=10**9))
def test_an_amount_past_its_units_limit_is_refused(rule: Rule, over: int) -> None:
    most = max_amount(rule, rule.counting)
    with pytest.raises(RuleOverrideError, match=f"at most {most} "):
        RuleBook.from_overrides({rule.id: {"amount": most + over}})


@settings(deadline=None)
@given(days, st.integers(min_value=1, max_value=36))
def test_months_land_on_the_corresponding_date_or_the_month_end(day: date, n: int) -> None:
    made = [Event(EventKind.ORDER_MADE, datetime.combine(day, datetime.min.time(), LONDON))]
    book = RuleBook.from_overrides({"asbcpa.s80.order_duration": {"amount": n}})
    last = only("asbcpa.s80.order_duration", made, book).last_day
    assert last is not None
    assert (last.year * 12 + last.month) - (day.year * 12 + day.month) == n
    assert last.day == day.day or (last.day < day.day and (last + timedelta(days=1)).day == 1)
    assert Counting.MONTHS_AFTER.unit == "months"


@given(days, st.integers(min_value=1, max_value=120))
def test_months_beginning_with_a_day_end_the_day_before_its_corresponding_date(
    day: date, n: int
) -> None:
    """N months beginning with a day (it counts): the day before the same day number N months
    on, or, where that month has no such day, its last day; never a day short from the 1st."""
    last = months_beginning_with(day, n)
    months_on = (last.year * 12 + last.month) - (day.year * 12 + day.month)
    following = last + timedelta(days=1)
    if following.day == day.day:  # the corresponding date exists: the period ends before it
        assert (following.year * 12 + following.month) - (day.year * 12 + day.month) == n
    else:  # no corresponding date: the period runs to that month's last day
        assert months_on == n and following.day == 1 and day.day > last.day
    assert last > day
