"""Load, check and index ward boundaries, and find the ward a lon/lat point falls in."""

from __future__ import annotations

import codecs
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapefile
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError
from shapely.errors import ShapelyError
from shapely.geometry import LineString, MultiPolygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from geo.crs import geometry_from_bng, geometry_to_bng

# Property pairs tried in order; the first code property present in the collection wins.
_CODE_NAME_PROPERTIES: tuple[tuple[str, str], ...] = (
    ("WD22CD", "WD22NM"),
    ("WD13CD", "WD13NM"),
    ("GSS_CODE", "NAME"),
    ("code", "name"),
)
_GENERIC_WARD_CODE = re.compile(r"^WD\d{2}CD$")
_GENERIC_DISTRICT_CODE = re.compile(r"^LAD\d{2}CD$")
_POLYGONAL = ("Polygon", "MultiPolygon")

#: Overlaps smaller than this (square metres on BNG) are digitising noise, not a real overlap:
#: the published boundaries are generalised and rounded to about a metre.
DEFAULT_OVERLAP_TOLERANCE_M2 = 10.0
#: make_valid is trusted only when it changes the enclosed area by less than this fraction.
MAX_REPAIR_AREA_CHANGE = 0.01


@dataclass(frozen=True)
class WardBoundary:
    """One ward: its ONS (GSS) code, its name and its outline in WGS84 lon/lat."""

    code: str
    name: str
    geometry: BaseGeometry


class BoundaryError(ValueError):
    """Boundary data that cannot be used, with every problem found rather than just the first."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems: list[str] = list(problems)
        count = len(self.problems)
        summary = "; ".join(self.problems[:5])
        if count > 5:
            summary += f"; and {count - 5} more"
        super().__init__(f"{count} boundary problem{'s' if count != 1 else ''}: {summary}")


@dataclass
class ValidationReport:
    """The outcome of `validate`: the boundaries (repaired where allowed) and what was found."""

    boundaries: list[WardBoundary]
    problems: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether no unresolved problem remains (repairs made do not count as problems)."""
        return not self.problems


# --- loading -----------------------------------------------------------------------------------


def _crs_kind(name: str) -> str | None:
    """Return "wgs84", "bng" or None for a CRS name such as an OGC URN or "EPSG:27700"."""
    text = name.strip().lower()
    if text.endswith("crs84"):
        return "wgs84"
    digits = re.findall(r"\d+", text)
    if digits and ("epsg" in text or text.isdigit()):
        return {"4326": "wgs84", "27700": "bng"}.get(digits[-1])
    return None


def _collection_crs(collection: Mapping[str, Any]) -> str | None:
    """Return the CRS name a (pre-RFC 7946) FeatureCollection declares, if any."""
    member = collection.get("crs")
    if not isinstance(member, Mapping):
        return None
    properties = member.get("properties")
    if not isinstance(properties, Mapping):
        return None
    if "name" in properties:
        return str(properties["name"])
    if "code" in properties:  # the old GeoJSON 2008 {"type": "EPSG", "properties": {"code": ...}}
        return f"EPSG:{properties['code']}"
    return None


def _detect_properties(keys: Iterable[str]) -> tuple[str, str] | None:
    """The ward code and name properties, as the file spells them (case aside: "wd23cd", or
    Ordnance Survey Boundary-Line's CODE and NAME)."""
    spelt = {key.upper(): key for key in keys}
    for code_key, name_key in _CODE_NAME_PROPERTIES:
        if code_key.upper() in spelt:
            return spelt[code_key.upper()], spelt.get(name_key.upper(), name_key)
    # Newest boundary year first, so a file carrying both WD23CD and WD19CD uses WD23CD.
    generic = sorted((key for key in spelt if _GENERIC_WARD_CODE.match(key)), reverse=True)
    if generic:
        name = generic[0][:-2] + "NM"
        return spelt[generic[0]], spelt.get(name, name)
    return None


def _district_property(keys: Iterable[str]) -> str | None:
    """The property holding each ward's district (borough) code, as the file spells it:
    LAGSSCODE, else the newest LADnnCD."""
    spelt = {key.upper(): key for key in keys}
    generic = sorted((key for key in spelt if _GENERIC_DISTRICT_CODE.match(key)), reverse=True)
    return next((spelt[k] for k in ["LAGSSCODE", *generic] if k in spelt), None)


def several_districts_problem(districts: list[str]) -> str:
    """Why a file of several districts' wards needs one chosen."""
    shown = ", ".join(districts[:5]) + (" and more" if len(districts) > 5 else "")
    return (
        f"the file covers {len(districts)} districts ({shown}): choose the district "
        "whose wards to load by its code, e.g. E09000013"
    )


#: The longest ward code and name a ward can keep (the service stores them in columns this long;
#: an ONS ward code is 9 characters).
WARD_CODE_MAX, WARD_NAME_MAX = 12, 120


def _unusable_text(label: str, code: str, name: str, problems: list[str]) -> bool:
    """Note a ward code or name holding a control character (it could not be shown or printed)
    or longer than a ward's code or name can be."""
    before = len(problems)
    found = sorted({ch for ch in code + name if unicodedata.category(ch) == "Cc"})
    if found:
        codes = ", ".join(f"U+{ord(ch):04X}" for ch in found)
        problems.append(f"{label}: the ward's code or name holds a control character ({codes})")
    if len(code) > WARD_CODE_MAX:
        problems.append(f"{label}: the ward code is longer than {WARD_CODE_MAX} characters")
    if len(name) > WARD_NAME_MAX:
        problems.append(f"{label}: the ward's name is longer than {WARD_NAME_MAX} characters")
    return len(problems) > before


def _text(value: Any) -> str:
    if value is None:
        return ""
    return " ".join(str(value).split())


def _polygonal_or_problem(raw: Any, label: str, problems: list[str]) -> BaseGeometry | None:
    """Turn a GeoJSON geometry mapping into a 2D shapely polygon, or note why it cannot be."""
    if raw is None:
        problems.append(f"{label}: missing geometry")
        return None
    try:
        geom = shape(raw)
    except (ShapelyError, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        problems.append(f"{label}: unreadable geometry ({exc})")
        return None
    if geom.geom_type not in _POLYGONAL:
        problems.append(f"{label}: geometry is a {geom.geom_type}, not a Polygon or MultiPolygon")
        return None
    result: BaseGeometry = shapely.force_2d(geom)
    return result


def _check_lon_lat_range(boundaries: Sequence[WardBoundary]) -> list[str]:
    if not boundaries:
        return []
    minx, miny, maxx, maxy = shapely.total_bounds([b.geometry for b in boundaries])
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        return [
            f"coordinates ({minx:.0f}, {miny:.0f}, {maxx:.0f}, {maxy:.0f}) are not lon/lat degrees; "
            "if they are British National Grid metres, pass crs='EPSG:27700'"
        ]
    return []


def load_geojson(
    source: str | Path | bytes, crs: str | None = None, district_code: str | None = None
) -> list[WardBoundary]:
    """Read ward boundaries from a GeoJSON FeatureCollection, returning them in WGS84 lon/lat.

    `source` is a file path (str or Path) or the document itself as bytes. The code and name
    properties are detected (WD22CD/WD22NM, WD13CD/WD13NM, GSS_CODE/NAME, code/name, then any
    WDnnCD/WDnnNM). The coordinate system is `crs` if given, else the collection's `crs` member,
    else WGS84 as RFC 7946 requires; only WGS84/CRS84 and EPSG:27700 are understood.
    A feature without a name is named after its code. A file whose features name their district
    (LAGSSCODE or LADnnCD) keeps only `district_code`'s wards, and needs one when it covers
    several districts (a national file).

    Raises BoundaryError listing every unusable feature (missing code or geometry, not a polygon).
    """
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BoundaryError([f"not a JSON document: {exc}"]) from exc
    except RecursionError as exc:  # Python's parser gives up on "[[[[..." a hundred thousand deep
        raise BoundaryError(["not a GeoJSON document: it is nested too deeply to read"]) from exc
    if not isinstance(document, Mapping) or document.get("type") != "FeatureCollection":
        raise BoundaryError(["not a GeoJSON FeatureCollection"])
    features = document.get("features")
    if not isinstance(features, list) or not features:
        raise BoundaryError(["the FeatureCollection has no features"])

    crs_name = crs if crs is not None else _collection_crs(document)
    kind = "wgs84" if crs_name is None else _crs_kind(crs_name)
    if kind is None:
        raise BoundaryError([f"unsupported coordinate reference system {crs_name!r}"])

    property_maps = [f.get("properties") if isinstance(f, Mapping) else None for f in features]
    keys = _detect_properties(
        key for props in property_maps if isinstance(props, Mapping) for key in props
    )
    if keys is None:
        raise BoundaryError(
            ["no ward code property found (looked for WD22CD, WD13CD, GSS_CODE, code, WDnnCD)"]
        )
    code_key, name_key = keys
    district_key = _district_property(
        key for props in property_maps if isinstance(props, Mapping) for key in props
    )
    districts_of = [
        _text(props.get(district_key)) if district_key and isinstance(props, Mapping) else ""
        for props in property_maps
    ]
    if district_code is not None:
        if district_key is None:
            raise BoundaryError(
                [f"cannot filter on {district_code}: no LAGSSCODE or LADnnCD property"]
            )
        if district_code not in districts_of:
            raise BoundaryError([f"no wards found with district code {district_code}"])
    elif len(named := sorted({d for d in districts_of if d})) > 1:
        raise BoundaryError([several_districts_problem(named)])

    problems: list[str] = []
    boundaries: list[WardBoundary] = []
    for number, (feature, props, district) in enumerate(
        zip(features, property_maps, districts_of, strict=True), start=1
    ):
        label = f"feature {number}"
        if district_code is not None and district != district_code:
            continue
        if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
            problems.append(f"{label}: not a GeoJSON Feature")
            continue
        props = props if isinstance(props, Mapping) else {}
        code = _text(props.get(code_key))
        if code:
            label = f"{label} ({code})"
        else:
            problems.append(f"{label}: missing ward code ({code_key})")
        geom = _polygonal_or_problem(feature.get("geometry"), label, problems)
        name = _text(props.get(name_key)) or code
        if _unusable_text(label, code, name, problems):
            continue
        if code and geom is not None:
            boundaries.append(WardBoundary(code, name, geom))

    if kind == "bng":
        boundaries = [
            WardBoundary(b.code, b.name, geometry_from_bng(b.geometry)) for b in boundaries
        ]
    problems.extend(_check_lon_lat_range(boundaries))
    if problems:
        raise BoundaryError(problems)
    return boundaries


def _shapefile_crs_kind(prj_path: Path) -> str:
    if not prj_path.exists():
        raise BoundaryError(
            [f"no {prj_path.name} beside the shapefile, so its coordinate system is unknown"]
        )
    wkt = prj_path.read_text(encoding="utf-8", errors="replace")
    try:
        parsed = CRS.from_wkt(wkt)
    except CRSError as exc:
        raise BoundaryError([f"{prj_path.name} is not a readable WKT definition: {exc}"]) from exc
    epsg = parsed.to_epsg()
    if epsg == 27700:
        return "bng"
    if epsg == 4326:
        return "wgs84"
    raise BoundaryError(
        [f"{prj_path.name} describes {parsed.name!r}; only BNG and WGS84 shapefiles are supported"]
    )


def _shapefile_encoding(shp_path: Path) -> str:
    cpg = shp_path.with_suffix(".cpg")
    if not cpg.exists():
        return "utf-8"
    declared = cpg.read_text(encoding="ascii", errors="replace").strip()
    if declared.isdigit():  # ESRI writes bare code page numbers such as "1252"
        declared = f"cp{declared}"
    try:
        return codecs.lookup(declared).name
    except LookupError:
        return "utf-8"


def shapefile_districts(path_to_shp: str | Path) -> list[str]:
    """Return the district (borough) codes a shapefile's wards belong to, sorted.

    Read from its LAGSSCODE (or newest LADnnCD) field; an empty list when it has neither, so a
    file of one borough's wards without the field is taken as it is. Raises BoundaryError for
    an unreadable file.
    """
    shp_path = Path(path_to_shp)
    try:
        with shapefile.Reader(str(shp_path), encoding=_shapefile_encoding(shp_path)) as reader:
            field_names = [f[0] for f in reader.fields if f[0] != "DeletionFlag"]
            key = _district_property(field_names)
            if key is None:
                return []
            found = {_text(record.as_dict().get(key)) for record in reader.iterRecords()}
    except UnicodeDecodeError as exc:
        raise BoundaryError(
            [f"attribute text is not in the expected encoding ({exc}); add a .cpg file"]
        ) from exc
    except shapefile.ShapefileException as exc:
        raise BoundaryError([f"not a readable shapefile: {exc}"]) from exc
    return sorted(code for code in found if code)


def load_shapefile(path_to_shp: str | Path, district_code: str | None = None) -> list[WardBoundary]:
    """Read ward boundaries from an ESRI shapefile, returning them in WGS84 lon/lat.

    The .prj beside the .shp decides the coordinate system (BNG is transformed, WGS84 kept);
    the .cpg, if present, the text encoding. With `district_code` (e.g. "E09000013"), keep only
    the wards whose LAGSSCODE (or LADnnCD) property equals it.

    Raises BoundaryError for an unknown coordinate system, a missing district property, no
    matching ward, or (listing them all) records without a code or a polygon.
    """
    shp_path = Path(path_to_shp)
    kind = _shapefile_crs_kind(shp_path.with_suffix(".prj"))
    problems: list[str] = []
    boundaries: list[WardBoundary] = []
    try:
        with shapefile.Reader(str(shp_path), encoding=_shapefile_encoding(shp_path)) as reader:
            field_names = [f[0] for f in reader.fields if f[0] != "DeletionFlag"]
            keys = _detect_properties(field_names)
            if keys is None:
                raise BoundaryError([f"no ward code field found among {field_names}"])
            code_key, name_key = keys
            district_key: str | None = None
            if district_code is not None:
                district_key = _district_property(field_names)
                if district_key is None:
                    raise BoundaryError(
                        [f"cannot filter on {district_code}: no LAGSSCODE or LADnnCD field"]
                    )
            for number, item in enumerate(reader.iterShapeRecords(), start=1):
                record = item.record.as_dict()
                if district_key is not None and _text(record.get(district_key)) != district_code:
                    continue
                code = _text(record.get(code_key))
                label = f"record {number}" + (f" ({code})" if code else "")
                if not code:
                    problems.append(f"{label}: missing ward code ({code_key})")
                if item.shape.shapeType == shapefile.NULL:
                    problems.append(f"{label}: missing geometry")
                    continue
                geom = _polygonal_or_problem(item.shape.__geo_interface__, label, problems)
                name = _text(record.get(name_key)) or code
                if _unusable_text(label, code, name, problems):
                    continue
                if code and geom is not None:
                    boundaries.append(WardBoundary(code, name, geom))
    except UnicodeDecodeError as exc:
        raise BoundaryError(
            [f"attribute text is not in the expected encoding ({exc}); add a .cpg file"]
        ) from exc
    except shapefile.ShapefileException as exc:
        raise BoundaryError([f"not a readable shapefile: {exc}"]) from exc

    if district_code is not None and not boundaries and not problems:
        problems.append(f"no wards found with district code {district_code}")
    if problems:
        raise BoundaryError(problems)
    if kind == "bng":
        boundaries = [
            WardBoundary(b.code, b.name, geometry_from_bng(b.geometry)) for b in boundaries
        ]
    return boundaries


# --- validation --------------------------------------------------------------------------------


def _describe(boundary: WardBoundary) -> str:
    return f"{boundary.code} ({boundary.name})"


def _ring_enclosed_area(coords: Any) -> float:
    # Node the ring and sum the faces it encloses: unlike the signed shoelace area, which
    # cancels the two lobes of a bow-tie, this is what a person sees as the ring's area.
    faces = shapely.polygonize([shapely.node(LineString(coords))])
    return float(faces.area)


def _enclosed_area(geom: BaseGeometry) -> float:
    polygons = list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]
    return sum(
        _ring_enclosed_area(p.exterior.coords)
        - sum(_ring_enclosed_area(hole.coords) for hole in p.interiors)
        for p in polygons
    )


def _polygonal_part(geom: BaseGeometry) -> BaseGeometry | None:
    """Keep the polygons of a make_valid result, dropping lines and points it collapsed to."""
    if geom.geom_type in _POLYGONAL:
        return geom
    polygons = [
        part
        for part in shapely.get_parts(geom)
        if part.geom_type in _POLYGONAL and not part.is_empty
    ]
    if not polygons:
        return None
    merged: BaseGeometry = shapely.union_all(polygons)
    return merged if merged.geom_type in _POLYGONAL else None


def _try_repair(geom: BaseGeometry) -> tuple[BaseGeometry | None, str]:
    """Return the repaired geometry and a note, or None and the reason it was not repaired."""
    repaired = _polygonal_part(shapely.make_valid(geom))
    if repaired is None or repaired.is_empty:
        return None, "make_valid left no polygon"
    before = _enclosed_area(geometry_to_bng(geom))
    after = float(geometry_to_bng(repaired).area)
    if before <= 0:
        return None, "the original encloses no area"
    change = abs(after - before) / before
    if change >= MAX_REPAIR_AREA_CHANGE:
        return None, f"make_valid would change the area by {change:.1%}"
    return repaired, f"repaired with make_valid (area changed by {change:.2%})"


def _overlap_problems(boundaries: Sequence[WardBoundary], tolerance_m2: float) -> list[str]:
    if len(boundaries) < 2:
        return []
    projected = np.array([geometry_to_bng(b.geometry) for b in boundaries], dtype=object)
    tree = shapely.STRtree(projected)
    left, right = tree.query(projected, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    areas = shapely.area(shapely.intersection(projected[left], projected[right]))
    problems = []
    for i, j, area in sorted(zip(left.tolist(), right.tolist(), areas.tolist(), strict=True)):
        if area > tolerance_m2:
            problems.append(
                f"{_describe(boundaries[i])} and {_describe(boundaries[j])} overlap by {area:,.0f} m²"
            )
    return problems


def validate(
    boundaries: Sequence[WardBoundary],
    repair: bool = False,
    *,
    overlap_tolerance_m2: float = DEFAULT_OVERLAP_TOLERANCE_M2,
) -> ValidationReport:
    """Check boundaries for empty or invalid geometry, duplicate codes and overlapping wards.

    Overlaps are measured in square metres on British National Grid and ignored up to
    `overlap_tolerance_m2`. With `repair`, an invalid outline is replaced by `shapely.make_valid`'s
    result when that is still a (multi)polygon enclosing the same area to within 1%; each repair
    is listed in `repairs` and no longer counts as a problem. The input is never modified.
    """
    report = ValidationReport(boundaries=[])
    checked: list[WardBoundary] = []
    for boundary in boundaries:
        geom = boundary.geometry
        label = _describe(boundary)
        if geom is None or geom.is_empty:
            report.problems.append(f"{label}: geometry is empty")
            report.boundaries.append(boundary)
            continue
        if geom.geom_type not in _POLYGONAL:
            report.problems.append(f"{label}: geometry is a {geom.geom_type}, not a polygon")
            report.boundaries.append(boundary)
            continue
        if not geom.is_valid:
            reason = explain_validity(geom)
            if repair:
                repaired, note = _try_repair(geom)
                if repaired is not None:
                    boundary = WardBoundary(boundary.code, boundary.name, repaired)
                    report.repairs.append(f"{label}: {reason}; {note}")
                else:
                    report.problems.append(f"{label}: invalid geometry: {reason}; {note}")
            else:
                report.problems.append(f"{label}: invalid geometry: {reason}")
        report.boundaries.append(boundary)
        if boundary.geometry.is_valid:
            checked.append(boundary)

    counts = Counter(b.code for b in boundaries)
    for code, count in sorted(counts.items()):
        if count > 1:
            names = ", ".join(sorted({b.name for b in boundaries if b.code == code}))
            report.problems.append(f"code {code} is used by {count} wards ({names})")

    # Only valid outlines take part: GEOS overlay on invalid geometry raises or misleads.
    report.problems.extend(_overlap_problems(checked, overlap_tolerance_m2))
    return report


def ward_area_hectares(boundary: WardBoundary) -> float:
    """Return the ward's area in hectares, measured on British National Grid."""
    return float(geometry_to_bng(boundary.geometry).area) / 10_000


# --- lookup ------------------------------------------------------------------------------------


#: From this many points, locate_many tests ward by ward rather than through the tree.
LARGE_BATCH = 5_000


class WardIndex:
    """A spatial index answering "which ward is this lon/lat point in?".

    A point on a boundary shared by several wards goes to the lowest code among them, so the
    answer never depends on input order.
    """

    def __init__(self, boundaries: Iterable[WardBoundary]) -> None:
        """Index the boundaries; raise BoundaryError if two share a code."""
        ordered = sorted(boundaries, key=lambda b: b.code)
        duplicates = sorted(code for code, n in Counter(b.code for b in ordered).items() if n > 1)
        if duplicates:
            raise BoundaryError([f"code {code} appears more than once" for code in duplicates])
        self._boundaries: tuple[WardBoundary, ...] = tuple(ordered)
        self._by_code: dict[str, WardBoundary] = {b.code: b for b in ordered}
        # Tree positions follow code order, so the smallest matching position is the lowest code.
        self._lookup: list[str | None] = [b.code for b in ordered]
        self._lookup.append(None)
        geometries = np.array([b.geometry for b in ordered], dtype=object)
        self._tree = shapely.STRtree(geometries)
        # For large batches: each ward's box, and the ward prepared for point tests (a copy, so
        # the caller's geometry is left as it was).
        self._boxes = shapely.bounds(geometries) if ordered else np.empty((0, 4))
        self._prepared = [shapely.from_wkb(shapely.to_wkb(b.geometry)) for b in ordered]
        shapely.prepare(self._prepared)
        nan = float("nan")
        minx, miny, maxx, maxy = (
            (float(v) for v in shapely.total_bounds(geometries)) if ordered else (nan,) * 4
        )
        self._bounds = (minx, miny, maxx, maxy)

    def __len__(self) -> int:
        return len(self._boundaries)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    @property
    def codes(self) -> tuple[str, ...]:
        """The ward codes, in ascending order."""
        return tuple(self._by_code)

    @property
    def boundaries(self) -> tuple[WardBoundary, ...]:
        """The indexed boundaries, in ascending code order."""
        return self._boundaries

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """The (min lon, min lat, max lon, max lat) of all wards; NaNs when there are none."""
        return self._bounds

    def name_of(self, code: str) -> str:
        """Return the name of the ward with this code; raise KeyError if it is not indexed."""
        return self._by_code[code].name

    def boundary_of(self, code: str) -> WardBoundary:
        """Return the boundary with this code; raise KeyError if it is not indexed."""
        return self._by_code[code]

    def locate(self, lon: float, lat: float) -> str | None:
        """Return the code of the ward containing (lon, lat), or None outside every ward."""
        return self.locate_many([(lon, lat)])[0]

    def locate_many(self, points: Iterable[tuple[float, float]]) -> list[str | None]:
        """Return, for each (lon, lat), the code of the ward containing it or None.

        One vectorised tree query serves the whole batch. NaN coordinates give None; anything
        but pairs raises ValueError.
        """
        coords = np.asarray(
            list(points) if not isinstance(points, np.ndarray) else points, dtype=float
        )
        if coords.size == 0:
            return []
        if coords.ndim != 2 or coords.shape[1] != 2:
            raise ValueError(f"expected (lon, lat) pairs, got an array of shape {coords.shape}")
        count = len(coords)
        if not self._boundaries:
            return [None] * count
        best = np.full(count, len(self._boundaries), dtype=np.intp)
        if count < LARGE_BATCH:
            # "intersects" counts a point on the outline as inside, so shared edges are covered.
            point_idx, tree_idx = self._tree.query(shapely.points(coords), predicate="intersects")
            np.minimum.at(best, point_idx, tree_idx)
        else:
            # Ward by ward in code order, testing only the points in its box not yet placed:
            # the first ward to claim a point is the lowest code, as above, and no point
            # geometry is built (at 250,000 premises, building them cost more than the tests).
            x, y = coords[:, 0], coords[:, 1]
            free = np.ones(count, dtype=bool)
            for i, (ward, (minx, miny, maxx, maxy)) in enumerate(
                zip(self._prepared, self._boxes, strict=True)
            ):
                near = np.flatnonzero(free & (x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy))
                if near.size:
                    hit = near[shapely.intersects_xy(ward, x[near], y[near])]
                    best[hit] = i
                    free[hit] = False
        lookup = self._lookup
        return [lookup[i] for i in best.tolist()]
