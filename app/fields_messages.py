"""Fields whose own error messages name what they are about, as full sentences.

A message built from a field's label reads badly when the label is a question ("How many people
were present? must be a whole number"), so a field may carry a `noun`: what its messages call it,
written as it reads inside a sentence ("the number of people present"). `subject` gives the
start of such a sentence.

The choice fields here replace WTForms' own text for a value not on the list, or one that is not
a value at all ("Not a valid choice.", "Invalid choice(s): one or more data inputs could not be
coerced.") with "Select <noun> from the list". Use them, with a `noun`, for any choice field
that checks its choices or coerces what is sent.
"""

from __future__ import annotations

from typing import Any

import wtforms
from wtforms import Field
from wtforms.form import BaseForm
from wtforms.validators import Length, ValidationError


def sentence_start(phrase: str) -> str:
    """The phrase with a capital first letter, to begin a sentence."""
    return phrase[:1].upper() + phrase[1:]


def subject(field: Field) -> str:
    """What a message beginning with the field calls it: its noun, else its label.

    The label loses any " (optional)" suffix.
    """
    noun: str | None = getattr(field, "noun", None)
    if noun:
        return sentence_start(noun)
    return field.label.text.removesuffix(" (optional)") if field.label else field.name


def choice_message(noun: str) -> str:
    """The message for a choice field sent a value not on its list."""
    return f"Select {noun} from the list"  # noqa: S608 (words, not SQL)


class _NamedChoice(wtforms.SelectField):
    """A choice field that names itself ("Select the status from the list") for a bad value."""

    def __init__(self, *args: Any, noun: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.noun = noun

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:  # a value the coerce refuses (an id too big to be a number)
            raise ValueError(choice_message(self.noun)) from None

    def pre_validate(self, form: BaseForm) -> None:
        if choice_message(self.noun) in self.process_errors:
            return  # said already, once is enough
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError(choice_message(self.noun)) from None


class SelectField(_NamedChoice):
    """wtforms.SelectField, naming itself for a value not on the list; takes `noun`."""


class SelectMultipleField(_NamedChoice, wtforms.SelectMultipleField):
    """wtforms.SelectMultipleField, naming itself for a value not on the list; takes `noun`."""


class RadioField(_NamedChoice, wtforms.RadioField):
    """wtforms.RadioField, naming itself for a value not on the list; takes `noun`."""


class TextAreaField(wtforms.TextAreaField):
    """wtforms.TextAreaField that may carry a `noun` for its messages, for a label that is a
    question ("Why are you snoozing it?" -> "The reason for snoozing it must not contain...")."""

    def __init__(self, *args: Any, noun: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.noun = noun


def max_length(what: str, limit: int) -> Length:
    """Length(max=limit) saying "<what> must be 1,000 characters or fewer" (never WTForms' text)."""
    return Length(
        max=limit, message=f"{sentence_start(what)} must be {limit:,} characters or fewer"
    )
