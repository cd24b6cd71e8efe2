"""The support directory's form: shape checks only (docs/support-directory.md)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
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
from wtforms.validators import InputRequired

from app.fields_messages import RadioField, SelectMultipleField
from enforcement.register.support_vocab import ServiceKind


class SupportServiceForm(FlaskForm):
    version = HiddenField()
    name = StringField(
        "Name of the service",
        description="For example, Modern Slavery & Exploitation Helpline",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the name of the service")],
    )
    kind = RadioField(
        "Kind of service",
        noun="the kind of service",
        widget=GovRadioInput(),
        choices=ServiceKind.choices(),
        validators=[InputRequired("Select the kind of service")],
    )
    description = TextAreaField(
        "What the service offers",
        description="In plain words, for officers and for the people they signpost",
        widget=GovTextArea(),
        validators=[InputRequired("Enter what the service offers")],
    )
    how_to_reach = TextAreaField(
        "How to reach the service",
        description="Its public phone number, website or referral route",
        widget=GovTextArea(),
        validators=[InputRequired("Enter how to reach the service")],
    )
    hours = StringField(
        "Hours",
        description="For example, 24 hours, every day",
        widget=GovTextInput(),
        validators=[InputRequired("Enter when the service is open")],
    )
    any_language = BooleanField(
        "Offers interpreting in any language",
        widget=GovCheckboxInput(),
    )
    languages = SelectMultipleField(
        "Languages offered",
        noun="languages",
        description="Languages the service's staff speak or it always provides",
        widget=GovCheckboxesInput(),
        choices=[],
        validate_choice=False,
    )
    submit = SubmitField("Save service", widget=GovSubmitInput())
