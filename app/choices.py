"""Reading a select field's choices: their labels, and the filters a list page has chosen."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from flask_wtf import FlaskForm
from wtforms import Field, SelectField, SelectMultipleField


def choice_labels(field: Field) -> dict[str, str]:
    """A select field's choices as value to label (any other field has none)."""
    if not isinstance(field, SelectField | SelectMultipleField):
        return {}
    choices = field.choices
    if isinstance(choices, Mapping):  # choices grouped under headings
        return {str(c[0]): c[1] for group in choices.values() for c in group}
    return {str(c[0]): c[1] for c in choices or ()}


def active_filters(
    form: FlaskForm, chosen: Iterable[tuple[str, str]]
) -> list[tuple[str, str, str]]:
    """(label, value as shown, query name) of each filter given a value, for the panel's tags."""
    shown = []
    for name, value in chosen:
        if value:
            field = form[name]
            shown.append((field.label.text, choice_labels(field).get(value, value), name))
    return shown
