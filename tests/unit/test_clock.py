"""London calendar arithmetic for follow-ups: the same wall-clock time some days later."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from enforcement.clock import (
    FIRST,
    LONDON,
    SECOND,
    RepeatedTime,
    SkippedTime,
    add_london_days,
    add_months,
    clock_text,
    end_of_days_after,
    end_of_london_day,
    is_end_of_london_day,
    london_instant,
    months_before,
    repeated_choices,
    to_london,
    zone_name,
)


def test_fourteen_days_across_the_autumn_change_keeps_ten_oclock() -> None:
    visit = datetime(2027, 10, 20, 10, 0, tzinfo=LONDON)  # 09:00 UTC, summer time
    due = add_london_days(visit, 14)
    assert due == datetime(2027, 11, 3, 10, 0, tzinfo=UTC)  # 10:00 GMT
    assert due - visit == timedelta(days=14, hours=1)  # one real hour more than 14 x 24


def test_fourteen_days_across_the_spring_change_keeps_ten_oclock() -> None:
    visit = datetime(2027, 3, 20, 10, 0, tzinfo=UTC)  # 10:00 GMT
    due = add_london_days(visit, 14)
    assert to_london(due).replace(tzinfo=None) == datetime(2027, 4, 3, 10, 0)
    assert due.tzinfo is UTC and due - visit == timedelta(days=14, hours=-1)


@settings(deadline=None, max_examples=300)
@given(
    moment=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
    ),
    days=st.integers(min_value=0, max_value=400),
)
# 1am on 19 July 2029 moved 255 days is 1am on 31 March 2030, which the clocks skip: 2am.
@example(moment=datetime(2029, 7, 19, 0, 0, tzinfo=UTC), days=255)
def test_the_london_date_moves_by_the_days_and_the_time_stays(moment: datetime, days: int) -> None:
    due = add_london_days(moment, days)
    before, after = to_london(moment), to_london(due)
    assert due.tzinfo is UTC
    assert after.date() - before.date() == timedelta(days=days)
    # The wall-clock time is kept, unless the clocks skip it that day (01:00-02:00 on the
    # spring change); the real gap is never more than an hour from days x 24 hours.
    assert abs((due - moment) - timedelta(days=days)) <= timedelta(hours=1)
    wanted = datetime.combine(after.date(), before.time())
    # Through UTC and back: a time the clocks skip comes back an hour on (an aware London time
    # given to to_london as it is comes back unchanged, whether it happened or not).
    exists = to_london(wanted.replace(tzinfo=LONDON).astimezone(UTC)).replace(tzinfo=None) == wanted
    if exists:
        assert after.time() == before.time()


# --- periods of days starting the day after (follow-ups, flag reviews) -----------------------


@pytest.mark.parametrize(
    ("moment", "days", "due"),
    [
        # Half past midnight and half past eleven at night on the same London day, with the
        # clocks going forward in between: both due by the end of 3 April 2027 (BST).
        (datetime(2027, 3, 20, 0, 30, tzinfo=UTC), 14, datetime(2027, 4, 3, 22, 59, 59, 999999)),
        (datetime(2027, 3, 20, 23, 30, tzinfo=UTC), 14, datetime(2027, 4, 3, 22, 59, 59, 999999)),
        # 00:30 BST on 20 October 2026 is 23:30 UTC on the 19th; the clocks go back before the
        # end: due by the end of 3 November 2026 (GMT), not 2 November.
        (datetime(2026, 10, 19, 23, 30, tzinfo=UTC), 14, datetime(2026, 11, 3, 23, 59, 59, 999999)),
        # Ending on a bank holiday changes nothing: these are calendar days.
        (datetime(2026, 12, 11, 9, 0, tzinfo=UTC), 14, datetime(2026, 12, 25, 23, 59, 59, 999999)),
    ],
)
def test_a_period_of_days_ends_at_the_end_of_its_last_london_day(
    moment: datetime, days: int, due: datetime
) -> None:
    assert end_of_days_after(moment, days) == due.replace(tzinfo=UTC)


@settings(deadline=None, max_examples=300)
@given(
    moment=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
    ),
    days=st.integers(min_value=1, max_value=400),
)
def test_every_moment_of_a_london_day_gives_the_same_end(moment: datetime, days: int) -> None:
    due = end_of_days_after(moment, days)
    day = to_london(moment).date()
    assert due.tzinfo is UTC and is_end_of_london_day(due)
    assert to_london(due).date() - day == timedelta(days=days)
    first = datetime.combine(day, time(0, 0), tzinfo=LONDON).astimezone(UTC)
    assert end_of_days_after(first, days) == due == end_of_london_day(day + timedelta(days=days))
    # Overdue only once the last London day is over.
    assert to_london(due + timedelta(microseconds=1)).date() == day + timedelta(days=days + 1)


# --- twelve months back ("checked in the last 12 months") ------------------------------------


@pytest.mark.parametrize(
    ("moment", "earlier"),
    [
        # 2028 is a leap year: 12 months before 1 March 2028 is 1 March 2027, not 2 March.
        (datetime(2028, 3, 1, 10, 0, tzinfo=UTC), datetime(2027, 3, 1, 0, 0, tzinfo=UTC)),
        # 29 February has no day a year before: the end of February.
        (datetime(2028, 2, 29, 10, 0, tzinfo=UTC), datetime(2027, 2, 28, 0, 0, tzinfo=UTC)),
        # The London day: 00:30 BST on 1 June 2027 is 23:30 UTC on 31 May; the day a year
        # before starts at 00:00 BST on 1 June 2026 (23:00 UTC on 31 May).
        (datetime(2027, 5, 31, 23, 30, tzinfo=UTC), datetime(2026, 5, 31, 23, 0, tzinfo=UTC)),
    ],
)
def test_twelve_months_back_is_by_the_calendar_in_london(
    moment: datetime, earlier: datetime
) -> None:
    assert months_before(moment, 12) == earlier


@settings(deadline=None, max_examples=200)
@given(
    moment=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
    ),
    later=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)),
)
def test_twelve_months_back_never_runs_backwards(moment: datetime, later: timedelta) -> None:
    """The kept compliance view relies on it: what turns stale while it serves lies between
    the two bounds."""
    assert months_before(moment, 12) <= months_before(moment + later, 12)
    assert add_months(to_london(moment).date(), -12) == to_london(months_before(moment, 12)).date()


# --- typed London times on the nights the clocks change ----------------------------------------


def test_half_past_one_on_the_night_the_clocks_go_back_is_asked_about() -> None:
    night = date(2026, 10, 25)
    with pytest.raises(RepeatedTime) as exc:
        london_instant(night, time(1, 30))
    assert "happened twice" in str(exc.value) and "Sunday 25 October 2026" in str(exc.value)
    assert exc.value.first == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert exc.value.second == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert london_instant(night, time(1, 30), FIRST) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert london_instant(night, time(1, 30), SECOND) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert repeated_choices(time(1, 30)) == [
        (FIRST, "01:30 BST (first)"),
        (SECOND, "01:30 GMT (second)"),
    ]
    # Either side of the repeated hour there is only one such time, and `which` is ignored.
    assert london_instant(night, time(0, 59)) == datetime(2026, 10, 24, 23, 59, tzinfo=UTC)
    assert london_instant(night, time(2, 0), SECOND) == datetime(2026, 10, 25, 2, 0, tzinfo=UTC)


def test_half_past_one_on_the_night_the_clocks_go_forward_did_not_happen() -> None:
    with pytest.raises(SkippedTime, match="did not happen in London on Sunday 28 March 2027"):
        london_instant(date(2027, 3, 28), time(1, 30))
    with pytest.raises(SkippedTime):
        london_instant(date(2027, 3, 28), time(1, 0), FIRST)
    assert london_instant(date(2027, 3, 28), time(2, 0)) == datetime(2027, 3, 28, 1, tzinfo=UTC)


def test_every_time_says_gmt_or_bst() -> None:
    summer = datetime(2027, 3, 31, 13, 0, tzinfo=UTC)
    winter = datetime(2027, 12, 24, 16, 30, tzinfo=UTC)
    assert (zone_name(summer), clock_text(summer)) == ("BST", "14:00 BST")
    assert (zone_name(winter), clock_text(winter)) == ("GMT", "16:30 GMT")
    assert clock_text(datetime(2026, 10, 25, 0, 30, tzinfo=UTC)) == "01:30 BST"
    assert clock_text(datetime(2026, 10, 25, 1, 30, tzinfo=UTC)) == "01:30 GMT"


@settings(deadline=None, max_examples=300)
@given(
    moment=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
    )
)
def test_a_shown_time_read_back_with_its_zone_is_the_same_instant(moment: datetime) -> None:
    moment = moment.replace(second=0, microsecond=0)
    local = to_london(moment)
    which = FIRST if zone_name(moment) == "BST" else SECOND
    assert london_instant(local.date(), local.time().replace(tzinfo=None), which) == moment
