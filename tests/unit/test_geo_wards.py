"""Loading, validating and indexing ward boundaries: tiny inline cases, then the real data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapefile
from pyproj import CRS
from shapely.geometry import MultiPolygon, Point, Polygon, box, mapping
from shared_data import require_shared_data

from enforcement.wards.importing import BoundarySource, read_boundaries
from geo.crs import geometry_from_bng, geometry_to_bng, to_bng
from geo.fictional import fictional_borough, random_points_in
from geo.wards import (
    LARGE_BATCH,
    BoundaryError,
    WardBoundary,
    WardIndex,
    load_geojson,
    load_shapefile,
    validate,
    ward_area_hectares,
)

# A small lon/lat square in west London; tests build wards from squares like it.
WEST, SOUTH, STEP = -0.23, 51.49, 0.01


def square(col: int, row: int = 0, size: float = STEP) -> Polygon:
    x, y = WEST + col * STEP, SOUTH + row * STEP
    return box(x, y, x + size, y + size)


def same_shape(a: Any, b: Any, tolerance: float = 1e-6) -> bool:
    """Compare outlines vertex by vertex, whatever the ring orientation or start point."""
    return bool(a.normalize().equals_exact(b.normalize(), tolerance=tolerance))


def ward(code: str, geometry: Any, name: str | None = None) -> WardBoundary:
    return WardBoundary(code, name or f"Ward {code}", geometry)


def collection(features: list[dict[str, Any]], crs: str | None = None) -> bytes:
    document: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if crs is not None:
        document["crs"] = {"type": "name", "properties": {"name": crs}}
    return json.dumps(document).encode()


def feature(properties: dict[str, Any], geometry: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": None if geometry is None else mapping(geometry),
    }


# --- load_geojson ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code_key", "name_key"),
    [
        ("WD22CD", "WD22NM"),
        ("WD13CD", "WD13NM"),
        ("GSS_CODE", "NAME"),
        ("code", "name"),
        ("WD19CD", "WD19NM"),
        ("wd23cd", "wd23nm"),  # as some downloads spell them
        ("CODE", "NAME"),  # Ordnance Survey Boundary-Line
    ],
)
def test_geojson_code_and_name_properties_are_detected(code_key: str, name_key: str) -> None:
    data = collection([feature({code_key: "E05000001", name_key: "Riverside"}, square(0))])
    [loaded] = load_geojson(data)
    assert (loaded.code, loaded.name) == ("E05000001", "Riverside")
    assert loaded.geometry.equals(square(0))


def two_boroughs(district_key: str = "LAD23CD") -> bytes:
    return collection(
        [
            feature({"WD23CD": "E05000001", "WD23NM": "A", district_key: "E09000013"}, square(0)),
            feature({"WD23CD": "E05000002", "WD23NM": "B", district_key: "E09000013"}, square(1)),
            feature({"WD23CD": "E05000003", "WD23NM": "C", district_key: "E09000020"}, square(2)),
        ]
    )


@pytest.mark.parametrize("district_key", ["LAD23CD", "lad23cd", "LAGSSCODE"])
def test_a_geojson_of_several_districts_needs_one_chosen_and_keeps_only_its_wards(
    district_key: str,
) -> None:
    data = two_boroughs(district_key)
    with pytest.raises(BoundaryError) as refused:
        load_geojson(data)
    assert "the file covers 2 districts (E09000013, E09000020)" in str(refused.value)
    assert [b.code for b in load_geojson(data, district_code="E09000013")] == [
        "E05000001",
        "E05000002",
    ]
    assert [b.code for b in load_geojson(data, district_code="E09000020")] == ["E05000003"]
    with pytest.raises(BoundaryError, match="no wards found with district code E09000001"):
        load_geojson(data, district_code="E09000001")


def test_a_district_chosen_for_a_geojson_naming_none_is_refused() -> None:
    data = collection([feature({"WD23CD": "E05000001"}, square(0))])
    with pytest.raises(BoundaryError, match="no LAGSSCODE or LADnnCD property"):
        load_geojson(data, district_code="E09000013")
    assert [b.code for b in load_geojson(data)] == ["E05000001"]  # one borough's file as it is


def test_geojson_prefers_the_2022_code_over_older_ones() -> None:
    props = {"GSS_CODE": "E05000001", "NAME": "Old", "WD22CD": "E05099999", "WD22NM": "New"}
    [loaded] = load_geojson(collection([feature(props, square(0))]))
    assert (loaded.code, loaded.name) == ("E05099999", "New")


def test_geojson_without_a_name_is_named_after_its_code() -> None:
    [loaded] = load_geojson(collection([feature({"code": "E05000001"}, square(0))]))
    assert loaded.name == "E05000001"


def test_geojson_reads_a_path(tmp_path: Path) -> None:
    path = tmp_path / "wards.geojson"
    path.write_bytes(collection([feature({"code": "E05000001", "name": "A"}, square(0))]))
    assert [b.code for b in load_geojson(path)] == ["E05000001"]
    assert [b.code for b in load_geojson(str(path))] == ["E05000001"]


@pytest.mark.parametrize(
    "crs_name", ["urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326", "urn:ogc:def:crs:EPSG::4326"]
)
def test_geojson_in_wgs84_is_kept_as_it_is(crs_name: str) -> None:
    [loaded] = load_geojson(collection([feature({"code": "X"}, square(0))], crs=crs_name))
    assert loaded.geometry.equals(square(0))


@pytest.mark.parametrize("crs_name", ["EPSG:27700", "urn:ogc:def:crs:EPSG::27700"])
def test_geojson_in_british_national_grid_is_converted(crs_name: str) -> None:
    in_metres = geometry_to_bng(square(0))
    [loaded] = load_geojson(collection([feature({"code": "X"}, in_metres)], crs=crs_name))
    assert same_shape(loaded.geometry, square(0), 1e-6)


def test_geojson_crs_argument_overrides_a_missing_crs_member() -> None:
    in_metres = geometry_to_bng(square(0))
    [loaded] = load_geojson(collection([feature({"code": "X"}, in_metres)]), crs="EPSG:27700")
    assert same_shape(loaded.geometry, square(0), 1e-6)


def test_geojson_in_metres_without_a_crs_is_refused_with_a_hint() -> None:
    in_metres = geometry_to_bng(square(0))
    with pytest.raises(BoundaryError) as caught:
        load_geojson(collection([feature({"code": "X"}, in_metres)]))
    assert "EPSG:27700" in str(caught.value)


def test_geojson_with_an_unknown_crs_is_refused() -> None:
    with pytest.raises(BoundaryError, match="EPSG:3857"):
        load_geojson(collection([feature({"code": "X"}, square(0))], crs="EPSG:3857"))


def test_geojson_lists_every_bad_feature() -> None:
    data = collection(
        [
            feature({"code": "E05000001", "name": "Good"}, square(0)),
            feature({"name": "No code"}, square(1)),
            feature({"code": "E05000003", "name": "No geometry"}, None),
            feature({"code": "E05000004", "name": "A point"}, Point(WEST, SOUTH)),
        ]
    )
    with pytest.raises(BoundaryError) as caught:
        load_geojson(data)
    problems = caught.value.problems
    assert len(problems) == 3
    assert "feature 2" in problems[0] and "missing ward code" in problems[0]
    assert "E05000003" in problems[1] and "missing geometry" in problems[1]
    assert "E05000004" in problems[2] and "Point" in problems[2]
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    "data",
    [b"not json", b'{"type": "Feature"}', b'{"type": "FeatureCollection", "features": []}'],
)
def test_geojson_that_is_not_a_ward_collection_is_refused(data: bytes) -> None:
    with pytest.raises(BoundaryError):
        load_geojson(data)


def test_geojson_with_no_code_property_at_all_is_refused() -> None:
    with pytest.raises(BoundaryError, match="no ward code property"):
        load_geojson(collection([feature({"label": "A"}, square(0))]))


# --- load_shapefile ----------------------------------------------------------------------------


def write_shapefile(
    path: Path, crs_epsg: int | None, wards: list[tuple[str, str, str, Polygon]]
) -> Path:
    with shapefile.Writer(str(path), shapeType=shapefile.POLYGON) as writer:
        writer.field("NAME", "C", 60)
        writer.field("GSS_CODE", "C", 9)
        writer.field("LAGSSCODE", "C", 9)
        for code, name, district, polygon in wards:
            writer.record(name, code, district)
            # Shapefile outer rings run clockwise.
            writer.poly([list(polygon.exterior.coords)[::-1]])
    if crs_epsg is not None:
        path.with_suffix(".prj").write_text(CRS.from_epsg(crs_epsg).to_wkt("WKT1_ESRI"))
    return path.with_suffix(".shp")


def test_shapefile_in_bng_is_converted_and_filtered_by_district(tmp_path: Path) -> None:
    shp = write_shapefile(
        tmp_path / "wards",
        27700,
        [
            ("E05000001", "Riverside", "E09000013", geometry_to_bng(square(0))),
            ("E05000002", "Hillside", "E09000013", geometry_to_bng(square(1))),
            ("E05000100", "Elsewhere", "E09000020", geometry_to_bng(square(5))),
        ],
    )
    loaded = load_shapefile(shp, district_code="E09000013")
    assert [(b.code, b.name) for b in loaded] == [
        ("E05000001", "Riverside"),
        ("E05000002", "Hillside"),
    ]
    assert same_shape(loaded[0].geometry, square(0), 1e-6)
    assert len(load_shapefile(shp)) == 3


def test_shapefile_in_wgs84_is_kept(tmp_path: Path) -> None:
    shp = write_shapefile(tmp_path / "wards", 4326, [("E05000001", "A", "E09000013", square(0))])
    [loaded] = load_shapefile(shp)
    assert same_shape(loaded.geometry, square(0), 1e-9)


def test_shapefile_without_a_prj_is_refused(tmp_path: Path) -> None:
    shp = write_shapefile(tmp_path / "wards", None, [("E05000001", "A", "E09000013", square(0))])
    with pytest.raises(BoundaryError, match=r"\.prj"):
        load_shapefile(shp)


def test_shapefile_with_no_ward_in_the_district_is_refused(tmp_path: Path) -> None:
    shp = write_shapefile(tmp_path / "wards", 4326, [("E05000001", "A", "E09000013", square(0))])
    with pytest.raises(BoundaryError, match="E09000099"):
        load_shapefile(shp, district_code="E09000099")


# --- validate ----------------------------------------------------------------------------------


def bow_tie(col: int = 0) -> Polygon:
    x, y = WEST + col * STEP, SOUTH
    return Polygon([(x, y), (x + STEP, y + STEP), (x + STEP, y), (x, y + STEP), (x, y)])


def test_valid_touching_wards_pass() -> None:
    report = validate([ward("E05000001", square(0)), ward("E05000002", square(1))])
    assert report.ok
    assert report.problems == [] and report.repairs == []


def test_bow_tie_is_reported() -> None:
    report = validate([ward("E05000001", bow_tie())])
    assert not report.ok
    [problem] = report.problems
    assert "E05000001" in problem and "Self-intersection" in problem
    assert report.boundaries[0].geometry.equals(bow_tie())


def test_bow_tie_is_repaired_when_asked() -> None:
    original = ward("E05000001", bow_tie())
    report = validate([original], repair=True)
    assert report.ok, report.problems
    [repair] = report.repairs
    assert "E05000001" in repair and "make_valid" in repair
    repaired = report.boundaries[0].geometry
    assert repaired.is_valid and repaired.geom_type == "MultiPolygon"
    # Both lobes survive: the repaired area is the area the outline encloses.
    assert repaired.area == pytest.approx(STEP * STEP / 2)
    assert original.geometry.equals(bow_tie()), "the input must not be modified"


def test_repair_that_would_change_the_area_is_refused() -> None:
    # A hole lying outside its shell: make_valid would turn the hole into extra land.
    shell = square(0)
    far_hole = square(3, size=STEP / 2).exterior.coords
    broken = Polygon(shell.exterior.coords, [far_hole])
    report = validate([ward("E05000001", broken)], repair=True)
    assert not report.ok
    assert "Hole lies outside shell" in report.problems[0]
    assert "area" in report.problems[0]
    assert report.repairs == []


def test_overlapping_wards_are_reported_naming_both() -> None:
    half_over = box(WEST + STEP / 2, SOUTH, WEST + 1.5 * STEP, SOUTH + STEP)
    report = validate(
        [ward("E05000001", square(0), "Riverside"), ward("E05000002", half_over, "Hillside")]
    )
    assert not report.ok
    [problem] = report.problems
    assert "E05000001 (Riverside)" in problem and "E05000002 (Hillside)" in problem
    assert "overlap" in problem


def test_overlap_within_the_tolerance_is_ignored() -> None:
    # Neighbours overlapping by a strip 3.5 mm wide and 1.1 km long (about 4 m²): noise.
    sliver = box(WEST + STEP - 5e-8, SOUTH, WEST + 2 * STEP, SOUTH + STEP)
    report = validate([ward("E05000001", square(0)), ward("E05000002", sliver)])
    assert report.ok, report.problems
    strict = validate(
        [ward("E05000001", square(0)), ward("E05000002", sliver)], overlap_tolerance_m2=0.0
    )
    assert not strict.ok


def test_duplicate_codes_and_empty_geometry_are_reported() -> None:
    report = validate(
        [
            ward("E05000001", square(0), "Riverside"),
            ward("E05000001", square(1), "Hillside"),
            ward("E05000002", Polygon()),
        ]
    )
    assert len(report.problems) == 2
    assert any("E05000002" in p and "empty" in p for p in report.problems)
    assert any(
        "E05000001" in p and "2 wards" in p and "Hillside" in p and "Riverside" in p
        for p in report.problems
    )


def test_every_problem_is_reported_together() -> None:
    report = validate(
        [
            ward("E05000001", bow_tie(0)),
            ward("E05000002", square(2)),
            ward("E05000003", box(WEST + 2.5 * STEP, SOUTH, WEST + 3.5 * STEP, SOUTH + STEP)),
            ward("E05000004", Polygon()),
        ]
    )
    assert len(report.problems) == 3


def test_ward_area_is_measured_in_hectares_on_the_grid() -> None:
    e, n = to_bng(WEST, SOUTH)
    one_hectare = geometry_from_bng(box(e, n, e + 100, n + 100))
    assert ward_area_hectares(ward("E05000001", one_hectare)) == pytest.approx(1.0, rel=1e-6)


# --- WardIndex ---------------------------------------------------------------------------------


def test_index_locates_inside_outside_and_on_shared_edges() -> None:
    index = WardIndex([ward("E05000002", square(1)), ward("E05000001", square(0))])
    assert index.locate(WEST + STEP / 2, SOUTH + STEP / 2) == "E05000001"
    assert index.locate(WEST + 1.5 * STEP, SOUTH + STEP / 2) == "E05000002"
    assert index.locate(WEST - 1, SOUTH) is None
    # On the shared edge the lowest code wins, whichever order the wards came in.
    assert index.locate(WEST + STEP, SOUTH + STEP / 2) == "E05000001"
    # On the outer edge the point is still in the ward.
    assert index.locate(WEST + 2 * STEP, SOUTH + STEP / 2) == "E05000002"


def test_index_lookup_does_not_depend_on_input_order() -> None:
    wards = fictional_borough(seed=3)
    points = random_points_in(wards, 500, np.random.default_rng(3))
    forwards = WardIndex(wards).locate_many(points)
    backwards = WardIndex(list(reversed(wards))).locate_many(points)
    assert forwards == backwards


def test_a_large_batch_answers_as_the_tree_does_on_edges_and_gaps() -> None:
    """From LARGE_BATCH points the lookup tests ward by ward; edges still go to the lowest
    code, outer edges stay in, NaNs and points outside are None, whatever the input order."""
    wards = [ward("E05000002", square(1)), ward("E05000001", square(0))]
    probes = [
        (WEST + STEP, SOUTH + STEP / 2),  # the shared edge
        (WEST + 2 * STEP, SOUTH + STEP / 2),  # the outer edge
        (WEST + 1.5 * STEP, SOUTH + STEP / 2),
        (WEST - 1, SOUTH),
        (float("nan"), SOUTH),
    ]
    one_by_one = [WardIndex(wards).locate(x, y) for x, y in probes]
    assert one_by_one == ["E05000001", "E05000002", "E05000002", None, None]
    many = probes * (LARGE_BATCH // len(probes) + 1)
    assert len(many) >= LARGE_BATCH
    for order in (wards, list(reversed(wards))):
        assert WardIndex(order).locate_many(many) == one_by_one * (len(many) // len(probes))


def test_index_describes_itself() -> None:
    index = WardIndex([ward("E05000002", square(1), "Hillside"), ward("E05000001", square(0))])
    assert index.codes == ("E05000001", "E05000002")
    assert index.name_of("E05000002") == "Hillside"
    assert len(index) == 2 and "E05000001" in index
    assert index.bounds == pytest.approx((WEST, SOUTH, WEST + 2 * STEP, SOUTH + STEP))
    with pytest.raises(KeyError):
        index.name_of("E05999999")


def test_index_refuses_duplicate_codes() -> None:
    with pytest.raises(BoundaryError, match="E05000001"):
        WardIndex([ward("E05000001", square(0)), ward("E05000001", square(1))])


def test_locate_many_accepts_generators_arrays_and_nothing() -> None:
    index = WardIndex([ward("E05000001", square(0))])
    inside = (WEST + STEP / 2, SOUTH + STEP / 2)
    assert index.locate_many([]) == []
    assert index.locate_many(p for p in [inside, (0.0, 0.0)]) == ["E05000001", None]
    assert index.locate_many(np.array([inside])) == ["E05000001"]
    assert index.locate_many([(float("nan"), SOUTH)]) == [None]
    with pytest.raises(ValueError, match="pairs"):
        index.locate_many([(WEST, SOUTH, 0.0), (WEST, SOUTH, 0.0)])  # type: ignore[list-item]


def test_an_empty_index_finds_nothing() -> None:
    index = WardIndex([])
    assert index.locate(WEST, SOUTH) is None
    assert index.codes == ()


def test_locate_many_agrees_with_locating_each_point() -> None:
    """The bulk lookup (timed in benchmarks/geo.py, not here) answers as one-by-one lookups do."""
    wards = fictional_borough()
    index = WardIndex(wards)
    west, south, east, north = index.bounds
    rng = np.random.default_rng(0)
    points = np.column_stack([rng.uniform(west, east, 5_000), rng.uniform(south, north, 5_000)])
    as_tuples = [(float(x), float(y)) for x, y in points]
    found = index.locate_many(as_tuples)
    assert len(found) == 5_000
    assert found == [index.locate(x, y) for x, y in as_tuples]
    assert len(set(found) - {None}) == len(wards)  # spread over every ward


# --- the real data -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wards_dir() -> Path:
    return require_shared_data() / "wards"


@pytest.fixture(scope="module")
def wards_2022(wards_dir: Path) -> list[WardBoundary]:
    return load_geojson(wards_dir / "hf_wards_2022_wgs84.geojson")


@pytest.fixture(scope="module")
def wards_2002(wards_dir: Path) -> list[WardBoundary]:
    return load_geojson(wards_dir / "hf_wards_2002-2022_wgs84.geojson")


@pytest.fixture(scope="module")
def london_shp(wards_dir: Path) -> Path:
    return wards_dir / "london_wards_2018_bng" / "London_Ward_CityMerged_2018_bng.shp"


def test_real_2022_wards_are_the_21_expected_and_sound(wards_2022: list[WardBoundary]) -> None:
    assert sorted(b.code for b in wards_2022) == [f"E0501{n}" for n in range(3733, 3754)]
    report = validate(wards_2022)
    assert report.ok, report.problems
    assert report.repairs == []
    areas = {b.name: ward_area_hectares(b) for b in wards_2022}
    assert sum(areas.values()) == pytest.approx(1639, abs=2)
    assert max(areas, key=areas.__getitem__) == "College Park & Old Oak"
    assert areas["College Park & Old Oak"] == pytest.approx(343, abs=1)
    assert min(areas, key=areas.__getitem__) == "Addison"
    assert areas["Addison"] == pytest.approx(37, abs=1)


def test_real_2002_wards_are_16_and_sound(wards_2002: list[WardBoundary]) -> None:
    assert len(wards_2002) == 16
    assert len({b.code for b in wards_2002}) == 16
    assert validate(wards_2002).ok


def test_real_known_point_is_in_hammersmith_broadway(
    wards_2022: list[WardBoundary], wards_2002: list[WardBoundary]
) -> None:
    index_2022, index_2002 = WardIndex(wards_2022), WardIndex(wards_2002)
    code = index_2022.locate(-0.2244, 51.4925)
    assert code == "E05013741"
    assert index_2022.name_of(code) == "Hammersmith Broadway"
    old = index_2002.locate(-0.2244, 51.4925)
    assert old is not None and index_2002.name_of(old) == "Hammersmith Broadway"


def test_real_shapefile_filtered_to_the_borough_lines_up_with_the_ons_wards(
    london_shp: Path, wards_2002: list[WardBoundary]
) -> None:
    from_shapefile = load_shapefile(london_shp, district_code="E09000013")
    assert len(from_shapefile) == 16
    assert validate(from_shapefile).ok
    index = WardIndex(wards_2002)
    for boundary in from_shapefile:
        # Centroids, not areas: the London Datastore wards run out to mid-Thames.
        centroid = boundary.geometry.centroid
        assert index.locate(centroid.x, centroid.y) == boundary.code
        assert index.name_of(boundary.code) == boundary.name
    total = sum(ward_area_hectares(b) for b in from_shapefile)
    assert total == pytest.approx(1715, abs=2)


def test_real_london_shapefile_has_633_sound_wards(london_shp: Path) -> None:
    london = load_shapefile(london_shp)
    assert len(london) == 633
    report = validate(london)
    assert report.ok, report.problems[:5]


def test_real_multipolygon_survives_round_trip_to_index(wards_2022: list[WardBoundary]) -> None:
    as_multi = [WardBoundary(b.code, b.name, MultiPolygon([b.geometry])) for b in wards_2022]
    point = (-0.2244, 51.4925)
    assert WardIndex(as_multi).locate(*point) == WardIndex(wards_2022).locate(*point)


def test_the_ward_import_passes_the_chosen_district_to_a_geojson() -> None:
    data = two_boroughs()
    with pytest.raises(BoundaryError, match="covers 2 districts"):
        read_boundaries(BoundarySource("england.geojson", data=data))
    chosen = read_boundaries(BoundarySource("england.geojson", data=data, district="E09000020"))
    assert [b.code for b in chosen] == ["E05000003"]


def test_a_ward_name_holding_a_control_character_is_refused() -> None:
    data = collection(
        [
            feature({"WD23CD": "E05000001", "WD23NM": "Bad\x01name"}, square(0)),
            feature({"WD23CD": "E05000002", "WD23NM": "Good"}, square(1)),
        ]
    )
    with pytest.raises(BoundaryError) as refused:
        load_geojson(data)
    assert refused.value.problems == [
        "feature 1 (E05000001): the ward's code or name holds a control character (U+0001)"
    ]


def test_a_ward_code_or_name_too_long_to_keep_is_refused_before_any_preview() -> None:
    """Only PostgreSQL refused them, at the confirm, after a preview said the file was fine."""
    data = collection(
        [
            feature({"WD23CD": "E0500000100001", "WD23NM": "Long code"}, square(0)),
            feature({"WD23CD": "E05000002", "WD23NM": "N" * 121}, square(1)),
            feature({"WD23CD": "E05000003", "WD23NM": "N" * 120}, square(2)),
        ]
    )
    with pytest.raises(BoundaryError) as refused:
        load_geojson(data)
    assert refused.value.problems == [
        "feature 1 (E0500000100001): the ward code is longer than 12 characters",
        "feature 2 (E05000002): the ward's name is longer than 120 characters",
    ]
