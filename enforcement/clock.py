"""Time helpers: everything is stored in UTC and shown or counted in Europe/London."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
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
