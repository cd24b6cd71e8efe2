"""Ward boundary import forms: shape checks only; the boundaries are checked by enforcement."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovDateInput,
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import BooleanField, HiddenField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from app.fields_messages import RadioField, SelectField
from app.forms import GovDateField

AS_THE_FILE_SAYS = "file"
BNG = "EPSG:27700"


class WardUploadForm(FlaskForm):
    boundary_file = FileField(
        "Boundary file",
        description="A GeoJSON file (.geojson), or a zip holding one shapefile "
        "(its .shp, .shx, .dbf and .prj files)",
        widget=GovFileInput(),
    )
    shared_file = SelectField(
        "Or choose a published file",
        noun="a published file",
        description="Public boundary files kept beside the service",
        widget=GovSelect(),
        choices=[],
        validate_choice=False,
    )
    crs = RadioField(
        "Coordinates",
        noun="the coordinate system",
        widget=GovRadioInput(),
        choices=[
            (
                AS_THE_FILE_SAYS,
                "As the file says: a shapefile's .prj decides; a GeoJSON is longitude and "
                "latitude (WGS84) unless it names another system",
            ),
            (BNG, "British National Grid eastings and northings (EPSG:27700)"),
        ],
        default=AS_THE_FILE_SAYS,
        validators=[InputRequired("Choose the coordinate system")],
    )
    district = StringField(
        "Keep only the wards of one borough (optional)",
        description="For a file covering several boroughs: the borough's code, like "
        "E09000013 for Hammersmith and Fulham",
        widget=GovTextInput(),
        validators=[
            Optional(),
            Regexp(
                r"^[EWSN]\d{8}$", message="A borough code is a letter and 8 digits, like E09000013"
            ),
        ],
    )
    repair = BooleanField(
        "Repair invalid shapes where the repair is safe (changes the area by less than 1%)",
        widget=GovCheckboxInput(),
    )
    valid_from = GovDateField(
        "Date the boundaries came into force",
        description="For example, 5 5 2022. The current boundaries end the day before.",
        widget=GovDateInput(),
        format="%d %m %Y",
        validators=[InputRequired("Enter the date the boundaries came into force")],
    )
    submit = SubmitField("Check the boundaries", widget=GovSubmitInput())


class WardConfirmForm(FlaskForm):
    token = HiddenField(
        validators=[InputRequired(), Length(max=64, message="Upload the file again")]
    )
    valid_from = GovDateField(
        "Date the boundaries came into force",
        description="For example, 5 5 2022. The current boundaries end the day before.",
        widget=GovDateInput(),
        format="%d %m %Y",
        validators=[InputRequired("Enter the date the boundaries came into force")],
    )
    submit = SubmitField("Replace the ward boundaries", widget=GovSubmitInput())
