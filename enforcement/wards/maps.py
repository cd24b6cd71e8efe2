"""The map's data: premises as coloured GeoJSON points, nearby premises, ward profiles and hotspots."""

from __future__ import annotations

import functools
import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Float,
    Integer,
    String,
    and_,
    bindparam,
    case,
    func,
    not_,
    or_,
    select,
    union_all,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session, aliased

from enforcement import paging, policy
from enforcement.access import Actor, Permission, can, require
from enforcement.cases.clock import OPEN as CASE_OPEN
from enforcement.db import ids_in, read_columns
from enforcement.errors import Forbidden, NotFound, ValidationFailed
from enforcement.inspections.inspections import stale_from
from enforcement.intelligence import flags
from enforcement.intelligence.vocab import OPEN_STATUSES as OPEN_FLAG_STATUSES
from enforcement.models import (
    EnforcementCase,
    IntelFlag,
    Licence,
    Premises,
    PremisesCompliance,
    PremisesWard,
    Ward,
)
from enforcement.policy import Visibility
from enforcement.register import premises as register
from enforcement.register.rules import TRADING_STATUSES, is_trading_unlicensed
from enforcement.register.wards import wards_in_force
from enforcement.vocab import LicenceStatus, PremisesType
from geo import proximity

#: The most rows a nearby search lists; the premises within the distance are still counted.
MAX_NEARBY_ROWS = 200
#: How far a nearby search counts the premises within the distance: past it the page says "more
#: than 1,000", as the lists do (paging.COUNT_CAP). Counting every premises within 2 km of a
#: crowded high street reads tens of thousands of index entries; counting to just past the cap
#: stops early, and a figure in the tens of thousands tells an officer nothing the map does not.
NEARBY_COUNT_CAP = paging.COUNT_CAP
#: The distances offered for a nearby search, in metres (any whole number from 50 to 2,000 is accepted).
NEARBY_DISTANCES = (50, 100, 250, 500, 1000, 2000)
DEFAULT_NEARBY_M = 250
COORD_DECIMALS = 6  # about 0.1 m: finer than any location we hold, coarser than float noise

# Colours from the GOV.UK Frontend palette, each with enough contrast against the grey map.
GREEN, RED, ORANGE, BLUE = "#00703c", "#d4351c", "#f47738", "#1d70b8"
LIGHT_GREY, PURPLE = "#b1b4b6", "#4c2c92"


def scope(actor: Actor) -> list[ColumnElement[bool]]:
    """Apply the register's access policy: who may see premises at all, and which ones.

    The map, nearby searches, ward profiles and hotspots all start here, so they never show a
    premises the register's list would not.
    """
    require(actor, Permission.PREMISES_VIEW)
    return []


# --- colouring: a registry, so later record kinds (flags, cases) plug in without changing the map


@dataclass(frozen=True)
class Category:
    """One class of a colouring: its key in the GeoJSON, the legend's words and the point's colour."""

    key: str
    label: str
    colour: str


#: A classifier reads, in one query, a category key for each premises matching the clauses,
#: as the actor may see them.
Classifier = Callable[[Session, Actor, datetime, Sequence[ColumnElement[bool]]], dict[int, str]]


@dataclass(frozen=True)
class ColourScheme:
    """A way of colouring premises points, offered to the actors holding `permission`."""

    key: str
    label: str
    categories: tuple[Category, ...]
    classify: Classifier
    default: str
    permission: Permission | None = None
    # For record types the need-to-know policy governs: whether this actor may see any.
    offered_to: Callable[[Actor], bool] | None = None

    def offered(self, actor: Actor) -> bool:
        if self.permission is not None and not can(actor, self.permission):
            return False
        return self.offered_to is None or self.offered_to(actor)

    def category(self, key: str) -> Category:
        """Return the category with this key (the default one for an unknown key)."""
        for c in self.categories:
            if c.key == key:
                return c
        return self.category(self.default)


_SCHEMES: dict[str, ColourScheme] = {}


def register_scheme(scheme: ColourScheme) -> ColourScheme:
    """Add a colouring to the map's choices (later keys replace earlier ones of the same key)."""
    if scheme.default not in {c.key for c in scheme.categories}:
        raise ValueError(f"{scheme.key}: default {scheme.default!r} is not one of its categories")
    _SCHEMES[scheme.key] = scheme
    return scheme


def colour_schemes(actor: Actor) -> list[ColourScheme]:
    """Return the colourings this actor may choose, in the order they were registered."""
    return [s for s in _SCHEMES.values() if s.offered(actor)]


def colour_scheme(actor: Actor, key: str) -> ColourScheme:
    """Return the colouring with this key; ValidationFailed if unknown, Forbidden if not allowed."""
    scheme = _SCHEMES.get(key)
    if scheme is None:
        raise ValidationFailed({"colour": "Choose what the points are coloured by"})
    if not scheme.offered(actor):
        raise Forbidden("You cannot colour the map by that.")
    return scheme


def _licence_category(premises_type: str, licences: list[tuple[str, str]]) -> str:
    if is_trading_unlicensed(premises_type, licences):
        return "unlicensed"
    statuses = {status for _regime, status in licences}
    if statuses & TRADING_STATUSES:
        return "active"
    if LicenceStatus.SUSPENDED in statuses:
        return "suspended"
    if LicenceStatus.APPLIED in statuses:
        return "applied"
    return "ended" if statuses else "none"


def _classify_licences(
    session: Session, _actor: Actor, _now: datetime, where: Sequence[ColumnElement[bool]]
) -> dict[int, str]:
    held: dict[int, list[tuple[str, str]]] = defaultdict(list)
    types: dict[int, str] = {}
    # An alias, so the list's licence filters (EXISTS on licences) still correlate to premises.
    held_licence = aliased(Licence)
    for pid, ptype, regime, status in session.execute(
        select(Premises.id, Premises.premises_type, held_licence.regime, held_licence.status)
        .outerjoin(held_licence, held_licence.premises_id == Premises.id)
        .where(*where)
    ):
        types[pid] = ptype
        if regime is not None:
            held[pid].append((regime, status))
    return {pid: _licence_category(ptype, held.get(pid, [])) for pid, ptype in types.items()}


LICENCE_STATUS = register_scheme(
    ColourScheme(
        key="licence",
        label="Licence status",
        categories=(
            Category("unlicensed", "Trading without a licence it needs", RED),
            Category("active", "Active licence", GREEN),
            Category("suspended", "Licence suspended", ORANGE),
            Category("applied", "Licence applied for", BLUE),
            Category("ended", "Licence revoked, surrendered, expired or lapsed", PURPLE),
            Category("none", "No licence held or needed", LIGHT_GREY),
        ),
        classify=_classify_licences,
        default="none",
    )
)


def poster_category(compliant: bool | None, last_at: datetime | None, now: datetime) -> str:
    if compliant is None or last_at is None:
        return "never"
    if not compliant:
        return "not_compliant"
    return "stale" if last_at < stale_from(now) else "compliant"


def _classify_posters(
    session: Session, _actor: Actor, now: datetime, where: Sequence[ColumnElement[bool]]
) -> dict[int, str]:
    return {
        pid: poster_category(compliant, last_at, now)
        for pid, compliant, last_at in session.execute(
            select(
                Premises.id,
                PremisesCompliance.poster_compliant,
                PremisesCompliance.last_inspected_at,
            )
            .outerjoin(PremisesCompliance, PremisesCompliance.premises_id == Premises.id)
            .where(*where)
        )
    }


POSTER_COMPLIANCE = register_scheme(
    ColourScheme(
        key="poster",
        label="Poster compliance at the latest check",
        categories=(
            Category("not_compliant", "Not compliant at the latest check", RED),
            Category("stale", "Compliant, but not checked in 12 months", ORANGE),
            Category("compliant", "Compliant", GREEN),
            Category("never", "Never checked", LIGHT_GREY),
        ),
        classify=_classify_posters,
        default="never",
        permission=Permission.COMPLIANCE_VIEW,
    )
)


def _classify_cases(
    session: Session, _actor: Actor, _now: datetime, where: Sequence[ColumnElement[bool]]
) -> dict[int, str]:
    case = aliased(EnforcementCase)
    found: dict[int, str] = {}
    for pid, status in session.execute(
        select(Premises.id, case.status).join(case, case.premises_id == Premises.id).where(*where)
    ):
        if status == CASE_OPEN:
            found[pid] = "open"
        else:
            found.setdefault(pid, "closed")
    return found


ENFORCEMENT_CASES = register_scheme(
    ColourScheme(
        key="cases",
        label="Enforcement cases",
        categories=(
            Category("open", "Open enforcement case", RED),
            Category("closed", "Closed enforcement cases only", PURPLE),
            Category("none", "No enforcement case", LIGHT_GREY),
        ),
        classify=_classify_cases,
        default="none",
        permission=Permission.CASE_VIEW,
    )
)


def may_know_of_flags(actor: Actor) -> bool:
    """Say whether the access policy lets the actor know that any intelligence flag exists."""
    return policy.most_visible(actor, policy.INTEL_FLAG.record_type) > Visibility.NONE


def _classify_flags(
    session: Session, actor: Actor, _now: datetime, where: Sequence[ColumnElement[bool]]
) -> dict[int, str]:
    # Only that an open flag exists shows on the map, so knowing it exists is enough.
    return {
        pid: "open"
        for pid in session.scalars(
            select(Premises.id)
            .join(IntelFlag, IntelFlag.premises_id == Premises.id)
            .where(
                *where,
                IntelFlag.status.in_(OPEN_FLAG_STATUSES),
                policy.visible_flags_clause(actor, Visibility.EXISTENCE),
            )
            .distinct()
        )
    }


OPEN_FLAGS = register_scheme(
    ColourScheme(
        key="flags",
        label="Open intelligence flags",
        categories=(
            Category("open", "At least one open intelligence flag", RED),
            Category("none", "No open flag that you may see", LIGHT_GREY),
        ),
        classify=_classify_flags,
        default="none",
        offered_to=may_know_of_flags,
    )
)


# --- the premises layer -------------------------------------------------------------------------


@dataclass(frozen=True)
class MapQuery:
    """The list's filters (search text, ward, type, licence type and status) and a colouring."""

    text: str = ""
    ward: str = ""
    premises_type: str = ""
    regime: str = ""
    licence_status: str = ""
    colour: str = LICENCE_STATUS.key

    def as_list_query(self) -> register.PremisesQuery:
        return register.PremisesQuery(
            text=self.text,
            ward=self.ward,
            premises_type=self.premises_type,
            regime=self.regime,
            licence_status=self.licence_status,
        )


def geojson_point(lon: float | None, lat: float | None) -> list[float]:
    # Callers select located premises only; a missing coordinate here is a bug, not data.
    assert lon is not None and lat is not None
    return [round(lon, COORD_DECIMALS), round(lat, COORD_DECIMALS)]


def coords_of(rows: Iterable[Any]) -> list[tuple[float, float]]:
    """Return (lon, lat) pairs from rows of two columns, skipping any with a missing value."""
    return [(float(x), float(y)) for x, y in rows if x is not None and y is not None]


def premises_features(session: Session, actor: Actor, now: datetime, q: MapQuery) -> dict[str, Any]:
    """Return the premises matching the list's filters as a GeoJSON FeatureCollection.

    Each located premises is a Point whose id is the premises id, with its name, type code,
    ward id (None outside every ward) and colour category. Foreign members carry `labels`
    (the names of those type codes and ward ids, sent once rather than with every point),
    `legend` (the colouring, its categories and how many points fall in each) and the counts
    of premises shown and of those with no location. Runs four queries whatever the number
    of premises. Raises ValidationFailed for unknown filter codes or colouring, Forbidden for a
    colouring the actor may not use.
    """
    where = [*scope(actor)]
    scheme = colour_scheme(actor, q.colour)
    list_query = q.as_list_query()
    if problems := register.query_problems(list_query):
        raise ValidationFailed(problems)
    where += register.list_filters(list_query)
    located = [*where, Premises.longitude.is_not(None), Premises.latitude.is_not(None)]
    rows = session.execute(
        select(
            Premises.id,
            Premises.name,
            Premises.premises_type,
            Premises.longitude,
            Premises.latitude,
            PremisesWard.ward_id,
        )
        .outerjoin(PremisesWard, PremisesWard.premises_id == Premises.id)
        .where(*located)
        .order_by(Premises.id)
    ).all()
    unlocated = (
        session.scalar(
            select(func.count()).select_from(Premises).where(*where, Premises.longitude.is_(None))
        )
        or 0
    )
    classes = scheme.classify(session, actor, now, located)
    # The query excludes missing coordinates, so every row is a located premises.
    points = cast(list[tuple[int, str, str, float, float, int | None]], rows)
    ward_ids = {row[5] for row in points if row[5] is not None}
    ward_names = dict(
        session.execute(select(Ward.id, Ward.name).where(Ward.id.in_(ward_ids))).all()
    )
    categories = [classes.get(row[0], scheme.default) for row in points]
    counts = Counter(categories)
    # One comprehension over plain tuples: this is most of the time for 10,000 premises.
    features = [
        {
            "type": "Feature",
            "id": pid,
            "geometry": {
                "type": "Point",
                "coordinates": [round(lon, COORD_DECIMALS), round(lat, COORD_DECIMALS)],
            },
            "properties": {"name": name, "type": ptype, "ward": ward_id, "category": category},
        }
        for (pid, name, ptype, lon, lat, ward_id), category in zip(points, categories, strict=True)
    ]
    return {
        "type": "FeatureCollection",
        "features": features,
        "labels": {
            "types": dict(PremisesType.choices()),
            "wards": {str(ward_id): name for ward_id, name in sorted(ward_names.items())},
            "outside": "Outside the borough",
        },
        "legend": {
            "key": scheme.key,
            "label": scheme.label,
            "categories": [
                {"key": c.key, "label": c.label, "colour": c.colour, "count": counts[c.key]}
                for c in scheme.categories
            ],
        },
        "shown": len(features),
        "unlocated": unlocated,
    }


def ward_features(session: Session, actor: Actor, on: date) -> dict[str, Any]:
    """Return the wards in force on a date as a GeoJSON FeatureCollection, with premises counts."""
    where = scope(actor)
    wards = wards_in_force(session, on)
    counts = dict(
        session.execute(
            select(PremisesWard.ward_id, func.count())
            .join(Premises, Premises.id == PremisesWard.premises_id)
            .where(*where, PremisesWard.ward_id.in_([w.id for w in wards]))
            .group_by(PremisesWard.ward_id)
        ).all()
    )
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": w.code,
                "geometry": json.loads(w.boundary_geojson),
                "properties": {"code": w.code, "name": w.name, "premises": counts.get(w.id, 0)},
            }
            for w in wards
        ],
    }


# --- nearby -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NearbyLicence:
    regime: str
    status: str
    reference: str
    holder_name: str


@dataclass(frozen=True)
class NearbyRow:
    premises_id: int
    name: str
    address: str
    premises_type: str
    ward_name: str | None
    distance_m: float
    longitude: float
    latitude: float
    licences: tuple[NearbyLicence, ...]
    poster: Category | None
    same_holder: bool
    trading_unlicensed: bool


@dataclass(frozen=True)
class NearbyResult:
    """Premises within a distance of an origin, nearest first."""

    origin_lon: float
    origin_lat: float
    origin_easting: float
    origin_northing: float
    origin_premises_id: int | None
    origin_flag_id: int | None
    origin_name: str | None
    origin_holders: tuple[str, ...]
    radius_m: float
    rows: list[NearbyRow]
    total: int
    same_holder_only: bool
    count_cap: int = NEARBY_COUNT_CAP

    @property
    def capped(self) -> bool:
        """Return whether more than `count_cap` premises are within the distance (`total` is
        then `count_cap` + 1: the count stopped there)."""
        return self.total > self.count_cap

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


_HOLDER_NOISE = re.compile(r"[^a-z0-9 ]+")


def holder_key(name: str) -> str:
    """Return a licence holder's name reduced for matching ("Lotus Nails Ltd." = "LOTUS NAILS LIMITED")."""
    words = _HOLDER_NOISE.sub(" ", name.lower()).split()
    return " ".join("ltd" if w == "limited" else w for w in words)


def _premises_origin(
    session: Session, where: list[Any], premises_id: int
) -> tuple[str, float, float, tuple[str, ...]]:
    """Return a premises' name, location and licence holders, to search around it."""
    origin = session.execute(
        select(Premises.name, Premises.longitude, Premises.latitude).where(
            Premises.id == premises_id, *where
        )
    ).first()
    if origin is None:
        raise NotFound("There is no such premises.")
    name = origin[0]
    if origin[1] is None or origin[2] is None:
        raise ValidationFailed(
            {"premises": f"{name} has no location recorded, so nothing can be found near it"}
        )
    lon, lat = float(origin[1]), float(origin[2])
    holders = tuple(
        sorted(
            set(
                session.scalars(
                    select(Licence.holder_name).where(Licence.premises_id == premises_id)
                )
            )
        )
    )
    return name, lon, lat, holders


def _flag_origin(
    session: Session, actor: Actor, now: datetime, flag_id: int
) -> tuple[str, float, float]:
    """Return a flag's name and location (its point, or its premises'), reading it audited."""
    detail = flags.open_flag(session, actor, now, flag_id)
    flag = detail.flag
    there = (
        (flag.longitude, flag.latitude)
        if flag.longitude is not None and flag.latitude is not None
        else (detail.premises.longitude, detail.premises.latitude)
        if detail.premises is not None
        else (None, None)
    )
    if there[0] is None or there[1] is None:
        raise ValidationFailed(
            {"flag": "This flag has no location, so nothing can be found near it"}
        )
    lon, lat = float(there[0]), float(there[1])
    name = f"intelligence flag {flag.id}"
    return name, lon, lat


def nearby(
    session: Session,
    actor: Actor,
    now: datetime,
    *,
    radius_m: float,
    premises_id: int | None = None,
    point: tuple[float, float] | None = None,
    flag_id: int | None = None,
    same_holder_only: bool = False,
    limit: int = MAX_NEARBY_ROWS,
    count_cap: int | None = None,
) -> NearbyResult:
    """Find the premises within `radius_m` metres of a premises, a WGS84 (lon, lat) point or
    an intelligence flag's location.

    Distance is measured in metres on British National Grid; rows are nearest first, each
    with its licences, its poster compliance (for actors who may see it) and whether it shares a
    licence holder with the origin premises. With `same_holder_only`, only those are listed.
    At most `limit` rows are returned; `total` counts those within the distance up to
    `count_cap` (NEARBY_COUNT_CAP unless given) and is `count_cap` + 1 past it. A flag's
    location is part of its content: it is read (and the reading audited) through
    `enforcement.intelligence.flags.open_flag`, which refuses those who may not see it. Raises
    ValidationFailed (distance outside 50 to 2,000 m, no origin, an origin with no location),
    NotFound (no such premises or flag) or Forbidden (a flag the actor may not read).
    """
    where = scope(actor)
    try:
        radius = proximity.check_radius(radius_m)
    except ValueError as exc:
        raise ValidationFailed({"distance": f"The {exc}"}) from None
    name: str | None = None
    holders: tuple[str, ...] = ()
    if premises_id is not None:
        name, lon, lat, holders = _premises_origin(session, where, premises_id)
    elif flag_id is not None:
        name, lon, lat = _flag_origin(session, actor, now, flag_id)
    elif point is not None:
        lon, lat = point
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValidationFailed({"longitude": "Enter a longitude and latitude in degrees"})
    else:
        raise ValidationFailed({"premises": "Choose a premises or enter a location"})

    others = [*where]
    if premises_id is not None:
        others.append(Premises.id != premises_id)
    wanted_holders = {holder_key(h) for h in holders}
    limit = max(0, limit)
    cap = max(0, NEARBY_COUNT_CAP if count_cap is None else count_cap)
    if same_holder_only:
        found, total = _sharing_holder(session, (lon, lat), radius, others, wanted_holders)
        shown, total = found[:limit], min(total, cap + 1)
    else:
        # The register's scope adds no clause today (scope() checks the permission only);
        # the counting statement is built once, so it would need them added if it ever did.
        if where:
            raise NotImplementedError("the nearby count does not apply scope clauses yet")
        shown, total = _nearest(session, (lon, lat), radius, premises_id, limit, cap)
    rows = _nearby_rows(session, actor, now, shown, wanted_holders)
    east, north = proximity.to_bng_arrays([lon], [lat])
    return NearbyResult(
        origin_lon=lon,
        origin_lat=lat,
        origin_easting=float(east[0]),
        origin_northing=float(north[0]),
        origin_premises_id=premises_id,
        origin_flag_id=flag_id,
        origin_name=name,
        origin_holders=holders,
        radius_m=radius,
        rows=rows,
        total=total,
        same_holder_only=same_holder_only,
        count_cap=cap,
    )


# Rows read beyond the number listed, so the nearest are almost always settled in one query.
_NEAREST_SLACK = 50


def _estimate(lon: Any, lat: Any, a: Any, b2: Any, c: Any) -> ColumnElement[float | None]:
    """The database's estimate of the squared grid distance from (lon, lat), in square metres:
    LocalMetric's a·dx² + 2b·dx·dy + c·dy² (b2 is 2b), factored so SQLite evaluates fewer
    terms for each row. The arguments are numbers or bound parameters."""
    dx = Premises.longitude - lon
    dy = Premises.latitude - lat
    estimate: ColumnElement[float | None] = (a * dx + b2 * dy) * dx + (c * dy) * dy
    return estimate


def _squared_distance(metric: proximity.LocalMetric) -> ColumnElement[float | None]:
    """The estimate from the metric's origin, with its numbers in the statement."""
    return _estimate(metric.lon, metric.lat, metric.a, 2 * metric.b, metric.c)


def _in_box(origin: tuple[float, float], radius: float) -> list[ColumnElement[bool]]:
    """Clauses an index on (latitude, longitude) answers: a box holding the whole circle."""
    minx, miny, maxx, maxy = proximity.search_box(*origin, radius)
    return [Premises.latitude.between(miny, maxy), Premises.longitude.between(minx, maxx)]


def _located_rows(rows: Iterable[Any]) -> list[tuple[int, float, float]]:
    return [(int(pid), float(x), float(y)) for pid, x, y, *_ in rows if None not in (x, y)]


#: Bands of latitude the circle is cut into for counting (see geo.proximity.strips).
_STRIPS = 32


def _strip_params(
    metric: proximity.LocalMetric, radius: float, exclude_id: int | None
) -> dict[str, float | int]:
    inner, outer = metric.bounds(radius)
    params: dict[str, float | int] = {
        "m_a": metric.a,
        "m_b2": 2 * metric.b,
        "m_c": metric.c,
        "m_lon": metric.lon,
        "m_lat": metric.lat,
        "inner": inner,
        "above_inner": math.nextafter(inner, math.inf),
        "outer": outer,
        "exclude": -1 if exclude_id is None else exclude_id,
    }
    for i, band in enumerate(proximity.strips(metric, radius, _STRIPS)):
        # An empty inner range is written as (1, 0), which no longitude lies between.
        low, high = band.inner if band.inner is not None else (1.0, 0.0)
        params |= {
            f"lat_from_{i}": band.lat_from,
            f"lat_to_{i}": band.lat_to,
            f"outer_from_{i}": band.outer[0],
            f"outer_to_{i}": band.outer[1],
            f"inner_from_{i}": low,
            f"inner_to_{i}": high,
        }
    return params


@functools.lru_cache(maxsize=4)
def _strip_statement(dialect: str) -> CompoundSelect[Any]:
    """The counting statement of _count_within, built once: only its parameters change."""

    def p(name: str) -> Any:
        return bindparam(name, type_=Float)

    estimate = _estimate(p("m_lon"), p("m_lat"), p("m_a"), p("m_b2"), p("m_c"))
    near_edge = estimate.between(p("above_inner"), p("outer"))
    parts = []
    for i in range(_STRIPS):
        last = i == _STRIPS - 1
        middle = Premises.longitude.between(p(f"inner_from_{i}"), p(f"inner_to_{i}"))
        ids = case((and_(not_(middle), near_edge), Premises.id), else_=None)
        edge = (
            func.group_concat(ids)
            if dialect == "sqlite"
            else func.string_agg(sql_cast(ids, String), ",")
        )
        parts.append(
            select(func.count().filter(or_(middle, estimate <= p("inner"))), edge).where(
                Premises.id != bindparam("exclude", type_=Integer),
                Premises.latitude >= p(f"lat_from_{i}"),
                Premises.latitude <= p(f"lat_to_{i}")
                if last
                else Premises.latitude < p(f"lat_to_{i}"),
                Premises.longitude.between(p(f"outer_from_{i}"), p(f"outer_to_{i}")),
            )
        )
    return union_all(*parts)


# PostgreSQL: the same count as _strip_statement's, one statement joining the bands (passed as
# arrays, unnested) to the premises through the index on (latitude, longitude). Short, with a
# dozen parameters, so psycopg converts it once and keeps it; the union of 32 parts, 30 KB with
# 233 parameters, was converted afresh every time (several ms of the page's CPU).
_PG_ESTIMATE = (
    "(:m_a * (p.longitude - :m_lon) + :m_b2 * (p.latitude - :m_lat)) * (p.longitude - :m_lon)"
    " + (:m_c * (p.latitude - :m_lat)) * (p.latitude - :m_lat)"
)
_PG_MIDDLE = "p.longitude BETWEEN b.inner_from AND b.inner_to"
_PG_STRIPS = sql_text(
    f"SELECT count(*) FILTER (WHERE {_PG_MIDDLE} OR {_PG_ESTIMATE} <= :inner), "  # noqa: S608
    f"string_agg(CASE WHEN NOT ({_PG_MIDDLE}) AND {_PG_ESTIMATE} BETWEEN :above_inner AND :outer "
    "THEN CAST(p.id AS text) END, ',') "
    "FROM unnest(CAST(:lat_from AS float8[]), CAST(:lat_below AS float8[]), "
    "CAST(:outer_from AS float8[]), CAST(:outer_to AS float8[]), "
    "CAST(:inner_from AS float8[]), CAST(:inner_to AS float8[])) "
    "AS b(lat_from, lat_below, outer_from, outer_to, inner_from, inner_to) "
    "JOIN premises p ON p.latitude >= b.lat_from AND p.latitude < b.lat_below "
    "AND p.longitude BETWEEN b.outer_from AND b.outer_to "
    "WHERE p.id <> :exclude"
)


_PG_EDGE = sql_text(
    "SELECT id, longitude, latitude FROM premises WHERE id = ANY(CAST(:ids AS integer[]))"
)


def _strip_arrays(
    metric: proximity.LocalMetric, radius: float, exclude_id: int | None
) -> dict[str, Any]:
    """_strip_params as arrays, one element a band; the last band's upper latitude is
    inclusive, so it is passed as the next float above it and every band is tested with `<`."""
    flat = _strip_params(metric, radius, exclude_id)
    params: dict[str, Any] = {
        k: flat[k]
        for k in (
            "m_a",
            "m_b2",
            "m_c",
            "m_lon",
            "m_lat",
            "inner",
            "above_inner",
            "outer",
            "exclude",
        )
    }
    for key in ("lat_from", "outer_from", "outer_to", "inner_from", "inner_to"):
        params[key] = [float(flat[f"{key}_{i}"]) for i in range(_STRIPS)]
    below = [float(flat[f"lat_to_{i}"]) for i in range(_STRIPS)]
    below[-1] = math.nextafter(below[-1], math.inf)
    params["lat_below"] = below
    return params


def _count_within(
    session: Session,
    metric: proximity.LocalMetric,
    radius: float,
    exclude_id: int | None,
) -> tuple[int, list[tuple[int, float, float]]]:
    """Count the premises the estimate places within `radius` for certain, and read the rest
    of those it cannot place (near the edge of the circle) to be measured exactly.

    One statement, one pass over the index on (latitude, longitude): for each band of latitude
    (geo.proximity.strips) the points inside the band's inner range are counted with two
    comparisons each, and the estimate is worked out only for the thin slivers between its
    inner and outer ranges. The result is what counting `estimate <= inner` and reading
    `inner < estimate <= outer` over the whole circle would give, at a third of the cost.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        rows = session.execute(_PG_STRIPS, _strip_arrays(metric, radius, exclude_id))
    else:
        rows = session.execute(_strip_statement(dialect), _strip_params(metric, radius, exclude_id))
    certain, edge_ids = 0, []
    for count, text in rows:
        certain += int(count or 0)
        edge_ids += [int(i) for i in (text or "").split(",") if i]
    edge: list[tuple[int, float, float]] = []
    if dialect == "postgresql" and edge_ids:
        # One statement with one array parameter, however many premises lie near the edge.
        return certain, _located_rows(session.execute(_PG_EDGE, {"ids": edge_ids}))
    for at in range(0, len(edge_ids), 500):
        edge += _located_rows(
            session.execute(
                select(Premises.id, Premises.longitude, Premises.latitude).where(
                    Premises.id.in_(edge_ids[at : at + 500])
                )
            )
        )
    return certain, edge


def _certain_count(
    session: Session,
    metric: proximity.LocalMetric,
    radius: float,
    exclude_id: int | None,
    cap: int,
) -> int:
    """Count the premises in a box wholly within `radius` (proximity.inner_box), stopping at
    `cap` + 1: if it stops there, more than `cap` premises are within the distance for certain.

    Two comparisons a row through the index on (latitude, longitude), read only until `cap` + 1
    are found, so it costs little however crowded the circle. Which rows the limit keeps does
    not matter: only how many there are, which is the same whichever they are.
    """
    min_lon, min_lat, max_lon, max_lat = proximity.inner_box(metric, radius)
    others = [] if exclude_id is None else [Premises.id != exclude_id]
    found = (
        select(Premises.id)
        .where(
            *others,
            Premises.latitude.between(min_lat, max_lat),
            Premises.longitude.between(min_lon, max_lon),
        )
        .limit(cap + 1)
        .subquery()
    )
    return int(session.execute(select(func.count()).select_from(found)).scalar_one())


def _nearest(
    session: Session,
    origin: tuple[float, float],
    radius: float,
    exclude_id: int | None,
    limit: int,
    cap: int,
) -> tuple[list[proximity.Neighbour], int]:
    """Return the `limit` nearest premises within `radius` metres and how many there are, counted
    up to `cap` (`cap` + 1 when there are more).

    The database counts and orders by an estimate of the grid distance that is never off by
    more than `LOCAL_METRIC_TOLERANCE`: only the premises the estimate cannot place (near the
    edge of the circle) and the nearest are read and measured exactly on British National Grid.
    So a search over a crowded 2 km reads a few thousand rows, not tens of thousands.
    """
    metric = proximity.local_metric(*origin)
    estimate = _squared_distance(metric)
    tolerance = proximity.LOCAL_METRIC_TOLERANCE
    others = [] if exclude_id is None else [Premises.id != exclude_id]
    wanted = limit + _NEAREST_SLACK
    if _certain_count(session, metric, radius, exclude_id, cap) > cap:
        total = cap + 1
        # How many there are is not known, only that it is more than `cap`: start with the
        # circle that would hold a quarter of the rows wanted were `cap` of them spread evenly,
        # then widen it by what each read finds, so a crowded street is settled by a small read.
        reach = min(radius, max(proximity.MIN_RADIUS_M, radius * math.sqrt(wanted / (cap + 1)) / 4))
    else:
        certain, edge = _count_within(session, metric, radius, exclude_id)
        total = min(cap + 1, certain + len(proximity.nearest_within(origin, sorted(edge), radius)))
        reach = radius  # the box holds at most `cap`: the circle usually half as many again
    if limit == 0 or total == 0:
        return [], total
    while True:
        bound = reach * (1 + tolerance)
        rows = session.execute(
            select(Premises.id, Premises.longitude, Premises.latitude, estimate)
            .where(*others, *_in_box(origin, bound), estimate <= bound * bound)
            .order_by(estimate, Premises.id)
            .limit(wanted)
        ).all()
        read_below = bound if len(rows) < wanted else math.sqrt(float(rows[-1][3] or 0.0))
        # Anything unread has an estimate of at least `read_below`, so is at least this far:
        unread_beyond = read_below / (1 + tolerance) - 0.1  # less the rounding of distance_m
        near = proximity.nearest_within(origin, sorted(_located_rows(rows)), radius)
        if (reach >= radius and len(rows) < wanted) or (
            len(near) >= limit and near[limit - 1].distance_m < unread_beyond
        ):
            return near[:limit], total
        if len(rows) >= wanted or reach >= radius:
            # A wider circle would read the same rows, nearest first: more than `wanted` lie
            # at almost the same distance.
            break
        # Widen to the circle that would hold twice the rows wanted at the density just read.
        grow = math.sqrt(2 * wanted / max(1, len(rows)))
        reach = min(radius, reach * min(8.0, max(2.0, grow)))
    # Rare: more premises than `wanted` at almost the same distance. Read them all.
    everything = session.execute(
        select(Premises.id, Premises.longitude, Premises.latitude).where(
            *others, *_in_box(origin, radius), estimate <= metric.bounds(radius)[1]
        )
    ).all()
    candidates = sorted(_located_rows(everything))
    return proximity.nearest_within(origin, candidates, radius, limit=limit), total


def _sharing_holder(
    session: Session,
    origin: tuple[float, float],
    radius: float,
    others: Sequence[ColumnElement[bool]],
    holders: set[str],
) -> tuple[list[proximity.Neighbour], int]:
    """Return the premises within `radius` holding a licence of one of these holders, nearest first."""
    if not holders:
        return [], 0
    metric = proximity.local_metric(*origin)
    _inner, outer = metric.bounds(radius)
    rows = session.execute(
        select(Premises.id, Premises.longitude, Premises.latitude, Licence.holder_name)
        .join(Licence, Licence.premises_id == Premises.id)
        .where(*others, *_in_box(origin, radius), _squared_distance(metric) <= outer)
        .order_by(Premises.id, Licence.id)
    ).all()
    sharing = sorted({(pid, x, y) for pid, x, y, holder in rows if holder_key(holder) in holders})
    found = proximity.nearest_within(origin, _located_rows(sharing), radius)
    return found, len(found)


@functools.lru_cache(maxsize=4)
def _nearby_statements(dialect: str) -> tuple[Any, Any, Any]:
    """The nearby rows' three statements (details with the ward's name, licences, poster
    compliance), built once with the ids bound as one parameter (`ids_in`), so nothing is
    rendered per id (up to 200 a page)."""
    details = (
        select(
            Premises.id,
            Premises.name,
            Premises.address_line1,
            Premises.address_line2,
            Premises.town,
            Premises.postcode,
            Premises.premises_type,
            Ward.name,
            Premises.longitude,
            Premises.latitude,
        )
        .outerjoin(PremisesWard, PremisesWard.premises_id == Premises.id)
        .outerjoin(Ward, Ward.id == PremisesWard.ward_id)
        .where(ids_in(Premises.id, "ids", dialect))
    )
    licences = (
        select(
            Licence.premises_id,
            Licence.regime,
            Licence.status,
            Licence.reference,
            Licence.holder_name,
        )
        .where(ids_in(Licence.premises_id, "ids", dialect))
        .order_by(Licence.premises_id, Licence.status != LicenceStatus.ACTIVE, Licence.id)
    )
    posters = (
        select(
            PremisesCompliance.premises_id,
            PremisesCompliance.poster_compliant,
            PremisesCompliance.last_inspected_at,
        )
        .where(ids_in(PremisesCompliance.premises_id, "ids", dialect))
        .order_by(PremisesCompliance.premises_id)
    )
    return details, licences, posters


def _nearby_rows(
    session: Session,
    actor: Actor,
    now: datetime,
    shown: Sequence[proximity.Neighbour],
    wanted_holders: set[str],
) -> list[NearbyRow]:
    ids = [int(str(n.key)) for n in shown]
    if not ids:
        return []
    details_of, licences_of, posters_of = _nearby_statements(session.get_bind().dialect.name)
    bound = {"ids": ids}
    details = {r[0]: r for r in read_columns(session, details_of, bound).all()}
    held: dict[int, list[NearbyLicence]] = defaultdict(list)
    for pid, regime, status, ref, holder in read_columns(session, licences_of, bound).all():
        held[pid].append(NearbyLicence(regime, status, ref, holder))
    posters: dict[int, str] | None = None
    if can(actor, Permission.COMPLIANCE_VIEW):
        # A premises never checked has no row: it is "never", as the map's scheme says.
        posters = {
            pid: poster_category(compliant, last_at, now)
            for pid, compliant, last_at in read_columns(session, posters_of, bound).all()
        }
    rows = []
    for neighbour, pid in zip(shown, ids, strict=True):
        d = details[pid]
        licences = tuple(held.get(pid, []))
        rows.append(
            NearbyRow(
                premises_id=pid,
                name=d[1],
                address=", ".join(x for x in (d[2], d[3], d[4], d[5]) if x),
                premises_type=d[6],
                ward_name=d[7],
                distance_m=neighbour.distance_m,
                longitude=float(d[8] or 0.0),  # located: the box query above saw both
                latitude=float(d[9] or 0.0),
                licences=licences,
                poster=None
                if posters is None
                else POSTER_COMPLIANCE.category(posters.get(pid, "never")),
                same_holder=bool(wanted_holders)
                and any(holder_key(x.holder_name) in wanted_holders for x in licences),
                trading_unlicensed=is_trading_unlicensed(
                    d[6], [(x.regime, x.status) for x in licences]
                ),
            )
        )
    return rows


def points_of(rows: Iterable[NearbyRow]) -> list[dict[str, Any]]:
    """Return nearby rows as small dicts for the page's map (id, name, lon, lat, distance)."""
    return [
        {
            "id": r.premises_id,
            "name": r.name,
            "lon": round(r.longitude, COORD_DECIMALS),
            "lat": round(r.latitude, COORD_DECIMALS),
            "distance": r.distance_m,
        }
        for r in rows
    ]
