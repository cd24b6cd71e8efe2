"""Working days in England and Wales: the GOV.UK file, the holidays package and the rules."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from shared_data import require_shared_data

from enforcement.cases.calendar import (
    CalendarDataError,
    WorkingCalendar,
    easter_sunday,
    good_friday,
)


def govuk_file() -> Path:
    return require_shared_data() / "calendar" / "govuk-bank-holidays.json"


def write_feed(tmp_path: Path, days: list[str]) -> Path:
    """Write a file in the GOV.UK shape holding only the given England and Wales dates."""
    events = [{"title": "Test", "date": d, "notes": "", "bunting": True} for d in days]
    feed = {"england-and-wales": {"division": "england-and-wales", "events": events}}
    path = tmp_path / "bank-holidays.json"
    path.write_text(json.dumps(feed), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def package_calendar() -> WorkingCalendar:
    return WorkingCalendar.from_holidays_package(range(2024, 2031))


# --- Easter -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "friday"),
    [
        (2024, date(2024, 3, 29)),
        (2025, date(2025, 4, 18)),
        (2026, date(2026, 4, 3)),
        (2027, date(2027, 3, 26)),
        (2028, date(2028, 4, 14)),
        (2030, date(2030, 4, 19)),
        (2038, date(2038, 4, 23)),
    ],
)
def test_good_friday(year: int, friday: date) -> None:
    assert good_friday(year) == friday
    assert easter_sunday(year) == friday + timedelta(days=2)


# --- the GOV.UK file --------------------------------------------------------------------------


def test_real_file_2027_easter_and_christmas() -> None:
    cal = WorkingCalendar.from_govuk_json(govuk_file())
    assert not cal.is_working_day(date(2027, 3, 26))  # Good Friday
    assert not cal.is_working_day(date(2027, 3, 29))  # Easter Monday
    assert cal.is_working_day(date(2027, 3, 30))
    # 25 December 2027 is a Saturday: the file lists substitute days on Mon 27 and Tue 28.
    assert not cal.is_working_day(date(2027, 12, 27))
    assert not cal.is_working_day(date(2027, 12, 28))
    assert cal.is_working_day(date(2027, 12, 29))


def test_real_file_omits_25_december_2027_but_it_is_never_a_working_day() -> None:
    raw = json.loads(govuk_file().read_text(encoding="utf-8"))
    listed = {e["date"] for e in raw["england-and-wales"]["events"]}
    assert "2027-12-25" not in listed and "2027-12-27" in listed
    assert not WorkingCalendar.from_govuk_json(govuk_file()).is_working_day(date(2027, 12, 25))


def test_real_file_agrees_with_package_on_every_weekday_it_covers() -> None:
    file_cal = WorkingCalendar.from_govuk_json(govuk_file(), extend_with_package=False)
    years = sorted(file_cal.covered_years)
    package_cal = WorkingCalendar.from_holidays_package(years)
    day = date(years[0], 1, 1)
    while day.year <= years[-1]:
        assert file_cal.is_working_day(day) == package_cal.is_working_day(day), day
        day += timedelta(days=1)


def test_file_only_calendar_refuses_an_uncovered_year(tmp_path: Path) -> None:
    cal = WorkingCalendar.from_govuk_json(
        write_feed(tmp_path, ["2026-01-01"]), extend_with_package=False
    )
    assert cal.covered_years == frozenset({2026})
    with pytest.raises(CalendarDataError, match="2031"):
        cal.is_working_day(date(2031, 6, 2))


def test_christmas_and_good_friday_excluded_even_when_the_data_omits_them(tmp_path: Path) -> None:
    cal = WorkingCalendar.from_govuk_json(write_feed(tmp_path, ["2026-01-01"]))
    assert not cal.is_working_day(date(2026, 12, 25))  # a Friday
    assert not cal.is_working_day(date(2026, 4, 3))  # Good Friday
    assert cal.is_working_day(date(2026, 4, 6))  # Easter Monday, absent from this feed


@pytest.mark.parametrize(
    "content",
    ["not json", "[]", '{"england-and-wales": {"events": [{"date": "31/12/2027"}]}}'],
)
def test_malformed_file_is_a_clear_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CalendarDataError):
        WorkingCalendar.from_govuk_json(path)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CalendarDataError, match="cannot read"):
        WorkingCalendar.from_govuk_json(tmp_path / "absent.json")


# --- the holidays package, and combining the two ----------------------------------------------


def test_package_2027(package_calendar: WorkingCalendar) -> None:
    assert not package_calendar.is_working_day(date(2027, 3, 26))
    assert not package_calendar.is_working_day(date(2027, 3, 29))
    assert not package_calendar.is_working_day(date(2027, 12, 27))
    assert not package_calendar.is_working_day(date(2027, 12, 28))
    assert package_calendar.is_working_day(date(2027, 12, 29))
    assert not package_calendar.is_working_day(date(2027, 5, 3))  # early May bank holiday


def test_load_without_a_file_uses_the_package(tmp_path: Path) -> None:
    for path in (None, tmp_path / "absent.json"):
        cal = WorkingCalendar.load(path, range(2027, 2028))
        assert 2027 in cal.covered_years
        assert not cal.is_working_day(date(2027, 3, 29))


def test_load_takes_the_file_where_it_covers_the_year_and_the_package_elsewhere(
    tmp_path: Path,
) -> None:
    # A fictional feed covering 2026 only, with an invented holiday on Wed 1 July 2026.
    path = write_feed(tmp_path, ["2026-07-01"])
    cal = WorkingCalendar.load(path, range(2026, 2031))
    assert not cal.is_working_day(date(2026, 7, 1))  # from the file
    assert cal.is_working_day(date(2026, 5, 4))  # not in the file: the file wins for 2026
    assert not cal.is_working_day(date(2030, 4, 22))  # Easter Monday 2030, from the package
    assert cal.covered_years >= {2026, 2027, 2028, 2029, 2030}


def test_real_file_plus_package_for_later_years() -> None:
    cal = WorkingCalendar.load(govuk_file(), range(2026, 2033))
    assert not cal.is_working_day(date(2027, 12, 28))
    assert not cal.is_working_day(date(2032, 3, 29))  # Easter Monday 2032 (package)


def test_years_outside_the_loaded_range_are_filled_on_demand() -> None:
    cal = WorkingCalendar.load(None, range(2027, 2028))
    assert not cal.is_working_day(date(2035, 5, 7))  # early May bank holiday 2035
    assert 2035 in cal.covered_years


# --- counting ---------------------------------------------------------------------------------


def test_add_working_days_over_christmas_2027(package_calendar: WorkingCalendar) -> None:
    # Fri 24 Dec; Sat, Sun, and the Mon and Tue substitute days do not count.
    assert package_calendar.add_working_days(date(2027, 12, 24), 1) == date(2027, 12, 29)
    assert package_calendar.add_working_days(date(2027, 12, 24), 0) == date(2027, 12, 24)


def test_add_working_days_over_easter_2027(package_calendar: WorkingCalendar) -> None:
    assert package_calendar.add_working_days(date(2027, 3, 25), 1) == date(2027, 3, 30)
    assert package_calendar.add_working_days(date(2027, 3, 25), 5) == date(2027, 4, 5)


def test_start_is_never_counted_even_on_a_weekend(package_calendar: WorkingCalendar) -> None:
    assert package_calendar.add_working_days(date(2026, 10, 24), 1) == date(2026, 10, 26)


def test_subtract_working_days(package_calendar: WorkingCalendar) -> None:
    # Five working days before Tue 30 Mar 2027: Mon 29 and Fri 26 are holidays.
    assert package_calendar.subtract_working_days(date(2027, 3, 30), 5) == date(2027, 3, 19)
    assert package_calendar.subtract_working_days(date(2027, 3, 30), 0) == date(2027, 3, 30)


def test_negative_counts_are_refused(package_calendar: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="negative"):
        package_calendar.add_working_days(date(2027, 1, 4), -1)
    with pytest.raises(ValueError, match="negative"):
        package_calendar.subtract_working_days(date(2027, 1, 4), -1)


def test_working_days_between(package_calendar: WorkingCalendar) -> None:
    assert package_calendar.working_days_between(date(2027, 12, 24), date(2027, 12, 31)) == 3
    assert package_calendar.working_days_between(date(2027, 12, 31), date(2027, 12, 24)) == -3
    assert package_calendar.working_days_between(date(2027, 6, 1), date(2027, 6, 1)) == 0
