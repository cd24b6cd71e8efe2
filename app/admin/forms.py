"""User administration forms: shape checks only."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovDateInput,
    GovFileInput,
    GovPasswordInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length

from app.fields_messages import SelectField, SelectMultipleField, max_length
from app.forms import GovDateField, db_id
from app.welfare.forms import CountField
from enforcement.cases.vocab import Counting
from enforcement.vocab import OrganisationKind, Role


class UserForm(FlaskForm):
    version = HiddenField()
    display_name = StringField(
        "Full name",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the user's name")],
    )
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        validators=[
            InputRequired("Enter an email address"),
            max_length("email address", 254),
        ],
    )
    organisation_id = SelectField(
        "Organisation",
        noun="the organisation",
        widget=GovSelect(),
        coerce=db_id,
        choices=[],
        validators=[InputRequired("Select an organisation")],
    )
    roles = SelectMultipleField(
        "Roles",
        noun="roles",
        description="Select all that apply. Roles combine.",
        widget=GovCheckboxesInput(),
        choices=Role.choices(),
        validators=[InputRequired("Select at least one role")],
    )
    ward_codes = SelectMultipleField(
        "Wards covered",
        noun="wards",
        description="Ward officers log welfare visits in the wards they cover.",
        widget=GovCheckboxesInput(),
        choices=[],
        validate_choice=False,
    )
    supervisor_id = SelectField(
        "Supervisor",
        noun="the supervisor",
        description=(
            "Statutory reminders this person does not acknowledge within a day, or lets go"
            " overdue, are escalated to their supervisor. With none chosen, they go to the"
            " organisation's longest-standing supervisor."
        ),
        widget=GovSelect(),
        choices=[],
        # Checked by the domain (an active supervisor, not the person themself); a form that
        # leaves it out keeps no supervisor.
        validate_choice=False,
    )
    password = PasswordField(
        "Temporary password",
        description="At least 12 characters. They must change it when they first sign in.",
        widget=GovPasswordInput(),
    )
    submit = SubmitField("Save user", widget=GovSubmitInput())


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        "New temporary password",
        description="At least 12 characters. They must change it when they next sign in.",
        widget=GovPasswordInput(),
        validators=[InputRequired("Enter a temporary password")],
    )
    submit = SubmitField("Reset password", widget=GovSubmitInput())


class StaffImportForm(FlaskForm):
    upload = FileField(
        "Staff list",
        description="A CSV file with the columns Email, Name, Organisation, Roles and Wards",
        widget=GovFileInput(),
    )
    check_only = BooleanField(
        "Check the list only",
        description="Say what it would do; make no accounts",
        widget=GovCheckboxInput(),
    )
    submit = SubmitField("Upload the list", widget=GovSubmitInput())


class OrganisationForm(FlaskForm):
    name = StringField(
        "Name of organisation",
        widget=GovTextInput(),
        validators=[
            InputRequired("Enter the organisation's name"),
            max_length("name", 200),
        ],
    )
    kind = SelectField(
        "Kind of organisation",
        noun="the kind of organisation",
        widget=GovSelect(),
        choices=[("", "Select a kind"), *OrganisationKind.choices()],
        validators=[InputRequired("Select the kind of organisation")],
    )
    submit = SubmitField("Add organisation", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    """An empty form: a button that carries the CSRF token."""


class LanguageForm(FlaskForm):
    name = StringField(
        "Name of the language",
        description="For example, Tigrinya",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the name of the language")],
    )
    submit = SubmitField("Add language", widget=GovSubmitInput())


class RuleOverrideForm(FlaskForm):
    """A local rule: shape checks only; the rule's own bounds are the domain's."""

    rule_id = SelectField(
        "Rule",
        noun="the rule",
        widget=GovSelect(),
        choices=[],
        validate_choice=False,
        validators=[InputRequired("Select a rule from the list")],
    )
    amount = CountField(
        "Amount",
        description="A whole number, in the unit below.",
        widget=GovTextInput(),
    )
    counting = SelectField(
        "How the period is counted",
        noun="how the period is counted",
        description="Rules read by a workflow (follow-ups and flag reviews) keep their counting.",
        widget=GovSelect(),
        choices=Counting.choices(),
        validate_choice=False,
        validators=[InputRequired("Select how the period is counted")],
    )
    effective_from = GovDateField(
        "Date it takes effect",
        description="Today or later, for example 1 4 2027. Open cases follow it from that day.",
        widget=GovDateInput(),
        format="%d %m %Y",
    )
    reason = TextAreaField(
        "Why the rule changes",
        description="The decision or change in the law, with its reference.",
        widget=GovTextArea(),
        validators=[Length(max=1000, message="Reason must be 1000 characters or fewer")],
    )
    submit = SubmitField("Add local rule", widget=GovSubmitInput())
