"""Read a location typed as latitude and longitude, or as a British National Grid easting and northing."""

from __future__ import annotations

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
