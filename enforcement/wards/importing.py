"""Importing ward boundaries: a preview that writes nothing, then a confirmation that replaces the set."""

from __future__ import annotations

import io
import json
import re
import secrets
import tempfile
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path, PurePosixPath

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from enforcement import audit
from enforcement.access import Actor, Permission, require
from enforcement.clock import london_today
from enforcement.errors import NotFound, ValidationFailed
from enforcement.models import Premises, PremisesWard, User, UserWard, Ward
from enforcement.register import wards
from geo.wards import (
    BoundaryError,
    WardBoundary,
    WardIndex,
    load_geojson,
    load_shapefile,
    several_districts_problem,
    shapefile_districts,
    validate,
    ward_area_hectares,
)

GEOJSON_SUFFIXES = frozenset({".geojson", ".json"})
SHAPEFILE_PARTS = frozenset({".shp", ".shx", ".dbf", ".prj", ".cpg"})
# A zipped shapefile is unpacked to disk; these bounds stop a small upload from unpacking into
# something enormous (a "zip bomb") or into many files.
MAX_ZIP_MEMBERS = 50
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
OUTSIDE = "Outside every ward"


@dataclass(frozen=True)
class BoundarySource:
    """Where boundaries come from: an upload's bytes, or a file on disk, and how to read it.

    `filename` decides the format: .geojson or .json, a .zip holding one shapefile (.shp, .shx,
    .dbf and .prj, optionally .cpg), or a .shp on disk. `crs` "EPSG:27700" reads a GeoJSON that
    does not say so as British National Grid; `district` keeps only one borough's wards of a
    file covering several (e.g. "E09000013"); `repair` mends invalid shapes where safe.
    """

    filename: str
    data: bytes | None = None
    path: Path | None = None
    crs: str | None = None
    district: str | None = None
    repair: bool = False

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.filename).suffix.lower()


@dataclass(frozen=True)
class WardLine:
    """A ward as found in the file: code, name, area and how many premises would fall in it."""

    code: str
    name: str
    area_hectares: float
    premises: int
    status: str  # "unchanged" (same code and name as now), "renamed", "new"


@dataclass(frozen=True)
class Move:
    """How many premises would move (or moved) from one ward to another."""

    from_name: str
    to_name: str
    count: int


@dataclass(frozen=True)
class CoverChange:
    """What a boundary change does to a ward that officers cover (`user_wards`, by code).

    `how` is "code" when the code survives (nothing to change), "overlap" when the officers are
    moved to the new ward that overlaps most of the old one (`share`: the part of the old
    ward's area inside it), and "none" when no new ward overlaps it (left for the admin).
    """

    old_code: str
    old_name: str
    new_code: str | None
    new_name: str | None
    how: str
    share: float
    officers: int


@dataclass
class ImportPreview:
    """What an import found and what it would do; nothing has been written."""

    filename: str
    valid_from: date
    wards: list[WardLine] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    located: int = 0
    unlocated: int = 0
    outside: int = 0
    retired: list[tuple[str, str]] = field(default_factory=list)
    current_since: date | None = None
    cover: list[CoverChange] = field(default_factory=list)
    boundaries: list[WardBoundary] = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        """Whether the boundaries can be imported (no unresolved problem, at least one ward)."""
        return not self.problems and bool(self.wards)

    @property
    def moved(self) -> int:
        return sum(m.count for m in self.moves)

    @property
    def repairable(self) -> bool:
        """Whether some problem is an invalid shape, which the repair option may mend."""
        return any("invalid geometry" in p for p in self.problems)

    @property
    def total_hectares(self) -> float:
        return round(sum(w.area_hectares for w in self.wards), 1)


@dataclass(frozen=True)
class ImportResult:
    """What a confirmed import did."""

    wards: int
    valid_from: date
    moves: list[Move]
    located: int
    outside: int
    retired: int
    cover: list[CoverChange] = field(default_factory=list)

    @property
    def moved(self) -> int:
        return sum(m.count for m in self.moves)

    @property
    def previous_end(self) -> date:
        """The last day the boundaries replaced were in force."""
        return self.valid_from - timedelta(days=1)


def _unzip_shapefile(data: bytes, folder: Path) -> Path:
    """Unpack one shapefile's parts from a zip into `folder`; return the .shp path."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise BoundaryError(["the file is not a readable zip archive"]) from exc
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_ZIP_MEMBERS:
            raise BoundaryError([f"the zip holds {len(members)} files; a shapefile needs 4 or 5"])
        if sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
            raise BoundaryError(["the zip unpacks to more than 200 MB"])
        # Only the file's own name is used, never its folder, so nothing lands outside `folder`.
        parts = [
            (m, PurePosixPath(m.filename.replace("\\", "/")).name)
            for m in members
            if PurePosixPath(m.filename).suffix.lower() in SHAPEFILE_PARTS
            and not PurePosixPath(m.filename).name.startswith(".")
            and "__MACOSX" not in m.filename
        ]
        stems = {PurePosixPath(name).stem for _m, name in parts if name.lower().endswith(".shp")}
        if len(stems) != 1:
            raise BoundaryError(
                [
                    "the zip must hold exactly one shapefile (.shp with its .shx, .dbf and .prj); "
                    f"found {len(stems)}"
                ]
            )
        stem = stems.pop()
        found: set[str] = set()
        for member, name in parts:
            if PurePosixPath(name).stem != stem:
                continue
            suffix = PurePosixPath(name).suffix.lower()
            (folder / f"boundaries{suffix}").write_bytes(archive.read(member))
            found.add(suffix)
    missing = sorted({".shp", ".shx", ".dbf", ".prj"} - found)
    if missing:
        raise BoundaryError([f"the zip has no {', '.join(missing)} for {stem}.shp"])
    return folder / "boundaries.shp"


def _shapefile_in(folder: Path) -> Path:
    """Return the one shapefile in a folder (a shapefile is published as a folder of parts)."""
    found = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".shp" and p.is_file())
    if len(found) != 1:
        raise BoundaryError(
            [f"the folder {folder.name} must hold exactly one .shp file; found {len(found)}"]
        )
    return found[0]


def _load_one_district(shp: Path, district: str | None) -> list[WardBoundary]:
    """Read a shapefile's wards, refusing a file of several districts unless one is chosen.

    A file covering several boroughs (the London Datastore's holds all 33) would otherwise
    load every ward in it as the borough's.
    """
    if district is None:
        districts = shapefile_districts(shp)
        if len(districts) > 1:
            raise BoundaryError([several_districts_problem(districts)])
    return load_shapefile(shp, district)


def read_boundaries(source: BoundarySource) -> list[WardBoundary]:
    """Read ward boundaries (in WGS84) from a source; raise BoundaryError listing what is wrong.

    On disk, a shapefile may be given as its .shp, as the folder holding its parts, or as a
    .zip of them; a file (shapefile or GeoJSON) of several districts needs `district`.
    """
    suffix = source.suffix
    if source.path is not None and source.path.is_dir():
        return _load_one_district(_shapefile_in(source.path), source.district)
    if suffix in GEOJSON_SUFFIXES:
        if source.data is not None:
            return load_geojson(source.data, crs=source.crs, district_code=source.district)
        if source.path is not None:
            return load_geojson(source.path, crs=source.crs, district_code=source.district)
    elif suffix == ".shp" and source.path is not None:
        return _load_one_district(source.path, source.district)
    elif suffix == ".zip" and (source.data is not None or source.path is not None):
        data = source.data if source.data is not None else _read_zip(source.path)
        with tempfile.TemporaryDirectory(prefix="wards-") as tmp:
            return _load_one_district(_unzip_shapefile(data, Path(tmp)), source.district)
    raise BoundaryError(
        [
            f"{source.filename}: choose a .geojson file or a .zip holding a shapefile "
            "(or, on the command line, a .shp or its folder)"
        ]
    )


def _read_zip(path: Path | None) -> bytes:
    assert path is not None
    if path.stat().st_size > MAX_UNZIPPED_BYTES:
        raise BoundaryError(["the zip is larger than 200 MB"])
    return path.read_bytes()


def _current_set(session: Session, on: date) -> list[Ward]:
    return wards.wards_in_force(session, on)


#: The earliest start date a boundary set may have: wards older than this are not mapped.
EARLIEST_VALID_FROM = date(1900, 1, 1)


def _check_valid_from(session: Session, now: datetime, valid_from: date) -> date | None:
    """Refuse a start date in the future or not after the current set's; return the current set's."""
    today = london_today(now)
    if valid_from < EARLIEST_VALID_FROM:  # year 1 passed, then ending the set before it overflowed
        raise ValidationFailed(
            {
                "valid_from": "The date the boundaries came into force must be in "
                f"{EARLIEST_VALID_FROM.year} or later"
            }
        )
    if valid_from > today:
        raise ValidationFailed(
            {
                "valid_from": "The date the boundaries came into force must be today or in the "
                "past: premises are reassigned as soon as they are imported"
            }
        )
    since = session.scalar(select(func.max(Ward.valid_from)).where(Ward.valid_to.is_(None)))
    if since is not None and valid_from <= since:
        raise ValidationFailed(
            {
                "valid_from": f"The new boundaries must come into force after {since:%-d %B %Y}, "
                "when the current ones did"
            }
        )
    return since


def _moves(
    before: dict[int, str | None], after: dict[int, str | None], names: dict[str, str]
) -> list[Move]:
    counted: Counter[tuple[str | None, str | None]] = Counter(
        (before.get(pid), code) for pid, code in after.items()
    )
    return _moves_from_counts(counted, names)


def _moves_from_counts(
    counted: Counter[tuple[str | None, str | None]], names: dict[str, str]
) -> list[Move]:
    """Turn counts of premises by (old code, new code) into moves, largest first."""

    def name(code: str | None) -> str:
        return OUTSIDE if code is None else names.get(code, code)

    moves = [(a, b, n) for (a, b), n in counted.items() if a != b and n]
    return [
        Move(name(a), name(b), n)
        for a, b, n in sorted(moves, key=lambda m: (-m[2], name(m[0]), name(m[1])))
    ]


def _checked(source: BoundarySource) -> tuple[list[WardBoundary], list[str], list[str]]:
    """Read and validate a source: (boundaries, problems, repairs); nothing raised for bad data."""
    try:
        found = read_boundaries(source)
    except BoundaryError as exc:
        return [], exc.problems, []
    report = validate(found, repair=source.repair)
    return list(report.boundaries), list(report.problems), list(report.repairs)


def cover_changes(session: Session, boundaries: list[WardBoundary]) -> list[CoverChange]:
    """Say, for each ward code officers cover, which ward of `boundaries` they will cover.

    By code where the code survives; otherwise the new ward overlapping most of the old ward
    (its latest boundary on record), so a ward officer keeps the premises of their own streets.
    """
    covered = session.execute(
        select(UserWard.ward_code, func.count())
        .group_by(UserWard.ward_code)
        .order_by(UserWard.ward_code)
    ).all()
    new = {b.code: b for b in boundaries}
    changes: list[CoverChange] = []
    for code, officers in covered:
        old = session.scalar(
            select(Ward).where(Ward.code == code).order_by(Ward.valid_from.desc(), Ward.id.desc())
        )
        old_name = old.name if old is not None else code
        if code in new:
            changes.append(
                CoverChange(code, old_name, code, new[code].name, "code", 1.0, int(officers))
            )
            continue
        best: tuple[float, WardBoundary] | None = None
        if old is not None:
            shape_ = wards.boundary_of(old).geometry
            for b in boundaries:
                if not b.geometry.intersects(shape_):
                    continue
                part = b.geometry.intersection(shape_).area / (shape_.area or 1.0)
                if part > 0 and (best is None or part > best[0]):
                    best = (part, b)
        if best is None:
            changes.append(CoverChange(code, old_name, None, None, "none", 0.0, int(officers)))
        else:
            changes.append(
                CoverChange(
                    code, old_name, best[1].code, best[1].name, "overlap", best[0], int(officers)
                )
            )
    return changes


def _remap_cover(session: Session, actor: Actor, now: datetime, changes: list[CoverChange]) -> None:
    """Move officers' cover from retired ward codes to the new wards overlapping them most."""
    moved: dict[str, dict[str, object]] = {}
    for change in changes:
        if change.how != "overlap" or change.new_code is None:
            continue
        rows = list(
            session.scalars(
                select(UserWard)
                .where(UserWard.ward_code == change.old_code)
                .order_by(UserWard.user_id)
            )
        )
        users_ = [row.user_id for row in rows]
        already = set(
            session.scalars(
                select(UserWard.user_id).where(
                    UserWard.ward_code == change.new_code, UserWard.user_id.in_(users_)
                )
            )
        )
        for row in rows:
            session.delete(row)
        session.flush()
        for user_id in users_:
            if user_id not in already:
                session.add(UserWard(user_id=user_id, ward_code=change.new_code))
        moved[change.old_code] = {"to": change.new_code, "users": users_}
    if moved:
        session.flush()
        # Users already loaded must read their new cover, not the rows deleted above.
        for user_id in {u for entry in moved.values() for u in entry["users"]}:  # type: ignore[attr-defined]
            loaded = session.identity_map.get(identity_key(User, user_id))
            if loaded is not None:
                session.expire(loaded, ["ward_rows"])
        audit.record(
            session,
            actor,
            now,
            action="wards.cover_remap",
            entity_type="ward",
            entity_id=None,
            summary=f"Officers' cover of {len(moved)} retired ward"
            f"{'s' if len(moved) != 1 else ''} moved to the new wards overlapping them most",
            after={"remapped": moved},
        )


_Located = Row[int, float | None, float | None, str | None]


def _located_premises(session: Session) -> Sequence[_Located]:
    """Every premises with a location: (id, longitude, latitude, its ward's code now)."""
    return session.execute(
        select(Premises.id, Premises.longitude, Premises.latitude, Ward.code)
        .outerjoin(PremisesWard, PremisesWard.premises_id == Premises.id)
        .outerjoin(Ward, Ward.id == PremisesWard.ward_id)
        .where(Premises.longitude.is_not(None), Premises.latitude.is_not(None))
    ).all()


def _placed(boundaries: list[WardBoundary], rows: Sequence[_Located]) -> list[str | None]:
    """The code of the ward of `boundaries` each located premises falls in (None: outside)."""
    return WardIndex(boundaries).locate_many(
        [(float(r[1] or 0.0), float(r[2] or 0.0)) for r in rows]
    )


def _places_none(located: int, codes: Sequence[str | None]) -> str | None:
    """Refuse boundaries that place none of the register's located premises in any ward: a
    council's own register lies in its wards, so such a file is another place's, or its
    coordinates are swapped (latitude for longitude) or in a system it does not declare."""
    if located and not any(codes):
        return (
            f"none of the {located:,} located premises falls in any of these wards: check that "
            "the file is this borough's, that its coordinates are not swapped (latitude for "
            "longitude) and that it says which coordinate system it uses"
        )
    return None


def preview_import(
    session: Session, actor: Actor, now: datetime, source: BoundarySource, valid_from: date
) -> ImportPreview:
    """Read and check boundaries, and work out what importing them would change; write nothing.

    The preview lists each ward's code, name and area in hectares (measured on British National
    Grid), every problem (unreadable file, invalid or overlapping shapes, repeated codes) and
    every repair made, and how many premises would move from ward to ward. Raises
    ValidationFailed for a start date in the future or not after the current set's.
    """
    require(actor, Permission.REFERENCE_MANAGE)
    since = _check_valid_from(session, now, valid_from)
    result = ImportPreview(filename=source.filename, valid_from=valid_from, current_since=since)
    boundaries, result.problems, result.repairs = _checked(source)
    current = _current_set(session, london_today(now))
    current_names = {w.code: w.name for w in current}
    new_names = {b.code: b.name for b in boundaries}
    rows = _located_premises(session)
    before: dict[int, str | None] = {r[0]: r[3] for r in rows}
    # Premises are placed only when every outline is usable; otherwise the counts would mislead.
    after: dict[int, str | None] = {}
    if not result.problems:
        codes = _placed(boundaries, rows)
        after = {r[0]: code for r, code in zip(rows, codes, strict=True)}
        if (refused := _places_none(len(rows), codes)) is not None:
            result.problems.append(refused)
            after = {}
        result.boundaries = boundaries
        result.moves = _moves(before, after, {**current_names, **new_names})
    per_ward = Counter(code for code in after.values() if code is not None)
    for b in sorted(boundaries, key=lambda x: x.code):
        if b.code not in current_names:
            status = "new"
        else:
            status = "unchanged" if current_names[b.code] == b.name else "renamed"
        area = ward_area_hectares(b) if b.geometry.is_valid else float("nan")
        result.wards.append(WardLine(b.code, b.name, round(area, 1), per_ward[b.code], status))
    result.located = len(rows)
    result.unlocated = (
        session.scalar(
            select(func.count()).select_from(Premises).where(Premises.longitude.is_(None))
        )
        or 0
    )
    result.outside = sum(1 for code in after.values() if code is None)
    result.retired = sorted((w.code, w.name) for w in current if w.code not in new_names)
    if not result.problems:
        result.cover = cover_changes(session, boundaries)
    return result


def confirm_import(
    session: Session, actor: Actor, now: datetime, source: BoundarySource, valid_from: date
) -> ImportResult:
    """Replace the wards in force with the source's, keeping the old set for history.

    Everything happens in the caller's transaction: the old set is given an end date, the new
    one added, every located premises reassigned (`enforcement.register.wards.replace_wards`) and the
    change audited. Returns what moved, ward to ward (by ward code, so a ward kept under the
    same code does not count as a move). Raises ValidationFailed if the boundaries have any
    unresolved problem or the start date is refused.
    """
    require(actor, Permission.REFERENCE_MANAGE)
    _check_valid_from(session, now, valid_from)
    boundaries, problems, _repairs = _checked(source)
    if not problems and boundaries:
        rows = _located_premises(session)
        if (refused := _places_none(len(rows), _placed(boundaries, rows))) is not None:
            problems.append(refused)
    if problems or not boundaries:
        listed = problems or ["the file holds no wards"]
        raise ValidationFailed({"file": "The boundaries were refused: " + "; ".join(listed)})
    current = _current_set(session, london_today(now))
    cover = cover_changes(session, boundaries)
    transitions: Counter[tuple[int | None, int | None]] = Counter()
    summary = wards.replace_wards(
        session, actor, now, boundaries, valid_from, transitions=transitions
    )
    ids = {ward_id for pair in transitions for ward_id in pair if ward_id is not None}
    known = {
        wid: (code, name)
        for wid, code, name in session.execute(
            select(Ward.id, Ward.code, Ward.name).where(Ward.id.in_(ids))
        )
    }

    def code_of(ward_id: int | None) -> str | None:
        return None if ward_id is None else known[ward_id][0]

    # Moves are counted by ward code: a ward kept under the same code is not a move.
    by_code: Counter[tuple[str | None, str | None]] = Counter()
    for (old, new), count in transitions.items():
        by_code[(code_of(old), code_of(new))] += count
    _remap_cover(session, actor, now, cover)
    names = {code: name for code, name in known.values()}
    for b in boundaries:
        names[b.code] = b.name
    return ImportResult(
        wards=summary["wards"],
        valid_from=valid_from,
        moves=_moves_from_counts(by_code, names),
        located=sum(transitions.values()),
        outside=summary["outside"],
        retired=len(current),
        cover=cover,
    )


# --- what is loaded now ------------------------------------------------------------------------


@dataclass(frozen=True)
class BoundarySet:
    """One set of wards loaded together: when it was in force and how many wards it has."""

    valid_from: date
    valid_to: date | None
    wards: int

    @property
    def in_force(self) -> bool:
        return self.valid_to is None


def boundary_sets(session: Session, actor: Actor) -> list[BoundarySet]:
    """Return every set of wards ever loaded, newest first."""
    require(actor, Permission.REFERENCE_MANAGE)
    rows = session.execute(
        select(Ward.valid_from, Ward.valid_to, func.count())
        .group_by(Ward.valid_from, Ward.valid_to)
        .order_by(Ward.valid_from.desc(), Ward.valid_to.is_(None).desc(), Ward.valid_to.desc())
    ).all()
    return [BoundarySet(a, b, int(n)) for a, b, n in rows]


def wards_now(session: Session, actor: Actor, now: datetime) -> list[WardLine]:
    """Return the wards in force today with their areas and numbers of premises."""
    require(actor, Permission.REFERENCE_MANAGE)
    current = _current_set(session, london_today(now))
    counts = dict(
        session.execute(
            select(PremisesWard.ward_id, func.count())
            .where(PremisesWard.ward_id.in_([w.id for w in current]))
            .group_by(PremisesWard.ward_id)
        ).all()
    )
    return [
        WardLine(
            w.code,
            w.name,
            round(ward_area_hectares(wards.boundary_of(w)), 1),
            int(counts.get(w.id, 0)),
            "unchanged",
        )
        for w in current
    ]


# --- keeping a previewed file until it is confirmed ---------------------------------------------

#: How long a previewed file waits for its confirmation.
STAGED_FOR = timedelta(hours=1)
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


@dataclass(frozen=True)
class StagedImport:
    """A previewed source waiting for confirmation, and the start date chosen with it."""

    token: str
    source: BoundarySource
    valid_from: date


def _purge(folder: Path, now: datetime) -> None:
    for meta in folder.glob("*.json"):
        try:
            staged_at = datetime.fromisoformat(json.loads(meta.read_text())["staged_at"])
        except (OSError, ValueError, KeyError, TypeError):
            staged_at = None
        if staged_at is None or now - staged_at > STAGED_FOR:
            discard(folder, meta.stem)


def stage(
    folder: Path, actor: Actor, now: datetime, source: BoundarySource, valid_from: date
) -> str:
    """Keep a previewed source under `folder` for the confirm step; return the token naming it.

    The bytes stay on the server (never in the session cookie) for an hour; only the person who
    previewed them may confirm them. Older staged files are removed on the way.
    """
    require(actor, Permission.REFERENCE_MANAGE)
    folder.mkdir(parents=True, exist_ok=True)
    _purge(folder, now)
    token = secrets.token_urlsafe(24)
    if source.data is not None:
        (folder / f"{token}.data").write_bytes(source.data)
    meta = {
        "filename": source.filename,
        "path": None if source.path is None else str(source.path),
        "has_data": source.data is not None,
        "crs": source.crs,
        "district": source.district,
        "repair": source.repair,
        "valid_from": valid_from.isoformat(),
        "user_id": actor.user_id,
        "staged_at": now.isoformat(),
    }
    (folder / f"{token}.json").write_text(json.dumps(meta))
    return token


def staged(folder: Path, actor: Actor, now: datetime, token: str) -> StagedImport:
    """Return a staged source; raise NotFound if the token is unknown, expired or someone else's."""
    require(actor, Permission.REFERENCE_MANAGE)
    gone = NotFound("That preview has expired or was already used: upload the file again.")
    if not _TOKEN.match(token):
        raise gone
    try:
        meta = json.loads((folder / f"{token}.json").read_text())
        data = (folder / f"{token}.data").read_bytes() if meta["has_data"] else None
        staged_at = datetime.fromisoformat(meta["staged_at"])
    except (OSError, ValueError, KeyError, TypeError):
        raise gone from None
    if meta.get("user_id") != actor.user_id or now - staged_at > STAGED_FOR:
        raise gone
    source = BoundarySource(
        filename=str(meta["filename"]),
        data=data,
        path=None if meta["path"] is None else Path(meta["path"]),
        crs=meta["crs"],
        district=meta["district"],
        repair=bool(meta["repair"]),
    )
    return StagedImport(token, source, date.fromisoformat(meta["valid_from"]))


def discard(folder: Path, token: str) -> None:
    """Remove a staged source (once confirmed, or expired); an unknown token is ignored."""
    if not _TOKEN.match(token):
        return
    for suffix in (".data", ".json"):
        (folder / f"{token}{suffix}").unlink(missing_ok=True)
