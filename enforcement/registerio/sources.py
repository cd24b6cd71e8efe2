"""Reading an import file into records to match against the register, one format at a time.

Each format turns its rows into `Incoming` records: the premises' values the import compares
and sets, and the licence's when the file carries licences. A row that cannot be read is
refused with its line (or position) and the reason; nothing here touches the database.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from enforcement.register.importers.fhrs import (
    FhrsEstablishment,
    FhrsFormatError,
    parse_fhrs,
    suggest_premises_type,
)
from enforcement.register.importers.licence_csv import (
    CONTROL_CHARACTER,
    EXACT_REPEAT,
    LicenceRow,
    full_year,
    parse_licence_csv,
)
from enforcement.register.premises import format_postcode
from enforcement.spreadsheet import (
    UnclosedQuote,
    decode_csv,
    delimiter_of,
    records,
    schema_names,
    unguarded,
)
from enforcement.text import as_spaces, control_characters_in
from enforcement.vocab import LicenceRegime, LicenceStatus, PremisesType

FORMATS = ("esd", "fhrs", "gambling")
#: Each format as a person is asked for it when they upload something else.
WANTED = {
    "esd": "the licence register as CSV",
    "fhrs": "the FSA's FHRS XML file",
    "gambling": "the Gambling Commission's CSV",
}
FORMAT_LABELS = {
    "esd": "Premises licence register (LGA/esd CSV)",
    "fhrs": "Food hygiene ratings (FSA FHRS XML)",
    "gambling": "Gambling Commission premises register (CSV)",
}
# The holder of a licence whose file names none: the register needs a holder's name.
HOLDER_NOT_RECORDED = "Not recorded"

# The esd schema's status labels (and this service's own, so its exports read back).
ESD_STATUS = {
    "approved": LicenceStatus.ACTIVE,
    "current": LicenceStatus.ACTIVE,
    "issued": LicenceStatus.ACTIVE,
    "new": LicenceStatus.ACTIVE,
    "renewal": LicenceStatus.ACTIVE,
    "subject to review": LicenceStatus.ACTIVE,
    "active": LicenceStatus.ACTIVE,
    "deceased": LicenceStatus.LAPSED,
    "refused": LicenceStatus.LAPSED,
    "withdrawn": LicenceStatus.LAPSED,
    "lapsed": LicenceStatus.LAPSED,
    "expired": LicenceStatus.EXPIRED,
    "revoked": LicenceStatus.REVOKED,
    "surrendered": LicenceStatus.SURRENDERED,
    "suspended": LicenceStatus.SUSPENDED,
    "applied for": LicenceStatus.APPLIED,
    # Words councils' own systems export for the same states (the word itself is kept as the
    # licence's published status label, so an export writes it back as it came).
    "granted": LicenceStatus.ACTIVE,
    "grant": LicenceStatus.ACTIVE,
    "licensed": LicenceStatus.ACTIVE,
    "in force": LicenceStatus.ACTIVE,
    "live": LicenceStatus.ACTIVE,
    "valid": LicenceStatus.ACTIVE,
    "varied": LicenceStatus.ACTIVE,
    "variation": LicenceStatus.ACTIVE,
    "transferred": LicenceStatus.ACTIVE,
    "renewed": LicenceStatus.ACTIVE,
    "cancelled": LicenceStatus.LAPSED,
    "ceased": LicenceStatus.LAPSED,
    "closed": LicenceStatus.LAPSED,
    "rejected": LicenceStatus.LAPSED,
    "superseded": LicenceStatus.LAPSED,
    "application": LicenceStatus.APPLIED,
    "application received": LicenceStatus.APPLIED,
    "applied": LicenceStatus.APPLIED,
    "pending": LicenceStatus.APPLIED,
    "received": LicenceStatus.APPLIED,
    "under consideration": LicenceStatus.APPLIED,
}
# The Commission's file uses four of those words, and only those.
GAMBLING_STATUS = {
    word: ESD_STATUS[word] for word in ("grant", "active", "variation", "application")
}


# The file's name for each of the register's fields (a row refused for a value names it).
ESD_FIELD_COLUMNS = {
    "name": "PremisesName",
    "address": "LocationText",
    "address_line1": "LocationText",
    "address_line2": "LocationText",
    "postcode": "Postcode",
    "uprn": "UPRN",
    "reference": "CaseReference",
    "case_date": "CaseDate",
    "holder_name": "LicenceHolder",
    "service_type": "ServiceTypeLabel",
    "status_label": "StatusLabel",
    "starts_on": "LicenceStartDate",
    "expires_on": "LicenceEndDate",
    "opening_hours": "OpeningHours",
    "holder_address": "LicenceHolderAddress",
    "holder_postcode": "LicenceHolderPostcode",
    "applicant_type": "ApplicantTypeLabel",
    "dps_name": "DesignatedPremisesSupervisor",
    "dps_licence_no": "SupervisorLicenceNo",
    "dps_address": "SupervisorAddress",
    "dps_postcode": "SupervisorPostcode",
    "regulated_entertainment": "EntertainmentTypeLabel",
    "decision_date": "DecisionDate",
    "decided_by": "DecidedBy",
    "licence_url": "LicenceURL",
    "geo_point_url": "GeoPointLicensingURL",
    "conditions": "Conditions",
}
FHRS_FIELD_COLUMNS = {
    "name": "BusinessName",
    "address": "AddressLine1 to AddressLine4",
    "address_line1": "AddressLine1 to AddressLine4",
    "address_line2": "AddressLine1 to AddressLine4",
    "postcode": "PostCode",
    "longitude": "Longitude",
    "latitude": "Latitude",
}
GAMBLING_FIELD_COLUMNS = {
    "name": "premises_Address1 or Trading_Names",
    "address": "premises_Address1 to premises_City",
    "address_line1": "premises_Address1 to premises_City",
    "address_line2": "premises_Address1 to premises_City",
    "postcode": "premises_Postcode",
    "holder_name": "Account_Name",
    "service_type": "Activity",
    "status_label": "LicenceStatus",
    "decision_date": "StatusDate",
}


class ImportFileError(ValueError):
    """The file as a whole cannot be imported: wrong kind, broken, wrong columns, empty.

    `refused` lists the rows refused when that is why (every row of the file was refused), so
    that each can be shown with its line and reason as a preview shows them."""

    def __init__(self, message: str, refused: list[Refused] | None = None) -> None:
        super().__init__(message)
        self.refused: list[Refused] = list(refused or [])

    def nothing_written(self) -> str:
        """The reason as a sentence, then that nothing was written."""
        reason = str(self).rstrip()
        return f"{reason}{'' if reason.endswith(('.', '?', '!')) else '.'} Nothing was written."


def every_row_refused(refused: list[Refused]) -> ImportFileError:
    """The error for a file whose every row was refused, carrying every one of them."""
    listed = ("" if len(refused) == 1 else "each ") + "listed with its line and the reason"
    return ImportFileError(
        f"Every row of the file was refused ({len(refused):,}, {listed}), so there is nothing"
        " to import. Correct the file and import it again.",
        sorted(refused, key=lambda r: r.line),
    )


NO_NAME_OR_ADDRESS = "naming neither a business nor an address"
NO_ROWS = "The file has its header but no rows under it: there is nothing to import."


@dataclass(frozen=True)
class Refused:
    line: int
    reason: str


@dataclass(frozen=True)
class Incoming:
    """One record of the file: the premises it describes and, if any, its licence.

    `premises` holds the compared premises values (name, address, postcode, and longitude and
    latitude where the file has them); `address` is the address in one line, split at its first
    comma into the first and second lines. `licence` holds the licence's compared values,
    `conditions` as a sorted list, or is None when the file has no licences (FHRS).
    """

    line: int
    label: str
    premises: dict[str, Any]
    premises_type: str
    source_ref: str | None = None
    uprn: str | None = None
    licence: dict[str, Any] | None = None


@dataclass
class Read:
    """What reading a file gave: the records, the rows refused, and rows left out by option.

    `columns` names the file's column (or element) behind each of the register's fields, so a
    row refused for a field's value says it as the council's file says it."""

    records: list[Incoming] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    left_out: dict[str, int] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)

    def leave_out(self, reason: str) -> None:
        self.left_out[reason] = self.left_out.get(reason, 0) + 1


@dataclass(frozen=True)
class AreaFilter:
    """The council's area, for a national file: its local authority names and postcode districts."""

    authority_names: tuple[str, ...] = ()
    postcode_districts: frozenset[str] = frozenset()


def _authority_key(name: str) -> str:
    words = re.sub(r"[^a-z ]", " ", name.lower().replace("&", " and ")).split()
    noise = {"london", "borough", "of", "council", "the", "royal", "city", "county", "district"}
    return " ".join(w for w in words if w not in noise)


def district_of(postcode: str | None) -> str | None:
    formatted = format_postcode(postcode)
    return formatted.split(" ")[0] if formatted else None


def _collapse(value: str | None) -> str:
    return " ".join((value or "").split())


def _address(*parts: str | None) -> str:
    return ", ".join(p for p in (_collapse(x) for x in parts) if p)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


# ---------------------------------------------------------------------------------------------
# The LGA/esd premises licence CSV
# ---------------------------------------------------------------------------------------------

_REGIME_BY_LABEL = {regime.label.lower(): regime.value for regime in LicenceRegime}
# The esd schema was written for the Licensing Act's premises licences, and councils export their
# other registers in it too: the words of a ServiceTypeLabel that name a kind of licence this
# service tracks apart (a nail bar needs a special treatment licence, not a premises licence).
# First match wins: "Gambling premises licence" is the Gambling Act's, not the Licensing Act's.
_REGIME_WORDS: tuple[tuple[tuple[str, ...], LicenceRegime], ...] = (
    (
        (
            "special treatment",
            "massage",
            "manicure",
            "beauty",
            "nail",
            "tattoo",
            "piercing",
            "acupuncture",
            "electrolysis",
        ),
        LicenceRegime.SPECIAL_TREATMENT,
    ),
    (("sexual entertainment", "lap danc", "striptease"), LicenceRegime.SEV),
    (
        (
            "gambling premises",
            "betting",
            "bingo",
            "adult gaming",
            "family entertainment centre",
            "casino",
        ),
        LicenceRegime.GAMBLING,
    ),
    (
        (
            "premises licen",
            "club premises",
            "provisional statement",
            "licensing act",
            "alcohol",
            "late night refreshment",
        ),
        LicenceRegime.PREMISES_LICENCE,
    ),
)


def regime_of_service(label: str | None) -> str:
    """The kind of licence a file's ServiceTypeLabel names: this service's own label, or words of
    one of the kinds it tracks apart; a premises licence when the file gives none, and another
    licence for a service it names that is none of these (street trading, a scrap metal dealer).
    A label of this service's own, a colon, then a service ("Other licence: Massage", as its
    export writes a service that would name another kind) is that kind."""
    words = " ".join((label or "").lower().split())
    if not words:
        return LicenceRegime.PREMISES_LICENCE.value
    if (own := _REGIME_BY_LABEL.get(words)) is not None:
        return own
    if (own := _REGIME_BY_LABEL.get(words.partition(": ")[0])) is not None:
        return own
    for needles, regime in _REGIME_WORDS:
        if any(needle in words for needle in needles):
            return regime.value
    return LicenceRegime.OTHER.value


#: The licence's field behind each column an export may withhold (licence_csv.WITHHELD).
_WITHHELD_FIELDS = {
    "LicenceHolderAddress": "holder_address",
    "LicenceHolderPostcode": "holder_postcode",
    "SupervisorAddress": "dps_address",
    "SupervisorPostcode": "dps_postcode",
}


def _esd_licence(row: LicenceRow) -> tuple[dict[str, Any] | None, str | None]:
    service = row.service_type
    regime = regime_of_service(service)
    kind, colon, named = (service or "").partition(": ")
    if (service or "").lower() in _REGIME_BY_LABEL:
        service = None  # this service's own label: nothing more to keep
    elif colon and kind.lower() in _REGIME_BY_LABEL:
        service = named or None  # "Other licence: Massage": the service after the kind
    status_label = row.status_label
    status = ESD_STATUS.get((status_label or "active").lower())
    if status is None:
        return None, (
            f"StatusLabel {status_label!r} is not a licence status the register knows (for "
            "example Current, Granted, Applied for, Suspended, Revoked, Surrendered, Lapsed, "
            "Expired)"
        )
    if status_label and status_label.lower() == LicenceStatus.label_of(status).lower():
        status_label = None  # this service's own word for the status: nothing more to keep
    values: dict[str, Any] = {
        "regime": regime,
        "reference": row.case_reference,
        "holder_name": row.licence_holder or HOLDER_NOT_RECORDED,
        "status": status.value,
        "starts_on": _iso(row.start),
        "expires_on": _iso(row.end),
        "opening_hours": row.opening_hours,
        "case_date": _iso(row.case_date),
        "service_type": service,
        "status_label": status_label,
        "holder_address": row.licence_holder_address,
        "holder_postcode": row.licence_holder_postcode,
        "applicant_type": row.applicant_type,
        "dps_name": row.supervisor,
        "dps_licence_no": row.supervisor_licence_no,
        "dps_address": row.supervisor_address,
        "dps_postcode": row.supervisor_postcode,
        "alcohol_supply": row.alcohol_supply,
        "alcohol_on_sales": row.on_premises_alcohol_sale,
        "alcohol_off_sales": row.off_premises_alcohol_sale,
        "late_night_refreshment": row.late_night_refreshment,
        "regulated_entertainment": "|".join(row.entertainment_types) or None,
        "decision_date": _iso(row.decision_date),
        "decided_by": row.decided_by,
        "licence_url": row.licence_url,
        "uprn": row.uprn,
        "geo_point_url": row.geo_point_url,
        "conditions": list(row.conditions),
    }
    # A cell the register's own export withheld gives nothing: the licence keeps what it holds.
    for column in row.withheld:
        values.pop(_WITHHELD_FIELDS[column], None)
    return values, None


#: How a file packed by another program begins: a zip archive (an .xlsx or .ods workbook is one
#: too), an older Excel workbook (.xls), a gzip file.
ZIP_START, OLD_EXCEL_START, GZIP_START = b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"\x1f\x8b"
SAVE_AS_CSV = 'open it in its spreadsheet program and save it as "CSV UTF-8", then upload that file'


def packed_file_problem(data: bytes, wanted: str) -> str | None:
    """What to do with a spreadsheet workbook or a compressed file given where `wanted` (say
    "the licence register as CSV") was asked for, or None if it is neither. An officer's own
    register is often kept in Excel: the message says how to get the CSV out of it."""
    if data.startswith(OLD_EXCEL_START):
        return f"This is an Excel workbook, not {wanted}: {SAVE_AS_CSV}."
    if data.startswith(GZIP_START):
        return f"This is a compressed (gzip) file: uncompress it and upload {wanted} inside."
    if not data.startswith(ZIP_START):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        names = []
    if any(n == "[Content_Types].xml" or n in {"content.xml", "mimetype"} for n in names):
        return f"This is a spreadsheet workbook (Excel or similar), not {wanted}: {SAVE_AS_CSV}."
    return f"This is a compressed (zip) file: unzip it and upload {wanted} inside."


def read_esd(data: bytes) -> Read:
    text = decode_csv(data)
    if "\x00" in text[:4096] or text.lstrip().startswith("<"):
        raise ImportFileError("This is not a CSV file: choose the licence register as CSV.")
    rows, errors = parse_licence_csv(text, read_cell=unguarded)
    if whole := [e for e in errors if e.whole_file]:
        raise ImportFileError(whole[0].message)
    header = [e for e in errors if e.line == 1]
    if header:
        raise ImportFileError(
            "The file's header is not the esd premises licence schema: "
            + "; ".join(str(e) for e in header)
        )
    read = Read(columns=ESD_FIELD_COLUMNS)
    by_line: dict[int, list[str]] = {}
    for error in errors:
        if error.left_out:
            read.leave_out(error.left_out)
            continue
        by_line.setdefault(error.line, []).append(
            (f"{error.field}: " if error.field else "") + error.message
        )
    read.refused = [Refused(line, "; ".join(msgs)) for line, msgs in sorted(by_line.items())]
    for row in rows:
        licence, problem = _esd_licence(row)
        if licence is None:
            read.refused.append(Refused(row.line, problem or "unreadable"))
            continue
        name = row.premises_name or row.location_text or ""
        read.records.append(
            Incoming(
                line=row.line,
                label=f"{row.case_reference}: {name}",
                premises={
                    "name": name,
                    "address": row.location_text or name,
                    "postcode": row.postcode,
                },
                premises_type=PremisesType.OTHER.value,
                uprn=row.uprn,
                licence=licence,
            )
        )
    read.refused.sort(key=lambda r: r.line)
    if not read.records and not read.refused:
        raise ImportFileError(NO_ROWS)
    return read


# ---------------------------------------------------------------------------------------------
# The FSA's food hygiene ratings XML
# ---------------------------------------------------------------------------------------------


#: The FSA's establishment number: digits (about seven today). Twenty at most leaves the premises'
#: source reference ("fhrs:" and the number) well inside its column.
FHRS_ID = re.compile(r"[0-9]{1,20}")


def read_fhrs(data: bytes) -> Read:
    head = data[:200].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"<"):
        raise ImportFileError("This is not an XML file: choose the FSA's FHRS XML file.")
    try:
        establishments = parse_fhrs(data)
    except FhrsFormatError as exc:
        raise ImportFileError(f"This is not a usable FHRS file: {exc}.") from exc
    if not establishments:
        raise ImportFileError(
            "The file lists no establishments: there is nothing to import. An FHRS extract "
            "for a local authority lists its establishments under <EstablishmentCollection>."
        )
    read = Read(columns=FHRS_FIELD_COLUMNS)
    seen: dict[str, int] = {}
    for position, est in enumerate(establishments, start=1):
        if not FHRS_ID.fullmatch(est.fhrs_id):
            read.refused.append(
                Refused(
                    position,
                    f"FHRSID {est.fhrs_id[:40]!r} is not an FSA establishment number (up to 20 digits)",
                )
            )
            continue
        if est.fhrs_id in seen:
            if est == establishments[seen[est.fhrs_id] - 1]:
                read.leave_out(EXACT_REPEAT)
            else:
                read.refused.append(
                    Refused(
                        position, f"establishment {est.fhrs_id} repeats number {seen[est.fhrs_id]}"
                    )
                )
            continue
        seen[est.fhrs_id] = position
        if bad := _fhrs_control_characters(est):
            read.refused.append(Refused(position, bad))
            continue
        lines = [x for x in est.address_lines if x]
        name = est.name or (lines[0] if lines else "")
        if not name:  # the FSA withholds a home business's address: nothing to find it by
            read.leave_out(NO_NAME_OR_ADDRESS)
            continue
        values: dict[str, Any] = {
            "name": name,
            "address": _address(*lines) or "Address not recorded",
            # The FSA's file is not the council's to correct: a postcode it holds that is not a
            # full one ("W6") is left out rather than the premises.
            "postcode": est.postcode if format_postcode(est.postcode) else None,
        }
        # An establishment the FSA has not placed says nothing about where it is: the premises
        # keeps the location an officer gave it on the map.
        if est.lon is not None and est.lat is not None:
            values.update(longitude=est.lon, latitude=est.lat)
        read.records.append(
            Incoming(
                line=position,
                label=f"{name} (FHRS {est.fhrs_id})",
                premises=values,
                premises_type=suggest_premises_type(est.business_type, est.name),
                source_ref=f"fhrs:{est.fhrs_id}",
            )
        )
    return read


def _fhrs_control_characters(est: FhrsEstablishment) -> str:
    """Why an establishment is refused for a character no record holds (the rule every form
    applies, enforcement.text), naming the FSA's elements, or "" when it holds none."""
    fields = (
        ("BusinessName", est.name),
        ("AddressLine1 to AddressLine4", " ".join(est.address_lines)),
        ("PostCode", est.postcode or ""),
    )
    return "; ".join(
        f"{element}: {CONTROL_CHARACTER.format(found)}"
        for element, value in fields
        if (found := control_characters_in(as_spaces(value)))
    )


# ---------------------------------------------------------------------------------------------
# The Gambling Commission's premises register
# ---------------------------------------------------------------------------------------------

GAMBLING_COLUMNS = (
    "Account_Number",
    "Account_Name",
    "Trading_Names",
    "premises_Address1",
    "premises_Address2",
    "premises_City",
    "premises_Postcode",
    "StatusDate",
    "Activity",
    "Local_Authority_Name",
    "LicenceStatus",
)
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})")


def _us_date(text: str) -> date | None:
    """The Commission writes month first, with a two-digit year: 12/29/17."""
    text = text.strip()
    if not text:
        return None
    match = _US_DATE.fullmatch(text)
    if match is None:
        raise ValueError(f"StatusDate {text!r} is not a date in the form m/d/yy")
    month, day, year = (int(x) for x in match.groups())
    try:
        return date(full_year(year), month, day)
    except ValueError as exc:
        raise ValueError(f"StatusDate {text!r} is not a real date") from exc


def _digest(*parts: str) -> str:
    joined = "|".join(_collapse(p).lower() for p in parts)
    return hashlib.sha256(joined.encode()).hexdigest()[:10]


def _in_area(values: dict[str, str], area: AreaFilter) -> bool:
    authority = _collapse(values.get("Local_Authority_Name"))
    if authority:
        return _authority_key(authority) in {_authority_key(n) for n in area.authority_names}
    return district_of(values.get("premises_Postcode")) in area.postcode_districts


def _gambling_record(line: int, v: dict[str, str]) -> Incoming:
    account = _collapse(v["Account_Number"])
    if not account:
        raise ValueError("Account_Number is empty")
    operator = _collapse(v["Account_Name"])
    if not operator:
        raise ValueError("Account_Name is empty")
    trading = _collapse(v["Trading_Names"]) or operator
    first, second, city = (
        _collapse(v[k]) for k in ("premises_Address1", "premises_Address2", "premises_City")
    )
    postcode = _collapse(v["premises_Postcode"])
    if not (first or second):
        raise ValueError("the premises has no address")
    # The first line is often the shop's name ("Paddy Power"); then the street follows.
    name, street = (first, _address(second, city)) if second else (trading, _address(first, city))
    activity = _collapse(v["Activity"])
    label = _collapse(v["LicenceStatus"])
    status = GAMBLING_STATUS.get(label.lower())
    if status is None:
        raise ValueError(f"LicenceStatus {label!r} is not one the Commission uses")
    place = _digest(first, second, postcode)
    return Incoming(
        line=line,
        label=f"{name}, {street} ({activity or 'activity not given'})",
        # As with the FSA's file, the Commission's is not the council's to correct: a postcode
        # that is not one ("TBC") is left out rather than the premises.
        premises={
            "name": name,
            "address": street,
            "postcode": postcode if format_postcode(postcode) else None,
        },
        premises_type=PremisesType.OTHER.value,
        source_ref=f"gc:{account}:{place}",
        licence={
            "regime": LicenceRegime.GAMBLING.value,
            "reference": f"GC/{account}/{_digest(first, second, postcode, activity)}",
            "holder_name": operator,
            "status": status.value,
            "service_type": activity or None,
            "status_label": label or None,
            "decision_date": _iso(_us_date(v["StatusDate"])),
        },
    )


def read_gambling(data: bytes, area: AreaFilter) -> Read:
    text = decode_csv(data)
    if "\x00" in text[:4096] or text.lstrip().startswith("<"):
        raise ImportFileError("This is not a CSV file: choose the Gambling Commission's CSV.")
    found = records(text, delimiter_of(text, GAMBLING_COLUMNS))
    try:
        first = next(found, None)
    except UnclosedQuote as exc:
        raise ImportFileError(str(exc)) from exc
    if first is not None and first.problem:
        raise ImportFileError(f"The file is not readable CSV: {first.problem}.")
    cells = [c.lstrip("\ufeff") for c in first.cells] if first is not None else []
    # Matched as the separator was found (delimiter_of): by letters and digits alone (column_key).
    header = schema_names(cells, GAMBLING_COLUMNS)
    missing = [c for c in GAMBLING_COLUMNS if c not in header]
    if missing:
        raise ImportFileError(
            "The file is not the Gambling Commission's premises register: missing columns "
            + ", ".join(missing)
        )
    repeated = sorted({c for c in GAMBLING_COLUMNS if header.count(c) > 1})
    if repeated:
        raise ImportFileError(
            "The file names a column more than once, so its values are ambiguous: "
            + ", ".join(repeated)
        )
    read = Read(columns=GAMBLING_FIELD_COLUMNS)
    # Each licence met so far: its line and its cells, trimmed.
    seen: dict[tuple[str, str], tuple[int, dict[str, str]]] = {}
    try:
        for row in found:
            start = row.first
            if row.problem is not None:
                read.refused.append(Refused(start, row.problem))
                continue
            # Spacing another system left in a cell is read as a space; a value past the
            # header's columns is not one of them.
            v = dict.fromkeys(header, "") | {
                k: as_spaces(x) for k, x in zip(header, row.cells, strict=False)
            }
            if not any(x.strip() for x in v.values()):
                continue
            if not _in_area(v, area):
                read.leave_out("outside the council's area")
                continue
            if bad := [
                f"{k}: {CONTROL_CHARACTER.format(c)}"
                for k, x in v.items()
                if (c := control_characters_in(x))
            ]:
                read.refused.append(Refused(start, "; ".join(bad)))
                continue
            try:
                record = _gambling_record(start, v)
            except ValueError as exc:
                read.refused.append(Refused(start, str(exc)))
                continue
            assert record.licence is not None
            key = (record.licence["reference"], record.source_ref or "")
            trimmed = {k: x.strip() for k, x in v.items()}
            if key in seen:
                first_line, first_cells = seen[key]
                if trimmed == first_cells:
                    read.leave_out(EXACT_REPEAT)
                else:
                    read.refused.append(Refused(start, f"repeats line {first_line}"))
                continue
            seen[key] = (start, trimmed)
            read.records.append(record)
    except UnclosedQuote as exc:
        raise ImportFileError(str(exc)) from exc
    if not read.records and not read.refused and not read.left_out:
        raise ImportFileError(NO_ROWS)
    return read


Reader = Callable[[bytes], Read]


def read_file(kind: str, data: bytes, area: AreaFilter | None = None) -> Read:
    """Read an import file of the given format. Raises ImportFileError for a file that cannot be read."""
    if kind not in FORMATS:
        raise ImportFileError(f"Unknown format {kind!r}: choose one of {', '.join(FORMATS)}")
    # Only a byte order mark, or only spaces and line ends, is empty too.
    if not data.removeprefix(b"\xef\xbb\xbf").strip():
        raise ImportFileError("The file is empty.")
    if packed := packed_file_problem(data, WANTED[kind]):
        raise ImportFileError(packed)
    if kind == "esd":
        return read_esd(data)
    if kind == "fhrs":
        return read_fhrs(data)
    return read_gambling(data, area or AreaFilter())
