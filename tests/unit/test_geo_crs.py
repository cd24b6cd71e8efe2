"""WGS84 <-> British National Grid conversion, and the purity of the geo package."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon, box

from geo.crs import from_bng, geometry_from_bng, geometry_to_bng, to_bng

REPO = Path(__file__).resolve().parents[2]


def test_hammersmith_town_hall_is_where_the_grid_says() -> None:
    # Hammersmith Town Hall, King Street W6, is near grid reference TQ 226 782.
    easting, northing = to_bng(-0.2346, 51.4925)
    assert 522_000 < easting < 524_000
    assert 177_500 < northing < 179_000


@settings(deadline=None, database=None, max_examples=200)
@given(
    lon=st.floats(min_value=-6.0, max_value=1.7, allow_nan=False),
    lat=st.floats(min_value=50.0, max_value=58.5, allow_nan=False),
)
def test_round_trip_returns_the_same_position(lon: float, lat: float) -> None:
    back_lon, back_lat = from_bng(*to_bng(lon, lat))
    assert back_lon == pytest.approx(lon, abs=1e-6)
    assert back_lat == pytest.approx(lat, abs=1e-6)


def test_geometries_round_trip_and_are_measured_in_metres() -> None:
    square = box(-0.23, 51.49, -0.22, 51.50)
    projected = geometry_to_bng(square)
    # 0.01 degrees is about 694 m of longitude and 1,112 m of latitude at 51.5 degrees north.
    assert projected.area == pytest.approx(694 * 1112, rel=0.01)
    back = geometry_from_bng(projected)
    assert back.equals_exact(square, tolerance=1e-6)


def test_geometry_from_bng_keeps_the_shape() -> None:
    hectare = Polygon(
        [(523_000, 178_000), (523_100, 178_000), (523_100, 178_100), (523_000, 178_100)]
    )
    lon_lat = geometry_from_bng(hectare)
    assert lon_lat.geom_type == "Polygon"
    assert geometry_to_bng(lon_lat).area == pytest.approx(10_000, rel=1e-6)


def test_transformers_are_built_lazily_not_at_import() -> None:
    probe = "import geo.crs as c; print(c._transformer.cache_info().currsize)"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "0"


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("module", sorted((REPO / "geo").glob("*.py")), ids=lambda p: p.name)
def test_geo_imports_nothing_of_the_app_or_a_web_or_database_library(module: Path) -> None:
    forbidden = {"flask", "sqlalchemy", "app", "enforcement", "alembic"}
    assert not _imported_modules(module) & forbidden


IMPORTERS = sorted((REPO / "enforcement" / "register" / "importers").glob("*.py"))


def test_the_importers_folder_is_where_these_tests_look() -> None:
    assert len(IMPORTERS) >= 3  # __init__, fhrs, licence_csv: an empty glob would test nothing


#: The kernel's modules for reading CSV as spreadsheets save it and for the characters no record
#: holds (the rule every form applies): an importer may use them, since they too use the standard
#: library only (checked below).
STDLIB_KERNEL = {
    "enforcement.spreadsheet": REPO / "enforcement" / "spreadsheet.py",
    "enforcement.text": REPO / "enforcement" / "text.py",
}
STDLIB = set(sys.stdlib_module_names) | {"__future__"}


def _outside_the_standard_library(path: Path) -> set[str]:
    """The modules a file imports that are not of the standard library, looking through the
    kernel modules of STDLIB_KERNEL to what they import."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module]
        else:
            continue
        for module in modules:
            if module in STDLIB_KERNEL:
                found |= _outside_the_standard_library(STDLIB_KERNEL[module])
            elif module.split(".")[0] not in STDLIB:
                found.add(module.split(".")[0])
    return found


@pytest.mark.parametrize("module", IMPORTERS, ids=lambda p: p.name)
def test_importers_use_the_standard_library_only(module: Path) -> None:
    assert _outside_the_standard_library(module) == set()


def test_a_module_importing_more_of_the_domain_is_caught(tmp_path: Path) -> None:
    module = tmp_path / "importer.py"
    module.write_text("from enforcement.spreadsheet import column_key\nimport sqlalchemy\n")
    assert _outside_the_standard_library(module) == {"sqlalchemy"}
    module.write_text(
        "from enforcement.spreadsheet import column_key\nfrom enforcement import db\n"
    )
    assert _outside_the_standard_library(module) == {"enforcement"}
