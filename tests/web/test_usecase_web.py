"""The shared web pieces: the use-case runner, and the filter panel and select macros."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from builders import make_premises
from flask import Flask, render_template_string
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import HiddenField, SelectField, StringField

from app import usecase
from app.choices import active_filters, choice_labels
from app.database import db
from enforcement.errors import DomainError, StaleEdit, ValidationFailed
from enforcement.models import Organisation, Premises

NOW = datetime(2026, 3, 2, 10, tzinfo=UTC)


class NameForm(FlaskForm):
    class Meta:
        csrf = False

    name = StringField("Name")
    version = HiddenField()


def _orgs_named(name: str) -> int:
    return db().scalar(select(func.count()).where(Organisation.name == name)) or 0


def _add_org(name: str) -> Organisation:
    org = Organisation(name=name, kind="council", created_at=NOW)
    db().add(org)
    db().flush()
    return org


def test_a_use_case_that_succeeds_is_committed(app: Flask) -> None:
    with app.test_request_context("/", method="POST", data={"name": "Kept"}):
        form = NameForm()
        outcome = usecase.run(lambda: _add_org("Kept"), form)
        assert isinstance(outcome, usecase.Done) and outcome.value.name == "Kept"
        db().rollback()  # nothing is left to roll back: the work was committed
        assert _orgs_named("Kept") == 1


def test_a_refused_use_case_is_rolled_back_and_its_errors_land_on_the_form(app: Flask) -> None:
    def refuse() -> None:
        _add_org("Dropped")
        raise ValidationFailed({"title": "Enter a name", "whole": "Not today"})

    with app.test_request_context("/", method="POST", data={"name": "typed"}):
        form = NameForm()
        form.validate()
        outcome = usecase.run(refuse, form, aliases={"title": "name", "whole": usecase.WHOLE_FORM})
        assert isinstance(outcome, usecase.Refused) and outcome.status == 400
        assert form.name.errors == ["Enter a name"]
        assert form.name.data == "typed"  # what was typed stays
        assert form.form_errors == ["Not today"]
        assert _orgs_named("Dropped") == 0


def test_a_stale_edit_carries_the_current_version_and_says_so(app: Flask) -> None:
    with app.test_request_context("/", method="POST", data={"name": "mine", "version": "1"}):
        p = make_premises(db())
        db().commit()
        current = p.version

        def edit() -> None:
            _add_org("Dropped too")
            raise StaleEdit.changed_meanwhile("premises")

        form = NameForm()
        form.validate()
        outcome = usecase.run(edit, form, conflict=usecase.Conflict(Premises, p.id))
        assert isinstance(outcome, usecase.Refused) and outcome.status == 409
        assert form.version.data == str(current)
        assert form.name.data == "mine"
        # The domain's message as it is, then what the record now holds where it differs from
        # what was typed: the changes the message asks the user to check.
        assert form.form_errors == [
            "Someone else changed this premises while you were editing. Your changes have not"
            " been saved. Check their changes below, then submit again to replace them with"
            " yours.",
            f"Name is now saved as “{p.name}”.",
        ]
        assert _orgs_named("Dropped too") == 0


def test_without_a_form_a_refusal_is_rolled_back_and_raised(app: Flask) -> None:
    def refuse() -> None:
        _add_org("Not kept")
        raise ValidationFailed({"name": "No"})

    with app.test_request_context("/", method="POST"):
        with pytest.raises(ValidationFailed) as raised:
            usecase.perform(refuse)
        assert raised.value.errors == {"name": "No"}
        assert _orgs_named("Not kept") == 0


def test_a_refusal_that_was_audited_keeps_its_audit_event(app: Flask) -> None:
    def refuse_audited() -> None:
        _add_org("Audit stand-in")  # stands for the audit event the domain wrote
        error = DomainError("You may not see this.")
        error.audited = True  # type: ignore[attr-defined]
        raise error

    with app.test_request_context("/", method="POST"):
        with pytest.raises(DomainError):
            usecase.perform(refuse_audited)
        db().rollback()
        assert _orgs_named("Audit stand-in") == 1


def test_submit_draws_the_form_first_then_redraws_it_with_its_status(app: Flask) -> None:
    def page(status: int) -> tuple[str, int]:
        return "page", status

    with app.test_request_context("/", method="GET"):
        assert usecase.submit(NameForm(), lambda: None, done=lambda _: "done", page=page) == (
            "page",
            200,
        )
    with app.test_request_context("/", method="POST", data={"name": "x"}):
        refused = usecase.submit(
            NameForm(),
            lambda: (_ for _ in ()).throw(ValidationFailed({"name": "Bad"})),
            done=lambda _: "done",
            page=page,
        )
        assert refused == ("page", 400)
        not_ready = usecase.submit(
            NameForm(), lambda: None, done=lambda _: "done", page=page, ready=lambda: False
        )
        assert not_ready == ("page", 400)
        assert usecase.submit(NameForm(), lambda: 7, done=lambda v: f"done {v}", page=page) == (
            "done 7"
        )


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    ward = SelectField("Ward", choices=[("", "Any ward"), ("W1", "West")])


PANEL = """
{% from "_macros/filters.html" import filter_panel, select %}
{% call filter_panel("/things", "/things?q=x", active=active) %}{{ select(form.ward) }}{% endcall %}
"""


def test_the_filter_panel_shows_chosen_filters_as_tags_that_remove_themselves(app: Flask) -> None:
    with app.test_request_context("/things?ward=W1&page=3&q=x"):
        form = FilterForm(ward="W1")
        html = render_template_string(PANEL, form=form, active=[("Ward", "West", "ward")])
    assert 'action="/things"' in html
    assert 'href="/things?q=x">Clear filters</a>' in html
    assert 'href="/things?q=x"><span class="govuk-visually-hidden">Remove this filter: Ward' in html
    assert '<option value="W1" selected>West</option>' in html


def test_without_chosen_filters_the_panel_offers_clearing_by_its_button(app: Flask) -> None:
    with app.test_request_context("/things"):
        html = render_template_string(PANEL, form=FilterForm(), active=None)
    assert "moj-filter-tags" not in html
    assert '<a class="govuk-link" href="/things?q=x">Clear filters</a>' in html
    assert '<option value="" selected>Any ward</option>' in html


def test_the_select_macro_shows_its_error_and_points_the_box_at_it(app: Flask) -> None:
    with app.test_request_context("/things?ward=nowhere"):
        form = FilterForm(ward="nowhere")
        form.ward.errors = ["Unknown ward"]
        html = render_template_string(
            '{% from "_macros/filters.html" import select %}{{ select(form.ward) }}', form=form
        )
    assert "govuk-form-group--error" in html
    assert '<p class="govuk-error-message" id="ward-error">' in html and "Unknown ward" in html
    assert 'aria-describedby="ward-error"' in html


def test_choice_labels_read_plain_and_grouped_choices(app: Flask) -> None:
    with app.test_request_context("/"):
        form = FilterForm()
        assert choice_labels(form.ward) == {"": "Any ward", "W1": "West"}
        form.ward.choices = {"North": [("N1", "Hill")], "South": [("S1", "Vale")]}
        assert choice_labels(form.ward) == {"N1": "Hill", "S1": "Vale"}
        assert choice_labels(NameForm().name) == {}


def test_active_filters_name_each_chosen_filter_by_its_label(app: Flask) -> None:
    with app.test_request_context("/"):
        form = FilterForm()
        assert active_filters(form, [("ward", "W1")]) == [("Ward", "West", "ward")]
        assert active_filters(form, [("ward", "gone")]) == [("Ward", "gone", "ward")]
        assert active_filters(form, [("ward", "")]) == []
