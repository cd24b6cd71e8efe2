"""Calendar quarters in London time: January to March is quarter 1 (as the NRM statistics count).

A quarter's boundaries are London midnights (so the first and last days are whole London days
whichever side of a clock change they fall), turned into UTC instants for every comparison
with stored times: `start_utc <= moment < end_utc`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from enforcement.clock import london_midnight_utc, london_today, to_london

_CODE = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH_NAMES = ("January", "April", "July", "October")
_LAST_MONTH_NAMES = ("March", "June", "September", "December")
#: The strategy runs from 2021; nothing earlier is offered in the quarter choices.
FIRST_YEAR = 2021


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter: `number` 1 is January to March."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise ValueError(f"a quarter is numbered 1 to 4, not {self.number}")
        if not 1900 <= self.year <= 9998:
            raise ValueError(f"year out of range: {self.year}")

    @classmethod
    def parse(cls, code: str) -> Quarter:
        """Read a quarter code such as "2026-Q1"; raise ValueError for anything else."""
        found = _CODE.match(code.strip())
        if found is None:
            raise ValueError(f"not a quarter code: {code!r}")
        return cls(int(found.group(1)), int(found.group(2)))

    @classmethod
    def of_day(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def containing(cls, moment: datetime) -> Quarter:
        """Return the quarter a moment falls in, as London reckons the day."""
        return cls.of_day(to_london(moment).date())

    @classmethod
    def last_complete(cls, now: datetime) -> Quarter:
        """Return the latest quarter that has ended by `now`."""
        return cls.containing(now).previous

    @property
    def code(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> date:
        return self.next.first_day - timedelta(days=1)

    @property
    def start_utc(self) -> datetime:
        """The UTC instant the quarter begins: London midnight at the start of its first day."""
        return london_midnight_utc(self.first_day)

    @property
    def end_utc(self) -> datetime:
        """The UTC instant the quarter ends (exclusive): London midnight after its last day."""
        return london_midnight_utc(self.next.first_day)

    @property
    def months(self) -> tuple[str, str]:
        """The first and last months as "YYYY-MM" (the data share gives dates to the month)."""
        first = self.first_day
        return f"{first:%Y-%m}", f"{self.year}-{first.month + 2:02d}"

    @property
    def label(self) -> str:
        """Name it as people say it: "January to March 2026"."""
        return (
            f"{_MONTH_NAMES[self.number - 1]} to {_LAST_MONTH_NAMES[self.number - 1]} {self.year}"
        )

    @property
    def short_label(self) -> str:
        return f"Q{self.number} {self.year} ({self.label.removesuffix(f' {self.year}')})"

    @property
    def previous(self) -> Quarter:
        return (
            Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)
        )

    @property
    def next(self) -> Quarter:
        return (
            Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)
        )

    def contains(self, moment: datetime) -> bool:
        return self.start_utc <= moment < self.end_utc

    def has_ended(self, now: datetime) -> bool:
        return now >= self.end_utc

    def has_begun(self, now: datetime) -> bool:
        return now >= self.start_utc


def choices(now: datetime, first_year: int = FIRST_YEAR) -> list[Quarter]:
    """Return every quarter from the strategy's start to the one containing `now`, newest first."""
    last = Quarter.of_day(london_today(now))
    out: list[Quarter] = []
    q = last
    while q.year >= first_year:
        out.append(q)
        q = q.previous
    return out
