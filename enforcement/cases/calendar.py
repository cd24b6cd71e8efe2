"""Working days in England and Wales, from published bank-holiday data (never hard-coded)."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from pathlib import Path

#: The division of the GOV.UK bank-holidays feed that applies to England and Wales.
GOVUK_DIVISION = "england-and-wales"


class CalendarDataError(ValueError):
    """The bank-holiday data could not be read, or does not cover a year asked about."""


def easter_sunday(year: int) -> date:
    """Return Easter Sunday of a Gregorian year (the anonymous Gregorian computus)."""
    golden = year % 19
    century, year_in_century = divmod(year, 100)
    leap_corr, leap_rest = divmod(century, 4)
    moon_corr = (century + 8) // 25
    epact_corr = (century - moon_corr + 1) // 3
    epact = (19 * golden + century - leap_corr - epact_corr + 15) % 30
    quarter, quarter_rest = divmod(year_in_century, 4)
    weekday_shift = (32 + 2 * leap_rest + 2 * quarter - epact - quarter_rest) % 7
    correction = (golden + 11 * epact + 22 * weekday_shift) // 451
    month, day = divmod(epact + weekday_shift - 7 * correction + 114, 31)
    return date(year, month, day + 1)


@functools.lru_cache(maxsize=512)
def good_friday(year: int) -> date:
    """Return Good Friday of a year: two days before Easter Sunday."""
    return easter_sunday(year) - timedelta(days=2)


def _package_holidays(years: Iterable[int]) -> dict[int, frozenset[date]]:
    """Read England's bank holidays for the given years from the `holidays` package."""
    wanted = sorted(set(years))
    by_year: dict[int, set[date]] = {year: set() for year in wanted}
    if not wanted:
        return {}
    # Imported here so a deployment that always has the GOV.UK file never pays for it.
    import holidays

    # Wales shares England's bank holidays; the package names that subdivision "ENG".
    for day in holidays.country_holidays("GB", subdiv="ENG", years=wanted):
        by_year.setdefault(day.year, set()).add(day)
    return {year: frozenset(days) for year, days in by_year.items()}


class WorkingCalendar:
    """Say which London calendar days are working days in England and Wales.

    A working day is any day but a Saturday, a Sunday, Christmas Day, Good Friday or a bank
    holiday in England and Wales (Licensing Act 2003 s193 and the common statutory definition).
    Christmas Day and Good Friday are excluded by rule, so data that omits them (the GOV.UK feed
    lists a substitute day when 25 December falls at a weekend) cannot make them working days.
    """

    def __init__(
        self,
        holidays_by_year: Mapping[int, Iterable[date]],
        *,
        extend_with_package: bool = True,
    ) -> None:
        self._by_year: dict[int, frozenset[date]] = {
            year: frozenset(days) for year, days in holidays_by_year.items()
        }
        self._extend = extend_with_package
        # Answers already given: the clock asks about the same few hundred days many times over.
        self._working: dict[date, bool] = {}

    @classmethod
    def from_govuk_json(cls, path: Path, *, extend_with_package: bool = True) -> WorkingCalendar:
        """Build a calendar from the GOV.UK bank-holidays JSON file at `path`.

        The years covered are those with at least one England and Wales event in the file.
        Raises CalendarDataError if the file is missing, is not JSON or lacks the expected shape.
        """
        return cls(_read_govuk_json(path), extend_with_package=extend_with_package)

    @classmethod
    def from_holidays_package(cls, years: Iterable[int]) -> WorkingCalendar:
        """Build a calendar for the given years from the `holidays` package (England)."""
        return cls(_package_holidays(years))

    @classmethod
    def load(cls, path: Path | None, years: range) -> WorkingCalendar:
        """Build a calendar from the GOV.UK file where it covers a year, the package otherwise.

        `path` may be None or point to a file that does not exist: then every year in `years`
        comes from the `holidays` package. Years outside `years` are filled from the package
        on first use. A file that exists but cannot be parsed raises CalendarDataError rather
        than being silently replaced.
        """
        by_year: dict[int, frozenset[date]] = {}
        if path is not None and path.is_file():
            by_year.update(_read_govuk_json(path))
        missing = [year for year in years if year not in by_year]
        by_year.update(_package_holidays(missing))
        return cls(by_year)

    @property
    def covered_years(self) -> frozenset[int]:
        """Return the years this calendar holds bank-holiday data for."""
        return frozenset(self._by_year)

    def bank_holidays(self, year: int) -> frozenset[date]:
        """Return the bank holidays of a year, fetching them from the package if allowed.

        Raises CalendarDataError when the year is not covered and extension is switched off.
        """
        known = self._by_year.get(year)
        if known is not None:
            return known
        if not self._extend:
            raise CalendarDataError(f"no bank-holiday data for {year}")
        fetched = _package_holidays([year]).get(year, frozenset())
        self._by_year[year] = fetched
        return fetched

    def is_working_day(self, day: date) -> bool:
        """Say whether `day` is a working day in England and Wales."""
        known = self._working.get(day)
        if known is None:
            known = not (
                day.weekday() >= 5
                or (day.month, day.day) == (12, 25)
                or day == good_friday(day.year)
                or day in self.bank_holidays(day.year)
            )
            self._working[day] = known
        return known

    def add_working_days(self, start: date, n: int) -> date:
        """Return the n-th working day after `start` ("n working days beginning with the day after").

        `start` itself is never counted, working day or not; n = 0 returns `start`.
        Raises ValueError for a negative n (use subtract_working_days).
        """
        if n < 0:
            raise ValueError("n must not be negative")
        day = start
        while n:
            day += timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        return day

    def subtract_working_days(self, end: date, n: int) -> date:
        """Return the n-th working day before `end`, not counting `end` itself; n = 0 returns `end`."""
        if n < 0:
            raise ValueError("n must not be negative")
        day = end
        while n:
            day -= timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        return day

    def working_days_between(self, a: date, b: date) -> int:
        """Count the working days after `a` up to and including `b` (negative if `b` is before `a`).

        So for any n >= 0, working_days_between(a, add_working_days(a, n)) == n.
        """
        if b < a:
            return -self.working_days_between(b, a)
        return sum(
            1 for offset in range(1, (b - a).days + 1) if self.is_working_day(a + timedelta(offset))
        )


def _read_govuk_json(path: Path) -> dict[int, frozenset[date]]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CalendarDataError(f"cannot read bank holidays from {path}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise CalendarDataError(f"{path} is not JSON: {exc}") from exc
    try:
        events = document[GOVUK_DIVISION]["events"]
        days = [date.fromisoformat(event["date"]) for event in events]
    except (KeyError, TypeError, ValueError) as exc:
        raise CalendarDataError(
            f"{path} does not have the GOV.UK shape ({GOVUK_DIVISION}.events[].date)"
        ) from exc
    by_year: dict[int, set[date]] = {}
    for day in days:
        by_year.setdefault(day.year, set()).add(day)
    return {year: frozenset(found) for year, found in by_year.items()}
