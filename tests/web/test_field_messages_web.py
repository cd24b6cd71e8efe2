"""Messages the forms' own fields give: full sentences naming the field, never WTForms' text."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from app.auth.forms import SignInForm
from app.flags.forms import FlagForm, GradeForm, StatusForm
from app.inspections.forms import inspection_form
from app.referrals.forms import DraftForm, RepresentationsForm, SignOffForm
from app.tasks.forms import PreferencesForm
from app.welfare.forms import VisitForm
from enforcement.intelligence import flags
from enforcement.vocab import Role

WTFORMS_TEXT = (
    "Field cannot be longer",
    "Not a valid choice",
    "could not be coerced",
    "valid choice",
)


def _errors(app: Flask, form_class: Any, data: dict[str, Any]) -> dict[str, list[str]]:
    with app.test_request_context(method="POST"):
        form = form_class(formdata=MultiDict(list(_pairs(data))), meta={"csrf": False})
        form.validate()
        errors = {k: list(v) for k, v in form.errors.items()}
    for messages in errors.values():
        for m in messages:
            assert not any(t in m for t in WTFORMS_TEXT), m
    return errors


def _pairs(data: dict[str, Any]) -> Any:
    for k, v in data.items():
        for one in v if isinstance(v, list) else [v]:
            yield k, one


@pytest.mark.parametrize(
    ("form_class", "field", "limit", "message"),
    [
        (DraftForm, "recommended_conditions", 4_000, "The conditions proposed must be 4,000"),
        (
            DraftForm,
            "dps_name",
            200,
            "The designated premises supervisor's name must be 200 characters or fewer",
        ),
        (DraftForm, "support_provider", 300, "The note on who offered the support must be 300"),
        (DraftForm, "support_note", 4_000, "The note on the support must be 4,000 characters"),
        (SignOffForm, "comment", 4_000, "The comments must be 4,000 characters or fewer"),
        (
            RepresentationsForm,
            "summary",
            4_000,
            "The summary of the representations must be 4,000 characters or fewer",
        ),
        (SignInForm, "email", 254, "Your email address must be 254 characters or fewer"),
    ],
)
def test_a_text_too_long_is_named_with_its_limit(
    app: Flask, form_class: Any, field: str, limit: int, message: str
) -> None:
    errors = _errors(app, form_class, {field: "x" * (limit + 1)})
    assert any(m.startswith(message) for m in errors[field]), errors[field]


@pytest.mark.parametrize(
    ("form_class", "data", "field", "message"),
    [
        (StatusForm, {"status": "bogus"}, "status", "Select the status from the list"),
        (
            PreferencesForm,
            {"preference": "hourly"},
            "preference",
            "Select how you want to receive reminders from the list",
        ),
        (
            lambda **kw: inspection_form([], **kw),
            {"officer_ids": "9" * 40},
            "officer_ids",
            "Select officers from the list",
        ),
        (
            VisitForm,
            {"officer_ids": ["1", "9" * 40]},
            "officer_ids",
            "Select officers from the list",
        ),
        (
            GradeForm,
            {"audience_org_ids": "x"},
            "audience_org_ids",
            "Select organisations from the list",
        ),
        (
            VisitForm,
            {"indicators_labour": "no_such"},
            "indicators_labour",
            "Select indicators from the list",
        ),
    ],
)
def test_a_value_not_on_the_list_is_named(
    app: Flask, form_class: Any, data: dict[str, Any], field: str, message: str
) -> None:
    errors = _errors(app, form_class, data)
    assert errors[field] == [message]  # once, though the value was both uncoerced and unlisted


@pytest.mark.parametrize(
    ("form_class", "data", "field", "message"),
    [
        (
            VisitForm,
            {"people_present": "three"},
            "people_present",
            "The number of people present must be a whole number, like 2",
        ),
        (
            VisitForm,
            {"follow_up_days": "a fortnight"},
            "follow_up_days",
            "The number of days to return within must be a whole number, like 2",
        ),
        (
            FlagForm,
            {"received_on": ["1", "3", "25"]},
            "received_on",
            "The date the intelligence was received must include a year with 4 numbers, like 2025",
        ),
        (
            FlagForm,
            {"received_on": ["31", "2", "2025"]},
            "received_on",
            "The date the intelligence was received must be a real date, like 27 3 2025",
        ),
    ],
)
def test_a_field_labelled_with_a_question_is_named_by_its_noun(
    app: Flask, form_class: Any, data: dict[str, Any], field: str, message: str
) -> None:
    assert _errors(app, form_class, data)[field] == [message]


def test_the_grade_form_offers_exactly_the_roles_the_domain_takes(app: Flask) -> None:
    with app.test_request_context():
        offered = {value for value, _ in GradeForm(formdata=None).audience_roles.choices}
    assert offered == {r.value for r in flags.AUDIENCE_ROLES}
    assert Role.ADMIN.value not in offered
