"""Time helpers: everything is stored in UTC and shown or counted in Europe/London."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    """Return the current aware UTC time (the edges call this; domain functions take `now`)."""
    return datetime.now(UTC)


def to_london(moment: datetime) -> datetime:
    """Convert an aware datetime to London time."""
    return moment.astimezone(LONDON)


def london_midnight_utc(day: date) -> datetime:
    """Return the UTC instant at which the given London calendar day begins."""
    return datetime.combine(day, time(0, 0), tzinfo=LONDON).astimezone(UTC)


#: The London wall-clock time at which a period that ends with a day ends.
END_OF_DAY = time(23, 59, 59, 999999)


def is_end_of_london_day(moment: datetime) -> bool:
    """Say whether an instant is the end of a London day: a deadline shown as "the end of" it."""
    return to_london(moment).time() == END_OF_DAY


def end_of_london_day(day: date) -> datetime:
    """Return the last instant of a London calendar day, as aware UTC: a deadline "by the end
    of" that day."""
    return london_midnight_utc(day + timedelta(days=1)) - timedelta(microseconds=1)


def end_of_days_after(moment: datetime, days: int) -> datetime:
    """Return the end of a period of `days` days starting the London day after `moment`.

    This is how the rule table counts a follow-up or a flag's review (docs/statutory-clock.md):
    a visit at any time on 1 June with a 14-day return is due by the end of 15 June, London
    time, whatever the hour of the visit and whether or not the clocks change in between.
    """
    return end_of_london_day(to_london(moment).date() + timedelta(days=days))


def london_today(now: datetime) -> date:
    """Return the London calendar date at the given instant."""
    return to_london(now).date()


def add_london_days(moment: datetime, days: int) -> datetime:
    """Return the same London wall-clock time `days` calendar days later, as aware UTC.

    "14 days after a visit at 10:00" is 10:00 London time fourteen days on, whether or not the
    clocks changed in between: adding 14 x 24 hours in UTC would land an hour out across a change.
    """
    local = to_london(moment)
    later = datetime.combine(
        local.date() + timedelta(days=days), local.timetz().replace(tzinfo=None)
    )
    return later.replace(tzinfo=LONDON).astimezone(UTC)


def add_months(day: date, months: int) -> date:
    """Return the corresponding date `months` later (earlier when negative), or the month's last
    day if there is none.

    This is the corresponding-date rule the courts apply to periods of months
    (Dodds v Walker [1981] 1 WLR 1027): 31 January + 1 month is the end of February.
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def months_before(moment: datetime, months: int) -> datetime:
    """Return the start of the London day `months` calendar months before `moment`'s own, as
    aware UTC: "in the last 12 months" on 1 March 2028 runs from the start of 1 March 2027, not
    from 365 days back (2 March 2027, as 2028 is a leap year). Whole days, so it never runs
    backwards as `moment` moves on, across clock changes too."""
    return london_midnight_utc(add_months(to_london(moment).date(), -months))


def zone_name(moment: datetime) -> str:
    """Return "GMT" or "BST": which London time an aware instant is shown in."""
    return to_london(moment).tzname() or "GMT"


def clock_text(moment: datetime) -> str:
    """Return the London 24-hour clock time with its zone, e.g. "14:00 BST"."""
    local = to_london(moment)
    return f"{local:%H:%M} {local.tzname()}"


def stamp_text(moment: datetime) -> str:
    """Return an instant as a London date and time to the second with its zone, for records and
    exports: "2026-09-01 00:30:00 BST" (sorts as text within a zone, reads without a key)."""
    local = to_london(moment)
    return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()}"


def day_text(day: date) -> str:
    """Return a London calendar day in words, e.g. "Sunday 25 October 2026"."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def moment_text(moment: datetime) -> str:
    """Return a moment in London time as the case and referral pages and papers say it:
    "16:30 GMT on Monday 27 December 2027", or "the end of Monday 27 December 2027" for a
    period that ends with the day."""
    day = day_text(to_london(moment).date())
    if is_end_of_london_day(moment):
        return f"the end of {day}"
    return f"{clock_text(moment)} on {day}"


def when_text(moment: datetime) -> str:
    """Return a moment in London time as lists, tasks and mail say it: "3 March 2026 at 2:05pm
    GMT", or "the end of 3 March 2026" for a period that ends with the day."""
    local = to_london(moment)
    if is_end_of_london_day(moment):
        return f"the end of {local:%-d %B %Y}"
    text = local.strftime("%-d %B %Y at %-I:%M%p").replace("AM", "am").replace("PM", "pm")
    return f"{text} {local.tzname()}"


class WallClockError(ValueError):
    """A London date and wall-clock time that does not name exactly one instant."""


class SkippedTime(WallClockError):
    """The time did not happen: the clocks went forward over it (last Sunday of March)."""


class RepeatedTime(WallClockError):
    """The time happened twice: the clocks went back over it (last Sunday of October).

    `first` is the earlier instant (still British Summer Time), `second` the later (GMT).
    """

    def __init__(self, message: str, first: datetime, second: datetime) -> None:
        super().__init__(message)
        self.first = first
        self.second = second


#: Which of a repeated time is meant: the first (in BST) or the second (in GMT).
FIRST, SECOND = "first", "second"


def repeated_choices(wall: time) -> list[tuple[str, str]]:
    """Return the (value, label) choices for a time that happens twice on a London day."""
    hhmm = f"{wall:%H:%M}"
    return [(FIRST, f"{hhmm} BST (first)"), (SECOND, f"{hhmm} GMT (second)")]


def london_instant(day: date, wall: time, which: str | None = None) -> datetime:
    """Return the aware UTC instant of a London date and wall-clock time.

    Raises SkippedTime for a time the clocks jump over when British Summer Time starts, and
    RepeatedTime for one that happens twice when it ends, unless `which` (FIRST or SECOND)
    says which is meant. `which` is ignored for a time that happens once.
    """
    first = datetime.combine(day, wall, tzinfo=LONDON)
    early, late = first.astimezone(UTC), first.replace(fold=1).astimezone(UTC)
    if early.astimezone(LONDON).replace(tzinfo=None) != first.replace(tzinfo=None):
        raise SkippedTime(
            f"{wall:%H:%M} did not happen in London on {day_text(day)}: the clocks went"
            " forward an hour from 01:00 GMT to 02:00 BST. Check the time"
        )
    if early == late:
        return early
    if which == FIRST:
        return early
    if which == SECOND:
        return late
    raise RepeatedTime(
        f"{wall:%H:%M} happened twice in London on {day_text(day)}: the clocks went back an"
        f" hour at 02:00 BST. Select which {wall:%H:%M} you mean",
        early,
        late,
    )
