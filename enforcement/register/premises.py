"""The premises register: creating, changing, finding and reading premises."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, select, tuple_
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from enforcement import audit, paging
from enforcement.access import Actor, Permission, require
from enforcement.clock import london_today
from enforcement.db import ids_in, read_columns, read_ids
from enforcement.errors import NotFound, StaleEdit, ValidationFailed
from enforcement.models import (
    Language,
    Licence,
    Premises,
    PremisesLanguage,
    PremisesWard,
    Ward,
)
from enforcement.paging import CappedPage, QueryProblems, offset
from enforcement.register import wards
from enforcement.register.rules import EXPECTED_REGIMES, TRADING_STATUSES, is_trading_unlicensed
from enforcement.text import contains_pattern
from enforcement.vocab import LicenceRegime, LicenceStatus, PremisesType

POSTCODE_RE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})$")
UPRN_RE = re.compile(r"^[0-9]{1,12}$")
_PREMISES_TYPES = frozenset(t.value for t in PremisesType)
PREMISES_FIELDS = (
    "name",
    "trading_name",
    "address_line1",
    "address_line2",
    "town",
    "postcode",
    "uprn",
    "premises_type",
    "longitude",
    "latitude",
    "ward_id",
)
LIMITS = {"name": 200, "trading_name": 200, "address_line1": 200, "address_line2": 200, "town": 100}


def degree_problems(latitude: float | None, longitude: float | None) -> dict[str, str]:
    """Return what is wrong with a latitude and a longitude in degrees, as given, keyed by field:
    each must lie within its range (a missing one is the caller's to judge)."""
    problems = {}
    if latitude is not None and not -90 <= latitude <= 90:
        problems["latitude"] = "Latitude must be between -90 and 90"
    if longitude is not None and not -180 <= longitude <= 180:
        problems["longitude"] = "Longitude must be between -180 and 180"
    return problems


def format_postcode(raw: str | None) -> str | None:
    """Return a UK postcode in its usual form ("W6 0RX"), or None if it is not one."""
    if raw is None:
        return None
    # Text pasted from elsewhere: full-width letters and digits read as their plain forms, and
    # invisible format characters (a zero-width space, a stray byte order mark) are dropped.
    plain = "".join(
        ch for ch in unicodedata.normalize("NFKC", raw) if unicodedata.category(ch) != "Cf"
    )
    m = POSTCODE_RE.match(plain.strip().upper())
    return f"{m.group(1)} {m.group(2)}" if m else None


def name_sort_key(name: str) -> str:
    """The name as the lists sort it: in lower case, cut to the column's length, since lower
    case can be longer than the name ("İ" becomes two characters) and PostgreSQL refuses a
    value longer than its column where SQLite stores it anyway."""
    return name.lower()[: LIMITS["name"]]


def postcode_key(postcode: str | None) -> str | None:
    return postcode.replace(" ", "").upper() if postcode else None


@dataclass(frozen=True)
class PremisesInput:
    """What a person types about a premises; the ward is never among it."""

    name: str
    address_line1: str
    premises_type: str
    trading_name: str | None = None
    address_line2: str | None = None
    town: str | None = None
    postcode: str | None = None
    uprn: str | None = None
    longitude: float | None = None
    latitude: float | None = None
    language_codes: frozenset[str] = field(default_factory=frozenset)
    source_ref: str | None = None


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    return value or None


def validate_premises(session: Session, data: PremisesInput) -> PremisesInput:
    """Check a premises' details and return them tidied, or raise ValidationFailed with every problem."""
    errors: dict[str, str] = {}
    name = _clean(data.name)
    addr = _clean(data.address_line1)
    if not name:
        errors["name"] = "Enter the name of the premises"
    if not addr:
        errors["address_line1"] = "Enter the first line of the address"
    for key, limit in LIMITS.items():
        value = getattr(data, key)
        if value is not None and len(value) > limit:
            errors[key] = f"Must be {limit} characters or fewer"
    postcode = None
    if _clean(data.postcode):
        postcode = format_postcode(data.postcode)
        if postcode is None:
            errors["postcode"] = "Enter a real postcode, like W6 9JU"
    uprn = _clean(data.uprn)
    if uprn and not UPRN_RE.match(uprn):
        errors["uprn"] = "A UPRN is a number of up to 12 digits"
    if data.premises_type not in _PREMISES_TYPES:
        errors["premises_type"] = "Select the type of premises"
    if (data.longitude is None) != (data.latitude is None):
        errors["longitude" if data.longitude is None else "latitude"] = (
            "Enter both longitude and latitude, or neither"
        )
    errors.update(degree_problems(data.latitude, data.longitude))
    if data.language_codes:
        known = set(
            session.scalars(select(Language.code).where(Language.code.in_(data.language_codes)))
        )
        if unknown := data.language_codes - known:
            errors["language_codes"] = f"Unknown language: {', '.join(sorted(unknown))}"
    if errors:
        raise ValidationFailed(errors)
    return PremisesInput(
        name=name or "",
        address_line1=addr or "",
        premises_type=data.premises_type,
        trading_name=_clean(data.trading_name),
        address_line2=_clean(data.address_line2),
        town=_clean(data.town),
        postcode=postcode,
        uprn=uprn,
        longitude=data.longitude,
        latitude=data.latitude,
        language_codes=data.language_codes,
        source_ref=data.source_ref,
    )


def search_text_of(p: Premises) -> str:
    """The lower-case text the premises list searches (names, address, postcode, UPRN)."""
    return _search_text(p)


def _search_text(p: Premises) -> str:
    parts = [
        p.name,
        p.trading_name,
        p.address_line1,
        p.address_line2,
        p.town,
        p.postcode,
        postcode_key(p.postcode),
        p.uprn,
    ]
    return " ".join(x for x in parts if x).lower()


def _apply(p: Premises, data: PremisesInput, ward_id: int | None, now: datetime) -> None:
    p.name = data.name
    p.name_sort = name_sort_key(data.name)
    p.trading_name = data.trading_name
    p.address_line1 = data.address_line1
    p.address_line2 = data.address_line2
    p.town = data.town
    p.postcode = data.postcode
    p.postcode_key = postcode_key(data.postcode)
    p.uprn = data.uprn
    p.premises_type = data.premises_type
    p.longitude = data.longitude
    p.latitude = data.latitude
    p.ward_id = ward_id
    p.updated_at = now
    p.search_text = _search_text(p)


def _snapshot(p: Premises, languages: frozenset[str]) -> dict[str, object]:
    snap = audit.snapshot(p, PREMISES_FIELDS)
    snap["languages"] = sorted(languages)
    return snap


def create_premises(
    session: Session,
    actor: Actor,
    now: datetime,
    data: PremisesInput,
    *,
    locator: wards.WardLocator | None = None,
    audit_event: bool = True,
) -> Premises:
    """Add a premises to the register, deriving its ward from its location."""
    require(actor, Permission.PREMISES_EDIT)
    data = validate_premises(session, data)
    loc = locator or wards.locator(session, london_today(now))
    p = Premises(created_at=now, source_ref=data.source_ref)
    _apply(p, data, loc.ward_id(data.longitude, data.latitude), now)
    p.language_rows = [PremisesLanguage(language_code=c) for c in sorted(data.language_codes)]
    session.add(p)
    session.flush()
    if audit_event:
        audit.record(
            session,
            actor,
            now,
            action="premises.create",
            entity_type="premises",
            entity_id=p.id,
            summary=f"Added premises {p.name}",
            after=_snapshot(p, data.language_codes),
        )
    return p


def update_premises(
    session: Session,
    actor: Actor,
    now: datetime,
    premises_id: int,
    expected_version: int,
    data: PremisesInput,
) -> Premises:
    """Change a premises' details, re-deriving its ward; refuse an edit made on a stale copy."""
    require(actor, Permission.PREMISES_EDIT)
    p = session.scalar(
        select(Premises)
        .where(Premises.id == premises_id)
        .options(selectinload(Premises.language_rows))
    )
    if p is None:
        raise NotFound("There is no such premises.")
    if p.version != expected_version:
        raise StaleEdit.changed_meanwhile("premises")
    data = validate_premises(session, data)
    old_langs = frozenset(r.language_code for r in p.language_rows)
    before = _snapshot(p, old_langs)
    loc = wards.locator(session, london_today(now))
    _apply(p, data, loc.ward_id(data.longitude, data.latitude), now)
    if old_langs != data.language_codes:
        p.language_rows = [r for r in p.language_rows if r.language_code in data.language_codes] + [
            PremisesLanguage(language_code=c) for c in sorted(data.language_codes - old_langs)
        ]
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="premises.update",
        entity_type="premises",
        entity_id=p.id,
        summary=f"Changed premises {p.name}",
        before=before,
        after=_snapshot(p, data.language_codes),
    )
    return p


@dataclass(frozen=True)
class PremisesDetail:
    premises: Premises
    ward: Ward | None
    languages: list[Language]
    licences: list[Licence]

    @property
    def trading_unlicensed(self) -> bool:
        return is_trading_unlicensed(
            self.premises.premises_type, [(x.regime, x.status) for x in self.licences]
        )

    @property
    def outside_borough(self) -> bool:
        return self.premises.has_location and self.ward is None


def premises_and_licences(session: Session, premises_id: int) -> tuple[Premises, list[Licence]]:
    """Read a premises with its ward, and its licences (in force first, newest first) with their
    conditions, in two statements; NotFound if there is no such premises. No access check: the
    callers make theirs."""
    # The ward through explicit outer joins: joinedload of the ward (through premises_wards)
    # nests the join, which SQLite answers by building it for every premises first (47 ms at
    # 50,000 premises rather than well under one).
    p = session.scalar(
        select(Premises)
        .outerjoin(PremisesWard, PremisesWard.premises_id == Premises.id)
        .outerjoin(Ward, Ward.id == PremisesWard.ward_id)
        .where(Premises.id == premises_id)
        .options(contains_eager(Premises.ward_link), contains_eager(Premises.ward))
    )
    if p is None:
        raise NotFound("There is no such premises.")
    licences = list(
        session.scalars(
            select(Licence)
            .where(Licence.premises_id == p.id)
            .options(joinedload(Licence.conditions))
            .order_by(
                Licence.status != LicenceStatus.ACTIVE,
                Licence.starts_on.is_(None),  # undated last on both databases
                Licence.starts_on.desc(),
                Licence.id,
            )
        ).unique()
    )
    return p, licences


def get_premises(session: Session, actor: Actor, premises_id: int) -> PremisesDetail:
    """Return a premises with its ward, languages, licences and their conditions."""
    require(actor, Permission.PREMISES_VIEW)
    # Three statements whatever the premises holds: the premises with its ward, its licences
    # with their conditions, and the names of its languages.
    p, licences = premises_and_licences(session, premises_id)
    langs = list(
        session.scalars(
            select(Language)
            .join(PremisesLanguage, PremisesLanguage.language_code == Language.code)
            .where(PremisesLanguage.premises_id == p.id)
            .order_by(Language.name, Language.code)
        )
    )
    return PremisesDetail(premises=p, ward=p.ward, languages=langs, licences=licences)


SORTS = {
    "name": "Name (A to Z)",
    "-name": "Name (Z to A)",
    "postcode": "Postcode",
    "ward": "Ward",
    "-updated": "Recently changed",
}
WARD_OUTSIDE = "outside"
WARD_UNLOCATED = "none"
STATUS_UNLICENSED = "unlicensed"


@dataclass(frozen=True)
class PremisesQuery:
    text: str = ""
    ward: str = ""
    premises_type: str = ""
    regime: str = ""
    licence_status: str = ""
    sort: str = "name"
    page: int = 1
    page_size: int = 50


@dataclass(frozen=True)
class LicenceSummary:
    regime: str
    status: str
    reference: str


@dataclass(frozen=True)
class PremisesRow:
    id: int
    name: str
    trading_name: str | None
    address: str
    postcode: str | None
    premises_type: str
    ward_name: str | None
    located: bool
    licences: tuple[LicenceSummary, ...]
    trading_unlicensed: bool

    @property
    def outside_borough(self) -> bool:
        return self.located and self.ward_name is None


#: How far the list counts its matches ("more than 1,000 premises"); see paging.CappedPage.
COUNT_CAP = paging.COUNT_CAP

PremisesPage = CappedPage[PremisesRow]


def unlicensed_clause() -> ColumnElement[bool]:
    """Return the clause "trades without a licence its type needs" (the register's marker).

    One NOT EXISTS over the (type, licence regime) pairs that count, rather than one per type
    joined by OR: at 250,000 premises on PostgreSQL that counts the register's unlicensed
    premises in 111 ms rather than 271 ms (benchmarks/README.md).
    """
    pairs = sorted(
        (str(ptype), str(regime))
        for ptype, regimes in EXPECTED_REGIMES.items()
        for regime in regimes
    )
    if not pairs:
        return false()
    return and_(
        Premises.premises_type.in_([str(ptype) for ptype in EXPECTED_REGIMES]),
        ~exists().where(
            Licence.premises_id == Premises.id,
            Licence.status.in_(TRADING_STATUSES),
            tuple_(Premises.premises_type, Licence.regime).in_(pairs),
        ),
    )


def list_filters(q: PremisesQuery) -> list[ColumnElement[bool]]:
    """Return the WHERE clauses of a list query.

    The licence filter is a correlated EXISTS, which both databases check while walking the
    premises in the list's order, stopping once enough are found instead of finding every match.
    """
    where: list[ColumnElement[bool]] = []
    for token in q.text.lower().split()[:8]:
        where.append(Premises.search_text.like(contains_pattern(token), escape="\\"))
    if q.ward == WARD_OUTSIDE:
        where += [~wards.in_some_ward(), Premises.longitude.is_not(None)]
    elif q.ward == WARD_UNLOCATED:
        where.append(Premises.longitude.is_(None))
    elif q.ward:
        where.append(wards.in_ward_coded(q.ward))
    if q.premises_type:
        where.append(Premises.premises_type == q.premises_type)
    if q.licence_status == STATUS_UNLICENSED:
        where.append(unlicensed_clause())
        if q.regime:
            where.append(
                ~exists().where(
                    Licence.premises_id == Premises.id,
                    Licence.regime == q.regime,
                    Licence.status.in_(TRADING_STATUSES),
                )
            )
    elif q.regime or q.licence_status:
        cond: list[ColumnElement[bool]] = []
        if q.regime:
            cond.append(Licence.regime == q.regime)
        if q.licence_status:
            cond.append(Licence.status == q.licence_status)
        where.append(exists().where(Licence.premises_id == Premises.id, *cond))
    return where


def query_problems(q: PremisesQuery) -> dict[str, str]:
    """Return what is wrong with list parameters (unknown codes), keyed by parameter."""
    return (
        QueryProblems()
        .choice(
            "premises_type",
            q.premises_type,
            (t.value for t in PremisesType),
            "Unknown premises type",
        )
        .choice("regime", q.regime, (r.value for r in LicenceRegime), "Unknown licence type")
        .choice(
            "licence_status",
            q.licence_status,
            [*(s.value for s in LicenceStatus), STATUS_UNLICENSED],
            "Unknown licence status",
        )
        .sort(q.sort, SORTS)
        .max_length("text", q.text, 200, "Search must be 200 characters or fewer")
        .page(q.page, q.page_size)
        .found
    )


@functools.lru_cache(maxsize=4)
def _page_statements(dialect: str) -> tuple[Select[*tuple[Any, ...]], Select[*tuple[Any, ...]]]:
    """A page of the list's columns, and its licences, by the page's premises ids (bound as
    `page_ids`): built once, since building them for every page cost about as much as running
    them."""
    columns = (
        select(
            Premises.id,
            Premises.name,
            Premises.trading_name,
            Premises.address_line1,
            Premises.address_line2,
            Premises.town,
            Premises.postcode,
            Premises.premises_type,
            Premises.longitude,
            Ward.name,
        )
        .outerjoin(PremisesWard, PremisesWard.premises_id == Premises.id)
        .outerjoin(Ward, Ward.id == PremisesWard.ward_id)
        .where(ids_in(Premises.id, "page_ids", dialect))
    )
    licences = (
        select(Licence.premises_id, Licence.regime, Licence.status, Licence.reference)
        .where(ids_in(Licence.premises_id, "page_ids", dialect))
        .order_by(Licence.premises_id, Licence.id)
    )
    return columns, licences


def search_premises(session: Session, actor: Actor, q: PremisesQuery) -> PremisesPage:
    """Return one page of premises matching the search and filters, in at most three statements.

    One ordered pass over the matching premises ids, stopping at `COUNT_CAP` + 1, gives both
    how many match ("more than 1,000" past the cap) and this page's ids; then the page's
    columns and ward names by id, and the page's licences. Counting every match of a word most
    addresses share read every premises (at 250,000 premises, most of the time of the page);
    walking them in the list's order stops after about a thousand. A page past the cap lists
    nothing and says how to narrow the search (docs/register.md).
    """
    require(actor, Permission.PREMISES_VIEW)
    if problems := query_problems(q):
        raise ValidationFailed(problems)
    orders: dict[str, list[Any]] = {
        "name": [Premises.name_sort, Premises.id],
        "-name": [Premises.name_sort.desc(), Premises.id.desc()],
        "postcode": [Premises.postcode_key, Premises.id],
        # Premises in no ward last on both databases (SQLite sorts NULL first, PostgreSQL last).
        "ward": [Ward.name.is_(None), Ward.name, Premises.name_sort, Premises.id],
        "-updated": [Premises.updated_at.desc(), Premises.id.desc()],
    }
    order = orders[q.sort]
    matching = select(Premises.id)
    if q.sort == "ward":
        matching = matching.outerjoin(
            PremisesWard, PremisesWard.premises_id == Premises.id
        ).outerjoin(Ward, Ward.id == PremisesWard.ward_id)
    # The up to 1,001 ids straight from the driver (read_ids): the ORM's result processing,
    # then Core's, was most of the Python time of reading them.
    ids = read_ids(session, matching.where(*list_filters(q)).order_by(*order).limit(COUNT_CAP + 1))
    start = offset(q.page, q.page_size)
    on_page = ids[start : min(start + q.page_size, COUNT_CAP)]
    if not on_page:
        return PremisesPage(
            rows=[], total=len(ids), page=q.page, page_size=q.page_size, cap=COUNT_CAP
        )
    columns, licences = _page_statements(session.get_bind().dialect.name)
    raw = read_columns(session, columns, {"page_ids": on_page}).all()
    position = {pid: i for i, pid in enumerate(on_page)}
    raw = sorted(raw, key=lambda r: position[r[0]])
    by_premises: dict[int, list[LicenceSummary]] = {i: [] for i in on_page}
    for pid, regime, status, ref in read_columns(session, licences, {"page_ids": on_page}).all():
        by_premises[pid].append(LicenceSummary(regime, status, ref))
    rows = [
        PremisesRow(
            id=r[0],
            name=r[1],
            trading_name=r[2],
            address=", ".join(x for x in (r[3], r[4], r[5]) if x),
            postcode=r[6],
            premises_type=r[7],
            ward_name=r[9],
            located=r[8] is not None,
            licences=tuple(by_premises[r[0]]),
            trading_unlicensed=is_trading_unlicensed(
                r[7], [(x.regime, x.status) for x in by_premises[r[0]]]
            ),
        )
        for r in raw
    ]
    return PremisesPage(
        rows=rows,
        total=len(ids),
        page=q.page,
        page_size=q.page_size,
        cap=COUNT_CAP,
    )


def list_languages(session: Session, *, active_only: bool = True) -> list[Language]:
    stmt = select(Language).order_by(Language.sort_order, Language.name, Language.code)
    if active_only:
        stmt = stmt.where(Language.active.is_(True))
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class RegisterSummary:
    premises: int
    licences_active: int
    trading_unlicensed: int
    outside_borough: int


def register_summary(session: Session, actor: Actor) -> RegisterSummary:
    """Count the register's premises, active licences and premises needing attention."""
    require(actor, Permission.PREMISES_VIEW)
    total = session.scalar(select(func.count()).select_from(Premises)) or 0
    active = (
        session.scalar(
            select(func.count()).select_from(Licence).where(Licence.status.in_(TRADING_STATUSES))
        )
        or 0
    )
    unlicensed = (
        session.scalar(select(func.count()).select_from(Premises).where(unlicensed_clause())) or 0
    )
    outside = (
        session.scalar(
            select(func.count())
            .select_from(Premises)
            .where(~wards.in_some_ward(), Premises.longitude.is_not(None))
        )
        or 0
    )
    return RegisterSummary(total, active, unlicensed, outside)
