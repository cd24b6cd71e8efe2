"""Helpers shared by every form: turning domain errors into field errors, optional numbers."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, Field
from wtforms.utils import unset_value

from app.database import db
from enforcement.errors import StaleEdit, ValidationFailed


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


class GovDateField(DateField):
    """A day, month and year date whose errors say what to type, and which renders when absent."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not any(v.strip() for v in valuelist):
            self.data = None
            return
        if len(valuelist) != 3 or not all(v.strip() for v in valuelist):
            self.data = None
            raise ValueError(
                f"{self.label.text.removesuffix(' (optional)')} must include a day, month and year"
            )
        try:
            day, month, year = (int(v) for v in valuelist)
            self.data = date(year, month, day)
        except ValueError:
            self.data = None
            raise ValueError(
                f"{self.label.text.removesuffix(' (optional)')} must be a real date, like 27 3 2025"
            ) from None

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        super().process(formdata, data, extra_filters)
        if self.raw_data == []:  # the widget expects three parts or none
            self.raw_data = None


def keep_edit_after_conflict(
    form: FlaskForm, model: type[Any], record_id: int, exc: StaleEdit
) -> None:
    """After a stale edit (its work already rolled back): carry the current version, and say so.

    The user's typed values stay in the form; submitting again deliberately replaces the
    other person's change.
    """
    fresh = db().get(model, record_id)
    form["version"].data = str(fresh.version if fresh else "")
    form.form_errors.append(exc.message + " Submit again to replace them with yours.")
