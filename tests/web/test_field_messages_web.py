"""Messages the forms' own fields give: full sentences naming the field, never WTForms' text."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from builders import make_licence, make_org, make_premises, make_user, make_wards, post, sign_in
from builders.measures import build
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from app.auth.forms import SignInForm
from app.cases.forms import CloseCaseForm
from app.flags.forms import FlagForm, GradeForm, StatusForm
from app.inspections.forms import inspection_form
from app.referrals.forms import DraftForm, RepresentationsForm, SignOffForm
from app.tasks.forms import PreferencesForm, SnoozeForm
from app.welfare.forms import ReleaseForm, VisitForm
from enforcement.intelligence import flags
from enforcement.vocab import OrganisationKind, PremisesType, Role

HIDDEN = (
    " must not contain hidden control characters (they can come from pasted text)."
    " Delete them or type it again"
)
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
        # Text fields labelled with a question: the control characters' message.
        (SnoozeForm, {"reason": "a\x1bb"}, "reason", "The reason for snoozing it" + HIDDEN),
        (CloseCaseForm, {"reason": "a\x00b"}, "reason", "The reason for closing the case" + HIDDEN),
        (
            ReleaseForm,
            {"reason": "a\x7fb"},
            "reason",
            "The reason this visit may be used as evidence" + HIDDEN,
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


def _signed_in(client: FlaskClient, session: Session, role: str, org_kind: str) -> int:
    """Sign in someone of `role` in a new organisation of `org_kind`; return its id."""
    make_wards(session)
    org = make_org(session, kind=org_kind)
    make_user(session, role, email=f"{role}@example.gov.uk", org=org)
    session.commit()
    sign_in(client, f"{role}@example.gov.uk")
    return org.id


def _named_once(resp: Any, message: str) -> None:
    """Refused (400), the value's field named once (in the summary and by the field), and never
    in WTForms' words."""
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400, page[:3000]
    summary = page[page.index("govuk-error-summary") : page.index("</main>")]
    summary = summary[: summary.index("</ul>")]
    assert summary.count(message) == 1, summary
    assert page.count(message) == 2, page  # the summary's link and the field's own message
    assert not any(t in page for t in WTFORMS_TEXT), page


def test_the_user_form_names_an_organisation_and_a_role_not_on_the_list(
    client: FlaskClient, session: Session
) -> None:
    _signed_in(client, session, "admin", OrganisationKind.COUNCIL)
    data = {
        "display_name": "Dee Ward",
        "email": "dee@example.gov.uk",
        "organisation_id": "999999",
        "roles": ["ward_officer"],
        "password": "temporary-pass-999",
    }
    resp = post(client, "/admin/users/new", data, page="/admin/users/new")
    _named_once(resp, "Select the organisation from the list")
    resp = post(client, "/admin/users/new", {**data, "roles": "no_such_role"})
    _named_once(resp, "Select roles from the list")


def test_the_case_form_names_a_tool_not_on_the_list(client: FlaskClient, session: Session) -> None:
    make_org(session, "Borough Council", OrganisationKind.COUNCIL)
    police = _signed_in(client, session, "ward_officer", OrganisationKind.POLICE)
    premises = make_premises(session, name="The Crown", premises_type=PremisesType.PUB_BAR)
    make_licence(session, premises.id)
    session.commit()
    path = f"/premises/{premises.id}/cases/new"
    officer = re.findall(
        r'<option value="(\d+)" selected>', client.get(path).get_data(as_text=True)
    )
    data = {
        "tool": "no_such_tool",
        "owner_organisation_id": str(police),
        "officer_id": officer[-1],
        "summary": "Closure after a joint visit",
    }
    _named_once(post(client, path, data), "Select the enforcement tool from the list")


def test_the_premises_form_names_a_type_not_on_the_list(
    client: FlaskClient, session: Session
) -> None:
    _signed_in(client, session, "licensing_officer", OrganisationKind.COUNCIL)
    data = {"name": "Lotus", "premises_type": "castle", "address_line1": "12 King Street"}
    resp = post(client, "/premises/new", data, page="/premises/new")
    _named_once(resp, "Select the type of premises from the list")


def test_the_register_import_names_a_kind_of_file_not_on_the_list(
    client: FlaskClient, session: Session
) -> None:
    _signed_in(client, session, "licensing_officer", OrganisationKind.COUNCIL)
    data = {"format": "pdf", "upload": (io.BytesIO(b"Name\r\n"), "reg.csv")}
    resp = post(client, "/imports", data, page="/imports")
    _named_once(resp, "Select the kind of file from the list")


def test_the_data_share_names_a_quarter_not_on_the_list(
    client: FlaskClient, session: Session
) -> None:
    borough = build(session)
    session.commit()
    sign_in(client, borough.users["analyst"].email)
    resp = post(client, "/data-shares", {"quarter": "2099-Q1"}, page="/data-shares")
    _named_once(resp, "Select the quarter to share from the list")
