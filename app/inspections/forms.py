"""The inspection form: shape checks only, with a finding field for each licence condition."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovDateInput,
    GovFileInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    HiddenField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Optional, Regexp

from app.fields_messages import RadioField, SelectMultipleField
from app.forms import GovDateField, db_id
from app.safeguarding.forms import add_indicator_fields
from app.wallclock import which_field
from enforcement.models import LicenceCondition
from enforcement.vocab import Finding, InspectionReason


class InspectionForm(FlaskForm):
    idempotency_key = HiddenField()
    version = HiddenField()
    licence_id = HiddenField()
    inspected_on = GovDateField(
        "Date of inspection",
        description="For example, 27 3 2026",
        widget=GovDateInput(),
        format="%d %m %Y",
        validators=[InputRequired("Enter the date of the inspection")],
    )
    inspected_time = StringField(
        "Time of inspection",
        description="24-hour clock, for example 14:30",
        widget=GovTextInput(),
        validators=[
            InputRequired("Enter the time of the inspection"),
            Regexp(r"^([01]?\d|2[0-3])[:.]?([0-5]\d)$", message="Enter a time like 14:30"),
        ],
    )
    inspected_which = which_field("The clocks went back that night: which time do you mean?")
    reason = RadioField(
        "Why did the inspection take place?",
        noun="the reason for the inspection",
        widget=GovRadioInput(),
        choices=InspectionReason.choices(),
        validators=[InputRequired("Select why the inspection took place")],
    )
    joint_with_police = BooleanField("Police officers took part", widget=GovCheckboxInput())
    officer_ids = SelectMultipleField(
        "Council officers present",
        noun="officers",
        description="You are recorded as present.",
        widget=GovCheckboxesInput(),
        coerce=db_id,
        choices=[],
        validate_choice=False,
    )
    other_officers = StringField(
        "Other officers present (optional)",
        description="For example, police shoulder numbers",
        widget=GovTextInput(),
        validators=[Optional()],
    )
    poster_displayed = RadioField(
        "Was the anti-trafficking poster displayed?",
        noun="whether the poster was displayed",
        widget=GovRadioInput(),
        choices=[("yes", "Yes"), ("no", "No")],
        validators=[InputRequired("Say whether the poster was displayed")],
    )
    poster_visible = SelectMultipleField(
        "Where could it be seen?",
        noun="where the poster could be seen",
        description="Select all that apply",
        widget=GovCheckboxesInput(),
        choices=[
            ("public", "Where the public can see it"),
            ("workers", "Where people working there can see it"),
        ],
    )
    languages_displayed = SelectMultipleField(
        "Languages the poster was displayed in",
        noun="languages",
        widget=GovCheckboxesInput(),
        choices=[],
        validate_choice=False,
    )
    photo = FileField(
        "Photo of the poster (optional)",
        description="A JPG, PNG or WebP image",
        widget=GovFileInput(),
    )
    services = SelectMultipleField(
        "Services signposted",
        noun="services",
        description="From the support directory. Select all that the people present were told about.",
        widget=GovCheckboxesInput(),
        coerce=db_id,
        choices=[],
        validate_choice=False,
    )
    referrals_made = RadioField(
        "Did the inspection lead to any referrals?",
        noun="whether the inspection led to any referrals",
        description="To the NRM, through Duty to Notify, to a specialist charity or to social "
        "services. If it did, you record each referral next, as an anonymous record.",
        widget=GovRadioInput(),
        choices=[
            ("yes", "Yes: I will record each referral, without names, after saving"),
            ("no", "No referrals were made"),
        ],
        default="no",
        validate_choice=False,
        validators=[Optional()],
    )
    observations = TextAreaField(
        "General observations (optional)",
        description="Do not record the names or other identifying details of people working at or visiting the premises.",
        widget=GovTextArea(),
        validators=[Optional()],
    )
    submit = SubmitField("Save inspection", widget=GovSubmitInput())


# The indicators of exploitation, shared with welfare visits (enforcement.safeguarding.vocab).
add_indicator_fields(InspectionForm)


def finding_field(condition_id: int) -> str:
    return f"finding_{condition_id}"


def note_field(condition_id: int) -> str:
    return f"note_{condition_id}"


def inspection_form(
    conditions: Sequence[LicenceCondition], *, correcting: bool = False, **kwargs: Any
) -> InspectionForm:
    """The inspection form with a finding and a note for each condition in force of the licence.

    The domain checks each finding's value and each note's length (the form checks shape only).
    A correction does not ask about referrals: those are records of their own, added apart.
    """

    class PerLicence(InspectionForm):
        pass

    if correcting:
        PerLicence.referrals_made = None  # type: ignore[assignment]

    for c in conditions:
        setattr(
            PerLicence,
            finding_field(c.id),
            RadioField(
                f"Condition {c.number}: {c.text}",
                noun=f"a finding for condition {c.number}",
                widget=GovRadioInput(),
                choices=Finding.choices(),
                # Leaving a condition unanswered says it was not checked.
                validate_choice=False,
            ),
        )
        setattr(
            PerLicence,
            note_field(c.id),
            TextAreaField(f"Note on condition {c.number} (optional)", widget=GovTextArea()),
        )
    return PerLicence(**kwargs)
