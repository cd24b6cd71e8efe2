"""Time helpers: everything is stored in UTC and shown or counted in Europe/London."""

from __future__ import annotations

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
