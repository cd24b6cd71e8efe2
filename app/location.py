"""Locations on forms: the four fields, and reading a point typed as degrees or as British National Grid metres."""

from __future__ import annotations

from typing import Any

from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import FloatField
from wtforms.validators import Optional

from app.fields_messages import subject
from geo.crs import from_bng

# Generous bounds on British National Grid metres: a number outside them is a typing slip.
MAX_EASTING, MAX_NORTHING = 700_000, 1_300_000


class LocationProblem(ValueError):
    """What is wrong with a typed location, and the field to show it on."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def read_location(
    latitude: float | None,
    longitude: float | None,
    easting: float | None,
    northing: float | None,
) -> tuple[float, float] | None:
    """Return the WGS84 (longitude, latitude) typed in either system, or None if none was typed.

    Easting and northing are converted from British National Grid with pyproj. Raises
    LocationProblem when both systems are used, a pair is half filled, or a grid reference is
    out of range. Latitude and longitude ranges are the domain's to check.
    """
    degrees = latitude is not None or longitude is not None
    metres = easting is not None or northing is not None
    if degrees and metres:
        raise LocationProblem(
            "easting", "Enter a latitude and longitude, or an easting and northing, not both"
        )
    if metres:
        if easting is None or northing is None:
            missing = "easting" if easting is None else "northing"
            raise LocationProblem(missing, "Enter both easting and northing, or neither")
        if not (0 <= easting <= MAX_EASTING and 0 <= northing <= MAX_NORTHING):
            raise LocationProblem(
                "easting",
                "Easting and northing are British National Grid metres, like 523000 and 178500",
            )
        lon, lat = from_bng(easting, northing)
        return round(lon, 7), round(lat, 7)
    if degrees:
        if latitude is None or longitude is None:
            missing = "latitude" if latitude is None else "longitude"
            raise LocationProblem(missing, "Enter both latitude and longitude, or neither")
        return longitude, latitude
    return None


class LenientFloatField(FloatField):
    """A number field whose error message says what to type."""

    def __init__(self, *args: object, example: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.example = example

    def process_formdata(self, valuelist: list[str]) -> None:
        if valuelist and valuelist[0].strip():
            try:
                self.data = float(valuelist[0].strip())
            except ValueError:
                self.data = None
                raise ValueError(f"{subject(self)} must be a number, like {self.example}") from None
        else:
            self.data = None


def location_fields(*, optional: bool, ward_note: bool = False) -> tuple[Any, Any, Any, Any]:
    """Return latitude, longitude, easting and northing fields, for a form's class body.

    A location is given in WGS84 degrees or in British National Grid metres; the form's view
    turns whichever was typed into one point. Made where the form lists them, so they keep
    their place in the form's order (and in its error summary).
    """
    suffix = " (optional)" if optional else ""
    ward = " The ward is worked out from the location." if ward_note else ""
    return (
        LenientFloatField(
            f"Latitude{suffix}",
            example="51.4927",
            description="Decimal degrees (WGS84), like 51.4927",
            widget=GovTextInput(),
            validators=[Optional()],
        ),
        LenientFloatField(
            f"Longitude{suffix}",
            example="-0.2246",
            description=f"Decimal degrees (WGS84), like -0.2246.{ward}",
            widget=GovTextInput(),
            validators=[Optional()],
        ),
        LenientFloatField(
            f"Easting{suffix}",
            example="523000",
            description="British National Grid metres, like 523000: instead of latitude and longitude",
            widget=GovTextInput(),
            validators=[Optional()],
        ),
        LenientFloatField(
            f"Northing{suffix}",
            example="178500",
            description="British National Grid metres, like 178500",
            widget=GovTextInput(),
            validators=[Optional()],
        ),
    )
