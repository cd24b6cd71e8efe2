"""London calendar arithmetic for follow-ups: the same wall-clock time some days later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from enforcement.clock import LONDON, add_london_days, to_london


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
def test_the_london_date_moves_by_the_days_and_the_time_stays(moment: datetime, days: int) -> None:
    due = add_london_days(moment, days)
    before, after = to_london(moment), to_london(due)
    assert due.tzinfo is UTC
    assert after.date() - before.date() == timedelta(days=days)
    # The wall-clock time is kept, unless the clocks skip it that day (01:00-02:00 on the
    # spring change); the real gap is never more than an hour from days x 24 hours.
    assert abs((due - moment) - timedelta(days=days)) <= timedelta(hours=1)
    wanted = datetime.combine(after.date(), before.time())
    exists = to_london(wanted.replace(tzinfo=LONDON)).replace(tzinfo=None) == wanted
    if exists:
        assert after.time() == before.time()
