"""Dashboard, data share and partner submission forms: shape checks only; rules live in enforcement."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovFileInput,
    GovSelect,
    GovSubmitInput,
)
from wtforms import BooleanField, HiddenField, SubmitField
from wtforms.validators import InputRequired

from app.fields_messages import SelectField


class DashboardForm(FlaskForm):
    """The quarter and ward shown, read from the query string (GET: no CSRF token)."""

    class Meta:
        csrf = False

    quarter = SelectField("Quarter", noun="a quarter", choices=[], validate_choice=False)
    ward = SelectField("Ward", noun="a ward", choices=[], validate_choice=False)
    view = SelectField("Figures", noun="the figures to show", choices=[], validate_choice=False)


class ProduceShareForm(FlaskForm):
    quarter = SelectField(
        "Quarter",
        noun="the quarter to share",
        description="A quarter can be shared once it has ended.",
        choices=[],  # the quarters that have ended (the view fills them in), so checked here
        widget=GovSelect(),
        validators=[InputRequired(message="Select the quarter to share")],
    )
    submit = SubmitField("Produce the data share", widget=GovSubmitInput())


class SignOffForm(FlaskForm):
    version = HiddenField()
    checked = BooleanField(
        "I have checked the preview: every figure may be shared with partners",
        widget=GovCheckboxInput(),
        validators=[
            InputRequired(message="Confirm that you have checked the preview before signing off")
        ],
    )
    submit = SubmitField("Sign off for partners", widget=GovSubmitInput())


class ImportForm(FlaskForm):
    organisation_id = SelectField(
        "Organisation",
        noun="the organisation",
        description="Whose figures these are.",
        choices=[],
        validate_choice=False,
        widget=GovSelect(),
        validators=[InputRequired(message="Select the organisation whose figures these are")],
    )
    quarter = SelectField(
        "Quarter",
        noun="the quarter",
        choices=[],
        validate_choice=False,
        widget=GovSelect(),
        validators=[InputRequired(message="Select the quarter the figures are for")],
    )
    file = FileField(
        "CSV file of figures",
        description="Saved as CSV UTF-8, in the format described below.",
        widget=GovFileInput(),
    )
    submit = SubmitField("Import the figures", widget=GovSubmitInput())
