"""Reading a London date and time typed into a form: skipped and repeated times are asked about."""

from __future__ import annotations

import re
from datetime import date, datetime, time

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput
from wtforms import RadioField
from wtforms.validators import Optional

from enforcement.clock import (
    FIRST,
    SECOND,
    RepeatedTime,
    SkippedTime,
    london_instant,
    repeated_choices,
    zone_name,
)
from enforcement.errors import ValidationFailed

TIME_PATTERN = r"^([01]?\d|2[0-3])[:.]?([0-5]\d)$"
_TIME = re.compile(TIME_PATTERN)


def which_field(label: str = "Which one do you mean?") -> RadioField:
    """Return the choice of which repeated time is meant; it is shown only when one is typed."""
    return RadioField(
        label,
        widget=GovRadioInput(),
        choices=[],
        validate_choice=False,
        validators=[Optional()],
    )


def typed_time(clock: str | None) -> time | None:
    """Return the 24-hour time typed ("16:30", "1630", "16.30"), or None if it is not one."""
    found = _TIME.match((clock or "").strip())
    return time(int(found.group(1)), int(found.group(2))) if found else None


def read_london(
    form: FlaskForm, day_name: str, time_name: str, which_name: str | None = None
) -> datetime | None:
    """Return the aware UTC instant of a form's London date and time fields (None if either is empty).

    A time the clocks skipped is an error on the time field. A time that happened twice puts
    the choice of which into `which_name` (kept when the form is drawn again) and, until one
    is chosen, is an error there; a form with no such field gets the error on the time field.
    """
    day: date | None = form[day_name].data
    wall = typed_time(form[time_name].data)
    if day is None or wall is None:
        return None
    which = form[which_name] if which_name else None
    try:
        return london_instant(day, wall, which.data if which is not None else None)
    except SkippedTime as exc:
        raise ValidationFailed({time_name: str(exc)}) from exc
    except RepeatedTime as exc:
        if which is None:
            raise ValidationFailed({time_name: str(exc)}) from exc
        raise ValidationFailed({which_name or time_name: str(exc)}) from exc
    finally:
        if which_name is not None:
            offer_which(form, day_name, time_name, which_name)


def offer_which(form: FlaskForm, day_name: str, time_name: str, which_name: str) -> None:
    """Show the choice of which time is meant exactly when the typed time happens twice.

    Called again when a form is drawn after any error, so a choice made stays on the page.
    """
    day: date | None = form[day_name].data
    wall = typed_time(form[time_name].data)
    repeated = day is not None and wall is not None and _repeats(day, wall)
    which = form[which_name]
    assert isinstance(which, RadioField)
    which.choices = repeated_choices(wall) if repeated and wall else []


def _repeats(day: date, wall: time) -> bool:
    try:
        london_instant(day, wall)
    except RepeatedTime:
        return True
    except SkippedTime:
        return False
    return False


def which_of(moment: datetime) -> str:
    """Return which of a repeated time a stored instant is, to fill a form for changing it."""
    return FIRST if zone_name(moment) == "BST" else SECOND
