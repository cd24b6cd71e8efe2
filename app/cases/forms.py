"""Enforcement case forms: shape checks only; the statutory rules live in enforcement."""

from __future__ import annotations

from datetime import date, datetime

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovDateInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    HiddenField,
    StringField,
    SubmitField,
)
from wtforms.validators import InputRequired, Optional, Regexp

from app.fields_messages import RadioField, SelectField, TextAreaField
from app.forms import GovDateField
from app.wallclock import TIME_PATTERN, typed_time, which_field
from enforcement.cases.casework import ServedHow
from enforcement.clock import london_instant

NO_NAMES = (
    "Do not record the names or other identifying details of potential victims and survivors."
)


def london_moment(day: date | None, clock: str | None) -> datetime | None:
    """Return the aware instant of a London date and a typed 24-hour time, or None if either is missing.

    Raises ValueError (a WallClockError) for a time the clocks skip when British Summer Time
    starts, or one that happens twice when it ends: forms that can ask which use read_london.
    """
    wall = typed_time(clock)
    if day is None or wall is None:
        return None
    return london_instant(day, wall)


def _summary_field(label: str) -> TextAreaField:
    return TextAreaField(
        label,
        description=f"What the case is about and why this tool. {NO_NAMES}",
        widget=GovTextArea(),
        validators=[InputRequired("Enter a summary of the case")],
    )


class OpenCaseForm(FlaskForm):
    tool = SelectField(
        "Enforcement tool",
        noun="the enforcement tool",
        widget=GovSelect(),
        choices=[],  # the domain's tools (the view fills them in), so checked here
        validators=[InputRequired("Select the enforcement tool")],
    )
    owner_organisation_id = SelectField(
        "Organisation that holds the case",
        noun="the organisation that holds the case",
        description="Only people of this organisation can record events in the case.",
        widget=GovSelect(),
        choices=[],
        validate_choice=False,
        validators=[InputRequired("Select the organisation that owns the case")],
    )
    officer_id = SelectField(
        "Officer in charge",
        noun="the officer in charge",
        description="Statutory deadlines of the case go on this officer's task list.",
        widget=GovSelect(),
        choices=[],
        validate_choice=False,
        validators=[InputRequired("Select the officer in charge")],
    )
    summary = _summary_field("Summary")
    submit = SubmitField("Open case", widget=GovSubmitInput())


class EditCaseForm(FlaskForm):
    version = HiddenField()
    officer_id = SelectField(
        "Officer in charge",
        noun="the officer in charge",
        widget=GovSelect(),
        choices=[],
        validate_choice=False,
        validators=[InputRequired("Select the officer in charge")],
    )
    summary = _summary_field("Summary")
    submit = SubmitField("Save changes", widget=GovSubmitInput())


class EventForm(FlaskForm):
    version = HiddenField()
    kind = SelectField(
        "What happened",
        noun="what happened",
        widget=GovSelect(),
        choices=[],
        validate_choice=False,
        validators=[InputRequired("Select what happened")],
    )
    occurred_on = GovDateField(
        "Date it happened",
        description="For example, 24 12 2027",
        widget=GovDateInput(),
        format="%d %m %Y",
        validators=[InputRequired("Enter the date it happened")],
    )
    occurred_time = StringField(
        "Time it happened",
        description="London time, 24-hour clock, for example 16:30",
        widget=GovTextInput(),
        validators=[
            InputRequired("Enter the time it happened"),
            Regexp(TIME_PATTERN, message="Enter a time like 16:30"),
        ],
    )
    occurred_which = which_field("The clocks went back that night: which time do you mean?")
    confirm_earlier = BooleanField(
        "The earlier date is right",
        description="Tick only if the event really happened before the case was opened.",
        widget=GovCheckboxInput(),
    )
    served_how = RadioField(
        "How was it served? (for a notice or order served)",
        noun="how it was served",
        widget=GovRadioInput(),
        choices=ServedHow.choices(),
        validate_choice=False,
        validators=[Optional()],
    )
    scheduled_on = GovDateField(
        "Date of the hearing, or the end the notice or order sets (optional)",
        description="Needed for a hearing listed. For example, 14 1 2028",
        widget=GovDateInput(),
        format="%d %m %Y",
        validators=[Optional()],
    )
    scheduled_time = StringField(
        "Time of the hearing, or the end the notice or order sets (optional)",
        description="London time, 24-hour clock, for example 10:00",
        widget=GovTextInput(),
        validators=[Optional(), Regexp(TIME_PATTERN, message="Enter a time like 10:00")],
    )
    scheduled_which = which_field("The clocks went back that night: which time do you mean?")
    note = TextAreaField(
        "Note (optional)",
        description=NO_NAMES,
        widget=GovTextArea(),
        validators=[Optional()],
    )
    submit = SubmitField("Record event", widget=GovSubmitInput())


class CloseCaseForm(FlaskForm):
    version = HiddenField()
    reason = TextAreaField(
        "Why is the case being closed?",
        noun="the reason for closing the case",
        description="For example, the order expired and no extension was sought.",
        widget=GovTextArea(),
        validators=[InputRequired("Say why the case is being closed")],
    )
    submit = SubmitField("Close case", widget=GovSubmitInput())


class CaseListForm(FlaskForm):
    """The list's filters, sort and page, read from the query string (GET: no CSRF token)."""

    class Meta:
        csrf = False

    tool = SelectField(
        "Enforcement tool", noun="an enforcement tool", choices=[], validate_choice=False
    )
    status = SelectField("Case status", noun="a case status", choices=[], validate_choice=False)
    owner = SelectField("Organisation", noun="an organisation", choices=[], validate_choice=False)
    ward = SelectField("Ward", noun="a ward", choices=[], validate_choice=False)
    due = SelectField("Deadlines", noun="a deadline", choices=[], validate_choice=False)
    sort = SelectField("Sort by", noun="a sort order", choices=[], validate_choice=False)
