"""Intelligence flag forms: shape checks only; the rules live in enforcement.intelligence.flags."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovDateInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Optional

from app.fields_messages import RadioField, SelectField, SelectMultipleField
from app.forms import GovDateField
from app.location import LenientFloatField
from enforcement.intelligence.flags import AUDIENCE_ROLES
from enforcement.intelligence.vocab import ExploitationForm, FlagStatus, GradeScheme, SourceType

NO_IDENTIFIERS = (
    "Do not record the names, dates of birth, phone numbers or other identifying details of "
    "people who may be exploited. Text like that is refused. What you write is need-to-know "
    "and every reading of it is logged."
)


class GradeFields(FlaskForm):
    """The 3x5x2 grade (or an older 5x5x5 one), with handling conditions."""

    grade_scheme = RadioField(
        "Grading scheme",
        noun="the grading scheme",
        choices=GradeScheme.choices(),
        default="3x5x2",
        widget=GovRadioInput(),
        validators=[Optional()],
    )
    source_grade = SelectField(
        "Source evaluation",
        noun="the source evaluation",
        choices=[],
        widget=GovSelect(),
        validate_choice=False,
    )
    intelligence_grade = SelectField(
        "Intelligence assessment",
        noun="the intelligence assessment",
        choices=[],
        widget=GovSelect(),
        validate_choice=False,
    )
    handling_code = SelectField(
        "Handling code",
        noun="the handling code",
        choices=[],
        widget=GovSelect(),
        validate_choice=False,
    )
    handling_conditions = TextAreaField(
        "Handling conditions",
        description="Required for handling code C: the conditions on sharing, shown wherever the flag is.",
        widget=GovTextArea(),
        validators=[Optional()],
    )
    audience_org_ids = SelectMultipleField(
        "Organisations it may be shown to",
        noun="organisations",
        description="For handling code C: only people in these organisations, or with these roles, see what it says.",
        choices=[],
        coerce=int,
        widget=GovCheckboxesInput(),
        validate_choice=False,
    )
    audience_roles = SelectMultipleField(
        "Roles it may be shown to",
        noun="roles",
        choices=[(r.value, r.label) for r in AUDIENCE_ROLES],
        widget=GovCheckboxesInput(),
        validate_choice=False,
    )


def grade_choices(form: GradeFields) -> None:
    """Offer every code of both schemes: 3x5x2 labels first, older 5x5x5 codes marked."""
    from enforcement.intelligence.vocab import HANDLING_CODES, INTELLIGENCE_GRADES, SOURCE_GRADES

    def both(table: dict[str, dict[str, str]]) -> list[tuple[str, str]]:
        out = [("", "Select")]
        current = table["3x5x2"]
        out += [(code, f"{code}: {label}") for code, label in current.items()]
        out += [
            (code, f"{code}: {label} (5x5x5 only)")
            for code, label in table["5x5x5"].items()
            if code not in current
        ]
        return out

    form.source_grade.choices = both(SOURCE_GRADES)
    form.intelligence_grade.choices = both(INTELLIGENCE_GRADES)
    form.handling_code.choices = both(HANDLING_CODES)


class FlagForm(GradeFields):
    received_on = GovDateField(
        "When was the intelligence received?",
        noun="the date the intelligence was received",
        widget=GovDateInput(),
        format="%d %m %Y",
        validators=[Optional()],  # the domain says what is missing, all at once
    )
    source_type = RadioField(
        "Type of source",
        noun="the type of source",
        choices=SourceType.choices(),
        widget=GovRadioInput(),
        validators=[Optional()],
        validate_choice=False,
    )
    exploitation = SelectMultipleField(
        "Forms of exploitation",
        noun="forms of exploitation",
        description="Select all that apply.",
        choices=ExploitationForm.choices(),
        widget=GovCheckboxesInput(),
        validate_choice=False,
    )
    report_text = TextAreaField(
        "The report",
        description=NO_IDENTIFIERS,
        widget=GovTextArea(),
        validators=[Optional()],
    )
    premises_id = HiddenField()
    location_text = StringField(
        "Address of the location (optional)",
        description="Where the location is not in the register yet. It can be linked to a premises later.",
        widget=GovTextInput(),
        validators=[Optional()],
    )
    latitude = LenientFloatField(
        "Latitude (optional)", example="51.4927", widget=GovTextInput(), validators=[Optional()]
    )
    longitude = LenientFloatField(
        "Longitude (optional)", example="-0.2246", widget=GovTextInput(), validators=[Optional()]
    )
    grade_now = RadioField(
        "Grade it now?",
        noun="whether to grade it now",
        choices=[("no", "No, an analyst will grade it"), ("yes", "Yes")],
        default="no",
        widget=GovRadioInput(),
        validators=[Optional()],
    )
    submit = SubmitField("Record the flag", widget=GovSubmitInput())


class GradeForm(GradeFields):
    version = HiddenField()
    submit = SubmitField("Save the grade", widget=GovSubmitInput())


class StatusForm(FlaskForm):
    version = HiddenField()
    status = RadioField(
        "Status",
        noun="the status",
        choices=FlagStatus.choices(),
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select a status")],
    )
    submit = SubmitField("Change the status", widget=GovSubmitInput())


class LinkCaseForm(FlaskForm):
    case_reference = StringField(
        "Enforcement case reference",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the reference of an enforcement case")],
    )
    submit = SubmitField("Link as evidence", widget=GovSubmitInput())


class LinkPremisesForm(FlaskForm):
    premises_number = StringField(
        "Register number of the premises",
        description="Shown on the premises' page, under Details.",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the register number of the premises")],
    )
    submit = SubmitField("Link to the premises", widget=GovSubmitInput())


class FlagListForm(FlaskForm):
    """The list's filters, read from the query string (GET: no CSRF token)."""

    class Meta:
        csrf = False

    status = SelectField(
        "Status",
        noun="a status",
        choices=[("", "Any status"), *FlagStatus.choices()],
        validate_choice=False,
    )
    source_type = SelectField(
        "Source type",
        noun="a source type",
        choices=[("", "Any source"), *SourceType.choices()],
        validate_choice=False,
    )
    exploitation = SelectField(
        "Form of exploitation",
        noun="a form of exploitation",
        choices=[("", "Any form"), *ExploitationForm.choices()],
        validate_choice=False,
    )
    ward = SelectField("Ward", noun="a ward", choices=[], validate_choice=False)
    review = SelectField(
        "Review",
        noun="a review filter",
        choices=[("", "Any"), ("overdue", "Review overdue")],
        validate_choice=False,
    )
