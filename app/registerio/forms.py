"""Register import forms: shape checks only; the file is checked by enforcement.registerio."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovFileInput,
    GovRadioInput,
    GovSubmitInput,
)
from wtforms import BooleanField, SubmitField
from wtforms.validators import InputRequired

from app.fields_messages import RadioField
from enforcement.registerio.sources import FORMAT_LABELS


class UploadForm(FlaskForm):
    format = RadioField(
        "What kind of file is it?",
        noun="the kind of file",
        widget=GovRadioInput(),
        choices=list(FORMAT_LABELS.items()),
        validators=[InputRequired("Select the kind of file")],
    )
    upload = FileField(
        "File",
        description="A CSV or XML file as published; nothing is changed until you confirm",
        widget=GovFileInput(),
    )
    skip_outside = BooleanField(
        "Leave out premises located outside the borough's wards",
        description="Otherwise they are kept and shown as outside the borough",
        widget=GovCheckboxInput(),
    )
    submit = SubmitField("Upload and preview", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    take_conflicts = BooleanField(
        "For records changed here since the last import, take the file's version",
        description="Otherwise those records are left as they are here",
        widget=GovCheckboxInput(),
    )
    # The warning above it says what happens otherwise (app/templates/registerio/run.html).
    leave_out_refused = BooleanField(
        "Leave out the refused rows and import the rest", widget=GovCheckboxInput()
    )
    submit = SubmitField("Confirm the import", widget=GovSubmitInput())


class DiscardForm(FlaskForm):
    submit = SubmitField("Discard this file", widget=GovSubmitInput())
