"""Importing the register (esd CSV, FHRS XML, the Gambling Commission's CSV), exporting it, and
licence expiry reminders: on both databases."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from builders import NOW, make_licence, make_premises, make_user, make_wards
from builders.register import IN_EAST, IN_WEST, OUTSIDE
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enforcement.access import Actor
from enforcement.clock import day_text, london_midnight_utc
from enforcement.models import (
    AuditEvent,
    Licence,
    LicenceCondition,
    Premises,
    PremisesWard,
    Reminder,
)
from enforcement.register import licences, premises, wards
from enforcement.register.importers.licence_csv import KNOWN_COLUMNS
from enforcement.registerio import expiry, export, importing, runs
from enforcement.registerio.sources import GAMBLING_COLUMNS, ImportFileError
from enforcement.vocab import LicenceRegime

ACTOR = Actor.system("test import")
WITHHELD = "[withheld]"  # what the export writes in a cell it withholds
AREA = runs.Area(council_name="London Borough of Testshire")
FIXTURES = Path(__file__).resolve().parents[1] / "data" / "register"


def esd(*rows: dict[str, str], header: tuple[str, ...] = KNOWN_COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


def licence_row(ref: str, **values: str) -> dict[str, str]:
    row = {
        "CaseReference": ref,
        "CaseDate": "01/02/2020",
        "ServiceTypeLabel": "Premises licence",
        "PremisesName": f"The {ref} Arms",
        "LocationText": f"{ref} King Street, Hammersmith",
        "Postcode": "W6 9JU",
        "StatusLabel": "Current",
        "LicenceStartDate": "01/03/2020",
        "LicenceHolder": "Pubco Ltd",
        "OnPremisesAlcoholSale": "Yes",
        "OffPremisesAlcoholSale": "No",
        "LateNightRefreshment": "true",
        "EntertainmentTypeLabel": "Live music|Recorded music",
        "DesignatedPremisesSupervisor": "A Supervisor",
        "SupervisorLicenceNo": "PL-1",
        "Conditions": "CCTV at the door|No drinks outside after 22:00",
        "OpeningHours": "Mo-Su 10:00-23:00",
    }
    row.update(values)
    return row


def run_import(
    session: Session, data: bytes, kind: str = "esd", **options: bool
) -> tuple[importing.Plan, importing.Result]:
    return runs.import_now(
        session, ACTOR, NOW, kind, data, importing.Options(**options), AREA, source="test"
    )


def preview(session: Session, data: bytes, kind: str = "esd", **options: bool) -> importing.Plan:
    return runs.preview(session, NOW, kind, data, importing.Options(**options), AREA)


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_an_esd_file_imports_its_licences_and_again_changes_nothing(session: Session) -> None:
    data = esd(licence_row("101"), licence_row("102", LicenceEndDate="31/12/2030"))
    plan, result = run_import(session, data)
    assert plan.counts()["new"] == 2 and result.created_licences == 2
    lic = session.scalars(select(Licence).where(Licence.reference == "101")).one()
    assert (lic.dps_name, lic.dps_licence_no) == ("A Supervisor", "PL-1")
    assert (lic.alcohol_on_sales, lic.alcohol_off_sales, lic.late_night_refreshment) == (
        True,
        False,
        True,
    )
    assert lic.regulated_entertainment == "Live music|Recorded music"
    assert (lic.status, lic.status_label, lic.starts_on) == ("active", "Current", date(2020, 3, 1))
    premises = session.get_one(Premises, lic.premises_id)
    assert (premises.address_line1, premises.address_line2) == ("101 King Street", "Hammersmith")
    before = (count(session, Premises), count(session, Licence), count(session, AuditEvent))
    again, result = run_import(session, data)
    assert again.counts()["unchanged"] == 2 and again.counts()["new"] == 0
    assert result.unchanged == 2 and result.created_licences == result.updated_licences == 0
    assert (count(session, Premises), count(session, Licence), count(session, AuditEvent)) == before


def test_a_newer_file_updates_the_matching_licence_with_before_and_after(session: Session) -> None:
    run_import(session, esd(licence_row("201")))
    newer = esd(
        licence_row(
            "201",
            DesignatedPremisesSupervisor="B Newperson",
            Conditions="CCTV at the door|Door staff from 21:00",
        )
    )
    plan = preview(session, newer)
    [item] = plan.items
    assert item.kind == "changed"
    assert item.licence_changes["dps_name"] == ("A Supervisor", "B Newperson")
    _plan, result = run_import(session, newer)
    assert result.updated_licences == 1 and count(session, Licence) == 1
    lic = session.scalars(select(Licence).where(Licence.reference == "201")).one()
    assert lic.dps_name == "B Newperson"
    active = session.scalars(
        select(LicenceCondition.text).where(
            LicenceCondition.licence_id == lic.id, LicenceCondition.is_active
        )
    ).all()
    assert sorted(active) == ["CCTV at the door", "Door staff from 21:00"]
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "licence.import_update")
    ).one()
    assert json.loads(event.before_json or "{}")["dps_name"] == "A Supervisor"
    assert json.loads(event.after_json or "{}")["dps_name"] == "B Newperson"


def test_a_record_changed_in_the_app_since_the_import_is_a_conflict_kept_unless_taken(
    session: Session,
) -> None:
    run_import(session, esd(licence_row("301")))
    lic = session.scalars(select(Licence).where(Licence.reference == "301")).one()
    lic.holder_name = "Typed In The App Ltd"
    session.flush()
    newer = esd(licence_row("301", LicenceHolder="From The File Ltd"))
    plan, result = run_import(session, newer)
    assert [i.kind for i in plan.items] == ["conflict"]
    assert result.conflicts_kept == 1
    session.refresh(lic)
    assert lic.holder_name == "Typed In The App Ltd"
    _plan, result = run_import(session, newer, take_conflicts=True)
    assert result.conflicts_taken == 1
    session.refresh(lic)
    assert lic.holder_name == "From The File Ltd"


def test_real_file_quirks_bom_windows_1252_dates_blank_and_repeated_rows(session: Session) -> None:
    header = ",".join(KNOWN_COLUMNS)
    blank = "," * (len(KNOWN_COLUMNS) - 1)

    def line(ref: str, name: str, start: str) -> str:
        cells = dict.fromkeys(KNOWN_COLUMNS, "")
        cells.update(CaseReference=ref, CaseDate="1/2/20", PremisesName=name, LocationText="1 Road")
        cells.update(LicenceStartDate=start, StatusLabel="Approved")
        return ",".join(cells[c] for c in KNOWN_COLUMNS)

    text = "\r\n".join(
        [
            header,
            line("401", "Café Crème", "2020-03-01"),
            blank,
            line("402", "Bar", "1 March 2020"),
            line("402", "Bar", "1 March 2020"),
            line("403", "Pub", "31/02/2020"),
        ]
    )
    for data in (b"\xef\xbb\xbf" + text.encode("utf-8"), text.encode("cp1252")):
        plan = preview(session, data)
        assert plan.counts()["new"] == 2
        # Line 5 repeats line 4 exactly: left out, no error. Line 6's date is no date.
        assert plan.left_out == {"repeating an earlier row exactly": 1}
        assert [(r.line, r.reason) for r in plan.refused] == [
            (
                6,
                "LicenceStartDate: '31/02/2020' is not a real date (day is out of range for month)",
            ),
        ]
        assert plan.items[0].record.premises["name"] == "Café Crème"
    _plan, result = run_import(session, text.encode("cp1252"), leave_out_refused=True)
    assert result.created_licences == 2 and result.refused_left_out == 1
    assert session.scalars(select(Licence.starts_on).order_by(Licence.reference)).all() == [
        date(2020, 3, 1),
        date(2020, 3, 1),
    ]


def _zipped(*names: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return out.getvalue()


SAVE_AS = 'save it as "CSV UTF-8", then upload that file'


@pytest.mark.parametrize(
    ("kind", "data", "message"),
    [
        ("esd", b"<?xml version='1.0'?><FHRSEstablishment/>", "not a CSV file"),
        ("esd", b"Name,Address\r\nA,B\r\n", "CaseReference: required column is missing"),
        ("esd", b"", "The file is empty"),
        ("fhrs", b"CaseReference,CaseDate\r\n1,2\r\n", "not an XML file"),
        ("fhrs", b"<FHRSEstablishment><EstablishmentCollection>", "not a usable FHRS file"),
        ("fhrs", b"<Other/>", "not <FHRSEstablishment>"),
        ("fhrs", b"<FHRSEstablishment><EstablishmentCollection/></FHRSEstablishment>", "no estab"),
        ("gambling", b"Account_Number,Activity\r\n1,Bingo\r\n", "missing columns"),
        # A header and nothing under it: most likely the wrong export, and nothing to do.
        ("esd", ",".join(KNOWN_COLUMNS).encode() + b"\r\n\r\n", "no rows under it"),
        ("gambling", ",".join(GAMBLING_COLUMNS).encode() + b"\r\n", "no rows under it"),
        # A register kept in Excel, uploaded as it is: said so, with how to get the CSV out.
        (
            "esd",
            _zipped("[Content_Types].xml", "xl/workbook.xml"),
            f"spreadsheet workbook.*{SAVE_AS}",
        ),
        ("gambling", _zipped("mimetype", "content.xml"), f"spreadsheet workbook.*{SAVE_AS}"),
        ("esd", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), f"an Excel workbook.*{SAVE_AS}"),
        ("fhrs", _zipped("[Content_Types].xml"), "not the FSA's FHRS XML file"),
        ("esd", _zipped("register.csv"), "a compressed \\(zip\\) file: unzip it and upload"),
        ("esd", b"PK\x03\x04 broken", "a compressed \\(zip\\) file"),
        ("fhrs", b"\x1f\x8b\x08\x00" + bytes(40), "a compressed \\(gzip\\) file"),
    ],
)
def test_a_file_of_the_wrong_kind_or_broken_is_refused_whole(
    session: Session, kind: str, data: bytes, message: str
) -> None:
    before = (count(session, Premises), count(session, Licence))
    with pytest.raises(ImportFileError, match=message):
        run_import(session, data, kind)
    assert (count(session, Premises), count(session, Licence)) == before


def resaved(data: bytes, delimiter: str, encoding: str = "utf-8", newline: str = "\r\n") -> bytes:
    """The same CSV as a spreadsheet in another setting saves it: another separator between
    values, another encoding, other line endings (quoting as the csv module does)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerows(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    return out.getvalue().encode(encoding)


@pytest.mark.parametrize(
    ("delimiter", "encoding", "newline"),
    [
        (";", "utf-8", "\r\n"),  # Excel where the decimal mark is a comma
        ("\t", "utf-8", "\r\n"),  # "Text (Tab delimited)"
        ("\t", "utf-16", "\r\n"),  # Excel's "Unicode Text": UTF-16 with its byte order mark
        (",", "cp1252", "\r"),  # old Mac line endings
    ],
)
def test_a_register_saved_with_other_separators_encodings_or_line_endings_reads_the_same(
    session: Session, delimiter: str, encoding: str, newline: str
) -> None:
    data = esd(
        licence_row("601", LocationText="1 King Street, Hammersmith", PremisesName="Café Zoë"),
        licence_row("602", Conditions="No entry after 23:00; none before 10:00|CCTV"),
    )
    expected = preview(session, data)
    other = preview(session, resaved(data, delimiter, encoding, newline))
    assert expected.counts()["new"] == 2 and not expected.refused
    assert [(i.record.label, i.record.premises, i.record.licence) for i in other.items] == [
        (i.record.label, i.record.premises, i.record.licence) for i in expected.items
    ]
    assert other.counts() == expected.counts() and other.refused == []


def test_the_gambling_register_saved_with_semicolons_reads_the_same(session: Session) -> None:
    data = (FIXTURES / "gambling.csv").read_bytes()
    area = runs.Area(council_name="London Borough of Testshire", districts=("W6",))
    expected = runs.preview(session, NOW, "gambling", data, importing.Options(), area)
    other = runs.preview(session, NOW, "gambling", resaved(data, ";"), importing.Options(), area)
    assert len(expected.items) == 3
    assert [i.record for i in other.items] == [i.record for i in expected.items]
    assert other.refused == expected.refused and other.left_out == expected.left_out


def test_the_gambling_register_reads_the_same_whatever_the_case_and_spacing_of_its_header(
    session: Session,
) -> None:
    data = (FIXTURES / "gambling.csv").read_bytes()
    header, rest = data.split(b"\n", 1)
    # Upper case, padded names, a byte order mark: as a spreadsheet may save the header row.
    shouted = b"\xef\xbb\xbf" + b",".join(
        b" " + c.strip().upper() + b" " for c in header.split(b",")
    )
    area = runs.Area(council_name="London Borough of Testshire", districts=("W6",))
    expected = runs.preview(session, NOW, "gambling", data, importing.Options(), area)
    other = runs.preview(
        session, NOW, "gambling", shouted + b"\r\n" + rest, importing.Options(), area
    )
    assert len(expected.items) == 3
    assert [i.record for i in other.items] == [i.record for i in expected.items]
    assert other.refused == expected.refused and other.left_out == expected.left_out


def test_a_gambling_register_naming_a_column_twice_is_refused_whole(session: Session) -> None:
    data = (FIXTURES / "gambling.csv").read_bytes()
    header, rest = data.split(b"\n", 1)
    # The same column twice (in another case): which of its values is meant cannot be known.
    doubled = header.rstrip(b"\r") + b",LICENCESTATUS\r\n" + rest
    before = (count(session, Premises), count(session, Licence))
    with pytest.raises(ImportFileError, match=r"names a column more than once.*LicenceStatus"):
        run_import(session, doubled, "gambling")
    assert (count(session, Premises), count(session, Licence)) == before


def test_a_file_whose_every_row_is_refused_writes_nothing(session: Session) -> None:
    data = esd(licence_row("501", LicenceStartDate="soon"), licence_row("502", Postcode="nope"))
    with pytest.raises(ImportFileError, match="Every row of the file was refused"):
        run_import(session, data)
    assert count(session, Licence) == 0


def test_a_file_with_a_refused_row_writes_nothing_and_lists_every_refused_row(
    session: Session,
) -> None:
    data = esd(
        licence_row("601"),
        licence_row("602", LicenceStartDate="soon"),
        licence_row("603"),
        licence_row("604", Postcode="nope"),
    )
    before = (count(session, Premises), count(session, Licence), count(session, AuditEvent))
    plan = preview(session, data)
    assert plan.counts()["new"] == 2
    assert [r.line for r in plan.refused] == [3, 5]
    assert "LicenceStartDate" in plan.refused[0].reason and "postcode" in plan.refused[1].reason
    with pytest.raises(ImportFileError, match="2 rows of the file were refused"):
        run_import(session, data)
    assert (count(session, Premises), count(session, Licence), count(session, AuditEvent)) == before
    # Chosen by the person importing: the rest goes in, and the trail says rows were left out.
    _plan, result = run_import(session, data, leave_out_refused=True)
    assert result.created_licences == 2 and result.refused_left_out == 2
    assert sorted(session.scalars(select(Licence.reference))) == ["601", "603"]
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "register.import").order_by(AuditEvent.id)
    ).one()
    assert "2 refused rows left out" in event.summary


def test_an_exact_repeat_or_a_repeated_header_is_left_out_a_differing_repeat_refused(
    session: Session,
) -> None:
    header = ",".join(KNOWN_COLUMNS)
    rows = esd(licence_row("701"), licence_row("702")).decode().splitlines()
    joined = "\r\n".join([*rows, header, rows[1], rows[2]]).encode()
    plan = preview(session, joined)
    assert plan.counts()["new"] == 2 and plan.refused == []
    assert plan.left_out == {
        "repeating the header row": 1,
        "repeating an earlier row exactly": 2,
    }
    run_import(session, joined)  # nothing refused: imported as it is
    assert count(session, Licence) == 2
    differing = esd(licence_row("801"), licence_row("801", PremisesName="Another Name"))
    plan = preview(session, differing)
    assert [(r.line, r.reason) for r in plan.refused] == [
        (3, "CaseReference: case 801 of 01/02/2020 repeats line 2")
    ]
    with pytest.raises(ImportFileError, match="1 row of the file was refused"):
        run_import(session, differing)


def test_an_fhrs_establishment_listed_twice_alike_is_left_out_otherwise_refused(
    session: Session,
) -> None:
    make_wards(session)
    twice = _fhrs(("1", "West Cafe", IN_WEST), ("1", "West Cafe", IN_WEST))
    plan = preview(session, twice, "fhrs")
    assert plan.counts()["new"] == 1 and plan.refused == []
    assert plan.left_out == {"repeating an earlier row exactly": 1}
    other = _fhrs(("1", "West Cafe", IN_WEST), ("1", "East Cafe", IN_EAST))
    plan = preview(session, other, "fhrs")
    assert [(r.line, r.reason) for r in plan.refused] == [(2, "establishment 1 repeats number 1")]


def _fhrs(*establishments: tuple[str, str, tuple[float, float] | None]) -> bytes:
    parts = []
    for fhrs_id, name, where in establishments:
        geo = (
            f"<Geocode><Longitude>{where[0]}</Longitude><Latitude>{where[1]}</Latitude></Geocode>"
            if where
            else ""
        )
        parts.append(
            f"<EstablishmentDetail><FHRSID>{fhrs_id}</FHRSID><BusinessName>{name}</BusinessName>"
            f"<BusinessType>Restaurant/Cafe/Canteen</BusinessType>"
            f"<AddressLine1>1 King Street</AddressLine1><PostCode>W6 9JU</PostCode>{geo}"
            f"</EstablishmentDetail>"
        )
    body = "".join(parts)
    return (
        "<?xml version='1.0' encoding='utf-8'?><FHRSEstablishment><EstablishmentCollection>"
        f"{body}</EstablishmentCollection></FHRSEstablishment>"
    ).encode()


def test_fhrs_premises_outside_the_wards_are_kept_or_left_out_and_unplaced_ones_listed(
    session: Session,
) -> None:
    make_wards(session)
    data = _fhrs(("1", "West Cafe", IN_WEST), ("2", "Far Cafe", OUTSIDE), ("3", "Lost Cafe", None))
    plan = preview(session, data, "fhrs", skip_outside=True)
    assert plan.counts()["new"] == 2 and plan.left_out == {"outside the borough's wards": 1}
    plan, result = run_import(session, data, "fhrs")
    assert plan.counts()["outside_borough"] == 1
    assert plan.no_location == ["Lost Cafe (FHRS 3)"]
    assert result.created_premises == 3
    west = session.scalars(select(Premises).where(Premises.source_ref == "fhrs:1")).one()
    assert west.ward_id is not None
    # A later file moves a premises: its ward follows, and the move is audited.
    moved = _fhrs(("1", "West Cafe", IN_EAST), ("2", "Far Cafe", OUTSIDE), ("3", "Lost Cafe", None))
    plan, result = run_import(session, moved, "fhrs")
    assert plan.counts()["changed"] == 1 and result.updated_premises == 1
    session.refresh(west)
    assert west.longitude == IN_EAST[0]
    assert count(session, Premises) == 3


def test_an_fhrs_establishment_whose_number_is_not_the_fsas_is_refused_alone(
    session: Session,
) -> None:
    """A 56-character FHRSID passed the preview and then stopped the import on PostgreSQL."""
    data = _fhrs(("1", "Good Cafe", IN_WEST), ("9" * 56, "Long Cafe", IN_WEST), ("A1", "Odd", None))
    plan = preview(session, data, "fhrs")
    assert [(r.line, r.reason) for r in plan.refused] == [
        (2, f"FHRSID {'9' * 40!r} is not an FSA establishment number (up to 20 digits)"),
        (3, "FHRSID 'A1' is not an FSA establishment number (up to 20 digits)"),
    ]
    _plan, result = run_import(session, data, "fhrs", leave_out_refused=True)
    assert result.created_premises == 1


GAMBLING_HEADER = (
    "Account_Number,Account_Name,Trading_Names,Applicant_Property_name,Applicant_Address21,"
    "Applicant_City,Applicant_Postcode,premises_Address1,premises_Address2,premises_City,"
    "premises_Postcode,StatusDate,Activity,Local_Authority_Name,LicenceStatus"
)


def test_the_gambling_register_is_filtered_to_the_council_by_name_or_postcode_district(
    session: Session,
) -> None:
    data = (FIXTURES / "gambling.csv").read_bytes()
    area = runs.Area(council_name="London Borough of Testshire", districts=("W6",))
    plan = runs.preview(session, NOW, "gambling", data, importing.Options(), area)
    assert sorted(i.record.label for i in plan.items) == [
        "Bet Here, 1 King Street, LONDON (Adult Gaming Centre)",
        "Bet Here, 1 King Street, LONDON (Betting Shop)",
        "Lucky Bingo, 9 Queen Street, LONDON (Bingo)",
    ]
    assert len(plan.no_location) == 3
    # Line 7 repeats line 2 exactly: left out, no error.
    assert plan.left_out == {
        "outside the council's area": 2,
        "repeating an earlier row exactly": 1,
    }
    assert plan.refused == []
    _plan, result = runs.import_now(
        session, ACTOR, NOW, "gambling", data, importing.Options(), area, source="gc"
    )
    # Two activities at one address: two licences at one premises; no location for any.
    assert (result.created_premises, result.created_licences) == (2, 3)
    lic = session.scalars(select(Licence).where(Licence.service_type == "Bingo")).one()
    assert (lic.regime, lic.status, lic.decision_date) == (
        "gambling_premises",
        "applied",
        date(2017, 12, 29),
    )
    again = runs.preview(session, NOW, "gambling", data, importing.Options(), area)
    assert again.counts()["unchanged"] == 3


def test_the_esd_export_imports_back_unchanged(session: Session) -> None:
    p = make_premises(session, name="=Formula Bar", address_line2="Fulham", town="London")
    make_licence(
        session,
        p.id,
        reference="PL/1",
        status="suspended",
        expires_on=date(2031, 1, 31),
        dps_name="-Dash Person",
        alcohol_supply=True,
        regulated_entertainment="Plays|Films",
        conditions=("No  entry | after midnight", "@home rule"),
        case_date=date(2019, 5, 4),
        licence_url="https://example.org/pl1",
        uprn="1234",
    )
    make_licence(session, p.id, reference="PL/2", holder_name="Another Holder", status="applied")
    make_licence(session, p.id, reference="ST/1", regime="special_treatment")
    data = export.export_esd_csv(session, ACTOR, NOW, "Testshire").encode("utf-8")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    # Every kind of licence, each named by its ServiceTypeLabel (as the esd import reads it).
    assert [r["CaseReference"] for r in rows] == ["PL/1", "PL/2", "ST/1"]
    assert rows[2]["ServiceTypeLabel"] == LicenceRegime.SPECIAL_TREATMENT.label
    assert rows[0]["PremisesName"] == "'=Formula Bar"
    plan = preview(session, data)
    assert [i.kind for i in plan.items] == ["unchanged"] * 3, [
        (i.premises_changes, i.licence_changes) for i in plan.items
    ]
    assert plan.refused == []
    exported = session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "register.export")
    )
    assert exported == 1


def test_the_json_export_holds_every_licence_with_its_premises(session: Session) -> None:
    p = make_premises(session, name="Nails R Us")
    make_licence(session, p.id, reference="ST/9", regime="special_treatment", conditions=("A",))
    data = json.loads(export.export_json(session, ACTOR, NOW, "Testshire"))
    [entry] = data["licences"]
    assert entry["reference"] == "ST/9" and entry["premises"]["name"] == "Nails R Us"
    assert entry["conditions"] == ["A"]


def _expiry_reminders(session: Session, licence_id: int) -> list[tuple[datetime, str, str | None]]:
    return list(
        session.execute(
            select(Reminder.due_at, Reminder.status, Reminder.team)
            .where(Reminder.kind == "licence_expiry", Reminder.subject_id == licence_id)
            .order_by(Reminder.due_at, Reminder.id)
        )
    )


def test_a_licence_with_an_end_date_gets_an_expiry_reminder_for_the_licensing_team(
    session: Session,
) -> None:
    p = make_premises(session)
    lic = expiry.create_licence(
        session,
        ACTOR,
        NOW,
        p.id,
        licences.LicenceInput(
            regime="premises_licence",
            reference="PL/EXP",
            holder_name="Holder",
            status="active",
            expires_on=date(2027, 6, 30),
        ),
    )
    due = london_midnight_utc(date(2027, 6, 30))
    assert _expiry_reminders(session, lic.id) == [(due, "open", "licensing")]
    lic.expires_on = date(2027, 9, 30)
    session.flush()
    expiry.sync_all(session, NOW)
    assert _expiry_reminders(session, lic.id) == [
        (due, "done", "licensing"),
        (london_midnight_utc(date(2027, 9, 30)), "open", "licensing"),
    ]
    lic.status = "revoked"
    session.flush()
    expiry.sync_all(session, NOW)
    assert [s for _d, s, _t in _expiry_reminders(session, lic.id)] == ["done", "done"]


def test_an_expiry_reminder_says_when_a_licence_in_force_has_already_expired(
    session: Session,
) -> None:
    """It said "expires on 19 December 2020" in 2026; the register holds such a licence as in
    force, and what the licensing team has to do is put that right."""
    lic = expiry.create_licence(
        session,
        ACTOR,
        NOW,
        make_premises(session, name="Gloss").id,
        licences.LicenceInput(
            regime="special_treatment",
            reference="ST/OLD",
            holder_name="Holder",
            status="suspended",
            expires_on=NOW.date() + timedelta(days=1),
        ),
    )

    def titles() -> list[tuple[str, str]]:
        return [
            (status, title)
            for status, title in session.execute(
                select(Reminder.status, Reminder.title)
                .where(Reminder.kind == "licence_expiry", Reminder.subject_id == lic.id)
                .order_by(Reminder.id)
            )
        ]

    ends = day_text(lic.expires_on)  # type: ignore[arg-type]
    assert titles() == [("open", f"Licence ST/OLD at Gloss expires on {ends}")]
    # The day after it ends, the same reminder (still open) says what happened and what to do.
    expiry.sync_all(session, NOW + timedelta(days=2))
    assert titles() == [
        (
            "open",
            f"Licence ST/OLD at Gloss expired on {ends} but is still recorded as suspended: "
            "renew it or record that it has ended",
        )
    ]


def test_an_import_makes_expiry_reminders_for_the_licences_it_brings(session: Session) -> None:
    run_import(
        session,
        esd(licence_row("601", LicenceEndDate="31/12/2030"), licence_row("602")),
    )
    ends = session.scalars(select(Licence).where(Licence.reference == "601")).one()
    assert _expiry_reminders(session, ends.id) == [
        (london_midnight_utc(date(2030, 12, 31)), "open", "licensing")
    ]
    assert count(session, Reminder) == 1


def test_a_run_whose_server_stopped_part_way_is_marked_failed_after_half_an_hour(
    session: Session,
) -> None:
    """A run left working by a server that stopped: the tick's check fails it, nothing else."""
    stalled, recent, waiting = (
        runs.start_run(
            session,
            ACTOR,
            NOW,
            kind="esd",
            filename=f"{ref}.csv",
            data=esd(licence_row(ref)),
            options=importing.Options(),
        )
        for ref in ("A1", "B1", "C1")
    )
    stalled.status = runs.Status.APPLYING
    waiting.status = runs.Status.PREVIEWED  # waiting for a person, not for a server
    recent.updated_at = NOW + runs.STALLED_AFTER
    session.flush()

    later = NOW + runs.STALLED_AFTER + timedelta(seconds=1)
    assert runs.fail_stalled(session, later) == 1
    session.flush()

    assert (stalled.status, stalled.content, stalled.finished_at) == (
        runs.Status.FAILED,
        None,
        later,
    )
    assert stalled.error == runs.STALLED_MESSAGE
    assert recent.status == runs.Status.QUEUED and recent.content
    assert waiting.status == runs.Status.PREVIEWED
    assert session.scalar(select(func.count()).select_from(Licence)) == 0
    assert runs.fail_stalled(session, later) == 0


def test_the_status_words_councils_export_are_read_and_written_back_as_they_came(
    session: Session,
) -> None:
    words = {"Granted": "active", "In Force": "active", "Cancelled": "lapsed", "Pending": "applied"}
    rows = [licence_row(f"S{i}", StatusLabel=word) for i, word in enumerate(words)]
    plan, _ = run_import(session, esd(*rows))
    assert plan.counts()["new"] == len(words) and plan.counts()["refused"] == 0
    got = {
        lic.status_label: lic.status
        for lic in session.scalars(select(Licence).where(Licence.reference.like("S%")))
    }
    assert got == words
    exported = export.export_esd_csv(session, ACTOR, NOW, "Testshire")
    labels = {row["StatusLabel"] for row in csv.DictReader(io.StringIO(exported))}
    assert set(words) <= labels

    with pytest.raises(ImportFileError, match="Every row of the file was refused") as refused:
        preview(session, esd(licence_row("S9", StatusLabel="Sort of")))
    [(line, reason)] = [(r.line, r.reason) for r in refused.value.refused]
    assert line == 2 and "'Sort of' is not a licence status the register" in reason


def test_a_councils_service_labels_import_as_the_kinds_of_licence_they_name(
    session: Session,
) -> None:
    labels = {
        "Massage and Special Treatment Licence": "special_treatment",
        "Sexual Entertainment Venue": "sev",
        "Street trading licence": "other",
        "Premises licence": "premises_licence",
    }
    data = esd(*(licence_row(f"K{i}", ServiceTypeLabel=label) for i, label in enumerate(labels)))
    plan, _ = run_import(session, data)
    assert plan.counts()["new"] == len(labels)
    got = {
        lic.service_type: lic.regime
        for lic in session.scalars(select(Licence).where(Licence.reference.like("K%")))
    }
    assert got == labels  # each kept as published, under the kind of licence it names
    again = preview(session, data)
    assert again.counts()["unchanged"] == len(labels) and again.counts()["new"] == 0


def test_a_gambling_row_holding_a_control_character_is_refused_naming_its_column(
    session: Session,
) -> None:
    data = "\r\n".join(
        [
            GAMBLING_HEADER,
            "1,Bet Here Ltd,,,,,,Bet\x07 Here,1 King Street,LONDON,W6 9JU,12/29/17,Betting Shop,"
            "London Borough of Testshire,Grant",
            "2,Bingo Ltd,,,,,,Lucky Bingo,9 Queen Street,LONDON,W6 9JU,12/29/17,Bingo,"
            "London Borough of Testshire,Grant",
        ]
    ).encode()
    area = runs.Area(council_name="London Borough of Testshire", districts=("W6",))
    plan = runs.preview(session, NOW, "gambling", data, importing.Options(), area)
    assert [i.record.label for i in plan.items] == ["Lucky Bingo, 9 Queen Street, LONDON (Bingo)"]
    assert [(r.line, r.reason) for r in plan.refused] == [
        (2, "premises_Address1: holds a control character (U+0007) that cannot be shown or printed")
    ]


def test_a_value_too_long_for_the_register_is_refused_under_the_files_own_column(
    session: Session,
) -> None:
    rows = [
        licence_row("T1", PremisesName="x" * 201),
        licence_row("T" * 61),
        licence_row("T3", ServiceTypeLabel="s" * 81),
        licence_row("T4", LocationText="a" * 201 + ", Hammersmith"),
        licence_row("T5"),
    ]
    plan = preview(session, esd(*rows))
    assert [(r.line, r.reason.split(":")[0]) for r in plan.refused] == [
        (2, "PremisesName"),
        (3, "CaseReference"),
        (4, "ServiceTypeLabel"),
        (5, "LocationText"),
    ]
    assert plan.counts()["new"] == 1

    data = "\r\n".join(
        [
            GAMBLING_HEADER,
            f"1,{'O' * 201},,,,,,Bet Here,1 King Street,LONDON,W6 9JU,12/29/17,Betting Shop,"
            "London Borough of Testshire,Grant",
        ]
    ).encode()
    area = runs.Area(council_name="London Borough of Testshire", districts=("W6",))
    with pytest.raises(ImportFileError, match="Every row of the file was refused") as refused:
        runs.preview(session, NOW, "gambling", data, importing.Options(), area)
    [(line, reason)] = [(r.line, r.reason) for r in refused.value.refused]
    assert line == 2 and reason.startswith("Account_Name: Holder name must be 200")


def test_an_fhrs_postcode_that_is_not_a_full_one_is_left_out_not_the_premises(
    session: Session,
) -> None:
    data = _fhrs(("21", "Partial Cafe", IN_WEST), ("22", "Whole Cafe", IN_WEST))
    data = data.replace(b"<PostCode>W6 9JU</PostCode>", b"<PostCode>W6</PostCode>", 1)
    plan, result = run_import(session, data, "fhrs")
    assert plan.refused == [] and result.created_premises == 2
    postcodes = {n: pc for n, pc in session.execute(select(Premises.name, Premises.postcode))}
    assert postcodes == {"Partial Cafe": None, "Whole Cafe": "W6 9JU"}


def test_a_gambling_premises_postcode_that_is_not_one_is_left_out_not_the_premises(
    session: Session,
) -> None:
    data = "\r\n".join(
        [
            GAMBLING_HEADER,
            "1,Bet Here Ltd,,,,,,Bet Here,1 King Street,LONDON,TBC,12/29/17,Betting Shop,"
            "London Borough of Testshire,Grant",
        ]
    ).encode()
    area = runs.Area(council_name="London Borough of Testshire", districts=("W6",))
    _plan, result = runs.import_now(
        session, ACTOR, NOW, "gambling", data, importing.Options(), area, source="gc"
    )
    assert result.created_premises == 1
    assert session.scalars(select(Premises.postcode)).all() == [None]


def test_an_fhrs_establishment_naming_neither_business_nor_address_is_left_out(
    session: Session,
) -> None:
    data = _fhrs(("31", "", IN_WEST), ("32", "Named Cafe", IN_WEST))
    data = data.replace(b"<AddressLine1>1 King Street</AddressLine1>", b"", 1)
    plan = preview(session, data, "fhrs")
    assert plan.refused == [] and plan.counts()["new"] == 1
    assert plan.left_out == {"naming neither a business nor an address": 1}


# --- matching: conflicts, one premises per file, UPRNs, locations ------------------------------


def _ward_of(session: Session, premises_id: int) -> int | None:
    return session.scalar(
        select(PremisesWard.ward_id).where(PremisesWard.premises_id == premises_id)
    )


UPRN_A = "200000000001"


def _rename_in_the_app(session: Session, p: Premises, name: str) -> None:
    p.name = name
    p.name_sort = premises.name_sort_key(name)
    session.flush()


def test_a_new_licence_at_a_premises_changed_in_the_app_is_a_conflict_kept_unless_taken(
    session: Session,
) -> None:
    """A new licence matching the premises by UPRN overwrote an officer's edit unreported."""
    row = {"UPRN": UPRN_A, "PremisesName": "Crown Arms", "LocationText": "1 Crown St, Hull"}
    run_import(session, esd(licence_row("PX/1", **row)))
    p = session.scalars(select(Premises)).one()
    _rename_in_the_app(session, p, "Crown Arms (as the officer found it)")
    alone = esd(licence_row("PX/2", **row))  # a new licence at the same UPRN, alone in its file
    plan = preview(session, alone)
    assert (plan.counts()["new"], plan.counts()["conflict"]) == (1, 1)
    assert [c["field"] for c in plan.report()["conflict"][0]["changes"]] == ["name"]
    with_old = esd(licence_row("PX/1", **row), licence_row("PX/2", **row))
    plan, result = run_import(session, with_old)
    assert result.created_licences == 1 and result.updated_premises == 0
    assert result.conflicts_kept == 1
    session.refresh(p)
    assert p.name == "Crown Arms (as the officer found it)"
    assert session.scalars(select(Licence.premises_id)).all() == [p.id, p.id]
    assert count(session, Premises) == 1
    _plan, result = run_import(session, alone, take_conflicts=True)
    assert result.conflicts_taken == 1 and result.updated_premises == 1
    session.refresh(p)
    assert p.name == "Crown Arms"
    assert preview(session, with_old).counts()["unchanged"] == 2


def test_two_licences_at_one_uprn_under_two_names_import_the_same_every_time(
    session: Session,
) -> None:
    """Each import swapped the premises' name between the two rows' names, audited each time."""
    at = {"UPRN": UPRN_A, "LocationText": "1 Crown Street, Hull", "Postcode": "HU1 1AA"}
    data = esd(
        licence_row("FLIP/1", PremisesName="The Crown", **at),
        licence_row("FLIP/2", PremisesName="The Crown Kitchen", **at),
    )
    run_import(session, data)
    events = count(session, AuditEvent)
    for _again in range(2):
        plan, result = run_import(session, data)
        assert plan.counts()["unchanged"] == 2 and result.updated_premises == 0
    assert session.scalars(select(Premises.name)).all() == ["The Crown"]
    assert count(session, AuditEvent) == events
    # The second row's other name is reported every time, not imported.
    assert [(d.line, d.first_line, d.fields) for d in plan.disagreements] == [
        (3, 2, {"name": ("The Crown", "The Crown Kitchen")})
    ]


def test_a_premises_given_its_uprn_later_is_found_by_it_and_not_made_twice(
    session: Session,
) -> None:
    """up1.csv without a UPRN, up2.csv with it, up3.csv a second licence there: two premises."""
    row = {"PremisesName": "Uprn Arms", "LocationText": "5 Uprn Road, Hull", "Postcode": "HU1 1AA"}
    run_import(session, esd(licence_row("UP/1", UPRN="", **row)))
    plan, result = run_import(session, esd(licence_row("UP/1", UPRN="300000000005", **row)))
    [item] = plan.items
    assert item.kind == "changed" and item.premises_changes == {"uprn": (None, "300000000005")}
    assert result.updated_premises == 1
    p = session.scalars(select(Premises)).one()
    assert p.uprn == "300000000005" and "300000000005" in p.search_text
    run_import(
        session,
        esd(
            licence_row("UP/1", UPRN="300000000005", **row),
            licence_row("UP/2", UPRN="300000000005", **row),
        ),
    )
    assert count(session, Premises) == 1 and count(session, Licence) == 2
    assert session.scalars(select(Licence.premises_id)).all() == [p.id, p.id]
    again = preview(session, esd(licence_row("UP/2", UPRN="300000000005", **row)))
    assert again.counts()["unchanged"] == 1


def test_a_uprn_typed_on_a_licence_finds_its_premises_for_the_files_next_licence(
    session: Session,
) -> None:
    p = make_premises(session, name="Typed Arms")
    make_licence(session, p.id, reference="TY/1", uprn="300000000009")
    run_import(session, esd(licence_row("TY/2", UPRN="300000000009", PremisesName="Typed Arms")))
    assert count(session, Premises) == 1
    session.refresh(p)
    assert p.uprn == "300000000009"


def test_an_fhrs_establishment_without_a_location_keeps_the_place_an_officer_gave_it(
    session: Session,
) -> None:
    """Re-importing the FSA's file showed "longitude: -0.229 -> None" as a conflict, and taking
    the file's version erased the officer's placing on the map."""
    make_wards(session)
    data = _fhrs(("41", "Unplaced Cafe", None))
    run_import(session, data, "fhrs")
    p = session.scalars(select(Premises)).one()
    west = wards.locator(session, NOW.date()).ward_id(*IN_WEST)
    p.longitude, p.latitude = IN_WEST
    p.ward_id = west
    session.flush()
    plan = preview(session, data, "fhrs")
    assert [i.kind for i in plan.items] == ["unchanged"] and plan.no_location == []
    _plan, result = run_import(session, data, "fhrs", take_conflicts=True)
    assert result.unchanged == 1
    session.refresh(p)
    assert (p.longitude, p.latitude, _ward_of(session, p.id)) == (*IN_WEST, west)


def test_an_update_from_a_file_without_a_location_keeps_the_premises_place_and_ward(
    session: Session,
) -> None:
    make_wards(session)
    run_import(session, _fhrs(("42", "West Cafe", IN_WEST)), "fhrs")
    p = session.scalars(select(Premises)).one()
    west = _ward_of(session, p.id)
    assert west is not None
    # The FSA renames it and has lost its location: the name follows, the place stays.
    plan, _result = run_import(session, _fhrs(("42", "West Cafe and Bar", None)), "fhrs")
    assert [i.premises_changes for i in plan.items] == [
        {"name": ("West Cafe", "West Cafe and Bar")}
    ]
    session.refresh(p)
    assert (p.name, p.longitude, p.latitude) == ("West Cafe and Bar", *IN_WEST)
    assert _ward_of(session, p.id) == west
    # A licence register (which never places a premises) renaming it leaves its ward too.
    make_licence(session, p.id, reference="WC/1", uprn="300000000011")
    newer = esd(
        licence_row(
            "WC/1",
            UPRN="300000000011",
            PremisesName="West Cafe Bar",
            LocationText="1 King Street",
        )
    )
    run_import(session, newer, take_conflicts=True)
    session.refresh(p)
    assert p.name == "West Cafe Bar" and _ward_of(session, p.id) == west


# --- characters no record holds ---------------------------------------------------------------


def test_imports_refuse_what_every_form_refuses_naming_the_column(session: Session) -> None:
    """U+FFFF passed the esd import, C1 controls the FHRS import: then the committee papers of
    a referral at that premises could not be made (500)."""
    plan = preview(
        session,
        esd(licence_row("NC/1", PremisesName="Noncharacter \uffff Bar"), licence_row("NC/2")),
    )
    assert [(r.line, r.reason) for r in plan.refused] == [
        (2, "PremisesName: holds a control character (U+FFFF) that cannot be shown or printed")
    ]
    fhrs = _fhrs(("51", "Ctrl\x7fDel\x9bCsi Cafe", IN_WEST), ("52", "Plain Cafe", IN_WEST))
    plan = preview(
        session, fhrs.replace(b"1 King Street<", "1 King Street\u0085<".encode(), 1), "fhrs"
    )
    assert [(r.line, r.reason) for r in plan.refused] == [
        (
            1,
            "BusinessName: holds a control character (U+007F, U+009B) that cannot be shown or "
            "printed",
        )
    ]
    gambling = "\r\n".join(
        [
            GAMBLING_HEADER,
            "1,Bet Here Ltd,,,,,,Bet\uffff Here,1 King Street,LONDON,W6 9JU,12/29/17,Betting Shop,"
            "London Borough of Testshire,Grant",
            "2,Bingo Ltd,,,,,,Lucky Bingo,9 Queen\x0b Street,LONDON,W6 9JU,12/29/17,Bingo,"
            "London Borough of Testshire,Grant",
        ]
    ).encode()
    area = runs.Area(council_name="London Borough of Testshire", districts=("W6",))
    plan = runs.preview(session, NOW, "gambling", gambling, importing.Options(), area)
    assert [(r.line, r.reason) for r in plan.refused] == [
        (2, "premises_Address1: holds a control character (U+FFFF) that cannot be shown or printed")
    ]
    assert [i.record.label for i in plan.items] == ["Lucky Bingo, 9 Queen Street, LONDON (Bingo)"]


# --- every refused row listed; quotes; long cells ----------------------------------------------


def test_a_file_whose_every_row_is_refused_lists_every_one(session: Session) -> None:
    """Only the first reason was given, and the refused rows' download held only its header."""
    data = esd(
        licence_row("A", CaseDate="99/99/2026"),
        licence_row("B", CaseDate="98/99/2026"),
        licence_row("C", Postcode="nope"),
    )
    with pytest.raises(ImportFileError, match=r"Every row of the file was refused \(3,") as found:
        preview(session, data)
    assert [r.line for r in found.value.refused] == [2, 3, 4]
    assert "CaseDate: '99/99/2026' is not a real date" in found.value.refused[0].reason
    report = runs.failure_report("esd", found.value)
    assert report is not None and [e["line"] for e in report["refused"]] == [2, 3, 4]
    assert runs.refused_rows_csv(report).count("\r\n") == 4  # the header and every row


def test_a_file_with_an_unclosed_quote_is_refused_whole_even_leaving_out_refused_rows(
    session: Session,
) -> None:
    """The quote swallowed six licences; "leave out the refused rows" imported one of seven."""
    data = UNCLOSED_FILE.encode()
    with pytest.raises(ImportFileError, match="Line 3 opens a quoted value") as found:
        run_import(session, data, leave_out_refused=True)
    assert "lines 4 to 9 were read as part of that one value" in str(found.value)
    assert count(session, Licence) == 0


UNCLOSED_FILE = (
    "CaseReference,CaseDate,PremisesName,LocationText,Postcode\r\n"
    "U/1,05/02/2026,Fine One,1 St,HU1 1AA\r\n"
    'U/2,05/02/2026,"Unclosed Bar,2 St,HU1 1AA\r\n'
    + "".join(f"U/{n},05/02/2026,After {n},{n} St,HU1 1AA\r\n" for n in range(3, 9))
)


def test_a_licence_with_the_most_conditions_and_its_own_export_import_back(
    session: Session,
) -> None:
    """A cell over 131,072 characters (the csv module's default limit) was unreadable: a licence
    of 400 conditions, or the app's own export of 40 conditions of 3,500 characters."""
    conditions = "|".join(f"Condition {n}: " + "x" * 370 for n in range(400))
    plan, result = run_import(session, esd(licence_row("ST/400", Conditions=conditions)))
    assert plan.refused == [] and result.created_licences == 1
    held = session.scalar(select(func.count()).select_from(LicenceCondition))
    assert held == 400
    p = make_premises(session, name="Stadium")
    make_licence(
        session,
        p.id,
        reference="ST/40",
        conditions=tuple(f"Rule {n}: " + "y" * 3490 for n in range(40)),
    )
    exported = export.export_esd_csv(session, ACTOR, NOW, "Testshire").encode()
    again = preview(session, exported)
    assert again.refused == [] and [i.kind for i in again.items] == ["unchanged"] * 2


# --- the exports: every kind of licence; home addresses by the access policy ---------------------


def test_an_export_withholding_home_addresses_imports_back_without_blanking_them(
    session: Session,
) -> None:
    admin_user = make_user(session, "admin")
    admin = Actor(user_id=admin_user.id, label="admin", roles=frozenset({"admin"}))
    p = make_premises(session, name="Privacy Arms")
    lic = make_licence(
        session,
        p.id,
        reference="DPS/1",
        holder_address="77 Home Road",
        holder_postcode="HU2 2BB",
        dps_name="Dan Supervisor",
        dps_address="88 Private Close",
        dps_postcode="HU3 3CC",
    )
    data = export.export_esd_csv(session, admin, NOW, "Testshire")
    assert "77 Home Road" not in data and "88 Private Close" not in data
    assert data.count(WITHHELD) == 4
    plan = preview(session, data.encode())
    assert [i.kind for i in plan.items] == ["unchanged"], plan.items[0].licence_changes
    # A person correcting the file keeps the marker where they do not know the address.
    changed = data.replace("Dan Supervisor", "Dee Newsupervisor").encode()
    _plan, result = run_import(session, changed)
    assert result.updated_licences == 1
    session.refresh(lic)
    assert (lic.dps_name, lic.dps_address, lic.dps_postcode) == (
        "Dee Newsupervisor",
        "88 Private Close",
        "HU3 3CC",
    )
    assert (lic.holder_address, lic.holder_postcode) == ("77 Home Road", "HU2 2BB")
    # Someone who may read them gets them, and the file imports back as it is too.
    full = export.export_esd_csv(session, ACTOR, NOW, "Testshire")
    assert "77 Home Road" in full and WITHHELD not in full
    assert [i.kind for i in preview(session, full.encode()).items] == ["unchanged"]


def test_the_esd_export_holds_every_kind_of_licence_and_imports_it_back_as_it_is(
    session: Session,
) -> None:
    """Special treatment and other licences, which the esd import reads, were left out."""
    p = make_premises(session, name="Mixed Parade")
    make_licence(session, p.id, reference="K/1", regime="special_treatment")
    make_licence(
        session, p.id, reference="K/2", regime="special_treatment", service_type="Nail bar licence"
    )
    make_licence(session, p.id, reference="K/3", regime="other", service_type="Street trading")
    make_licence(session, p.id, reference="K/4", regime="other")
    make_licence(session, p.id, reference="K/5", regime="sev")
    make_licence(session, p.id, reference="K/6", regime="gambling_premises", service_type="Bingo")
    # The same reference in two kinds of licence is two licences, in the file and back.
    make_licence(session, p.id, reference="K/1", regime="premises_licence")
    # A service that would name another kind than the licence's is written after its kind.
    make_licence(session, p.id, reference="K/7", regime="other", service_type="Massage")
    data = export.export_esd_csv(session, ACTOR, NOW, "Testshire")
    rows = list(csv.DictReader(io.StringIO(data.removeprefix("\ufeff"))))
    assert sorted(r["CaseReference"] for r in rows) == [
        "K/1",
        "K/1",
        "K/2",
        "K/3",
        "K/4",
        "K/5",
        "K/6",
        "K/7",
    ]
    assert {r["ServiceTypeLabel"] for r in rows if r["CaseReference"] == "K/7"} == {
        "Other licence: Massage"
    }
    plan = preview(session, data.encode())
    assert plan.refused == [] and len(plan.items) == 8
    assert {i.kind for i in plan.items} == {"unchanged"}, [
        (i.record.label, i.licence_changes) for i in plan.items if i.kind != "unchanged"
    ]


def test_a_gambling_register_with_an_unclosed_quote_is_refused_whole(session: Session) -> None:
    data = "\r\n".join(
        [
            GAMBLING_HEADER,
            '1,"Bet Here Ltd,,,,,,Bet Here,1 King Street,LONDON,W6 9JU,12/29/17,Betting Shop,'
            "London Borough of Testshire,Grant",
            "2,Bingo Ltd,,,,,,Lucky Bingo,9 Queen Street,LONDON,W6 9JU,12/29/17,Bingo,"
            "London Borough of Testshire,Grant",
        ]
    ).encode()
    area = runs.Area(council_name="London Borough of Testshire", districts=("W6",))
    with pytest.raises(ImportFileError, match="Line 2 opens a quoted value"):
        runs.preview(
            session, NOW, "gambling", data, importing.Options(leave_out_refused=True), area
        )


def test_a_premises_whose_changes_are_a_conflict_kept_is_still_given_its_uprn(
    session: Session,
) -> None:
    row = {"PremisesName": "Uprn Arms", "LocationText": "5 Uprn Road, Hull", "Postcode": "HU1 1AA"}
    run_import(session, esd(licence_row("UC/1", UPRN="", **row)))
    p = session.scalars(select(Premises)).one()
    _rename_in_the_app(session, p, "Uprn Arms (renamed here)")
    with_uprn = esd(licence_row("UC/1", UPRN="300000000007", **row))
    plan, result = run_import(session, with_uprn)
    assert [i.kind for i in plan.items] == ["conflict"] and result.conflicts_kept == 1
    session.refresh(p)
    assert (p.name, p.uprn) == ("Uprn Arms (renamed here)", "300000000007")
    event = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "premises.import_update", AuditEvent.entity_id == str(p.id))
        .order_by(AuditEvent.id)
    ).one()
    assert json.loads(event.after_json or "{}") == {"uprn": "300000000007"}
    # A second licence there is found by it: no second premises.
    run_import(session, esd(licence_row("UC/2", UPRN="300000000007", **row)))
    assert count(session, Premises) == 1
