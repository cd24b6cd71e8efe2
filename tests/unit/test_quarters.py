"""Calendar quarters: London boundaries, compared in UTC, across the clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enforcement.measures.quarters import Quarter, choices


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_quarter_in_british_summer_time_begins_and_ends_at_london_midnight() -> None:
    # Summer time began on 29 March 2026, so London's midnight on 1 April is 23:00 UTC the day
    # before; it is still summer time on 1 July.
    q2 = Quarter(2026, 2)
    assert q2.start_utc == utc(2026, 3, 31, 23)
    assert q2.end_utc == utc(2026, 6, 30, 23)
    assert q2.label == "April to June 2026"


def test_quarters_that_span_a_clock_change_have_an_hour_more_or_less() -> None:
    q1, q4 = Quarter(2026, 1), Quarter(2026, 4)
    assert q1.start_utc == utc(2026, 1, 1)  # GMT
    assert q1.end_utc == utc(2026, 3, 31, 23)  # BST
    assert q1.end_utc - q1.start_utc == timedelta(days=90) - timedelta(hours=1)
    assert q4.start_utc == utc(2026, 9, 30, 23)  # BST
    assert q4.end_utc == utc(2027, 1, 1)  # GMT (the clocks went back on 25 October)
    assert q4.end_utc - q4.start_utc == timedelta(days=92) + timedelta(hours=1)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (utc(2026, 3, 31, 22, 59, 59), Quarter(2026, 1)),  # 23:59:59 on 31 March in London
        (utc(2026, 3, 31, 23, 0, 0), Quarter(2026, 2)),  # midnight on 1 April in London
        (utc(2026, 9, 30, 23, 30), Quarter(2026, 4)),  # 00:30 on 1 October in London
        (utc(2026, 12, 31, 23, 59), Quarter(2026, 4)),  # GMT: still 31 December
        (utc(2027, 1, 1, 0, 0), Quarter(2027, 1)),
    ],
)
def test_a_moment_belongs_to_the_quarter_london_says_it_is_in(
    moment: datetime, expected: Quarter
) -> None:
    assert Quarter.containing(moment) == expected
    assert expected.contains(moment)
    assert not expected.previous.contains(moment)
    assert not expected.next.contains(moment)


def test_codes_labels_months_and_neighbours() -> None:
    q = Quarter.parse("2026-Q4")
    assert (q.code, q.months, q.first_day, q.last_day) == (
        "2026-Q4",
        ("2026-10", "2026-12"),
        date(2026, 10, 1),
        date(2026, 12, 31),
    )
    assert q.next == Quarter(2027, 1) and q.next.previous == q
    assert Quarter(2026, 1).previous == Quarter(2025, 4)
    assert Quarter.last_complete(utc(2026, 4, 2, 9)) == Quarter(2026, 1)
    for bad in ("2026-Q5", "2026Q1", "26-Q1", ""):
        with pytest.raises(ValueError, match="quarter"):
            Quarter.parse(bad)


def test_choices_run_from_the_strategy_start_to_the_current_quarter_newest_first() -> None:
    offered = choices(utc(2026, 11, 25, 12))
    assert offered[0] == Quarter(2026, 4)
    assert offered[-1] == Quarter(2021, 1)
    assert len(offered) == 6 * 4


@settings(deadline=None)
@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1)))
def test_every_instant_is_in_exactly_one_quarter_and_quarters_tile(naive: datetime) -> None:
    moment = naive.replace(tzinfo=UTC)
    q = Quarter.containing(moment)
    assert q.start_utc <= moment < q.end_utc
    assert q.end_utc == q.next.start_utc
    assert q.previous.end_utc == q.start_utc
    assert Quarter.parse(q.code) == q
