"""Task forms: shape checks only; the rules (no snoozing a statutory deadline) are the domain's."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovDateInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
)
from wtforms import SubmitField
from wtforms.validators import InputRequired

from app.fields_messages import RadioField, TextAreaField
from app.forms import GovDateField
from enforcement.reminders.notify import DIGEST_PREFERENCES


class ActionForm(FlaskForm):
    """A button that changes a task (acknowledge, done): only the CSRF token travels."""


class SnoozeForm(FlaskForm):
    until = GovDateField(
        "Snooze until",
        description="For example, 27 3 2026. The task comes back, and its email is sent, at 8am that day.",
        format="%d %m %Y",
        widget=GovDateInput(),
        validators=[InputRequired("Enter the date to snooze the task until")],
    )
    reason = TextAreaField(
        "Why are you snoozing it?",
        noun="the reason for snoozing it",
        description="Your supervisor can see this. Do not include names or other personal details.",
        widget=GovTextArea(),
        validators=[InputRequired("Enter why you are snoozing this task")],
    )
    submit = SubmitField("Snooze task", widget=GovSubmitInput())


class PreferencesForm(FlaskForm):
    preference = RadioField(
        "How do you want to receive reminder emails?",
        noun="how you want to receive reminders",
        widget=GovRadioInput(),
        choices=list(DIGEST_PREFERENCES.items()),
        validators=[InputRequired("Select how you want to receive reminders")],
    )
    submit = SubmitField("Save", widget=GovSubmitInput())
