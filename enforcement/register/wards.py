"""Ward boundaries in the database, and deriving a premises' ward from its location."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from shapely.geometry import mapping, shape
from sqlalchemy import (
    BindParameter,
    Column,
    ColumnElement,
    Date,
    Integer,
    MetaData,
    Table,
    bindparam,
    delete,
    exists,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from enforcement import audit
from enforcement.access import Actor, Permission, require
from enforcement.db import read_columns
from enforcement.models import Premises, PremisesWard, Ward
from geo.wards import WardBoundary, WardIndex


@dataclass(frozen=True)
class WardLocator:
    """Finds the ward row a point falls in, for the boundary set in force on one date."""

    index: WardIndex
    ids_by_code: dict[str, int]

    def ward_id(self, longitude: float | None, latitude: float | None) -> int | None:
        if longitude is None or latitude is None:
            return None
        code = self.index.locate(longitude, latitude)
        return None if code is None else self.ids_by_code.get(code)


def in_some_ward() -> ColumnElement[bool]:
    """A premises that lies in a ward (it has a row in `premises_wards`)."""
    return exists().where(PremisesWard.premises_id == Premises.id)


def in_ward(ward_id: int) -> ColumnElement[bool]:
    """A premises that lies in the ward with this row id."""
    return Premises.id.in_(select(PremisesWard.premises_id).where(PremisesWard.ward_id == ward_id))


def in_ward_coded(code: str) -> ColumnElement[bool]:
    """A premises that lies in a ward with this ONS code."""
    return Premises.id.in_(
        select(PremisesWard.premises_id)
        .join(Ward, Ward.id == PremisesWard.ward_id)
        .where(Ward.code == code)
    )


def in_force_on(on: date | BindParameter[date]) -> ColumnElement[bool]:
    """The wards whose validity covers a date (a value, or a parameter bound later)."""
    return Ward.in_force_on(on)


def any_in_force(session: Session, on: date) -> bool:
    """Whether any ward is in force on a date (a new install has none until it imports them)."""
    return bool(session.scalar(select(exists().where(in_force_on(on)))))


def wards_in_force(session: Session, on: date) -> list[Ward]:
    """Return the wards whose validity covers the given date, by name."""
    return list(session.scalars(select(Ward).where(in_force_on(on)).order_by(Ward.name, Ward.id)))


def ward_names_in_force(session: Session, on: date) -> list[tuple[str, str]]:
    """Return (code, name) of the wards in force on a date, by name, for a filter's choices.

    Codes and names only: the boundaries are large (a real ward's can be hundreds of KB) and a
    list page does not need them.
    """
    rows = read_columns(session, _NAMES_IN_FORCE, {"on": on}).all()
    return [(code, name) for code, name in rows]


#: The list filters' ward choices, on every list page: built once, read below the ORM.
_NAMES_IN_FORCE = (
    select(Ward.code, Ward.name)
    .where(in_force_on(bindparam("on", type_=Date)))
    .order_by(Ward.name, Ward.id)
)


def covered_ward_names(session: Session, actor: Actor, on: date) -> list[str]:
    """Return the names of the wards a person covers, by name (a code no longer in force as itself).

    Ward officers log and read welfare visits only in these wards: the pages say which they are.
    """
    codes = set(actor.ward_codes)
    if not codes:
        return []
    named = {w.code: w.name for w in wards_in_force(session, on) if w.code in codes}
    return sorted(named.get(code, code) for code in codes)


def boundary_of(ward: Ward) -> WardBoundary:
    return WardBoundary(
        code=ward.code, name=ward.name, geometry=shape(json.loads(ward.boundary_geojson))
    )


_cache: dict[tuple[object, ...], WardLocator] = {}


def _reassign(session: Session, changes: list[tuple[int, int | None]]) -> None:
    """Give premises (id, new ward id; None: outside every ward) their wards.

    The changes go into a temporary table, then three set statements write `premises_wards`:
    the premises that had a ward and keep one are updated, those that leave every ward deleted,
    those that enter one inserted. One statement each instead of one per premises: with
    100,000 premises it is the difference between a fraction of a second and a minute. Only
    the narrow `premises_wards` is written, never `premises` and its many indexes. The
    temporary table lives only inside this call.
    """
    if not changes:
        return
    moves = Table(
        "tmp_ward_reassignments",
        MetaData(),
        Column("premises_id", Integer, primary_key=True),
        Column("ward_id", Integer, nullable=True),
        prefixes=["TEMPORARY"],
    )
    connection = session.connection()
    moves.create(connection)
    if connection.dialect.name == "postgresql":
        # COPY: a tenth of the time of an executemany of 250,000 rows through psycopg.
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            with cursor.copy(f"COPY {moves.name} (premises_id, ward_id) FROM STDIN") as copy:
                for row in changes:
                    copy.write_row(row)
        finally:
            cursor.close()
    else:
        # Straight to the driver's executemany: building SQLAlchemy parameters for each of
        # 100,000 rows costs more than the insert itself.
        connection.exec_driver_sql(
            f"INSERT INTO {moves.name} (premises_id, ward_id) VALUES (?, ?)",  # noqa: S608 - fixed names, values bound
            changes,
        )
    bulk = {"synchronize_session": False}
    session.execute(
        update(PremisesWard)
        .where(PremisesWard.premises_id == moves.c.premises_id, moves.c.ward_id.is_not(None))
        .values(ward_id=moves.c.ward_id)
        .execution_options(**bulk)
    )
    session.execute(
        delete(PremisesWard)
        .where(
            PremisesWard.premises_id.in_(
                select(moves.c.premises_id).where(moves.c.ward_id.is_(None))
            )
        )
        .execution_options(**bulk)
    )
    session.execute(
        insert(PremisesWard).from_select(
            ["premises_id", "ward_id"],
            select(moves.c.premises_id, moves.c.ward_id).where(
                moves.c.ward_id.is_not(None),
                ~exists().where(PremisesWard.premises_id == moves.c.premises_id),
            ),
        )
    )
    moves.drop(connection)


def _located_premises(session: Session) -> list[tuple[int, float, float, int | None]]:
    """Return (id, longitude, latitude, ward id) of every located premises, by id.

    Read through the driver's cursor: at 250,000 premises, building SQLAlchemy rows costs more
    than the query. The statement is compiled from the model, so names stay the model's.
    """
    statement = (
        select(Premises.id, Premises.longitude, Premises.latitude, PremisesWard.ward_id)
        .outerjoin(PremisesWard, PremisesWard.premises_id == Premises.id)
        .where(Premises.longitude.is_not(None), Premises.latitude.is_not(None))
        .order_by(Premises.id)
    )
    connection = session.connection()
    compiled = statement.compile(dialect=connection.dialect)
    assert not compiled.params  # nothing to bind: the SQL text is the whole statement
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled))
        return list(cursor.fetchall())
    finally:
        cursor.close()


def locator(session: Session, on: date) -> WardLocator:
    """Return a locator for the wards in force on a date, reusing one built for the same set."""
    wards = wards_in_force(session, on)
    # Keyed by content, not by database: two databases may number different wards alike.
    key = tuple((w.id, w.code, hash(w.boundary_geojson)) for w in wards)
    found = _cache.get(key)
    if found is None:
        found = WardLocator(
            WardIndex([boundary_of(w) for w in wards]), {w.code: w.id for w in wards}
        )
        if len(_cache) > 16:
            _cache.clear()
        _cache[key] = found
    return found


def replace_wards(
    session: Session,
    actor: Actor,
    now: datetime,
    boundaries: list[WardBoundary],
    valid_from: date,
    *,
    transitions: Counter[tuple[int | None, int | None]] | None = None,
) -> dict[str, int]:
    """Retire the current boundary set, add a new one and reassign every located premises.

    A ward of the new set identical to one in force (same code, name and boundary) keeps its
    row id: the row moves to the new set (its start date becomes the new one) and a copy of it
    is added for the period it ended, so the history is the same rows as any import's and its
    premises, pointing at the id, are not rewritten. Only the assignments of premises whose
    ward id changes are written (`premises_wards`).

    Returns counts: wards added, premises moved (to a ward of another code, or out of or into
    every ward), premises now outside every ward. If
    `transitions` is given, it is filled with the number of located premises going from each
    old ward id to each new one (None: outside every ward).
    """
    require(actor, Permission.REFERENCE_MANAGE)
    current = {
        (w.code, w.name, w.boundary_geojson): w
        for w in session.scalars(
            select(Ward)
            .where(Ward.valid_to.is_(None), Ward.valid_from < valid_from)
            .order_by(Ward.id)
        )
    }
    ended = valid_from - timedelta(days=1)
    kept: dict[int, Ward] = {}
    added: list[Ward] = []
    for b in boundaries:
        geojson = json.dumps(mapping(b.geometry))
        same = current.get((b.code, b.name, geojson))
        if same is not None and same.id not in kept:
            kept[same.id] = same
            continue
        added.append(
            Ward(code=b.code, name=b.name, boundary_geojson=geojson, valid_from=valid_from)
        )
    retired = sorted(w.id for w in current.values() if w.id not in kept)
    if retired:
        session.execute(update(Ward).where(Ward.id.in_(retired)).values(valid_to=ended))
    # The kept rows take the new start date first (code and start date are unique together),
    # then their old period is recorded as a row of its own, ended like the rest of the old set.
    history = [
        Ward(
            code=w.code,
            name=w.name,
            boundary_geojson=w.boundary_geojson,
            valid_from=w.valid_from,
            valid_to=ended,
        )
        for w in kept.values()
    ]
    for w in kept.values():
        w.valid_from = valid_from
    session.flush()
    session.add_all(history)
    session.add_all(added)
    session.flush()
    loc = locator(session, valid_from)
    moved = outside = 0
    rows = _located_premises(session)
    codes = loc.index.locate_many([(r[1], r[2]) for r in rows])
    # Every premises points at a row of the new set, but it has moved only if its ward's code
    # changed: re-importing the same boundaries moves nobody.
    code_of: dict[int | None, str | None] = {None: None}
    code_of.update((ward_id, code) for ward_id, code in session.execute(select(Ward.id, Ward.code)))
    changes: list[tuple[int, int | None]] = []
    for (pid, _lon, _lat, old), code in zip(rows, codes, strict=True):
        new = None if code is None else loc.ids_by_code.get(code)
        if new is None:
            outside += 1
        if new != old:
            changes.append((pid, new))
        if code_of.get(old) != (None if new is None else code):
            moved += 1
        if transitions is not None:
            transitions[(old, new)] += 1
    _reassign(session, changes)
    summary = {"wards": len(boundaries), "moved": moved, "outside": outside}
    audit.record(
        session,
        actor,
        now,
        action="wards.replace",
        entity_type="ward",
        entity_id=None,
        summary=f"Loaded {len(boundaries)} wards valid from {valid_from:%d %B %Y}; "
        f"{moved} premises moved to another ward, {outside} outside every ward",
        after={"codes": sorted(b.code for b in boundaries), "valid_from": valid_from.isoformat()},
    )
    return summary
