"""The one way a view runs a use case: commit what it did, or roll back and say why on the form."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import abort
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from app.database import db
from app.forms import apply_errors, keep_edit_after_conflict
from enforcement.errors import DomainError, StaleEdit, ValidationFailed
from enforcement.numbers import MAX_DB_ID, whole_number

T = TypeVar("T")


def form_version(raw: object) -> int:
    """The record version an edit form carried back in its hidden field: a whole number, or the
    request is a bad one (400) whatever else it holds."""
    version = whole_number(raw, high=MAX_DB_ID)
    if version is None:
        abort(400)
    return version


#: The alias that puts a domain error at the top of the form, for a key with no box of its own.
WHOLE_FORM = ""

#: Statuses a form page is drawn with: first view, refused input, and a conflicting edit.
SHOWN, REFUSED, CONFLICT = 200, 400, 409


@dataclass(frozen=True)
class Conflict:
    """The record a form edits, so a stale edit can carry its current version into the redraw."""

    model: type[Any]
    record_id: int


@dataclass(frozen=True)
class Done(Generic[T]):
    """The use case ran and its work is committed."""

    value: T
    status: int = SHOWN


@dataclass(frozen=True)
class Refused:
    """The use case refused (400) or met a newer version (409); nothing was kept."""

    status: int
    error: DomainError


Outcome = Done[T] | Refused


def run(
    action: Callable[[], T],
    form: FlaskForm | None = None,
    *,
    aliases: Mapping[str, str] | None = None,
    conflict: Conflict | None = None,
) -> Outcome[T]:
    """Run the use case and commit; a refusal rolls back and lands on the form's fields.

    Without a form the refusal propagates (after the rollback) to the error pages.
    """
    session = db()
    try:
        value = action()
    except ValidationFailed as exc:
        session.rollback()
        if form is None:
            raise
        apply_errors(form, exc, dict(aliases or {}))
        return Refused(REFUSED, exc)
    except StaleEdit as exc:
        session.rollback()
        if form is None:
            raise
        if conflict is None:
            form.form_errors.append(exc.message)
        else:
            keep_edit_after_conflict(form, conflict.model, conflict.record_id, exc)
        return Refused(CONFLICT, exc)
    except Exception as exc:
        _end_refused(exc)
        raise
    session.commit()
    return Done(value)


def perform(action: Callable[[], T]) -> T:
    """Run a use case that has no form (a button, or a read whose audit event must be kept)."""
    try:
        value = action()
    except Exception as exc:
        _end_refused(exc)
        raise
    db().commit()
    return value


def _end_refused(exc: Exception) -> None:
    """Roll back a failed use case, but keep the audit event of a refusal that recorded one."""
    if isinstance(exc, DomainError) and getattr(exc, "audited", False):
        db().commit()
    else:
        db().rollback()


def submit(
    form: FlaskForm,
    action: Callable[[], T],
    *,
    done: Callable[[T], ResponseReturnValue],
    page: Callable[[int], ResponseReturnValue],
    aliases: Mapping[str, str] | None = None,
    conflict: Conflict | None = None,
    ready: Callable[[], bool] | None = None,
) -> ResponseReturnValue:
    """A form view's whole round: draw it, or validate, run, commit and answer with `done`.

    `page(status)` draws the form (200 first time, 400 with errors, 409 after a conflicting
    edit, keeping what was typed); `ready` runs checks the form's own validators cannot make.
    """
    if not form.is_submitted():
        return page(SHOWN)
    if form.validate_on_submit() and (ready is None or ready()):
        outcome = run(action, form, aliases=aliases, conflict=conflict)
        if isinstance(outcome, Done):
            return done(outcome.value)
        return page(outcome.status)
    return page(REFUSED)
