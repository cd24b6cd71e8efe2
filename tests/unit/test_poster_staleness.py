"""A poster check counts as recent for 12 calendar months, in whole London days."""

from __future__ import annotations

from datetime import UTC, datetime

from enforcement.inspections.inspections import stale_from
from enforcement.wards.maps import poster_category


def test_a_check_a_calendar_year_ago_still_counts_in_a_leap_year() -> None:
    # 2028 is a leap year: 365 days before 1 March 2028 is 2 March 2027. A check at noon on
    # 1 March 2027 is within the 12 months to 1 March 2028.
    now = datetime(2028, 3, 1, 10, 0, tzinfo=UTC)
    checked = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    assert stale_from(now) == datetime(2027, 3, 1, 0, 0, tzinfo=UTC)
    assert poster_category(True, checked, now) == "compliant"
    # The day before that is outside them.
    assert poster_category(True, datetime(2027, 2, 28, 23, 0, tzinfo=UTC), now) == "stale"
    assert poster_category(False, checked, now) == "not_compliant"
    assert poster_category(None, None, now) == "never"
