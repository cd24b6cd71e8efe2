"""Distances in metres on the British National Grid, search boxes and nearest-first searches."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.crs import from_bng, to_bng
from geo.proximity import (
    LOCAL_METRIC_TOLERANCE,
    MAX_RADIUS_M,
    MIN_RADIUS_M,
    ProximityIndex,
    Strip,
    check_radius,
    distance_m,
    from_bng_arrays,
    inner_box,
    local_metric,
    nearest_within,
    search_box,
    strips,
    to_bng_arrays,
)

# Hammersmith Broadway, in British National Grid metres and in WGS84.
ORIGIN_BNG = (523_000.0, 178_500.0)
ORIGIN = from_bng(*ORIGIN_BNG)


def at(dx: float, dy: float) -> tuple[float, float]:
    """The WGS84 (lon, lat) of the point dx metres east and dy metres north of the origin."""
    return from_bng(ORIGIN_BNG[0] + dx, ORIGIN_BNG[1] + dy)


def test_distance_is_in_metres_on_the_grid() -> None:
    assert distance_m(ORIGIN, at(1000, 0)) == pytest.approx(1000, abs=0.01)
    assert distance_m(ORIGIN, at(300, 400)) == pytest.approx(500, abs=0.01)
    assert distance_m(ORIGIN, ORIGIN) == 0


def test_nearest_is_measured_in_metres_not_degrees() -> None:
    # At 51.5°N a degree of longitude is about 62% of a degree of latitude, so a point 0.004°
    # east (about 277 m) is nearer than one 0.003° north (about 334 m): degrees say otherwise.
    lon, lat = ORIGIN
    east = ("east", lon + 0.004, lat)
    north = ("north", lon, lat + 0.003)
    assert math.hypot(0.004, 0) > math.hypot(0, 0.003)
    found = nearest_within(ORIGIN, [north, east], 500)
    assert [n.key for n in found] == ["east", "north"]
    assert found[0].distance_m == pytest.approx(277, abs=2)
    assert found[1].distance_m == pytest.approx(334, abs=2)


def test_only_points_within_the_distance_are_kept_nearest_first() -> None:
    candidates = [
        ("c", *at(0, 180)),
        ("a", *at(50, 0)),
        ("out", *at(200.5, 0)),
        ("b", *at(-70, -70)),
        ("edge", *at(0, -199.9)),
    ]
    found = nearest_within(ORIGIN, candidates, 200)
    assert [n.key for n in found] == ["a", "b", "c", "edge"]
    assert [n.distance_m for n in found] == [50.0, 99.0, 180.0, 199.9]
    assert [n.key for n in nearest_within(ORIGIN, candidates, 200, limit=2)] == ["a", "b"]


def test_equal_distances_keep_the_order_given() -> None:
    candidates = [("w", *at(-100, 0)), ("n", *at(0, 100)), ("e", *at(100, 0))]
    assert [n.key for n in nearest_within(ORIGIN, candidates, 100.5)] == ["w", "n", "e"]


@pytest.mark.parametrize("radius", [MIN_RADIUS_M, 500, MAX_RADIUS_M])
def test_radius_from_50_to_2000_metres_is_accepted(radius: float) -> None:
    assert check_radius(radius) == radius


@pytest.mark.parametrize("radius", [0, 49.9, 2000.1, -50, math.nan, math.inf])
def test_radius_outside_50_to_2000_metres_is_refused(radius: float) -> None:
    with pytest.raises(ValueError, match="between 50 and 2,000 metres"):
        nearest_within(ORIGIN, [("a", *ORIGIN)], radius)
    with pytest.raises(ValueError):
        ProximityIndex(["a"], [ORIGIN[0]], [ORIGIN[1]]).within(*ORIGIN, radius)


def test_no_candidates_find_nothing() -> None:
    assert nearest_within(ORIGIN, [], 100) == []
    assert ProximityIndex([], [], []).within(*ORIGIN, 100) == []


def test_array_conversions_round_trip() -> None:
    east, north = to_bng_arrays([ORIGIN[0], -0.1276], [ORIGIN[1], 51.5072])
    assert east[0] == pytest.approx(ORIGIN_BNG[0], abs=0.01)
    assert north[0] == pytest.approx(ORIGIN_BNG[1], abs=0.01)
    assert (east[1], north[1]) == pytest.approx(to_bng(-0.1276, 51.5072))
    lons, lats = from_bng_arrays(east, north)
    assert lons[1] == pytest.approx(-0.1276) and lats[1] == pytest.approx(51.5072)
    with pytest.raises(ValueError):
        to_bng_arrays([1.0, 2.0], [1.0])


@settings(deadline=None, max_examples=200)
@given(
    radius=st.floats(min_value=MIN_RADIUS_M, max_value=MAX_RADIUS_M),
    bearing=st.floats(min_value=0, max_value=2 * math.pi),
    fraction=st.floats(min_value=0, max_value=1),
    lon=st.floats(min_value=-0.26, max_value=-0.17),
    lat=st.floats(min_value=51.46, max_value=51.54),
)
def test_search_box_holds_every_point_within_the_distance(
    radius: float, bearing: float, fraction: float, lon: float, lat: float
) -> None:
    east, north = to_bng(lon, lat)
    d = radius * fraction
    plon, plat = from_bng(east + d * math.sin(bearing), north + d * math.cos(bearing))
    minx, miny, maxx, maxy = search_box(lon, lat, radius)
    assert minx <= plon <= maxx
    assert miny <= plat <= maxy


def test_search_box_is_not_much_bigger_than_the_circle() -> None:
    minx, miny, maxx, maxy = search_box(*ORIGIN, 1000)
    width = distance_m((minx, ORIGIN[1]), (maxx, ORIGIN[1]))
    height = distance_m((ORIGIN[0], miny), (ORIGIN[0], maxy))
    assert 2000 <= width <= 2100 and 2000 <= height <= 2100


@settings(deadline=None, max_examples=25)
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    radius=st.floats(min_value=MIN_RADIUS_M, max_value=MAX_RADIUS_M),
)
def test_index_agrees_with_measuring_every_point(seed: int, radius: float) -> None:
    rng = np.random.default_rng(seed)
    count = 500
    east = rng.uniform(-2500, 2500, count) + ORIGIN_BNG[0]
    north = rng.uniform(-2500, 2500, count) + ORIGIN_BNG[1]
    lons, lats = from_bng_arrays(east, north)
    keys = list(range(count))
    index = ProximityIndex(keys, lons, lats)
    assert len(index) == count
    brute = nearest_within(
        ORIGIN, list(zip(keys, lons.tolist(), lats.tolist(), strict=True)), radius
    )
    fast = index.within(*ORIGIN, radius)
    assert sorted((n.distance_m, n.key) for n in fast) == sorted(
        (n.distance_m, n.key) for n in brute
    )
    assert [n.distance_m for n in fast] == sorted(n.distance_m for n in fast)
    assert all(n.distance_m <= radius + 0.05 for n in fast)


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(-0.22, 51.49), (-5.5, 50.1), (-3.0, 58.6), (1.7, 52.6), (-6.3, 57.5), (1.005, 54.005)],
)
def test_local_metric_stays_well_within_its_tolerance_across_great_britain(
    lon: float, lat: float
) -> None:
    metric = local_metric(lon, lat)
    rng = np.random.default_rng(3)
    east0, north0 = to_bng(lon, lat)
    distance = rng.uniform(MIN_RADIUS_M * 0.9, MAX_RADIUS_M * 1.01, 3000)
    bearing = rng.uniform(0, 2 * math.pi, 3000)
    lons, lats = from_bng_arrays(
        east0 + distance * np.sin(bearing), north0 + distance * np.cos(bearing)
    )
    estimate = np.sqrt(metric.squared(lons, lats))
    worst = float(np.max(np.abs(estimate - distance) / distance))
    assert worst < LOCAL_METRIC_TOLERANCE / 10
    inner, outer = metric.bounds(1000)
    assert inner < 1000**2 < outer


@settings(deadline=None, max_examples=100)
@given(
    radius=st.floats(min_value=MIN_RADIUS_M, max_value=MAX_RADIUS_M),
    u=st.floats(min_value=-1, max_value=1),
    v=st.floats(min_value=-1, max_value=1),
    lon=st.floats(min_value=-6, max_value=1.7),
    lat=st.floats(min_value=50, max_value=58.5),
)
def test_every_point_of_the_inner_box_is_within_the_distance(
    radius: float, u: float, v: float, lon: float, lat: float
) -> None:
    metric = local_metric(lon, lat)
    minx, miny, maxx, maxy = inner_box(metric, radius)
    assert minx < lon < maxx and miny < lat < maxy
    px = lon + u * (maxx - lon) if u >= 0 else lon + u * (lon - minx)
    py = lat + v * (maxy - lat) if v >= 0 else lat + v * (lat - miny)
    assert distance_m((lon, lat), (px, py)) <= radius
    # And it is no mere sliver: at least a third of the circle's area.
    corners = [to_bng(x, y) for x, y in ((minx, miny), (maxx, miny), (maxx, maxy), (minx, maxy))]
    width = abs(corners[1][0] - corners[0][0])
    height = abs(corners[2][1] - corners[1][1])
    assert width * height > math.pi * radius**2 / 3


def _band_of(bands: list[Strip], lat: float) -> int | None:
    """The index of the band holding `lat` (bands are half-open, the last one closed)."""
    for i, band in enumerate(bands):
        last = i == len(bands) - 1
        if band.lat_from <= lat and (lat <= band.lat_to if last else lat < band.lat_to):
            return i
    return None


@settings(deadline=None, max_examples=60)
@given(
    radius=st.floats(min_value=MIN_RADIUS_M, max_value=MAX_RADIUS_M),
    lon=st.floats(min_value=-6, max_value=1.7),
    lat=st.floats(min_value=50, max_value=58.5),
    n=st.integers(min_value=1, max_value=64),
    seed=st.integers(min_value=0, max_value=2**16),
)
def test_strips_hold_the_whole_circle_and_their_middles_are_inside_it(
    radius: float, lon: float, lat: float, n: int, seed: int
) -> None:
    """Every point the estimate might place inside lies in a band's outer range, and every
    point of a band's inner range is inside for certain (so a database may count it unmeasured)."""
    metric = local_metric(lon, lat)
    inner, outer = metric.bounds(radius)
    bands = strips(metric, radius, n)
    assert len(bands) == n
    rng = np.random.default_rng(seed)
    # Points around the circle and just beyond it, densest near its edge.
    distance = radius * np.concatenate([rng.uniform(0, 1.01, 1500), rng.uniform(0.99, 1.01, 1500)])
    bearing = rng.uniform(0, 2 * math.pi, 3000)
    east0, north0 = to_bng(lon, lat)
    lons, lats = from_bng_arrays(
        east0 + distance * np.sin(bearing), north0 + distance * np.cos(bearing)
    )
    estimates = metric.squared(lons, lats)
    for x, y, est in zip(lons.tolist(), lats.tolist(), estimates.tolist(), strict=True):
        i = _band_of(bands, y)
        if est <= outer:
            assert i is not None and bands[i].outer[0] <= x <= bands[i].outer[1]
        if i is not None and bands[i].inner is not None:
            low, high = bands[i].inner
            if low <= x <= high:
                assert est <= inner


def test_strips_leave_only_a_thin_sliver_to_measure() -> None:
    """With 32 bands, nearly all of the circle is in the inner ranges (counted unmeasured)."""
    metric = local_metric(*ORIGIN)
    bands = strips(metric, 2000, 32)
    area_inner = sum(
        (b.inner[1] - b.inner[0]) * (b.lat_to - b.lat_from) for b in bands if b.inner is not None
    )
    area_outer = sum((b.outer[1] - b.outer[0]) * (b.lat_to - b.lat_from) for b in bands)
    assert area_inner / area_outer > 0.9
    with pytest.raises(ValueError, match="at least 1"):
        strips(metric, 2000, 0)
