"""Helpers shared by every form: domain errors as field errors, dates, ids, refused characters."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, Field, FileField, Form
from wtforms.meta import DefaultMeta
from wtforms.utils import unset_value
from wtforms.validators import ValidationError

from app.choices import choice_labels
from app.database import db
from app.fields_messages import subject
from enforcement.errors import StaleEdit, ValidationFailed
from enforcement.numbers import record_id
from enforcement.text import CONTROL_CHARACTER_MESSAGE, has_control_characters


def apply_errors(
    form: FlaskForm, exc: ValidationFailed, aliases: dict[str, str] | None = None
) -> None:
    """Attach each domain error to its form field (or to the form as a whole)."""
    aliases = aliases or {}
    for key, message in exc.errors.items():
        field: Field | None = getattr(form, aliases.get(key, key), None)
        if field is None:
            form.form_errors.append(message)
        else:
            field.errors = [*list(field.errors or []), message]


def blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


#: The earliest year a date field takes.
EARLIEST_YEAR = 1900


class GovDateField(DateField):
    """A day, month and year date whose errors say what to type, and which renders when absent.

    Its messages begin with its label, or with its `noun` when given (for a label that is a
    question: "the date the intelligence was received").
    """

    def __init__(self, *args: Any, noun: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.noun = noun

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not any(v.strip() for v in valuelist):
            self.data = None
            return
        label = subject(self)
        if len(valuelist) != 3 or not all(v.strip() for v in valuelist):
            self.data = None
            raise ValueError(f"{label} must include a day, month and year")
        try:
            day, month, year = (int(v) for v in valuelist)
            self.data = date(year, month, day)
        except (ValueError, OverflowError):  # a part too big for the C int date() takes
            self.data = None
            raise ValueError(f"{label} must be a real date, like 27 3 2025") from None
        # A year typed short ("25") is not read as a year of the first century, nor a slip such
        # as 0025 or 1025 kept: no date this service records is before 1900, and a date near the
        # first a date can hold breaks the arithmetic reminders do with it (docs/architecture.md).
        if not re.fullmatch(r"\s*\d{4}\s*", valuelist[2]):
            self.data = None
            raise ValueError(f"{label} must include a year with 4 numbers, like 2025")
        if year < EARLIEST_YEAR:
            self.data = None
            raise ValueError(f"{label} must be in {EARLIEST_YEAR} or later: check the year")

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        super().process(formdata, data, extra_filters)
        # govuk-frontend-wtf's widget unpacks exactly three parts when it redraws the form: a
        # request with fewer or more (never a browser's) is redrawn with what fits, padded.
        if self.raw_data == []:
            self.raw_data = None
        elif self.raw_data is not None and len(self.raw_data) != 3:
            self.raw_data = [*self.raw_data[:3], "", "", ""][:3]


def keep_edit_after_conflict(
    form: FlaskForm, model: type[Any], record_id: int, exc: StaleEdit
) -> None:
    """After a stale edit (its work already rolled back): carry the current version, and say so.

    The user's typed values stay in the form; submitting again deliberately replaces the
    other person's change. The domain's message says all of that itself
    (StaleEdit.changed_meanwhile), so it is shown as it is.
    """
    fresh = db().get(model, record_id)
    form["version"].data = str(fresh.version if fresh else "")
    form.form_errors.append(exc.message)
    if fresh is not None:
        form.form_errors.extend(
            saved_meanwhile(form, fresh)
            or ["None of the fields in this form was changed: their change was elsewhere in it."]
        )


#: Fields that say nothing about the record (the form's own bookkeeping and buttons).
_NOT_RECORD_FIELDS = frozenset({"version", "csrf_token", "submit", "confirm"})
_NOT_RECORD_TYPES = frozenset({"SubmitField", "HiddenField", "CSRFTokenField", "FileField"})


def saved_meanwhile(form: FlaskForm, fresh: Any) -> list[str]:
    """Say, field by field, what the record now holds where it differs from what was typed.

    The conflict page's message asks the user to check the other person's changes before
    submitting again: these are they ("Trading name is now saved as “Rose Nails”."), for every
    field the form shares with the record by name; a field with no column of that name (an
    event's details, say) is not compared.
    """
    lines = []
    for field in form:
        if field.name in _NOT_RECORD_FIELDS or field.type in _NOT_RECORD_TYPES:
            continue
        saved = getattr(fresh, field.name, _ABSENT)
        if saved is _ABSENT or callable(saved):
            continue
        now, typed = _shown(field, saved), _shown(field, field.data)
        if now != typed:
            shown = f"“{now}”" if now else "blank"
            lines.append(f"{subject(field)} is now saved as {shown}.")
    return lines


_ABSENT = object()


def _shown(field: Field, value: Any) -> str:
    """A field's value as the form would show it, for comparing and for the conflict message."""
    if value is None:
        return ""
    if isinstance(value, (set, frozenset, list, tuple)):
        return ", ".join(sorted(_shown(field, v) for v in value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, date):
        return f"{value.day} {value:%B %Y}"
    raw = str(getattr(value, "value", value)).strip()
    return str(choice_labels(field).get(raw, raw))


def parse_id(raw: object) -> int | None:
    """A record id as typed in a form or address, or None when it cannot be one."""
    return record_id(raw)


def db_id(value: object) -> int:
    """A choice field's coerce for record ids: out of range is an invalid choice, not a crash."""
    found = parse_id(value)
    if found is None:
        raise ValueError("not a record id")
    return found


def _refuse_control_characters(_form: Form, field: Field) -> None:
    raw = field.raw_data or []
    if any(isinstance(v, str) and has_control_characters(v) for v in raw):
        raise ValidationError(CONTROL_CHARACTER_MESSAGE.format(label=subject(field)))


_plain_bind_field = DefaultMeta.bind_field


#: A field other than a file's given something that is not text: an uploaded file or a JSON
#: number, list or object (Flask-WTF reads both into the form's data).
NOT_TEXT_MESSAGE = "{label} must be typed in, not sent as a file or as data of another kind"


def _text_only(field: Field) -> None:
    """Make the field refuse any value that is not text before reading it, so that no filter,
    coercion or validator meets a file or a number it was never written for."""
    plain = field.process_formdata

    def process_formdata(valuelist: list[Any]) -> None:
        if any(not isinstance(value, str) for value in valuelist):
            # Redrawn as empty boxes: a field draws what was sent (raw_data), and a file or a
            # number is not something it can draw.
            field.raw_data = [value if isinstance(value, str) else "" for value in valuelist]
            raise ValueError(NOT_TEXT_MESSAGE.format(label=subject(field)))
        plain(valuelist)

    field.process_formdata = process_formdata  # type: ignore[method-assign]


def _bind_field_refusing_control_characters(
    self: DefaultMeta, form: Form, unbound_field: Any, options: dict[str, Any]
) -> Field:
    field: Field = _plain_bind_field(self, form, unbound_field, options)
    field.validators = [_refuse_control_characters, *field.validators]
    if not isinstance(field, FileField):
        _text_only(field)
    return field


def refuse_control_characters_in_every_form() -> None:
    """Give every field of every form a first validator refusing control characters, and make
    every field but a file's refuse a value that is not text (NOT_TEXT_MESSAGE).

    Done once through FlaskForm's Meta (WTForms' hook for how fields are bound) rather than in
    each form class, so no form, present or future, can forget it.
    """
    FlaskForm.Meta.bind_field = _bind_field_refusing_control_characters
