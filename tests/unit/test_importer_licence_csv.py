"""The LGA/esd premises licence CSV parser: typed rows, and every bad row reported."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shared_data import require_shared_data

from enforcement.register.importers.licence_csv import (
    KNOWN_COLUMNS,
    LicenceRow,
    RowError,
    parse_licence_csv,
)
from enforcement.spreadsheet import decode_csv

HEADER = ",".join(KNOWN_COLUMNS)
ORG = "http://opendatacommunities.org/id/district-council/example"


def record(**values: str) -> str:
    """Return one CSV line in schema column order, quoting as a spreadsheet would."""
    defaults = {
        "OrganisationURI": ORG,
        "OrganisationLabel": "Example",
        "CaseReference": "PL/0001",
        "CaseDate": "01/02/2020",
        "PremisesName": "The Crown",
    }
    defaults.update(values)
    cells = []
    for column in KNOWN_COLUMNS:
        value = defaults.get(column, "")
        needs_quotes = any(ch in value for ch in ',"\n')
        cells.append('"' + value.replace('"', '""') + '"' if needs_quotes else value)
    return ",".join(cells)


def csv_text(*lines: str, header: str = HEADER) -> str:
    return "\n".join([header, *lines]) + "\n"


def test_a_full_row_is_typed() -> None:
    text = csv_text(
        record(
            ExtractDate="25/05/2014",
            ServiceTypeLabel="Premises  licence",
            PremisesName="  The   Crown ",
            LocationText="1 High Street, Example",
            Postcode="ng1  4bt",
            EntertainmentTypeLabel="Live music|Recorded music|",
            LateNightRefreshment="Yes",
            AlcoholSupply="false",
            OnPremisesAlcoholSale="TRUE",
            OffPremisesAlcoholSale="no",
            OpeningHours="su-th 1700-0100  fs 1700-0200",
            StatusLabel="Current",
            LicenceStartDate="1/3/2020",
            LicenceEndDate="28/02/2025",
            LicenceHolder="Example Taverns Ltd",
            Conditions="CCTV at the door | Challenge 25 ||No glass outside",
            DecisionDate="15/02/2020",
            DecidedBy="Licensing Sub-Committee",
            UPRN="100031234567",
        )
    )
    rows, errors = parse_licence_csv(text)
    assert errors == []
    assert rows == [
        LicenceRow(
            line=2,
            organisation_uri=ORG,
            organisation_label="Example",
            extract_date=date(2014, 5, 25),
            case_reference="PL/0001",
            case_date=date(2020, 2, 1),
            service_type="Premises licence",
            premises_name="The Crown",
            location_text="1 High Street, Example",
            postcode="NG1 4BT",
            entertainment_types=("Live music", "Recorded music"),
            late_night_refreshment=True,
            alcohol_supply=False,
            on_premises_alcohol_sale=True,
            off_premises_alcohol_sale=False,
            opening_hours="su-th 1700-0100  fs 1700-0200",
            status_label="Current",
            start=date(2020, 3, 1),
            end=date(2025, 2, 28),
            licence_holder="Example Taverns Ltd",
            conditions=("CCTV at the door", "Challenge 25", "No glass outside"),
            decision_date=date(2020, 2, 15),
            decided_by="Licensing Sub-Committee",
            licence_url=None,
            uprn="100031234567",
        )
    ]


def test_empty_optional_fields_are_none_or_empty() -> None:
    [row], errors = parse_licence_csv(csv_text(record(CaseDate="")))
    assert errors == []
    assert row.case_date is None
    assert row.alcohol_supply is None and row.late_night_refreshment is None
    assert row.conditions == () and row.entertainment_types == ()
    assert row.start is None and row.uprn is None and row.postcode is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Yes", True), ("YES", True), ("true", True), ("True", True), (" no ", False),
     ("FALSE", False), ("", None)],
)  # fmt: skip
def test_booleans_in_any_case(text: str, expected: bool | None) -> None:
    [row], errors = parse_licence_csv(csv_text(record(AlcoholSupply=text)))
    assert errors == []
    assert row.alcohol_supply is expected


@pytest.mark.parametrize("text", ["Y", "1", "maybe", "Yes please"])
def test_other_boolean_words_are_errors(text: str) -> None:
    rows, errors = parse_licence_csv(csv_text(record(LateNightRefreshment=text)))
    assert rows == []
    [error] = errors
    assert (error.line, error.field) == (2, "LateNightRefreshment")
    assert repr(text) in error.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2020-02-30", "not a real date"),
        ("1 Smarch 2020", "unknown month"),
        ("31/02/2020", "not a real date"),
        ("00/01/2020", "not a real date"),
        ("soon", "dd/mm/yyyy"),
        ("1 Feb-2020", "dd/mm/yyyy"),
        ("2020-02/01", "dd/mm/yyyy"),
        ("31-Feb-20", "not a real date"),
    ],
)
def test_bad_dates_are_explained(text: str, message: str) -> None:
    _, [error] = parse_licence_csv(csv_text(record(LicenceStartDate=text)))
    assert error.field == "LicenceStartDate"
    assert message in error.message


@settings(deadline=None, database=None)
@given(st.dates(min_value=date(1900, 1, 2), max_value=date(2999, 12, 31)))
def test_any_real_date_round_trips(day: date) -> None:
    [row], errors = parse_licence_csv(csv_text(record(CaseDate=day.strftime("%d/%m/%Y"))))
    assert errors == []
    assert row.case_date == day


def test_every_bad_row_and_field_is_reported() -> None:
    text = csv_text(
        record(CaseReference="A1"),
        record(CaseReference="", PremisesName="", LocationText=""),
        record(CaseReference="A3", CaseDate="30/02/2020", AlcoholSupply="maybe", UPRN="12x"),
        record(CaseReference="A4", LicenceStartDate="01/01/2021", LicenceEndDate="01/01/2020"),
        record(CaseReference="A5"),
    )
    rows, errors = parse_licence_csv(text)
    assert [r.case_reference for r in rows] == ["A1", "A5"]
    assert [(e.line, e.field) for e in errors] == [
        (3, "CaseReference"),
        (3, "PremisesName"),
        (4, "CaseDate"),
        (4, "AlcoholSupply"),
        (4, "UPRN"),
        (5, "LicenceEndDate"),
    ]
    assert all(e.message for e in errors)
    assert str(errors[-1]).startswith("line 5, LicenceEndDate: ")


def test_premises_known_only_by_address_are_kept() -> None:
    [row], errors = parse_licence_csv(
        csv_text(record(PremisesName="", LocationText="14 Heathcote Street"))
    )
    assert errors == []
    assert row.premises_name is None and row.location_text == "14 Heathcote Street"


def test_duplicate_case_within_an_organisation_is_an_error() -> None:
    text = csv_text(
        record(CaseReference="PL/7", CaseDate="01/02/2020", PremisesName="First"),
        record(CaseReference="PL/7", CaseDate="01/02/2020", PremisesName="Second"),
    )
    rows, [error] = parse_licence_csv(text)
    assert [r.premises_name for r in rows] == ["First"]
    assert (error.line, error.field) == (3, "CaseReference")
    assert "PL/7" in error.message and "line 2" in error.message


def test_same_reference_on_another_date_or_in_another_organisation_is_fine() -> None:
    text = csv_text(
        record(CaseReference="PL/7", CaseDate="01/02/2020"),
        record(CaseReference="PL/7", CaseDate="02/02/2020"),
        record(CaseReference="PL/7", CaseDate="01/02/2020", OrganisationURI=ORG + "-other"),
    )
    rows, errors = parse_licence_csv(text)
    assert errors == []
    assert len(rows) == 3


def test_line_numbers_count_physical_lines_across_quoted_newlines() -> None:
    text = csv_text(
        record(CaseReference="A1", LocationText="Unit 2\nThe Arcade"),
        record(CaseReference="A2", CaseDate="not a date"),
    )
    rows, [error] = parse_licence_csv(text)
    assert rows[0].location_text == "Unit 2 The Arcade"
    assert error.line == 4


def test_rows_with_the_wrong_number_of_values_are_errors() -> None:
    text = csv_text(
        "PL/1,01/01/2020",
        record(CaseReference="PL/2") + ",surplus",
        record(CaseReference="PL/3") + ",,",
    )
    rows, errors = parse_licence_csv(text)
    assert [r.case_reference for r in rows] == ["PL/3"]
    assert [(e.line, e.field) for e in errors] == [(2, None), (3, None)]
    assert "header has 36 columns" in errors[0].message


def test_blank_lines_are_skipped() -> None:
    rows, errors = parse_licence_csv(csv_text("", record(), "   "))
    assert errors == [] and len(rows) == 1
    assert rows[0].line == 3


@pytest.mark.parametrize(
    "header",
    [
        "Case Reference,Case Date,Premises Name",
        "case_reference;case_date;premises_name",
        "CASE-REFERENCE\tCASE-DATE\tPREMISES-NAME",
        "\u200bCaseReference,CaseDate\xa0,PremisesName",
    ],
)
def test_a_header_written_with_spaces_or_punctuation_names_the_same_columns(header: str) -> None:
    delimiter = ";" if ";" in header else "\t" if "\t" in header else ","
    [row], errors = parse_licence_csv(f"{header}\nPL/1{delimiter}01/02/2020{delimiter}The Crown\n")
    assert errors == []
    assert (row.case_reference, row.case_date, row.premises_name) == (
        "PL/1",
        date(2020, 2, 1),
        "The Crown",
    )


def test_header_is_matched_loosely_and_extra_columns_are_ignored() -> None:
    header = "\ufeffcasereference, CASEDATE ,PremisesName,Notes"
    [row], errors = parse_licence_csv(csv_text("PL/1,01/02/2020,The Crown,anything", header=header))
    assert errors == []
    assert (row.case_reference, row.case_date, row.premises_name) == (
        "PL/1",
        date(2020, 2, 1),
        "The Crown",
    )
    assert row.organisation_uri is None


def test_header_problems_are_all_reported_and_stop_the_import() -> None:
    rows, errors = parse_licence_csv(csv_text("x,y,z", header="CaseReference,Postcode,Postcode"))
    assert rows == []
    assert errors == [
        RowError(1, "Postcode", "column appears more than once"),
        RowError(1, "CaseDate", "required column is missing"),
        RowError(1, "PremisesName", "required column is missing"),
    ]


@pytest.mark.parametrize("text", ["", "\n\n", " , ,\n"])
def test_an_empty_file_is_an_error(text: str) -> None:
    rows, [error] = parse_licence_csv(text)
    assert rows == [] and error.line == 1


def test_decoding_accepts_utf8_with_bom_and_windows_1252() -> None:
    assert decode_csv("\ufeffCafé".encode()) == "Café"
    assert decode_csv("Café".encode("utf-16")) == "Café"  # with its byte order mark
    assert decode_csv(b"\xfe\xff" + "Café".encode("utf-16-be")) == "Café"
    assert decode_csv("O\u2019Rourkes Café".encode("cp1252")) == "O\u2019Rourkes Café"
    assert decode_csv(b"\x81") == "\x81"


def test_a_byte_windows_1252_leaves_undefined_refuses_only_its_row() -> None:
    data = (
        b"CaseReference,CaseDate,PremisesName\r\n"
        b"A,01/01/2020,\x93Caf\xe9\x94 \x80\r\n"  # curly quotes, an accent and a euro sign
        b"B,01/01/2020,Bad\x81byte\r\n"  # 0x81 means nothing in Windows-1252
    )
    rows, [error] = parse_licence_csv(decode_csv(data))
    assert [r.premises_name for r in rows] == ["\u201cCaf\u00e9\u201d \u20ac"]
    assert (error.line, error.field) == (3, "PremisesName")
    assert "control character (U+0081)" in error.message


# --- the real example file ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def example_rows() -> tuple[list[LicenceRow], list[RowError]]:
    path = require_shared_data() / "premises" / "example-premises-licences.csv"
    return parse_licence_csv(decode_csv(Path(path).read_bytes()))


def test_real_example_parses_completely(
    example_rows: tuple[list[LicenceRow], list[RowError]],
) -> None:
    rows, errors = example_rows
    assert errors == []
    assert len(rows) == 1256
    assert {r.service_type for r in rows} == {"Premises licence"}
    assert {r.organisation_label for r in rows} == {"Nottinghamshire"}
    assert all(isinstance(r.alcohol_supply, bool) for r in rows)
    assert all(r.case_date is not None and r.start is not None for r in rows)
    # Two licences name no premises, only an address.
    assert sum(r.premises_name is None for r in rows) == 2


def test_real_example_quirks_are_smoothed(
    example_rows: tuple[list[LicenceRow], list[RowError]],
) -> None:
    rows, _ = example_rows
    first = rows[0]
    assert first.premises_name == "Nottingham Trent University"
    assert first.opening_hours == "m-su 0800-0230"
    assert first.late_night_refreshment is True
    assert len(first.entertainment_types) == 7
    # Lists ending in a stray "|" leave no empty entry behind.
    assert all("" not in r.entertainment_types for r in rows)
    # The file is Windows-1252: curly apostrophes and accents come through.
    names = {r.premises_name for r in rows}
    assert "Café Sutra" in names and "O\u2019Rourkes" in names


@pytest.mark.parametrize("text", ["01/01/1900", "1900-01-01 00:00:00", "0001-01-01", "31/12/1899"])
def test_a_systems_stand_in_for_no_date_is_refused_not_read_as_a_date(text: str) -> None:
    _, [error] = parse_licence_csv(csv_text(record(LicenceEndDate=text)))
    assert error.field == "LicenceEndDate"
    assert "the date some systems write for no date at all: leave the cell empty" in error.message


@pytest.mark.parametrize(
    "text",
    [
        "01/02/2020",
        "1/2/2020",
        "01/02/20",
        "01-02-2020",
        "01.02.2020",
        "2020-02-01",
        "2020-02-01T00:00:00",
        "1 February 2020",
        "1 Feb 2020",
        "1st Feb 2020",
        "01-Feb-2020",  # a spreadsheet's dd-mmm-yyyy
        "1-Feb-20",
        "2020/02/01",
        "2020-2-1 00:00:00",
    ],
)
def test_the_date_formats_councils_use_are_read_day_first(text: str) -> None:
    [row], errors = parse_licence_csv(csv_text(record(LicenceStartDate=text)))
    assert errors == []
    assert row.start == date(2020, 2, 1)


@pytest.mark.parametrize(
    ("text", "uprn"), [("100023336956", "100023336956"), ("100023336956.0", "100023336956")]
)
def test_a_uprn_a_spreadsheet_read_as_a_number_is_the_same_uprn(text: str, uprn: str) -> None:
    [row], errors = parse_licence_csv(csv_text(record(UPRN=text)))
    assert errors == [] and row.uprn == uprn


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1.00023E+11", "scientific notation and lost its last digits"),
        ("100023336956.5", "is not a UPRN (up to 12 digits)"),
        ("1000233369561", "is not a UPRN (up to 12 digits)"),
    ],
)
def test_a_uprn_that_lost_digits_is_refused_saying_why(text: str, message: str) -> None:
    _, [error] = parse_licence_csv(csv_text(record(UPRN=text)))
    assert error.field == "UPRN" and message in error.message


def test_a_cell_holding_a_control_character_refuses_its_row_naming_the_column() -> None:
    rows, errors = parse_licence_csv(
        csv_text(
            record(CaseReference="PL/1", Conditions="No entry after 23:00|CCTV\x01on"),
            record(CaseReference="PL/2", PremisesName="The\x1b Crown", OpeningHours="Mo\x7f"),
            record(CaseReference="PL/3", LocationText="1 High St\x0b Town"),  # spacing: fine
        )
    )
    assert [r.case_reference for r in rows] == ["PL/3"]
    assert [(e.line, e.field, e.message) for e in errors] == [
        (2, "Conditions", "holds a control character (U+0001) that cannot be shown or printed"),
        (3, "PremisesName", "holds a control character (U+001B) that cannot be shown or printed"),
        (3, "OpeningHours", "holds a control character (U+007F) that cannot be shown or printed"),
    ]


# --- quotes that swallow rows, cells longer than the csv module's default ----------------------

UNCLOSED = (
    "CaseReference,CaseDate,PremisesName,LocationText,Postcode\r\n"
    "U/1,05/02/2026,Fine One,1 St,HU1 1AA\r\n"
    'U/2,05/02/2026,"Unclosed Bar,2 St,HU1 1AA\r\n'
    + "".join(f"U/{n},05/02/2026,After {n},{n} St,HU1 1AA\r\n" for n in range(3, 9))
)


def test_a_quote_never_closed_refuses_the_file_naming_where_it_opens_and_what_it_took() -> None:
    """It swallowed the six rows after it; "leave out the refused rows" then lost them unseen."""
    rows, [error] = parse_licence_csv(UNCLOSED)
    assert rows == []
    assert error.whole_file and (error.line, error.last_line) == (3, 9)
    assert str(error).startswith("Line 3 opens a quoted value")
    assert "lines 4 to 9 were read as part of that one value" in str(error)
    assert "end of the file" in str(error) and "close the quote on line 3" in str(error)


def test_a_quote_closed_by_a_later_rows_quote_refuses_the_file_too() -> None:
    """Closed by the next row's opening quote, the record had as many values as the header: it
    was imported with the next row inside its name, and that row was lost."""
    text = (
        "CaseReference,CaseDate,PremisesName,LocationText,Postcode\r\n"
        'Q/1,05/02/2026,"Stray Quote Bar,1 St,HU1 1AA\r\n'
        'Q/2,05/02/2026,Next Bar,"2 St, Hull",HU1 1AA\r\n'
        "Q/3,05/02/2026,Last Bar,3 St,HU1 1AA\r\n"
    )
    rows, [error] = parse_licence_csv(text)
    assert rows == [] and error.whole_file and (error.line, error.last_line) == (2, 3)
    assert "line 3 was read as part of that one value" in str(error)


def test_a_value_holding_line_breaks_is_still_one_value_and_a_slip_in_one_line_is_read() -> None:
    text = csv_text(
        record(CaseReference="A1", LocationText="Unit 2\nThe Arcade"),
        record(CaseReference="A2").replace("The Crown", '"The" Crown'),  # text after a quote
        record(CaseReference="A3"),
    )
    rows, errors = parse_licence_csv(text)
    assert errors == []
    assert [(r.case_reference, r.premises_name) for r in rows] == [
        ("A1", "The Crown"),
        ("A2", "The Crown"),
        ("A3", "The Crown"),
    ]


def test_a_row_spanning_lines_with_the_wrong_number_of_values_says_which_lines() -> None:
    text = csv_text('PL/1,01/01/2020,"The\nCrown"', record(CaseReference="PL/2"))
    rows, [error] = parse_licence_csv(text)
    assert [r.case_reference for r in rows] == ["PL/2"]
    assert (error.line, error.last_line) == (2, 3)
    assert str(error).startswith("lines 2 to 3: has 3 values but the header has 36 columns")


def test_a_cell_longer_than_the_csv_modules_default_limit_is_read() -> None:
    """400 conditions of 385 characters (about 154 KB) stopped the file at "field larger than
    field limit (131072)": the documented limits are 500 conditions of 4,000 characters."""
    conditions = [f"Condition {n}: " + "x" * 370 for n in range(400)]
    text = csv_text(
        record(CaseReference="BIG/1", Conditions="|".join(conditions)),
        record(CaseReference="BIG/2"),
    )
    rows, errors = parse_licence_csv(text)
    assert errors == []
    assert [r.case_reference for r in rows] == ["BIG/1", "BIG/2"]
    assert list(rows[0].conditions) == conditions


# --- dates as spreadsheets and systems write them -----------------------------------------------


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("01/02/2026 00:00", date(2026, 2, 1)),  # Excel's date cell saved as CSV
        ("01/02/2026 00:00:00", date(2026, 2, 1)),
        ("1/2/2026 12:00:00 AM", date(2026, 2, 1)),
        ("01-02-2026 23:59", date(2026, 2, 1)),
        ("2026-02-01T10:00:00+01:00", date(2026, 2, 1)),  # a system's ISO 8601 with its offset
        ("2026-02-01T10:00:00.123Z", date(2026, 2, 1)),
        ("2026-02-01 10:00+0100", date(2026, 2, 1)),
        ("1 Feb 2026 00:00", date(2026, 2, 1)),
        # a two-digit year as Excel reads it: never a licence of 2099
        ("01/02/99", date(1999, 2, 1)),
        ("01/02/30", date(1930, 2, 1)),
        ("01/02/29", date(2029, 2, 1)),
        ("1-Feb-99", date(1999, 2, 1)),
    ],
)
def test_dates_with_a_time_or_a_two_digit_year_are_read_as_the_spreadsheet_meant(
    text: str, day: date
) -> None:
    [row], errors = parse_licence_csv(csv_text(record(LicenceStartDate=text)))
    assert errors == []
    assert row.start == day


@pytest.mark.parametrize("text", ["01/02/2026 25:00", "01/02/2026 00:00 nonsense", "01/02/2026T"])
def test_a_date_with_something_else_after_it_is_still_refused(text: str) -> None:
    _, [error] = parse_licence_csv(csv_text(record(LicenceStartDate=text)))
    assert error.field == "LicenceStartDate" and "dd/mm/yyyy" in error.message


# --- files joined together, each with its byte order mark ---------------------------------------


def test_a_header_repeated_with_its_byte_order_mark_is_left_out_as_a_repeated_header() -> None:
    part = "\ufeffCaseReference,CaseDate,PremisesName\r\n{ref},05/02/2026,Joined {ref}\r\n"
    text = decode_csv((part.format(ref="J/1") + part.format(ref="J/2")).encode())
    rows, errors = parse_licence_csv(text)
    assert [r.case_reference for r in rows] == ["J/1", "J/2"]
    assert [(e.line, e.left_out) for e in errors] == [(3, "repeating the header row")]


# --- the one rule of characters no record holds -------------------------------------------------


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("Noncharacter \uffff Bar", "U+FFFF"),
        ("Noncharacter \ufffe Bar", "U+FFFE"),
        ("Ctrl\x7fDel\x9bCsi Cafe", "U+007F, U+009B"),  # DEL and a C1 control
        ("Bell\x07", "U+0007"),
    ],
)
def test_a_cell_holding_what_every_form_refuses_refuses_its_row(value: str, named: str) -> None:
    rows, errors = parse_licence_csv(
        csv_text(record(PremisesName=value), record(CaseReference="B"))
    )
    assert [r.case_reference for r in rows] == ["B"]
    assert [(e.line, e.field, e.message) for e in errors] == [
        (2, "PremisesName", f"holds a control character ({named}) that cannot be shown or printed")
    ]


def test_spacing_controls_are_read_as_spaces_even_in_the_hours_kept_as_written() -> None:
    [row], errors = parse_licence_csv(
        csv_text(record(OpeningHours="Mo-Fr 10-22\x0bSa 10-23\x85", LocationText="1\x0cHigh St"))
    )
    assert errors == []
    assert (row.opening_hours, row.location_text) == ("Mo-Fr 10-22 Sa 10-23", "1 High St")


# --- a UTF-8 file with a line in Windows-1252 -------------------------------------------------


def test_a_utf8_file_with_a_windows_1252_line_is_read_line_by_line_never_garbled() -> None:
    data = (
        b"CaseReference,CaseDate,PremisesName\r\n"
        + "MIX/1,05/02/2026,Café Noël\r\n".encode()
        + "MIX/2,05/02/2026,Zoë\u2019s Bar\r\n".encode()
        + "MIX/3,05/02/2026,Crème \u20ac\r\n".encode("cp1252")
    )
    rows, errors = parse_licence_csv(decode_csv(data))
    assert errors == []
    assert [r.premises_name for r in rows] == ["Café Noël", "Zoë\u2019s Bar", "Crème \u20ac"]
