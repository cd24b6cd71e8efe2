"""Distances in metres on the British National Grid: search boxes and nearest-first searches."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from geo.crs import BNG, WGS84, _transformer

#: The distances a person may choose for a nearby search, in metres.
MIN_RADIUS_M = 50.0
MAX_RADIUS_M = 2_000.0
# A lon/lat box is widened by this much on every side: BNG grid lines are not lon/lat lines,
# and a metre of slack costs nothing while a point lost at the edge would be a wrong answer.
_BOX_SLACK_M = 5.0

FloatArray = npt.NDArray[np.float64]


def check_radius(radius_m: float) -> float:
    """Return the radius as a float; raise ValueError outside 50 to 2,000 metres (or NaN)."""
    value = float(radius_m)
    if not MIN_RADIUS_M <= value <= MAX_RADIUS_M:
        raise ValueError(
            f"the distance must be between {MIN_RADIUS_M:,.0f} and {MAX_RADIUS_M:,.0f} metres"
        )
    return value


def to_bng_arrays(lons: Any, lats: Any) -> tuple[FloatArray, FloatArray]:
    """Return (eastings, northings) in metres for arrays of WGS84 longitudes and latitudes."""
    lon = np.asarray(lons, dtype=np.float64)
    lat = np.asarray(lats, dtype=np.float64)
    if lon.shape != lat.shape:
        raise ValueError(f"{lon.size} longitudes but {lat.size} latitudes")
    if lon.size == 0:
        return np.empty(0), np.empty(0)
    eastings, northings = _transformer(WGS84, BNG).transform(lon, lat)
    return np.asarray(eastings, dtype=np.float64), np.asarray(northings, dtype=np.float64)


def from_bng_arrays(eastings: Any, northings: Any) -> tuple[FloatArray, FloatArray]:
    """Return (longitudes, latitudes) for arrays of British National Grid metres."""
    east = np.asarray(eastings, dtype=np.float64)
    north = np.asarray(northings, dtype=np.float64)
    if east.size == 0:
        return np.empty(0), np.empty(0)
    lons, lats = _transformer(BNG, WGS84).transform(east, north)
    return np.asarray(lons, dtype=np.float64), np.asarray(lats, dtype=np.float64)


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Return the distance in metres between two WGS84 (lon, lat) points, measured on BNG."""
    east, north = to_bng_arrays([a[0], b[0]], [a[1], b[1]])
    return float(np.hypot(east[1] - east[0], north[1] - north[0]))


def search_box(lon: float, lat: float, radius_m: float) -> tuple[float, float, float, float]:
    """Return a (min lon, min lat, max lon, max lat) box holding every point within `radius_m`.

    The box is a prefilter (a database can answer it from an index); the exact distance is then
    measured on BNG. It is built from points around the square of side 2r on the grid, so it
    still encloses the circle where the grid is rotated against the meridians.
    """
    east, north = to_bng_arrays([lon], [lat])
    half = float(radius_m) + _BOX_SLACK_M
    steps = np.linspace(-half, half, 9)
    ring_e = np.concatenate([steps, np.full(9, half), steps, np.full(9, -half)]) + east[0]
    ring_n = np.concatenate([np.full(9, -half), steps, np.full(9, half), steps]) + north[0]
    lons, lats = from_bng_arrays(ring_e, ring_n)
    return float(lons.min()), float(lats.min()), float(lons.max()), float(lats.max())


#: How far (as a fraction of the distance) `LocalMetric` may be from the distance on the grid,
#: within MAX_RADIUS_M of its origin anywhere in Great Britain. The true error is below 0.01%
#: (tests measure it); the margin is generous because a point wrongly left out is a wrong answer.
LOCAL_METRIC_TOLERANCE = 0.002


@dataclass(frozen=True)
class LocalMetric:
    """Squared BNG distance from an origin, approximated from offsets in degrees.

    Near the origin the map from (lon, lat) to (easting, northing) is close to linear, so the
    squared distance is a quadratic form in the offsets: a*dlon^2 + 2*b*dlon*dlat + c*dlat^2.
    A database can evaluate that, so it can count and order candidates itself; the exact
    distance is then measured on the grid for those near the edge of the circle and those
    listed. It is never the distance reported.
    """

    lon: float
    lat: float
    a: float
    b: float
    c: float

    def squared(self, lon: Any, lat: Any) -> Any:
        """Return the approximate squared distance in square metres (scalars or arrays)."""
        dx = np.asarray(lon, dtype=np.float64) - self.lon
        dy = np.asarray(lat, dtype=np.float64) - self.lat
        return self.a * dx * dx + 2 * self.b * dx * dy + self.c * dy * dy

    def bounds(self, radius_m: float) -> tuple[float, float]:
        """Return the squared distances (inner, outer) between which a point may be on either side."""
        return (
            (radius_m * (1 - LOCAL_METRIC_TOLERANCE)) ** 2,
            (radius_m * (1 + LOCAL_METRIC_TOLERANCE)) ** 2,
        )


def inner_box(metric: LocalMetric, radius_m: float) -> tuple[float, float, float, float]:
    """Return a (min lon, min lat, max lon, max lat) box wholly within `radius_m` of the origin.

    Every point of the box has an estimated distance of at most radius*(1 - tolerance), so it
    is within the radius for certain: a database may count such points without measuring them.
    The estimate is largest at a corner of the box, a*u^2 + 2|b|uv + c*v^2 for half-sides u
    and v; with u = k/sqrt(a) and v = k/sqrt(c) that is k^2 * (2 + 2|b|/sqrt(ac)).
    """
    reach = radius_m * (1 - LOCAL_METRIC_TOLERANCE)
    k = reach / np.sqrt(2 + 2 * abs(metric.b) / np.sqrt(metric.a * metric.c))
    half_lon, half_lat = float(k / np.sqrt(metric.a)), float(k / np.sqrt(metric.c))
    return (
        metric.lon - half_lon,
        metric.lat - half_lat,
        metric.lon + half_lon,
        metric.lat + half_lat,
    )


@dataclass(frozen=True)
class Strip:
    """A band of latitude across the circle, with two longitude ranges for it.

    `outer` holds every point of the band whose estimated squared distance is at most `outer`
    (of LocalMetric.bounds); every point in `inner` has one of at most `inner`, so is within the
    radius for certain. `inner` is None where no such range spans the band (its top and bottom).
    A database counts the points of `inner` with two comparisons each and works the estimate
    out only for the rest of `outer`, a thin sliver at each end.
    """

    lat_from: float
    lat_to: float
    outer: tuple[float, float]
    inner: tuple[float, float] | None


#: A margin, in degrees (about a millimetre), taken off every inner range and added to every
#: outer one, against rounding in the arithmetic below.
_STRIP_MARGIN = 1e-8


def strips(metric: LocalMetric, radius_m: float, n: int) -> list[Strip]:
    """Cut the circle of `radius_m` around the metric's origin into `n` bands of latitude.

    The estimate's level sets are ellipses a*x^2 + 2b*x*y + c*y^2 = K in the offsets (x, y)
    in degrees. The chord at offset y runs from (-b*y - s)/a to (-b*y + s)/a, s the root of
    a*K - (ac - b^2)*y^2. The bands cover the outer ellipse's whole height, and together with
    their `outer` ranges every point with an estimate up to the outer bound. As the left end of
    the chord is a convex function of y and the right end a concave one, the range common to a
    whole band is set by its two edges (inner), and the range any of it reaches by its edges and
    the ellipse's leftmost and rightmost points where those fall inside the band (outer).
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    inner_k, outer_k = metric.bounds(radius_m)
    a, b, c = metric.a, metric.b, metric.c
    det = a * c - b * b

    def half_height(k: float) -> float:
        return float(np.sqrt(a * k / det))

    def chord(y: float, k: float) -> tuple[float, float] | None:
        root = a * k - det * y * y
        if root < 0:
            return None
        s = float(np.sqrt(root))
        return (-b * y - s) / a, (-b * y + s) / a

    reach = float(np.sqrt(outer_k * c / det))  # half-width of the outer ellipse
    extremes = ((-reach, b * reach / c), (reach, -b * reach / c))  # (x, y) leftmost, rightmost
    top = half_height(outer_k)
    edges = np.linspace(-top, top, n + 1)
    out: list[Strip] = []
    for y0, y1 in zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True):
        ends = [chord(max(-top, min(top, y)), outer_k) for y in (y0, y1)]
        xs = [x for end in ends if end is not None for x in end]
        xs += [x for x, y in extremes if y0 <= y <= y1]
        low, high = min(xs), max(xs)
        inner_ends = [chord(y, inner_k) for y in (y0, y1)]
        inner: tuple[float, float] | None = None
        if inner_ends[0] is not None and inner_ends[1] is not None:
            lo = max(inner_ends[0][0], inner_ends[1][0]) + _STRIP_MARGIN
            hi = min(inner_ends[0][1], inner_ends[1][1]) - _STRIP_MARGIN
            if lo < hi:
                inner = (metric.lon + lo, metric.lon + hi)
        out.append(
            Strip(
                lat_from=metric.lat + y0,
                lat_to=metric.lat + y1,
                outer=(metric.lon + low - _STRIP_MARGIN, metric.lon + high + _STRIP_MARGIN),
                inner=inner,
            )
        )
    return out


def local_metric(lon: float, lat: float) -> LocalMetric:
    """Return the local quadratic approximation of squared grid distance around (lon, lat)."""
    step = 1e-3  # degrees: about 70 m by 110 m, small enough to be linear, large for float noise
    east, north = to_bng_arrays(
        [lon - step, lon + step, lon, lon], [lat, lat, lat - step, lat + step]
    )
    # Columns of the Jacobian: metres per degree of longitude and of latitude.
    ex, nx = (east[1] - east[0]) / (2 * step), (north[1] - north[0]) / (2 * step)
    ey, ny = (east[3] - east[2]) / (2 * step), (north[3] - north[2]) / (2 * step)
    return LocalMetric(
        lon=float(lon),
        lat=float(lat),
        a=float(ex * ex + nx * nx),
        b=float(ex * ey + nx * ny),
        c=float(ey * ey + ny * ny),
    )


@dataclass(frozen=True)
class Neighbour:
    """A point found near the origin: its key and its distance in metres (rounded to 0.1 m)."""

    key: Hashable
    distance_m: float


def nearest_within(
    origin: tuple[float, float],
    candidates: Sequence[tuple[Hashable, float, float]],
    radius_m: float,
    *,
    limit: int | None = None,
) -> list[Neighbour]:
    """Return the candidates within `radius_m` metres of `origin`, nearest first.

    `origin` is a WGS84 (lon, lat); each candidate is (key, lon, lat). Distance is measured in
    metres on British National Grid, never in degrees. Points the same distance away (to
    0.1 m) keep the order they were given in.
    Raises ValueError for a radius outside 50 to 2,000 metres.
    """
    radius = check_radius(radius_m)
    if not candidates:
        return []
    keys = [c[0] for c in candidates]
    east, north = to_bng_arrays(
        [origin[0], *(c[1] for c in candidates)], [origin[1], *(c[2] for c in candidates)]
    )
    distances = np.hypot(east[1:] - east[0], north[1:] - north[0])
    return _select(keys, distances, radius, limit)


def _select(
    keys: Sequence[Hashable], distances: FloatArray, radius: float, limit: int | None
) -> list[Neighbour]:
    inside = np.flatnonzero(distances <= radius)
    # Sorted on the distance as reported (to 0.1 m) with a stable sort, so points the same
    # distance away stay in input order instead of being shuffled by floating-point noise.
    order = inside[np.argsort(np.round(distances[inside], 1), kind="stable")]
    if limit is not None:
        order = order[: max(0, limit)]
    return [Neighbour(keys[i], round(float(distances[i]), 1)) for i in order.tolist()]


class ProximityIndex:
    """Many points held on British National Grid, answering "what is within r metres?" fast.

    The points are sorted by easting once; a search slices the band of eastings within the
    radius by binary search, narrows it by northing, and measures only what is left.
    """

    def __init__(self, keys: Sequence[Hashable], lons: Any, lats: Any) -> None:
        """Index the points; keys[i] names the point at (lons[i], lats[i])."""
        east, north = to_bng_arrays(lons, lats)
        if len(keys) != east.size:
            raise ValueError(f"{len(keys)} keys for {east.size} points")
        order = np.argsort(east, kind="stable")
        self._keys: list[Hashable] = [keys[i] for i in order.tolist()]
        self._east = east[order]
        self._north = north[order]

    def __len__(self) -> int:
        return len(self._keys)

    def within(
        self, lon: float, lat: float, radius_m: float, *, limit: int | None = None
    ) -> list[Neighbour]:
        """Return the indexed points within `radius_m` of (lon, lat), nearest first."""
        east, north = to_bng_arrays([lon], [lat])
        return self.within_bng(float(east[0]), float(north[0]), radius_m, limit=limit)

    def within_bng(
        self, easting: float, northing: float, radius_m: float, *, limit: int | None = None
    ) -> list[Neighbour]:
        """Return the indexed points within `radius_m` of a BNG position, nearest first."""
        radius = check_radius(radius_m)
        start = int(np.searchsorted(self._east, easting - radius, "left"))
        stop = int(np.searchsorted(self._east, easting + radius, "right"))
        band_north = self._north[start:stop]
        near = np.flatnonzero(np.abs(band_north - northing) <= radius) + start
        distances = np.hypot(self._east[near] - easting, self._north[near] - northing)
        keys = [self._keys[i] for i in near.tolist()]
        return _select(keys, distances, radius, limit)
