"""Premises and licence forms: shape checks only; the rules live in enforcement."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovDateInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    HiddenField,
    IntegerField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.fields_messages import SelectField, SelectMultipleField, max_length
from app.forms import GovDateField
from app.location import location_fields
from enforcement.register import premises
from enforcement.register.licences import ENTERTAINMENT_KINDS
from enforcement.vocab import LicenceRegime, LicenceStatus, PremisesType


def _within(key: str, what: str) -> Length:
    """The register's own limit for a premises field, said with the field's name."""
    return max_length(what, premises.LIMITS[key])


class PremisesForm(FlaskForm):
    version = HiddenField()
    name = StringField(
        "Name of premises",
        widget=GovTextInput(),
        validators=[
            InputRequired("Enter the name of the premises"),
            _within("name", "Name"),
        ],
    )
    trading_name = StringField(
        "Trading name (optional)",
        description="If it trades under another name",
        widget=GovTextInput(),
        validators=[
            Optional(),
            _within("trading_name", "Trading name"),
        ],
    )
    premises_type = SelectField(
        "Type of premises",
        noun="the type of premises",
        widget=GovSelect(),
        choices=[("", "Select a type"), *PremisesType.choices()],
        validators=[InputRequired("Select the type of premises")],
    )
    address_line1 = StringField(
        "Address line 1",
        widget=GovTextInput(),
        validators=[
            InputRequired("Enter the first line of the address"),
            _within("address_line1", "Address line 1"),
        ],
    )
    address_line2 = StringField(
        "Address line 2 (optional)",
        widget=GovTextInput(),
        validators=[
            Optional(),
            _within("address_line2", "Address line 2"),
        ],
    )
    town = StringField(
        "Town or city (optional)",
        widget=GovTextInput(),
        validators=[Optional(), _within("town", "Town")],
    )
    postcode = StringField(
        "Postcode (optional)",
        widget=GovTextInput(),
        validators=[Optional()],
    )
    uprn = StringField(
        "UPRN (optional)",
        description="Unique Property Reference Number, up to 12 digits",
        widget=GovTextInput(),
        # A shape check, said with the others when the form is sent (the register checks digits).
        validators=[Optional(), Length(max=12, message="A UPRN is a number of up to 12 digits")],
    )
    latitude, longitude, easting, northing = location_fields(optional=True, ward_note=True)
    language_codes = SelectMultipleField(
        "Languages spoken by the people who work or are served here",
        noun="languages",
        description="The anti-trafficking poster must be displayed in each of these. Select all that apply.",
        widget=GovCheckboxesInput(),
        choices=[],
        validate_choice=False,
    )
    submit = SubmitField("Save premises", widget=GovSubmitInput())


def _text(label: str, hint: str | None = None) -> StringField:
    return StringField(
        label, description=hint or "", widget=GovTextInput(), validators=[Optional()]
    )


YES_NO = [("", "Not recorded"), ("yes", "Yes"), ("no", "No")]


def _yes_no(label: str, noun: str) -> SelectField:
    return SelectField(
        f"{label} (optional)",
        noun=noun,
        widget=GovSelect(),
        choices=YES_NO,
        validators=[Optional()],
    )


class LicenceForm(FlaskForm):
    version = HiddenField()
    regime = SelectField(
        "Type of licence",
        noun="the type of licence",
        widget=GovSelect(),
        choices=[("", "Select a type"), *LicenceRegime.choices()],
        validators=[InputRequired("Select the type of licence")],
    )
    reference = StringField(
        "Licence reference",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the licence reference")],
    )
    holder_name = StringField(
        "Licence holder",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the name of the licence holder")],
    )
    status = SelectField(
        "Status",
        noun="the licence status",
        widget=GovSelect(),
        choices=[("", "Select a status"), *LicenceStatus.choices()],
        validators=[InputRequired("Select the licence status")],
    )
    granted_on = GovDateField(
        "Date granted (optional)",
        description="For example, 27 3 2025",
        widget=GovDateInput(),
        format="%d %m %Y",
        validators=[Optional()],
    )
    starts_on = GovDateField(
        "Start date (optional)",
        description="For example, 1 4 2025",
        widget=GovDateInput(),
        format="%d %m %Y",
        validators=[Optional()],
    )
    expires_on = GovDateField(
        "Expiry date (optional)",
        description="Leave blank if the licence does not expire",
        widget=GovDateInput(),
        format="%d %m %Y",
        validators=[Optional()],
    )
    opening_hours = StringField(
        "Permitted hours (optional)",
        widget=GovTextInput(),
        validators=[
            Optional(),
            max_length("permitted hours", 400),
        ],
    )
    notes = TextAreaField(
        "Notes (optional)",
        widget=GovTextArea(),
        validators=[Optional()],
    )
    conditions = TextAreaField(
        "Conditions (optional)",
        description="One condition per line. You can add more later.",
        widget=GovTextArea(),
        validators=[Optional(), Length(max=100000, message="Conditions are too long")],
    )
    # The rest of the esd premises licence schema (docs/register.md).
    service_type = _text(
        "Service (optional)", "For example, Premises licence or Club premises certificate"
    )
    status_label = _text(
        "Status as published (optional)", "For example, Current or Subject to review"
    )
    case_date = GovDateField(
        "Case date (optional)",
        description="The date of the application or case, for example, 27 3 2025",
        widget=GovDateInput(),
        format="%d %m %Y",
        validators=[Optional()],
    )
    decision_date = GovDateField(
        "Decision date (optional)",
        widget=GovDateInput(),
        format="%d %m %Y",
        validators=[Optional()],
    )
    decided_by = _text("Decided by (optional)", "For example, Licensing Sub-Committee or Officer")
    applicant_type = _text("Type of applicant (optional)", "For example, Company or Individual")
    holder_address = _text("Licence holder's address (optional)")
    holder_postcode = _text("Licence holder's postcode (optional)")
    dps_name = _text("Designated premises supervisor (optional)")
    dps_licence_no = _text("Supervisor's personal licence number (optional)")
    dps_address = _text("Supervisor's address (optional)")
    dps_postcode = _text("Supervisor's postcode (optional)")
    alcohol_supply = _yes_no("Supply of alcohol", "whether alcohol is supplied")
    alcohol_on_sales = _yes_no(
        "Sale of alcohol for consumption on the premises",
        "whether alcohol is sold for consumption on the premises",
    )
    alcohol_off_sales = _yes_no(
        "Sale of alcohol for consumption off the premises",
        "whether alcohol is sold for consumption off the premises",
    )
    late_night_refreshment = _yes_no(
        "Late-night refreshment", "whether late-night refreshment is provided"
    )
    regulated_entertainment = SelectMultipleField(
        "Regulated entertainment (optional)",
        noun="regulated entertainment",
        widget=GovCheckboxesInput(),
        choices=[(kind, kind) for kind in ENTERTAINMENT_KINDS],
        validators=[Optional()],
    )
    activity_hours = TextAreaField(
        "Hours of each licensable activity (optional)",
        description="One activity per line, for example, Sale of alcohol: Monday to Saturday 10:00 to 23:00",
        widget=GovTextArea(),
        validators=[Optional(), Length(max=4000, message="Must be 4,000 characters or fewer")],
    )
    uprn = _text("UPRN of the licensed premises (optional)")
    licence_url = _text("Web address of the licence (optional)")
    geo_point_url = _text("Web address of the premises' location (optional)")
    submit = SubmitField("Save licence", widget=GovSubmitInput())


class ConditionForm(FlaskForm):
    text = TextAreaField(
        "Wording of the new condition",
        widget=GovTextArea(),
        validators=[InputRequired("Enter the wording of the condition")],
    )
    submit = SubmitField("Add condition", widget=GovSubmitInput())


class RegisterFilters(FlaskForm):
    """The register's search and filters, read from the query string (GET: no CSRF token): the
    premises list and the map filter the same way."""

    class Meta:
        csrf = False

    q = StringField(
        "Search",
        validators=[Optional()],
    )
    ward = SelectField("Ward", noun="a ward", choices=[], validate_choice=False)
    premises_type = SelectField(
        "Type of premises", noun="a type of premises", choices=[], validate_choice=False
    )
    regime = SelectField(
        "Type of licence", noun="a type of licence", choices=[], validate_choice=False
    )
    licence_status = SelectField(
        "Licence status", noun="a licence status", choices=[], validate_choice=False
    )


class ListQueryForm(RegisterFilters):
    """The list's search, filters, order and page."""

    sort = SelectField("Sort by", noun="a sort order", choices=[], validate_choice=False)
    page = IntegerField(
        "Page",
        validators=[
            Optional(),
            NumberRange(min=1, max=100000, message="The page must be a number from 1 to 100,000"),
        ],
    )
