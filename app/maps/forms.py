"""The map's filters, the nearby search and the period of a ward profile: shape checks only."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovDateInput,
    GovSelect,
)
from wtforms import BooleanField, HiddenField
from wtforms.validators import Optional

from app.fields_messages import SelectField
from app.forms import GovDateField
from app.location import location_fields
from app.premises.forms import RegisterFilters


class MapFilterForm(RegisterFilters):
    """The list's filters and what the points are coloured by, read from the query string."""

    colour = SelectField(
        "Colour the points by", noun="what to colour by", choices=[], validate_choice=False
    )


class NearbyForm(FlaskForm):
    """Where to search from (a premises, or a location in either coordinate system) and how far."""

    class Meta:
        csrf = False

    premises = HiddenField()
    flag = HiddenField()
    distance = SelectField(
        "Distance", noun="a distance", widget=GovSelect(), choices=[], validate_choice=False
    )
    latitude, longitude, easting, northing = location_fields(optional=False)
    same_holder = BooleanField(
        "Only premises sharing a licence holder with this premises", widget=GovCheckboxInput()
    )


class PeriodForm(FlaskForm):
    """A period of London calendar days (both ends included), read from the query string."""

    class Meta:
        csrf = False

    start = GovDateField(
        "From",
        description="For example, 1 4 2025",
        widget=GovDateInput(),
        format="%d %m %Y",
        validators=[Optional()],
    )
    end = GovDateField(
        "To",
        description="For example, 31 3 2026",
        widget=GovDateInput(),
        format="%d %m %Y",
        validators=[Optional()],
    )


class HotspotForm(PeriodForm):
    kind = SelectField(
        "Count", noun="what to count", widget=GovSelect(), choices=[], validate_choice=False
    )
    ward = SelectField("Ward", noun="a ward", widget=GovSelect(), choices=[], validate_choice=False)
    premises_type = SelectField(
        "Type of premises",
        noun="a type of premises",
        widget=GovSelect(),
        choices=[],
        validate_choice=False,
    )
