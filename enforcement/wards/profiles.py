"""Ward profiles (counts per ward over a period) and hotspots (counts on a 250 m grid)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session

from enforcement import policy
from enforcement.access import Actor, Permission, can
from enforcement.cases.clock import OPEN as CASE_OPEN
from enforcement.cases.vocab import ToolCode
from enforcement.clock import london_midnight_utc, london_today
from enforcement.errors import Forbidden, NotFound, ValidationFailed
from enforcement.intelligence.vocab import OPEN_STATUSES as OPEN_FLAG_STATUSES
from enforcement.models import (
    EnforcementCase,
    Inspection,
    IntelFlag,
    Licence,
    Premises,
    PremisesCompliance,
    PremisesWard,
    Ward,
    WelfareVisit,
)
from enforcement.policy import Visibility
from enforcement.register import premises as register
from enforcement.register.rules import TRADING_STATUSES
from enforcement.register.wards import boundary_of, locator, wards_in_force
from enforcement.register.wards import in_ward as premises_in_ward
from enforcement.vocab import LicenceStatus, PremisesType
from enforcement.wards.maps import (
    COORD_DECIMALS,
    POSTER_COMPLIANCE,
    coords_of,
    geojson_point,
    may_know_of_flags,
    poster_category,
    scope,
)
from geo import grid, proximity
from geo.wards import ward_area_hectares

#: How many of the busiest cells a hotspot view lists.
HOTSPOT_ROWS = 20


# --- ward profile -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A span of London calendar days, both ends included."""

    start: date
    end: date

    @classmethod
    def last_year(cls, now: datetime) -> Period:
        """Return the twelve months up to and including today (London)."""
        today = london_today(now)
        try:
            start = today.replace(year=today.year - 1) + timedelta(days=1)
        except ValueError:  # 29 February
            start = today.replace(year=today.year - 1, day=28) + timedelta(days=1)
        return cls(start, today)

    def bounds_utc(self) -> tuple[datetime, datetime]:
        """Return the UTC instants [start, end) covering the period's London days."""
        return london_midnight_utc(self.start), london_midnight_utc(self.end + timedelta(days=1))

    def check(self) -> Period:
        """Return the period, or raise ValidationFailed if it ends before it starts."""
        if self.end < self.start:
            raise ValidationFailed({"period": "The end of the period must not be before its start"})
        if (self.end - self.start).days > 366 * 10:
            raise ValidationFailed({"period": "Choose a period of ten years or less"})
        return self


@dataclass(frozen=True)
class Count:
    label: str
    count: int
    key: str = ""


@dataclass(frozen=True)
class ProfileSection:
    """A block of counts on the ward profile, from a registered counter."""

    key: str
    title: str
    counts: list[Count]
    note: str | None = None


@dataclass(frozen=True)
class WardProfile:
    code: str
    name: str
    area_hectares: float
    valid_from: date
    period: Period
    premises_total: int
    unlocated_note: str
    by_type: list[Count]
    licences_by_status: list[Count]
    trading_unlicensed: int
    sections: list[ProfileSection] = field(default_factory=list)


#: A counter for the ward profile: given the ward's id and the period, one or two queries.
ProfileCounter = Callable[[Session, Actor, datetime, int, Period], ProfileSection | None]


@dataclass(frozen=True)
class _RegisteredCounter:
    key: str
    counter: ProfileCounter
    permission: Permission | None


_PROFILE_COUNTERS: dict[str, _RegisteredCounter] = {}


def register_profile_counter(
    key: str, counter: ProfileCounter, permission: Permission | None = None
) -> None:
    """Add a block of counts to every ward profile, for actors holding `permission`.

    A counter returns counts only, never the content of records, so a block may be shown to
    actors who may not read the records themselves.
    """
    _PROFILE_COUNTERS[key] = _RegisteredCounter(key, counter, permission)


def _poster_section(
    session: Session, _actor: Actor, now: datetime, ward_id: int, period: Period
) -> ProfileSection:
    start, end = period.bounds_utc()
    licensed = exists().where(
        Licence.premises_id == Premises.id, Licence.status.in_(TRADING_STATUSES)
    )
    latest: Counter[str] = Counter(
        poster_category(compliant, last_at, now)
        for compliant, last_at in session.execute(
            select(PremisesCompliance.poster_compliant, PremisesCompliance.last_inspected_at)
            .select_from(Premises)
            .outerjoin(PremisesCompliance, PremisesCompliance.premises_id == Premises.id)
            .where(premises_in_ward(ward_id), licensed)
        )
    )
    checks = session.execute(
        select(Inspection.poster_compliant, func.count())
        .join(Premises, Premises.id == Inspection.premises_id)
        .where(
            premises_in_ward(ward_id),
            Inspection.inspected_at >= start,
            Inspection.inspected_at < end,
        )
        .group_by(Inspection.poster_compliant)
    ).all()
    in_period = {bool(ok): int(n) for ok, n in checks}
    return ProfileSection(
        key="poster",
        title="Poster compliance",
        counts=[
            Count("Licensed premises", sum(latest.values()), "licensed"),
            *(Count(c.label, latest[c.key], c.key) for c in POSTER_COMPLIANCE.categories),
            Count("Inspections in the period", sum(in_period.values()), "inspections"),
            Count(
                "Poster checks failed in the period", in_period.get(False, 0), "failed_in_period"
            ),
        ],
        note="Licensed premises are those holding an active licence; the latest check may be "
        "older than the period.",
    )


register_profile_counter("poster", _poster_section, Permission.COMPLIANCE_VIEW)


def _case_section(
    session: Session, _actor: Actor, _now: datetime, ward_id: int, period: Period
) -> ProfileSection:
    start, end = period.bounds_utc()
    in_ward = [EnforcementCase.premises_id == Premises.id, premises_in_ward(ward_id)]

    def count(*clauses: ColumnElement[bool]) -> int:
        return int(
            session.scalar(
                select(func.count(EnforcementCase.id))
                .select_from(EnforcementCase, Premises)
                .where(*in_ward, *clauses)
            )
            or 0
        )

    by_tool = session.execute(
        select(EnforcementCase.tool, func.count(EnforcementCase.id))
        .select_from(EnforcementCase, Premises)
        .where(*in_ward, EnforcementCase.opened_at >= start, EnforcementCase.opened_at < end)
        .group_by(EnforcementCase.tool)
        .order_by(func.count(EnforcementCase.id).desc(), EnforcementCase.tool)
    ).all()
    return ProfileSection(
        key="cases",
        title="Enforcement cases",
        counts=[
            Count("Open today", count(EnforcementCase.status == CASE_OPEN), "open"),
            Count(
                "Opened in the period",
                count(EnforcementCase.opened_at >= start, EnforcementCase.opened_at < end),
                "opened",
            ),
            Count(
                "Closed in the period",
                count(EnforcementCase.closed_at >= start, EnforcementCase.closed_at < end),
                "closed",
            ),
            *(
                Count(f"Opened in the period: {ToolCode.label_of(t)}", int(n), t)
                for t, n in by_tool
            ),
        ],
    )


register_profile_counter("cases", _case_section, Permission.CASE_VIEW)


def _welfare_section(
    session: Session, actor: Actor, _now: datetime, ward_id: int, period: Period
) -> ProfileSection | None:
    if not _may_know_of_visits(actor):
        return None
    start, end = period.bounds_utc()
    visits = session.scalar(
        select(func.count(WelfareVisit.id))
        .join(Premises, Premises.id == WelfareVisit.premises_id)
        .where(
            premises_in_ward(ward_id),
            WelfareVisit.visited_at >= start,
            WelfareVisit.visited_at < end,
            policy.visible_visits_clause(actor, Visibility.EXISTENCE),
        )
    )
    return ProfileSection(
        key="welfare_visits",
        title="Welfare visits (Operation Moontwist)",
        counts=[Count("Visits in the period", int(visits or 0), "visits")],
        note="A count only: what was recorded at a visit is on the visit itself, for those "
        "who may read it.",
    )


register_profile_counter("welfare_visits", _welfare_section)


def _flag_section(
    session: Session, actor: Actor, now: datetime, ward_id: int, period: Period
) -> ProfileSection | None:
    if not may_know_of_flags(actor):
        return None
    start, end = period.bounds_utc()
    code = session.scalar(select(Ward.code).where(Ward.id == ward_id))
    visible = [
        IntelFlag.ward_code == code,
        policy.visible_flags_clause(actor, Visibility.EXISTENCE),
    ]

    def count(*clauses: ColumnElement[bool]) -> int:
        return int(session.scalar(select(func.count(IntelFlag.id)).where(*visible, *clauses)) or 0)

    return ProfileSection(
        key="flags",
        title="Intelligence flags",
        counts=[
            Count(
                "Reported in the period",
                count(IntelFlag.reported_at >= start, IntelFlag.reported_at < end),
                "reported",
            ),
            Count(
                "Open or under assessment today",
                count(IntelFlag.status.in_(OPEN_FLAG_STATUSES)),
                "open",
            ),
        ],
        note="Counts of the flags you may know exist; what a flag says is on the flag, for "
        "those its handling code allows.",
    )


register_profile_counter("flags", _flag_section)


def _ward_in_force(session: Session, code: str, now: datetime) -> Ward:
    for w in wards_in_force(session, london_today(now)):
        if w.code == code:
            return w
    raise NotFound("There is no ward with that code in force today.")


def ward_profile(
    session: Session, actor: Actor, now: datetime, code: str, period: Period
) -> WardProfile:
    """Count a ward's premises by type, licences by status, and each registered block over a period.

    The ward is the one with this code in force today. Counts of premises and licences are as
    they stand now; the blocks count the records dated within the period. Raises NotFound for
    an unknown ward, ValidationFailed for a period that ends before it starts.
    """
    where = scope(actor)
    period.check()
    ward = _ward_in_force(session, code, now)
    in_ward = [*where, premises_in_ward(ward.id)]
    type_labels = dict(PremisesType.choices())
    type_rows = session.execute(
        select(Premises.premises_type, func.count())
        .where(*in_ward)
        .group_by(Premises.premises_type)
    ).all()
    by_type_counts = {t: int(n) for t, n in type_rows}
    by_type = [
        Count(label, by_type_counts[key], key)
        for key, label in type_labels.items()
        if by_type_counts.get(key)
    ]
    status_rows = session.execute(
        select(Licence.status, func.count())
        .join(Premises, Premises.id == Licence.premises_id)
        .where(*in_ward)
        .group_by(Licence.status)
    ).all()
    status_counts = {s: int(n) for s, n in status_rows}
    licences_by_status = [
        Count(label, status_counts.get(key, 0), key) for key, label in LicenceStatus.choices()
    ]
    unlicensed = (
        session.scalar(
            select(func.count()).select_from(Premises).where(*in_ward, register.unlicensed_clause())
        )
        or 0
    )
    sections = []
    for reg in _PROFILE_COUNTERS.values():
        if reg.permission is not None and not can(actor, reg.permission):
            continue
        section = reg.counter(session, actor, now, ward.id, period)
        if section is not None:
            sections.append(section)
    return WardProfile(
        code=ward.code,
        name=ward.name,
        area_hectares=round(ward_area_hectares(boundary_of(ward)), 1),
        valid_from=ward.valid_from,
        period=period,
        premises_total=sum(by_type_counts.values()),
        unlocated_note="Premises with no location recorded belong to no ward and are not counted.",
        by_type=by_type,
        licences_by_status=licences_by_status,
        trading_unlicensed=int(unlicensed),
        sections=sections,
    )


@dataclass(frozen=True)
class WardSummary:
    code: str
    name: str
    premises: int
    trading_unlicensed: int


def ward_summaries(session: Session, actor: Actor, now: datetime) -> list[WardSummary]:
    """Return each ward in force today with its number of premises and of unlicensed traders."""
    where = scope(actor)
    wards = wards_in_force(session, london_today(now))
    ids = [w.id for w in wards]
    totals = dict(
        session.execute(
            select(PremisesWard.ward_id, func.count())
            .join(Premises, Premises.id == PremisesWard.premises_id)
            .where(*where, PremisesWard.ward_id.in_(ids))
            .group_by(PremisesWard.ward_id)
        ).all()
    )
    unlicensed = dict(
        session.execute(
            select(PremisesWard.ward_id, func.count())
            .join(Premises, Premises.id == PremisesWard.premises_id)
            .where(*where, PremisesWard.ward_id.in_(ids), register.unlicensed_clause())
            .group_by(PremisesWard.ward_id)
        ).all()
    )
    return [
        WardSummary(w.code, w.name, int(totals.get(w.id, 0)), int(unlicensed.get(w.id, 0)))
        for w in wards
    ]


# --- hotspots -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HotspotScope:
    """What a hotspot view counts within: clauses on premises (the access policy, the ward and
    type chosen), and the ward's code and the type for records that may have no premises."""

    premises: list[ColumnElement[bool]]
    ward_code: str | None = None
    premises_type: str = ""


#: Reads the (lon, lat) of every record of one kind in scope, one point per record.
PointReader = Callable[[Session, Actor, datetime, Period, HotspotScope], list[tuple[float, float]]]


@dataclass(frozen=True)
class HotspotKind:
    """A kind of record whose locations can be counted on the grid."""

    key: str
    label: str
    read_points: PointReader
    dated: bool
    permission: Permission | None = None
    # For record types the need-to-know policy governs: whether this actor may count any.
    offered_to: Callable[[Actor], bool] | None = None

    def offered(self, actor: Actor) -> bool:
        if self.permission is not None and not can(actor, self.permission):
            return False
        return self.offered_to is None or self.offered_to(actor)


_HOTSPOT_KINDS: dict[str, HotspotKind] = {}


def register_hotspot_kind(kind: HotspotKind) -> HotspotKind:
    """Offer a kind of record on the hotspot view (later keys replace earlier ones)."""
    _HOTSPOT_KINDS[kind.key] = kind
    return kind


def hotspot_kinds(actor: Actor) -> list[HotspotKind]:
    """Return the kinds of record this actor may see hotspots of."""
    return [k for k in _HOTSPOT_KINDS.values() if k.offered(actor)]


def _located(where: Sequence[ColumnElement[bool]]) -> list[ColumnElement[bool]]:
    return [*where, Premises.longitude.is_not(None), Premises.latitude.is_not(None)]


def _premises_points(
    session: Session,
    _actor: Actor,
    _now: datetime,
    _period: Period,
    in_scope: HotspotScope,
) -> list[tuple[float, float]]:
    return coords_of(
        session.execute(
            select(Premises.longitude, Premises.latitude).where(*_located(in_scope.premises))
        )
    )


def _unlicensed_points(
    session: Session,
    _actor: Actor,
    _now: datetime,
    _period: Period,
    in_scope: HotspotScope,
) -> list[tuple[float, float]]:
    return coords_of(
        session.execute(
            select(Premises.longitude, Premises.latitude).where(
                *_located(in_scope.premises), register.unlicensed_clause()
            )
        )
    )


def _inspection_points(
    failed_only: bool,
) -> PointReader:
    def read(
        session: Session,
        _actor: Actor,
        _now: datetime,
        period: Period,
        in_scope: HotspotScope,
    ) -> list[tuple[float, float]]:
        start, end = period.bounds_utc()
        clauses = [Inspection.inspected_at >= start, Inspection.inspected_at < end]
        if failed_only:
            clauses.append(Inspection.poster_compliant.is_(False))
        return coords_of(
            session.execute(
                select(Premises.longitude, Premises.latitude)
                .join(Inspection, Inspection.premises_id == Premises.id)
                .where(*_located(in_scope.premises), *clauses)
            )
        )

    return read


register_hotspot_kind(HotspotKind("premises", "Premises", _premises_points, dated=False))
register_hotspot_kind(
    HotspotKind(
        "unlicensed", "Premises trading without a licence they need", _unlicensed_points, False
    )
)
register_hotspot_kind(
    HotspotKind("inspections", "Inspections", _inspection_points(False), dated=True)
)
register_hotspot_kind(
    HotspotKind(
        "failed_poster_checks",
        "Failed poster checks",
        _inspection_points(True),
        dated=True,
        permission=Permission.COMPLIANCE_VIEW,
    )
)


def _case_points(
    session: Session,
    _actor: Actor,
    _now: datetime,
    period: Period,
    in_scope: HotspotScope,
) -> list[tuple[float, float]]:
    start, end = period.bounds_utc()
    return coords_of(
        session.execute(
            select(Premises.longitude, Premises.latitude)
            .join(EnforcementCase, EnforcementCase.premises_id == Premises.id)
            .where(
                *_located(in_scope.premises),
                EnforcementCase.opened_at >= start,
                EnforcementCase.opened_at < end,
            )
        )
    )


def _may_know_of_visits(actor: Actor) -> bool:
    return policy.most_visible(actor, policy.WELFARE_VISIT.record_type) > Visibility.NONE


def _visit_points(
    session: Session,
    actor: Actor,
    _now: datetime,
    period: Period,
    in_scope: HotspotScope,
) -> list[tuple[float, float]]:
    # Counts only, so knowing that a visit happened is enough (docs/welfare.md).
    start, end = period.bounds_utc()
    return coords_of(
        session.execute(
            select(Premises.longitude, Premises.latitude)
            .join(WelfareVisit, WelfareVisit.premises_id == Premises.id)
            .where(
                *_located(in_scope.premises),
                WelfareVisit.visited_at >= start,
                WelfareVisit.visited_at < end,
                policy.visible_visits_clause(actor, Visibility.EXISTENCE),
            )
        )
    )


def _flag_points(
    session: Session,
    actor: Actor,
    _now: datetime,
    period: Period,
    in_scope: HotspotScope,
) -> list[tuple[float, float]]:
    # A flag counts where it was reported (an address may have no premises yet), else at its
    # premises; in a ward by the ward it was recorded in. Knowing a flag exists is enough.
    start, end = period.bounds_utc()
    stmt = (
        select(
            func.coalesce(IntelFlag.longitude, Premises.longitude),
            func.coalesce(IntelFlag.latitude, Premises.latitude),
        )
        .select_from(IntelFlag)
        .outerjoin(Premises, Premises.id == IntelFlag.premises_id)
        .where(
            IntelFlag.reported_at >= start,
            IntelFlag.reported_at < end,
            policy.visible_flags_clause(actor, Visibility.EXISTENCE),
        )
    )
    if in_scope.ward_code:
        stmt = stmt.where(IntelFlag.ward_code == in_scope.ward_code)
    if in_scope.premises_type:
        stmt = stmt.where(Premises.premises_type == in_scope.premises_type)
    return coords_of(session.execute(stmt))


register_hotspot_kind(
    HotspotKind(
        "flags",
        "Intelligence flags reported",
        _flag_points,
        dated=True,
        offered_to=may_know_of_flags,
    )
)
register_hotspot_kind(
    HotspotKind(
        "cases",
        "Enforcement cases opened",
        _case_points,
        dated=True,
        permission=Permission.CASE_VIEW,
    )
)
register_hotspot_kind(
    HotspotKind(
        "welfare_visits",
        "Welfare visits (Operation Moontwist)",
        _visit_points,
        dated=True,
        offered_to=_may_know_of_visits,
    )
)


@dataclass(frozen=True)
class HotspotCell:
    label: str
    count: int
    centre_lon: float
    centre_lat: float
    ward_name: str | None


@dataclass(frozen=True)
class Hotspots:
    kind: HotspotKind
    period: Period
    ward_code: str | None
    cell_size_m: int
    total: int
    cells: list[HotspotCell]
    shades: list[tuple[int, int, int]]  # (shade, fewest, most): the legend of the map's cells
    geojson: dict[str, Any]


SHADES = 5


def _shade(count: int, busiest: int) -> int:
    """Return 1 to 5: the fifth of the busiest cell's count this count falls in."""
    return max(1, -(-count * SHADES // busiest)) if busiest else 1


def _shade_ranges(busiest: int) -> list[tuple[int, int, int]]:
    """Return each shade with the fewest and most records a cell of that shade holds."""
    ranges = []
    for shade in range(1, SHADES + 1):
        # A count is in shade k when (k-1)/5 of the busiest < count <= k/5 of it.
        low, high = (shade - 1) * busiest // SHADES + 1, shade * busiest // SHADES
        if low <= high:
            ranges.append((shade, low, high))
    return ranges


def _named_cells(
    session: Session, now: datetime, counted: list[grid.CellCount]
) -> list[HotspotCell]:
    """Return the counted cells for the table, each named after the ward its centre is in."""
    # Each cell is named after the ward its centre falls in, with the cached ward index.
    index = locator(session, london_today(now)).index
    centres = [c.cell.centre_bng for c in counted]
    lons, lats = proximity.from_bng_arrays([c[0] for c in centres], [c[1] for c in centres])
    ward_codes = index.locate_many(list(zip(lons.tolist(), lats.tolist(), strict=True)))
    return [
        HotspotCell(
            label=cc.cell.label,
            count=cc.count,
            centre_lon=round(float(lon), COORD_DECIMALS),
            centre_lat=round(float(lat), COORD_DECIMALS),
            ward_name=index.name_of(code) if code else None,
        )
        for cc, lon, lat, code in zip(
            counted, lons.tolist(), lats.tolist(), ward_codes, strict=True
        )
    ]


def _cell_features(counted: list[grid.CellCount], busiest: int) -> list[dict[str, Any]]:
    """Return each counted cell as a GeoJSON polygon in WGS84, shaded against the busiest."""
    return [
        {
            "type": "Feature",
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [geojson_point(x, y) for x, y in cc.cell.polygon_wgs84().exterior.coords]
                ],
            },
            "properties": {
                "cell": cc.cell.label,
                "count": cc.count,
                "shade": _shade(cc.count, busiest),
            },
        }
        for cc in counted
    ]


def hotspots(
    session: Session,
    actor: Actor,
    now: datetime,
    kind_key: str,
    period: Period,
    *,
    ward_code: str | None = None,
    premises_type: str = "",
) -> Hotspots:
    """Count records of one kind on a 250 m grid (on BNG), busiest cells first.

    With `ward_code`, only records at premises in that ward (in force today) count. The
    result holds the busiest cells for a table and every occupied cell as a GeoJSON polygon in
    WGS84 with its count. Raises ValidationFailed for an unknown kind, type or period, Forbidden
    for a kind the actor may not see, NotFound for an unknown ward.
    """
    where = scope(actor)
    kind = _HOTSPOT_KINDS.get(kind_key)
    if kind is None:
        raise ValidationFailed({"kind": "Choose what to count"})
    if not kind.offered(actor):
        raise Forbidden("You cannot see hotspots of that kind of record.")
    period.check()
    if premises_type:
        if premises_type not in {t.value for t in PremisesType}:
            raise ValidationFailed({"premises_type": "Unknown premises type"})
        where = [*where, Premises.premises_type == premises_type]
    if ward_code:
        ward = _ward_in_force(session, ward_code, now)
        where = [*where, premises_in_ward(ward.id)]
    points = kind.read_points(
        session,
        actor,
        now,
        period,
        HotspotScope(where, ward_code or None, premises_type),
    )
    counted = grid.count_cells([p[0] for p in points], [p[1] for p in points])
    busiest = counted[0].count if counted else 0
    cells = _named_cells(session, now, counted)
    features = _cell_features(counted, busiest)
    return Hotspots(
        kind=kind,
        period=period,
        ward_code=ward_code or None,
        cell_size_m=grid.DEFAULT_CELL_M,
        total=len(points),
        cells=cells[:HOTSPOT_ROWS],
        shades=_shade_ranges(busiest),
        geojson={"type": "FeatureCollection", "features": features, "max": busiest},
    )
