"""Convert between WGS84 lon/lat (EPSG:4326) and British National Grid metres (EPSG:27700)."""

from __future__ import annotations

from functools import cache

import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

WGS84 = "EPSG:4326"
BNG = "EPSG:27700"


@cache
def _transformer(source: str, target: str) -> Transformer:
    # Built on first use, not at import, so importing geo stays cheap. always_xy keeps lon/lat
    # (and easting/northing) order whatever the CRS axis definition says. Ballpark fallbacks
    # are refused: a silent 100 m datum error is worse than an infinite coordinate.
    # pyproj transformers are thread-safe since 3.1, so one cached instance serves all threads.
    return Transformer.from_crs(source, target, always_xy=True, allow_ballpark=False)


def to_bng(lon: float, lat: float) -> tuple[float, float]:
    """Return the (easting, northing) in metres of a WGS84 lon/lat position."""
    easting, northing = _transformer(WGS84, BNG).transform(lon, lat)
    return float(easting), float(northing)


def from_bng(easting: float, northing: float) -> tuple[float, float]:
    """Return the WGS84 (lon, lat) of a British National Grid position in metres."""
    lon, lat = _transformer(BNG, WGS84).transform(easting, northing)
    return float(lon), float(lat)


def _reproject(geom: BaseGeometry, source: str, target: str) -> BaseGeometry:
    # shapely.ops.transform is deprecated in Shapely 2.1+ (and warnings are errors in our tests);
    # shapely.transform hands pyproj whole coordinate arrays, which is also much faster.
    result: BaseGeometry = shapely.transform(
        geom, _transformer(source, target).transform, interleaved=False
    )
    return result


def geometry_to_bng(geom: BaseGeometry) -> BaseGeometry:
    """Return a copy of a WGS84 lon/lat geometry in British National Grid metres (2D)."""
    return _reproject(geom, WGS84, BNG)


def geometry_from_bng(geom: BaseGeometry) -> BaseGeometry:
    """Return a copy of a British National Grid geometry in WGS84 lon/lat (2D)."""
    return _reproject(geom, BNG, WGS84)
