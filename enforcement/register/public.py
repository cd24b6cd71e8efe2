"""The public register of licences (Licensing Act 2003 s8): built only from published fields.

Nothing here reads a restricted record: no intelligence flags, inspections, welfare visits,
cases, referrals before a decision, officers or notes. The pages and the CSV are drawn from
`PublicLicence`, which `public_licence_fields` fills from the columns listed in
`PUBLISHED_LICENCE_COLUMNS` and `PUBLISHED_PREMISES_COLUMNS`; a field that is not listed there
cannot reach the public, whatever the licence holds. See docs/register.md.

The licensable activities and their hours are published. The holder's name and address are
published only for a licence whose applicant type says the holder is an organisation
(`ORGANISATION_APPLICANT_TYPES`): the columns are selected through a SQL `CASE` on the
applicant type, so an individual's name or address (and the holder of a licence whose type is
not recorded) never leaves the database. The designated premises supervisor's details (esd
fields 27 to 30) are personal data and are never selected.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, delete, func, null, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from enforcement.clock import london_today
from enforcement.db import read_ids
from enforcement.errors import NotFound, ValidationFailed
from enforcement.models import (
    Licence,
    LicenceCondition,
    Premises,
    PremisesWard,
    PublicRegisterHit,
    Ward,
)
from enforcement.paging import Page, QueryProblems, offset
from enforcement.register import wards
from enforcement.register.licences import activities as licence_activities
from enforcement.spreadsheet import safe_cell
from enforcement.text import contains_pattern
from enforcement.vocab import LicenceRegime, LicenceStatus

#: The applicant types (the esd schema's ApplicantTypeLabel, compared in lower case) of a holder
#: that is an organisation, whose name and address are published. Anything else (an individual,
#: a sole trader, a type not recorded or not known) keeps the holder private.
ORGANISATION_APPLICANT_TYPES = frozenset(
    {
        "company",
        "limited company",
        "private limited company",
        "public limited company",
        "limited liability partnership",
        "partnership",
        "club",
        "members' club",
        "members club",
        "registered club",
        "charity",
        "charitable organisation",
        "trust",
        "society",
        "association",
        "unincorporated association",
        "community interest company",
        "co-operative",
        "cooperative",
        "organisation",
        "organization",
        "public body",
        "local authority",
        "educational establishment",
        "school",
    }
)


def _organisation_only(column: Any) -> Any:
    """A column's value when the holder is an organisation, else NULL (decided in SQL)."""
    given = func.trim(Licence.applicant_type)
    kinds = sorted(ORGANISATION_APPLICANT_TYPES)
    # In lower case and in capitals: PostgreSQL's lower() folds letters beyond A to Z, SQLite's
    # does not, so lower() alone would publish "LİMITED COMPANY" on one database only. No letter
    # becomes plain A to Z both ways, so with both checks the two databases publish alike.
    organisation = and_(
        func.lower(given).in_(kinds), func.upper(given).in_([k.upper() for k in kinds])
    )
    return case((organisation, column), else_=null())


#: The columns of a licence the public register may show; nothing else is ever selected.
PUBLISHED_LICENCE_COLUMNS = (
    Licence.id,
    Licence.regime,
    Licence.reference,
    Licence.status,
    Licence.granted_on,
    Licence.starts_on,
    Licence.expires_on,
    Licence.opening_hours,
    Licence.alcohol_supply,
    Licence.alcohol_on_sales,
    Licence.alcohol_off_sales,
    Licence.late_night_refreshment,
    Licence.regulated_entertainment,
    Licence.activity_hours,
    # The service as the council publishes it (esd ServiceTypeLabel: "Club premises
    # certificate") and the date of the decision on the application (esd DecisionDate), as
    # imported or typed; who decided is not published (it may name an officer).
    Licence.service_type,
    Licence.decision_date,
    _organisation_only(Licence.holder_name),
    _organisation_only(Licence.holder_address),
    _organisation_only(Licence.holder_postcode),
)
#: The columns of a premises the public register may show (its ward comes from its location).
PUBLISHED_PREMISES_COLUMNS = (
    Premises.name,
    Premises.trading_name,
    Premises.address_line1,
    Premises.address_line2,
    Premises.town,
    Premises.postcode,
    Premises.uprn,
)

SORTS = {
    "name": "Premises name (A to Z)",
    "-name": "Premises name (Z to A)",
    "postcode": "Postcode",
}
MAX_SEARCH = 200
#: A search counts its matches up to this many and then says "more than": counting every
#: match of a word most addresses share would read the whole register on every page.
COUNT_CAP = 1_000
#: How long a public page may be kept by the browser or a cache before asking again.
CACHE_SECONDS = 60

_LICENCE_WIDTH = len(PUBLISHED_LICENCE_COLUMNS)
_PREMISES_END = _LICENCE_WIDTH + len(PUBLISHED_PREMISES_COLUMNS)
#: Where a published row holds its stored status, end date, ward name and decided status.
_STATUS, _EXPIRES, _WARD, _DECIDED = 3, 6, _PREMISES_END, _PREMISES_END + 1
#: What the esd import stores as the holder of a row that names none (registerio.sources).
_HOLDER_NOT_RECORDED = "Not recorded"

#: Statuses a decision may change (a licence already ended is left as it was).
_IN_FORCE = frozenset({LicenceStatus.ACTIVE.value, LicenceStatus.SUSPENDED.value})

#: Given a time and the licence id column, a correlated SQL expression for the status a licence
#: has by a decision that has taken effect but is not applied yet, or NULL
#: (enforcement.referrals.process.status_in_effect, passed in by the caller: the register sits
#: below the referrals).
DecisionsInEffect = Callable[[datetime, Any], Any]


@dataclass(frozen=True)
class PublicQuery:
    text: str = ""
    ward: str = ""
    regime: str = ""
    sort: str = "name"
    page: int = 1
    page_size: int = 50


@dataclass(frozen=True)
class PublicLicence:
    """One licence as the public sees it: only fields meant for publication."""

    id: int
    reference: str
    regime: str
    status: str
    granted_on: date | None
    starts_on: date | None
    expires_on: date | None
    opening_hours: str | None
    premises_name: str
    trading_name: str | None
    address: str
    postcode: str | None
    uprn: str | None
    ward_name: str | None
    conditions: tuple[str, ...] = ()
    alcohol_supply: bool | None = None
    alcohol_on_sales: bool | None = None
    alcohol_off_sales: bool | None = None
    late_night_refreshment: bool | None = None
    regulated_entertainment: str | None = None
    activity_hours: str | None = None
    #: The service as published (esd ServiceTypeLabel), when the council's register names one.
    service_type: str | None = None
    #: The date of the decision on the application (esd DecisionDate).
    decision_date: date | None = None
    #: The holder, only when an organisation (None for an individual or an unknown type).
    holder_name: str | None = None
    holder_address: str | None = None
    holder_postcode: str | None = None

    @property
    def activities(self) -> list[str]:
        return licence_activities(self)

    @property
    def hours_of_activities(self) -> list[str]:
        return (self.activity_hours or "").splitlines()

    @property
    def regime_label(self) -> str:
        return LicenceRegime.label_of(self.regime)

    @property
    def service_label(self) -> str:
        """What the licence is, as the council publishes it: its service ("Club premises
        certificate") when one is recorded, else its kind's label."""
        return self.service_type or self.regime_label

    @property
    def decided_on(self) -> date | None:
        """The esd DecisionDate: the date of the decision, or failing that the date granted."""
        return self.decision_date or self.granted_on

    @property
    def status_label(self) -> str:
        return LicenceStatus.label_of(self.status)


@dataclass(frozen=True)
class PublicPage(Page[PublicLicence]):
    """A page of the public register; `capped`: the search matched more than `COUNT_CAP`
    licences and was counted only that far (`total` is then `COUNT_CAP` + 1)."""

    capped: bool = False


def true_status(stored: str, expires_on: date | None, today: date, decided: str | None) -> str:
    """Return the status the public is shown: what is true today, not what was last typed.

    A revocation or suspension by the Licensing Committee counts once it has taken effect
    (`decided`, from the referrals' rules); an active licence past its end date has expired.
    """
    status = stored
    if decided is not None and stored in _IN_FORCE:
        status = decided
    if (
        status in {LicenceStatus.ACTIVE.value, LicenceStatus.SUSPENDED.value}
        and expires_on is not None
        and expires_on < today
    ):
        status = LicenceStatus.EXPIRED.value
    return status


def _address(line1: str, line2: str | None, town: str | None) -> str:
    return ", ".join(x for x in (line1, line2, town) if x)


def public_licence_fields(
    row: Any, ward_name: str | None, status: str, conditions: tuple[str, ...] = ()
) -> PublicLicence:
    """Build the public view of one licence from a row of the published columns alone.

    `row` holds `PUBLISHED_LICENCE_COLUMNS` then `PUBLISHED_PREMISES_COLUMNS`, in order; the
    holder's columns are already NULL unless the holder is an organisation.
    """
    (lid, regime, reference, _stored, granted, starts, expires, hours) = row[:8]
    (supply, on_sales, off_sales, refreshment, entertainment, activity_hours) = row[8:14]
    (service, decided) = row[14:16]
    (holder, holder_address, holder_postcode) = row[16:_LICENCE_WIDTH]
    (name, trading, line1, line2, town, postcode, uprn) = row[_LICENCE_WIDTH:_PREMISES_END]
    return PublicLicence(
        id=lid,
        reference=reference,
        regime=regime,
        status=status,
        granted_on=granted,
        starts_on=starts,
        expires_on=expires,
        opening_hours=hours,
        premises_name=name,
        trading_name=trading,
        address=_address(line1, line2, town),
        postcode=postcode,
        uprn=uprn,
        ward_name=ward_name,
        conditions=conditions,
        alcohol_supply=supply,
        alcohol_on_sales=on_sales,
        alcohol_off_sales=off_sales,
        late_night_refreshment=refreshment,
        regulated_entertainment=entertainment,
        activity_hours=activity_hours,
        service_type=service,
        decision_date=decided,
        holder_name=None if holder == _HOLDER_NOT_RECORDED else holder,
        holder_address=holder_address,
        holder_postcode=holder_postcode,
    )


def query_problems(q: PublicQuery, ward_codes: Sequence[str]) -> dict[str, str]:
    """Say what is wrong with a search (unknown codes, too long), keyed by parameter."""
    return (
        QueryProblems()
        .choice("ward", q.ward, ward_codes, "Choose a ward from the list")
        .choice(
            "regime",
            q.regime,
            (r.value for r in LicenceRegime),
            "Choose a licence type from the list",
        )
        .sort(q.sort, SORTS, message="Choose a sort order from the list")
        .max_length("text", q.text, MAX_SEARCH, f"Search must be {MAX_SEARCH} characters or fewer")
        .page(q.page, q.page_size)
        .found
    )


def _filters(q: PublicQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    for token in q.text.lower().split()[:8]:
        where.append(Premises.search_text.like(contains_pattern(token), escape="\\"))
    if q.ward:
        where.append(wards.in_ward_coded(q.ward))
    if q.regime:
        where.append(Licence.regime == q.regime)
    return where


# Orders the premises indexes give, so a page walks premises in order (testing the search in
# the index on SQLite) and stops when it is full, instead of sorting every match.
_ORDERS: dict[str, list[Any]] = {
    "name": [Premises.name_sort, Premises.id, Licence.id],
    "-name": [Premises.name_sort.desc(), Premises.id.desc(), Licence.id.desc()],
    "postcode": [Premises.postcode_key, Premises.id, Licence.id],
}


def _published(now: datetime, decisions: DecisionsInEffect | None) -> Any:
    """The published columns, the ward's name and the status by a decision in effect."""
    decided = decisions(now, Licence.id) if decisions else null()
    return (
        select(*PUBLISHED_LICENCE_COLUMNS, *PUBLISHED_PREMISES_COLUMNS, Ward.name, decided)
        .select_from(Premises)
        .join(Licence, Licence.premises_id == Premises.id)
        .outerjoin(PremisesWard, PremisesWard.premises_id == Premises.id)
        .outerjoin(Ward, Ward.id == PremisesWard.ward_id)
    )


def search(
    session: Session,
    now: datetime,
    q: PublicQuery,
    ward_codes: Sequence[str],
    decisions: DecisionsInEffect | None = None,
) -> PublicPage:
    """Return one page of licences matching a public search, sorted; no sign-in is needed.

    Two statements. Without a search or a ward: the count, from the licences' index alone, and
    the page, walking premises in order until it is full. With one: a single ordered pass over
    the matching licence ids (up to `COUNT_CAP` + 1, so "more than" the cap), which gives both
    their number and this page's ids, then the page's published fields by id; a search that
    matches little would otherwise read the whole register twice, once to count and once for
    a page it cannot fill. Each licence's status by a decision in effect comes with its row.
    Raises ValidationFailed for an unknown ward, licence type or sort.
    """
    if problems := query_problems(q, ward_codes):
        raise ValidationFailed(problems)
    where = _filters(q)
    order = _ORDERS[q.sort]
    start = offset(q.page, q.page_size)
    published = _published(now, decisions)
    by_offset = published.where(*where).order_by(*order).limit(q.page_size).offset(start)
    if not q.text.split() and not q.ward:
        total = session.scalar(select(func.count()).select_from(Licence).where(*where)) or 0
        rows = session.execute(by_offset).all()
    else:
        ids = read_ids(
            session,
            select(Licence.id)
            .select_from(Premises)
            .join(Licence, Licence.premises_id == Premises.id)
            .where(*where)
            .order_by(*order)
            .limit(COUNT_CAP + 1),
        )
        total = len(ids)
        on_page = ids[start : start + q.page_size]
        if total > COUNT_CAP and start + q.page_size > COUNT_CAP:
            # A page reaching past the matches counted: read it the long way.
            rows = session.execute(by_offset).all()
        elif on_page:
            rows = session.execute(published.where(Licence.id.in_(on_page)).order_by(*order)).all()
        else:
            rows = []
    today = london_today(now)
    licences = [
        public_licence_fields(r, r[_WARD], true_status(r[_STATUS], r[_EXPIRES], today, r[_DECIDED]))
        for r in rows
    ]
    return PublicPage(
        rows=licences,
        total=total,
        page=q.page,
        page_size=q.page_size,
        capped=bool(q.text.split() or q.ward) and total > COUNT_CAP,
    )


def _conditions(session: Session, licence_ids: Sequence[int]) -> dict[int, list[str]]:
    """The conditions in force of some licences, in their numbered order."""
    found: dict[int, list[str]] = {i: [] for i in licence_ids}
    for licence_id, wording in session.execute(
        select(LicenceCondition.licence_id, LicenceCondition.text)
        .where(LicenceCondition.licence_id.in_(list(licence_ids)), LicenceCondition.is_active)
        .order_by(LicenceCondition.licence_id, LicenceCondition.number, LicenceCondition.id)
    ):
        found[licence_id].append(wording)
    return found


def get_licence(
    session: Session, now: datetime, licence_id: int, decisions: DecisionsInEffect | None = None
) -> PublicLicence:
    """Return one licence as the public sees it, with its conditions in force."""
    row = session.execute(_published(now, decisions).where(Licence.id == licence_id)).one_or_none()
    if row is None:
        raise NotFound("There is no licence with that number in the register.")
    status = true_status(row[_STATUS], row[_EXPIRES], london_today(now), row[_DECIDED])
    return public_licence_fields(
        row, row[_WARD], status, tuple(_conditions(session, [licence_id])[licence_id])
    )


# --- the download, in the esd premises licence schema ----------------------------------------

#: The esd columns the public download fills, for the fields the register holds and publishes.
#: The holder's columns are filled only for an organisation; the applicant type and the
#: supervisor's columns are left out (see the module's note). `ActivityHours` is not an esd
#: column (the schema has none for the hours of each activity): "|"-separated "activity: hours".
ESD_COLUMNS = (
    "ExtractDate",
    "OrganisationLabel",
    "CaseReference",
    "ServiceTypeLabel",
    "PremisesName",
    "LocationText",
    "Postcode",
    "OpeningHours",
    "StatusLabel",
    "LicenceStartDate",
    "LicenceEndDate",
    "Conditions",
    "DecisionDate",
    "UPRN",
    "EntertainmentTypeLabel",
    "LateNightRefreshment",
    "AlcoholSupply",
    "OnPremisesAlcoholSale",
    "OffPremisesAlcoholSale",
    "LicenceHolder",
    "LicenceHolderAddress",
    "LicenceHolderPostcode",
    "ActivityHours",
)
CSV_BATCH = 500


def _esd_date(value: date | None) -> str:
    return "" if value is None else f"{value:%d/%m/%Y}"


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("Yes" if value else "No")


def esd_row(lic: PublicLicence, today: date, organisation: str) -> list[str]:
    """One licence as a row of `ESD_COLUMNS` (several conditions separated by "|")."""
    values = [
        _esd_date(today),
        organisation,
        lic.reference,
        lic.service_label,
        lic.premises_name,
        lic.address,
        lic.postcode or "",
        lic.opening_hours or "",
        lic.status_label,
        _esd_date(lic.starts_on),
        _esd_date(lic.expires_on),
        "|".join(c.replace("|", "/") for c in lic.conditions),
        _esd_date(lic.decided_on),
        lic.uprn or "",
        lic.regulated_entertainment or "",
        _yes_no(lic.late_night_refreshment),
        _yes_no(lic.alcohol_supply),
        _yes_no(lic.alcohol_on_sales),
        _yes_no(lic.alcohol_off_sales),
        lic.holder_name or "",
        lic.holder_address or "",
        lic.holder_postcode or "",
        "|".join(h.replace("|", "/") for h in lic.hours_of_activities),
    ]
    return [safe_cell(v) for v in values]


def export_csv(
    session: Session,
    now: datetime,
    q: PublicQuery,
    ward_codes: Sequence[str],
    organisation: str,
    decisions: DecisionsInEffect | None = None,
) -> Iterator[str]:
    """Yield the CSV of every licence a search matches (not just one page), header first.

    Read in batches of `CSV_BATCH` by keyset on the licence id, each with its conditions, so a
    large register streams in constant memory.
    """
    if problems := query_problems(q, ward_codes):
        raise ValidationFailed(problems)
    where = _filters(q)
    today = london_today(now)

    def line(values: Sequence[str]) -> str:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerow(values)
        return buffer.getvalue()

    def rows() -> Iterator[str]:
        yield line(ESD_COLUMNS)
        after = 0
        while True:
            batch = session.execute(
                _published(now, decisions)
                .where(*where, Licence.id > after)
                .order_by(Licence.id)
                .limit(CSV_BATCH)
            ).all()
            if not batch:
                return
            ids = [r[0] for r in batch]
            conditions = _conditions(session, ids)
            for r in batch:
                status = true_status(r[_STATUS], r[_EXPIRES], today, r[_DECIDED])
                lic = public_licence_fields(r, r[_WARD], status, tuple(conditions[r[0]]))
                yield line(esd_row(lic, today, organisation))
            after = ids[-1]

    return rows()


# --- the rate limit --------------------------------------------------------------------------


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    hits: int
    retry_after: int  # seconds until the next minute, when refused


def client_key(address: str, secret: str) -> str:
    """A keyed hash of a client's address: the counter never holds the address itself."""
    return hmac.new(secret.encode(), address.encode(), hashlib.sha256).hexdigest()


def count_request(session: Session, now: datetime, key: str, limit: int) -> RateDecision:
    """Count one public request of a client in the current minute; say whether it may go on.

    One UPSERT (SQLite and PostgreSQL), so every web worker counts in the same row. When a
    client's minute begins, counters over an hour old are removed. On PostgreSQL the commit
    does not wait for the disk (`synchronous_commit` off for this transaction only). Never
    commits itself.
    """
    window = now.replace(second=0, microsecond=0)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # A counter lost to a server crash costs nothing: do not wait for the disk.
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    upsert = (
        insert(PublicRegisterHit)
        .values(client_key=key, window_start=window, hits=1)
        .on_conflict_do_update(
            index_elements=[PublicRegisterHit.client_key, PublicRegisterHit.window_start],
            set_={"hits": PublicRegisterHit.hits + 1},
        )
        .returning(PublicRegisterHit.hits)
    )
    hits = int(session.execute(upsert).scalar_one())
    if hits == 1:
        session.execute(
            delete(PublicRegisterHit).where(
                PublicRegisterHit.window_start < window - timedelta(hours=1)
            )
        )
    retry = 60 - now.second
    return RateDecision(allowed=hits <= limit, hits=hits, retry_after=retry)
