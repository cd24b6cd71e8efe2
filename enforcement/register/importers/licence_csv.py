"""Parse premises licence registers published in the LGA/esd open data CSV schema."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from enforcement.spreadsheet import UnclosedQuote, delimiter_of, records, schema_names
from enforcement.text import as_spaces, control_characters_in

T = TypeVar("T")

# Columns the header must have; every other schema column may be absent.
REQUIRED_COLUMNS: tuple[str, ...] = ("CaseReference", "CaseDate", "PremisesName")
KNOWN_COLUMNS: tuple[str, ...] = (
    "ExtractDate",
    "OrganisationURI",
    "OrganisationLabel",
    "CaseReference",
    "CaseDate",
    "ServiceTypeURI",
    "ServiceTypeLabel",
    "PremisesName",
    "LocationText",
    "Postcode",
    "EntertainmentTypeURI",
    "EntertainmentTypeLabel",
    "LateNightRefreshment",
    "AlcoholSupply",
    "OpeningHours",
    "StatusURI",
    "StatusLabel",
    "LicenceStartDate",
    "LicenceEndDate",
    "OnPremisesAlcoholSale",
    "OffPremisesAlcoholSale",
    "LicenceHolder",
    "LicenceHolderAddress",
    "LicenceHolderPostcode",
    "ApplicantTypeURI",
    "ApplicantTypeLabel",
    "DesignatedPremisesSupervisor",
    "SupervisorLicenceNo",
    "SupervisorAddress",
    "SupervisorPostcode",
    "Conditions",
    "DecisionDate",
    "DecidedBy",
    "LicenceURL",
    "UPRN",
    "GeoPointLicensingURL",
)
#: On or before this, a date is a system's stand-in for none (SQL Server writes 1 January 1900).
EARLIEST_PLACEHOLDER = date(1900, 1, 1)
# A time after a date, which is read past: Excel writes "01/02/2026 00:00" or "... 00:00:00"
# for a date cell, systems "2026-02-01T10:00:00+01:00" (the date is the one written).
_TIME = (
    r"(?:(?:T|\s+)(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?(?:\s*[AaPp]\.?[Mm]\.?)?"
    r"(?:\s*(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d))?)?"
)
_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})" + _TIME)
_ISO_DATE = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})" + _TIME)
_WORDS_DATE = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?([ -])([A-Za-z]+),?\2(\d{4}|\d{2})" + _TIME)
#: A two-digit year is read as Excel reads one typed in a cell, the spreadsheet such files come
#: from: 00 to 29 are 2000 to 2029, 30 to 99 are 1930 to 1999 (a case of 1999, not of 2099).
TWO_DIGIT_YEAR_PIVOT = 30
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
_BOOLEANS = {"yes": True, "true": True, "no": False, "false": False}
# Up to 12 digits; a spreadsheet that read the column as numbers writes "100023336956.0".
_UPRN = re.compile(r"(\d{1,12})(?:\.0+)?")
_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?[eE]\+?\d+")


#: Rows that are not errors but carry nothing of their own: left out, and counted.
EXACT_REPEAT = "repeating an earlier row exactly"
HEADER_AGAIN = "repeating the header row"

#: What the register's own export writes in a cell it withholds from the person exporting (the
#: home addresses of holders and supervisors, docs/register.md): read back, such a cell gives
#: nothing, and the licence keeps what it holds.
WITHHELD = "[withheld]"
#: The columns an export may withhold.
WITHHOLDABLE_COLUMNS = (
    "LicenceHolderAddress",
    "LicenceHolderPostcode",
    "SupervisorAddress",
    "SupervisorPostcode",
)


@dataclass(frozen=True)
class RowError:
    """One problem with one field of one CSV record; `line` is where the record starts (header = 1).

    `left_out` names why a row that is no error was left out (EXACT_REPEAT, HEADER_AGAIN)."""

    line: int
    field: str | None
    message: str
    left_out: str | None = None
    #: The record runs on past its first line to this one (a quoted value holding line breaks).
    last_line: int | None = None
    #: The problem stops the whole file being read (a quote never closed swallowed the rows
    #: after it): `message` says so as a sentence of its own.
    whole_file: bool = False

    def __str__(self) -> str:
        if self.whole_file:
            return self.message
        lines = (
            f"lines {self.line} to {self.last_line}"
            if self.last_line is not None and self.last_line > self.line
            else f"line {self.line}"
        )
        where = lines + (f", {self.field}" if self.field else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class LicenceRow:
    """One premises licence record, typed; text is trimmed and runs of spaces collapsed.

    Holder and supervisor details are personal data: they are carried so that the licence
    holds the whole record, and a public register leaves them out (docs/register.md).
    """

    line: int
    organisation_uri: str | None
    organisation_label: str | None
    extract_date: date | None
    case_reference: str
    case_date: date | None
    service_type: str | None
    premises_name: str | None
    location_text: str | None
    postcode: str | None
    entertainment_types: tuple[str, ...]
    late_night_refreshment: bool | None
    alcohol_supply: bool | None
    on_premises_alcohol_sale: bool | None
    off_premises_alcohol_sale: bool | None
    opening_hours: str | None
    status_label: str | None
    start: date | None
    end: date | None
    licence_holder: str | None
    conditions: tuple[str, ...]
    decision_date: date | None
    decided_by: str | None
    licence_url: str | None
    uprn: str | None
    licence_holder_address: str | None = None
    licence_holder_postcode: str | None = None
    applicant_type: str | None = None
    supervisor: str | None = None
    supervisor_licence_no: str | None = None
    supervisor_address: str | None = None
    supervisor_postcode: str | None = None
    geo_point_url: str | None = None
    #: The columns whose cell the file withholds (`WITHHELD`): the licence keeps its own value.
    withheld: frozenset[str] = frozenset()


class _FieldError(ValueError):
    pass


def _collapse(value: str) -> str:
    # Published registers carry stray double spaces ("Premises  licence"); they are noise.
    return " ".join(value.split())


def _optional_text(value: str) -> str | None:
    return _collapse(value) or None


def parse_uk_date(value: str) -> date | None:
    """Read a date as councils write them: 31/01/2020, 31-01-2020, 31.01.2020, 31/01/20,
    2020-01-31 or 2020/01/31 (with or without a time after it), 31 January 2020, 31 Jan 2020,
    and a spreadsheet's 31-Jan-2020 or 31-Jan-20.

    Any of them may have a time after it, as spreadsheets and systems write one ("31/01/2020
    00:00", "31/01/2020 00:00:00", "2020-01-31T10:00:00+01:00"): the date is the one written.
    Day before month always (UK files); a two-digit year as Excel reads it (`full_year`).
    Raises ValueError.
    """
    text = value.strip()
    if not text:
        return None
    if (match := _DATE.fullmatch(text)) is not None:
        day, month, year = (int(part) for part in match.groups())
        year = full_year(year)
    elif (match := _ISO_DATE.fullmatch(text)) is not None:
        year, month, day = int(match.group(1)), int(match.group(3)), int(match.group(4))
    elif (match := _WORDS_DATE.fullmatch(text)) is not None:
        month = _MONTHS.get(match.group(3).lower()[:3], 0)
        if month == 0:
            raise ValueError(f"{text!r} is not a date: unknown month {match.group(3)!r}")
        day, year = int(match.group(1)), full_year(int(match.group(4)))
    else:
        raise ValueError(f"{text!r} is not a date in the form dd/mm/yyyy")
    try:
        found = date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a real date ({exc})") from exc
    # Systems that cannot leave a date empty write their earliest one instead (1 January 1900,
    # or of year 1): read as a date, an empty end date would show the licence as long expired.
    if found <= EARLIEST_PLACEHOLDER:
        raise ValueError(
            f"{text!r} is the date some systems write for no date at all: leave the cell empty"
        )
    return found


def full_year(year: int) -> int:
    """A year as written, two digits read as Excel reads them (`TWO_DIGIT_YEAR_PIVOT`)."""
    if year >= 100:
        return year
    return year + (2000 if year < TWO_DIGIT_YEAR_PIVOT else 1900)


def _date(value: str) -> date | None:
    try:
        return parse_uk_date(value)
    except ValueError as exc:
        raise _FieldError(str(exc)) from exc


def _boolean(value: str) -> bool | None:
    text = value.strip().lower()
    if not text:
        return None
    if text not in _BOOLEANS:
        raise _FieldError(f"{value.strip()!r} is not one of Yes, No, True or False")
    return _BOOLEANS[text]


def _list(value: str) -> tuple[str, ...]:
    # Empty items are dropped: real files end lists with a stray "|" ("Recorded music|").
    return tuple(item for part in value.split("|") if (item := _collapse(part)))


def _postcode(value: str) -> str | None:
    return _collapse(value).upper() or None


def _uprn(value: str) -> str | None:
    text = value.strip()
    if not text:
        return None
    if (match := _UPRN.fullmatch(text)) is None:
        if _SCIENTIFIC.fullmatch(text):
            raise _FieldError(
                f"{text!r} is not a UPRN: a spreadsheet wrote the number in scientific notation "
                "and lost its last digits; save the column as text and export the file again"
            )
        raise _FieldError(f"{text!r} is not a UPRN (up to 12 digits)")
    return match.group(1)


class _RowReader:
    """Reads typed fields from one record, collecting an error per bad field instead of stopping."""

    def __init__(self, line: int, values: Mapping[str, str]) -> None:
        self.line = line
        self.values = values
        self.errors: list[RowError] = []

    def get(self, column: str, convert: Callable[[str], T], default: T) -> T:
        try:
            return convert(self.values.get(column, ""))
        except _FieldError as exc:
            self.errors.append(RowError(self.line, column, str(exc)))
            return default

    def required(self, column: str) -> str:
        text = _collapse(self.values.get(column, ""))
        if not text:
            self.errors.append(RowError(self.line, column, "is empty"))
        return text


CONTROL_CHARACTER = "holds a control character ({}) that cannot be shown or printed"


def _read_row(line: int, values: Mapping[str, str]) -> tuple[LicenceRow, list[RowError]]:
    withheld = frozenset(
        column
        for column in WITHHOLDABLE_COLUMNS
        if values.get(column, "").strip().lower() == WITHHELD
    )
    values = {k: "" if k in withheld else v for k, v in values.items()}
    r = _RowReader(line, values)
    for column in KNOWN_COLUMNS:
        # The rule every form applies (enforcement.text); spacing was read as spaces before.
        if found := control_characters_in(values.get(column, "")):
            r.errors.append(RowError(line, column, CONTROL_CHARACTER.format(found)))
    row = LicenceRow(
        line=line,
        organisation_uri=r.get("OrganisationURI", _optional_text, None),
        organisation_label=r.get("OrganisationLabel", _optional_text, None),
        extract_date=r.get("ExtractDate", _date, None),
        case_reference=r.required("CaseReference"),
        case_date=r.get("CaseDate", _date, None),
        service_type=r.get("ServiceTypeLabel", _optional_text, None),
        premises_name=r.get("PremisesName", _optional_text, None),
        location_text=r.get("LocationText", _optional_text, None),
        postcode=r.get("Postcode", _postcode, None),
        entertainment_types=r.get("EntertainmentTypeLabel", _list, ()),
        late_night_refreshment=r.get("LateNightRefreshment", _boolean, None),
        alcohol_supply=r.get("AlcoholSupply", _boolean, None),
        on_premises_alcohol_sale=r.get("OnPremisesAlcoholSale", _boolean, None),
        off_premises_alcohol_sale=r.get("OffPremisesAlcoholSale", _boolean, None),
        # Free text such as "m-su 0800-0230  fs 1700-0200": kept as written, only trimmed.
        opening_hours=values.get("OpeningHours", "").strip() or None,
        status_label=r.get("StatusLabel", _optional_text, None),
        start=r.get("LicenceStartDate", _date, None),
        end=r.get("LicenceEndDate", _date, None),
        licence_holder=r.get("LicenceHolder", _optional_text, None),
        conditions=r.get("Conditions", _list, ()),
        decision_date=r.get("DecisionDate", _date, None),
        decided_by=r.get("DecidedBy", _optional_text, None),
        licence_url=r.get("LicenceURL", _optional_text, None),
        uprn=r.get("UPRN", _uprn, None),
        licence_holder_address=r.get("LicenceHolderAddress", _optional_text, None),
        licence_holder_postcode=r.get("LicenceHolderPostcode", _postcode, None),
        applicant_type=r.get("ApplicantTypeLabel", _optional_text, None),
        supervisor=r.get("DesignatedPremisesSupervisor", _optional_text, None),
        supervisor_licence_no=r.get("SupervisorLicenceNo", _optional_text, None),
        supervisor_address=r.get("SupervisorAddress", _optional_text, None),
        supervisor_postcode=r.get("SupervisorPostcode", _postcode, None),
        geo_point_url=r.get("GeoPointLicensingURL", _optional_text, None),
        withheld=withheld,
    )
    # Real registers list some premises by address alone; with neither, nothing identifies it.
    if row.premises_name is None and row.location_text is None:
        r.errors.append(RowError(line, "PremisesName", "is empty, and so is LocationText"))
    if row.start is not None and row.end is not None and row.end < row.start:
        r.errors.append(
            RowError(line, "LicenceEndDate", f"ends {row.end:%d/%m/%Y}, before it starts")
        )
    return row, r.errors


def _header(cells: list[str]) -> tuple[list[str], list[RowError]]:
    """Map header cells onto schema names (compared by `column_key`)."""
    names = schema_names(cells, KNOWN_COLUMNS)
    counted = Counter(n for n in names if n)  # once over the header, however wide the file
    errors = [
        RowError(1, name, "column appears more than once")
        for name in sorted(n for n, times in counted.items() if times > 1)
    ]
    errors += [
        RowError(1, name, "required column is missing")
        for name in REQUIRED_COLUMNS
        if name not in names
    ]
    return names, errors


def _as_written(cell: str) -> str:
    return cell


def _cell(cell: str) -> str:
    """A cell before anything reads it: the byte order mark that starts a file joined onto
    another taken off, and spacing control characters read as spaces."""
    return as_spaces(cell.lstrip("\ufeff"))


def parse_licence_csv(
    text: str, *, read_cell: Callable[[str], str] = _as_written
) -> tuple[list[LicenceRow], list[RowError]]:
    """Parse a premises licence CSV into typed rows and a list of every problem found.

    Values are separated by commas, semicolons or tabs, whichever the header uses.
    Dates are dd/mm/yyyy; booleans Yes/No/True/False in any case, or empty for unknown; lists
    (conditions, entertainment types) are separated by "|". A record with any error is left out
    of the rows; so is a repeat of an earlier (CaseReference, CaseDate, ServiceTypeLabel) within
    the same organisation, an error unless it repeats the earlier row exactly. A row repeating
    the header (files joined together, each with its byte order mark or not) and an exact
    repeat are reported with `left_out` set, as no error. Parsing goes on after a bad record,
    so one pass reports them all; a record spanning several lines says so (`last_line`). A
    quote opened and not closed where a value ends swallows the rows after it: that is one
    error for the whole file (`whole_file`), naming the line it opens on and the lines it took,
    and no row is returned, since none after it can be read reliably. `read_cell` reads each
    cell before anything else does (by default, as written).
    Use `spreadsheet.decode_csv` first when starting from bytes.
    """
    found = records(text, delimiter_of(text, KNOWN_COLUMNS))
    rows: list[LicenceRow] = []
    errors: list[RowError] = []
    try:
        header = next(found, None)
        header_cells = [_cell(c) for c in header.cells] if header is not None else []
        if not any(cell.strip() for cell in header_cells):
            return [], [RowError(1, None, "the file is empty: expected a header row")]
        names, header_errors = _header(header_cells)
        if header_errors:
            return [], header_errors
        # Each (organisation, case, date, service) met so far: its line and its cells, trimmed.
        first_seen: dict[tuple[str, str, date | None, str], tuple[int, list[str]]] = {}
        header_again = [cell.strip().lower() for cell in header_cells]
        for record in found:
            start_line = record.first
            last_line = record.last if record.last > record.first else None
            if record.problem is not None:
                errors.append(RowError(start_line, None, record.problem))
                continue
            cells = [_cell(c) for c in record.cells]
            if not any(cell.strip() for cell in cells):
                continue
            if (
                cells[0].strip().lower() == header_again[0]
                and [cell.strip().lower() for cell in cells] == header_again
            ):
                errors.append(RowError(start_line, None, HEADER_AGAIN, left_out=HEADER_AGAIN))
                continue
            # Trailing empty cells past the header are spreadsheet residue; anything else means
            # the values no longer line up with their columns.
            if len(cells) < len(names) or any(c.strip() for c in cells[len(names) :]):
                spans = (
                    f" (a quoted value in it runs over lines {record.first} to {record.last}:"
                    " check its quotes)"
                    if last_line
                    else ""
                )
                errors.append(
                    RowError(
                        start_line,
                        None,
                        f"has {len(cells)} values but the header has {len(names)} columns{spans}",
                        last_line=last_line,
                    )
                )
                continue
            # Each cell as the caller reads it (the register import takes off the apostrophe
            # an export put before a formula's first sign: enforcement.spreadsheet.unguarded).
            cells = [read_cell(c) for c in cells]
            values = dict(zip(names, cells, strict=False))
            row, row_errors = _read_row(start_line, values)
            if row_errors:
                errors.extend(row_errors)
                continue
            organisation = (row.organisation_uri or row.organisation_label or "").lower()
            service = " ".join((row.service_type or "").lower().split())
            key = (organisation, row.case_reference, row.case_date, service)
            trimmed = [c.strip() for c in cells]
            if key in first_seen:
                first_line, first_cells = first_seen[key]
                if trimmed == first_cells:
                    message = f"repeats line {first_line} exactly"
                    errors.append(RowError(start_line, None, message, left_out=EXACT_REPEAT))
                    continue
                when = f"{row.case_date:%d/%m/%Y}" if row.case_date else "no date"
                errors.append(
                    RowError(
                        start_line,
                        "CaseReference",
                        f"case {row.case_reference} of {when} repeats line {first_line}",
                    )
                )
                continue
            first_seen[key] = (start_line, trimmed)
            rows.append(row)
    except UnclosedQuote as exc:
        return [], [RowError(exc.first, None, str(exc), last_line=exc.last, whole_file=True)]
    return rows, errors
