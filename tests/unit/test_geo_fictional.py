"""The made-up borough tiles cleanly, and the ward index agrees with geometry on it."""

from __future__ import annotations

import random

import numpy as np
import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from geo.fictional import fictional_borough, random_points_in
from geo.wards import WardIndex, validate, ward_area_hectares

# Hypothesis's 200 ms deadline flakes on a busy 2-core runner, and its example database would
# write into the repository: neither is wanted here.
PROPERTY = settings(deadline=None, database=None, max_examples=150)

BOROUGH = fictional_borough()
INDEX = WardIndex(BOROUGH)


@pytest.mark.parametrize("seed", [0, 1, 2, 17, 2024])
def test_borough_tiles_without_gaps_or_overlaps(seed: int) -> None:
    wards = fictional_borough(seed)
    assert len(wards) == 12
    # Zero tolerance: neighbours share vertices exactly, so not even a sliver may overlap.
    report = validate(wards, overlap_tolerance_m2=0.0)
    assert report.ok, report.problems
    union = shapely.union_all([w.geometry for w in wards])
    assert union.geom_type == "Polygon" and len(union.interiors) == 0
    assert union.area == pytest.approx(sum(w.geometry.area for w in wards), rel=1e-9)


def test_borough_is_fictional_but_plausibly_english() -> None:
    assert [w.code for w in BOROUGH] == [f"X05{n:06d}" for n in range(1, 13)]
    assert BOROUGH[0].name == "Ashby Green"
    assert len({w.name for w in BOROUGH}) == 12
    west, south, east, north = INDEX.bounds
    assert -3 < west < east < 1 and 50.5 < south < north < 54
    for w in BOROUGH:
        assert 60 < ward_area_hectares(w) < 200


def test_seed_changes_shapes_but_not_codes_or_names() -> None:
    other = fictional_borough(seed=5)
    assert [(w.code, w.name) for w in other] == [(w.code, w.name) for w in BOROUGH]
    assert not other[5].geometry.equals(BOROUGH[5].geometry)
    assert fictional_borough(seed=0) == BOROUGH


@pytest.mark.parametrize(
    "rng", [np.random.default_rng(7), random.Random(7)], ids=["numpy", "stdlib"]
)
def test_random_points_fall_inside_the_borough(rng: np.random.Generator | random.Random) -> None:
    points = random_points_in(BOROUGH, 2_000, rng)
    assert len(points) == 2_000
    assert None not in INDEX.locate_many(points)


def test_random_points_cover_every_ward() -> None:
    points = random_points_in(BOROUGH, 2_000, np.random.default_rng(1))
    assert set(INDEX.locate_many(points)) == set(INDEX.codes)


def test_random_points_refuses_a_negative_count() -> None:
    with pytest.raises(ValueError, match="-1"):
        random_points_in(BOROUGH, -1, np.random.default_rng(0))
    assert random_points_in(BOROUGH, 0, np.random.default_rng(0)) == []


@PROPERTY
@given(
    ward_number=st.integers(min_value=0, max_value=11),
    u=st.floats(min_value=0, max_value=1),
    v=st.floats(min_value=0, max_value=1),
)
def test_a_point_inside_a_ward_is_located_to_that_ward(
    ward_number: int, u: float, v: float
) -> None:
    ward = BOROUGH[ward_number]
    west, south, east, north = ward.geometry.bounds
    lon, lat = west + u * (east - west), south + v * (north - south)
    # Strictly inside: points on a shared edge are covered by the next test instead.
    assume(ward.geometry.contains(Point(lon, lat)))
    assert INDEX.locate(lon, lat) == ward.code


@PROPERTY
@given(
    lon=st.floats(min_value=-180, max_value=180),
    lat=st.floats(min_value=-90, max_value=90),
)
def test_a_point_far_outside_is_in_no_ward(lon: float, lat: float) -> None:
    west, south, east, north = INDEX.bounds
    assume(not (west - 0.1 < lon < east + 0.1 and south - 0.1 < lat < north + 0.1))
    assert INDEX.locate(lon, lat) is None


def _around_the_borough() -> st.SearchStrategy[tuple[float, float]]:
    west, south, east, north = INDEX.bounds
    margin = 0.01
    return st.tuples(
        st.floats(min_value=west - margin, max_value=east + margin),
        st.floats(min_value=south - margin, max_value=north + margin),
    )


@PROPERTY
@given(points=st.lists(_around_the_borough(), max_size=50))
def test_locate_many_agrees_with_locate(points: list[tuple[float, float]]) -> None:
    assert INDEX.locate_many(points) == [INDEX.locate(lon, lat) for lon, lat in points]


@PROPERTY
@given(ward_number=st.integers(min_value=0, max_value=11), vertex=st.integers(min_value=0))
def test_a_point_on_a_boundary_goes_to_the_lowest_code_touching_it(
    ward_number: int, vertex: int
) -> None:
    coords = list(BOROUGH[ward_number].geometry.exterior.coords)
    lon, lat = coords[vertex % len(coords)]
    touching = sorted(w.code for w in BOROUGH if w.geometry.intersects(Point(lon, lat)))
    assert INDEX.locate(lon, lat) == touching[0]
