"""Helpers shared by every form: turning domain errors into field errors, optional numbers."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field

from enforcement.errors import ValidationFailed


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
