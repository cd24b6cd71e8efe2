"""Hotspot cells: 250 m squares on the British National Grid, counted and drawn back in WGS84."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from geo.crs import from_bng, geometry_to_bng, to_bng
from geo.grid import DEFAULT_CELL_M, Cell, cell_at, cell_at_bng, cells_covering, count_cells


def lonlat(east: float, north: float) -> tuple[float, float]:
    return from_bng(east, north)


def test_cells_are_250_metre_squares_counted_from_the_grid_origin() -> None:
    cell = cell_at_bng(523_100.0, 178_740.0)
    assert cell == Cell(2092, 714, 250)
    assert cell.south_west == (523_000, 178_500)
    assert cell.centre_bng == (523_125.0, 178_625.0)
    assert cell.label == "E523000 N178500"
    assert cell.polygon_bng().area == 250 * 250


def test_a_point_on_a_grid_line_belongs_to_the_cell_east_or_north_of_it() -> None:
    assert cell_at_bng(523_000.0, 178_500.0) == Cell(2092, 714)
    assert cell_at_bng(522_999.99, 178_499.99) == Cell(2091, 713)


def test_cell_size_can_be_chosen_but_must_be_whole_metres() -> None:
    assert cell_at_bng(523_100.0, 178_740.0, size=100) == Cell(5231, 1787, 100)
    with pytest.raises(ValueError):
        cell_at_bng(1.0, 1.0, size=0)
    with pytest.raises(ValueError):
        count_cells([0.0], [51.0], size=12.5)  # type: ignore[arg-type]


def test_points_are_counted_per_cell_busiest_first() -> None:
    points = [
        lonlat(523_010, 178_510),
        lonlat(523_240, 178_740),
        lonlat(523_120, 178_600),  # three in E523000 N178500
        lonlat(523_260, 178_510),  # one east of it
        lonlat(523_010, 178_260),
        lonlat(523_100, 178_300),  # two south of it
    ]
    counted = count_cells([p[0] for p in points], [p[1] for p in points])
    assert [(c.cell.label, c.count) for c in counted] == [
        ("E523000 N178500", 3),
        ("E523000 N178250", 2),
        ("E523250 N178500", 1),
    ]
    assert sum(c.count for c in counted) == len(points)


def test_missing_coordinates_are_left_out_and_nothing_counts_nothing() -> None:
    lon, lat = lonlat(523_010, 178_510)
    counted = count_cells([lon, math.nan], [lat, 51.5])
    assert [(c.cell.label, c.count) for c in counted] == [("E523000 N178500", 1)]
    assert count_cells([], []) == []
    assert count_cells([math.nan], [math.nan]) == []


def test_cell_outline_in_wgs84_goes_back_to_the_same_square() -> None:
    cell = Cell(2092, 714)
    outline = cell.polygon_wgs84()
    assert outline.is_valid and outline.exterior.is_ccw
    back = geometry_to_bng(outline)
    assert back.area == pytest.approx(250 * 250, rel=1e-6)
    # Within a centimetre of the square everywhere (the round trip moves points by a millimetre).
    assert back.hausdorff_distance(cell.polygon_bng()) < 0.01
    assert outline.contains(Point(*lonlat(*cell.centre_bng)))


def test_cells_covering_a_box_include_its_edges() -> None:
    cells = list(cells_covering((523_000, 178_500, 523_500, 178_600)))
    assert [c.label for c in cells] == [
        "E523000 N178500",
        "E523250 N178500",
        "E523500 N178500",
    ]


@settings(deadline=None, max_examples=200)
@given(
    east=st.floats(min_value=515_000, max_value=530_000),
    north=st.floats(min_value=172_000, max_value=185_000),
)
def test_every_point_falls_in_the_cell_whose_outline_holds_it(east: float, north: float) -> None:
    lon, lat = lonlat(east, north)
    cell = cell_at(lon, lat)
    sw_e, sw_n = cell.south_west
    # The round trip through WGS84 may move a point by a millimetre across a line.
    e2, n2 = to_bng(lon, lat)
    assert sw_e - 0.01 <= e2 < sw_e + DEFAULT_CELL_M + 0.01
    assert sw_n - 0.01 <= n2 < sw_n + DEFAULT_CELL_M + 0.01


def test_counting_many_points_matches_counting_one_by_one() -> None:
    rng = np.random.default_rng(7)
    east = rng.uniform(520_000, 524_000, 2_000)
    north = rng.uniform(176_000, 180_000, 2_000)
    pairs = [from_bng(e, n) for e, n in zip(east.tolist(), north.tolist(), strict=True)]
    lons = np.asarray([p[0] for p in pairs])
    lats = np.asarray([p[1] for p in pairs])
    counted = {c.cell: c.count for c in count_cells(lons, lats)}
    expected: dict[Cell, int] = {}
    for lon, lat in zip(lons.tolist(), lats.tolist(), strict=True):
        cell = cell_at(lon, lat)
        expected[cell] = expected.get(cell, 0) + 1
    assert counted == expected
