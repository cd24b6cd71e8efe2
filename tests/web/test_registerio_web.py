"""The register import page (upload, preview, confirm) and the exports, through the app."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from pathlib import Path

import pytest
from builders import make_licence, make_premises, make_user, make_wards, post, sign_in
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enforcement.models import AuditEvent, ImportRun, Licence, Premises, Reminder

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "register"


@pytest.fixture
def officer(session: Session, client: FlaskClient) -> FlaskClient:
    make_wards(session)
    make_user(session, "licensing_officer", email="lo@example.gov.uk")
    session.commit()
    sign_in(client, "lo@example.gov.uk")
    return client


def _upload(client: FlaskClient, data: bytes, kind: str = "esd", name: str = "reg.csv") -> object:
    return post(
        client,
        "/imports",
        {"format": kind, "upload": (io.BytesIO(data), name)},
        page="/imports",
    )


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_upload_preview_then_confirm_imports_and_a_second_upload_changes_nothing(
    officer: FlaskClient, session: Session
) -> None:
    data = (FIXTURES / "licences.csv").read_bytes()
    resp = _upload(officer, data)
    assert resp.status_code == 302
    run_page = resp.headers["Location"]
    page = officer.get(run_page).get_data(as_text=True)
    assert "Waiting for you to confirm" in page
    assert re.search(r"New</dt><dd[^>]*>2<", page)
    assert "Refused rows" in page and "is not a real date" in page
    assert "Nothing is imported from a file with refused rows" in page
    assert _count(session, Licence) == 0  # the preview wrote nothing
    run_id = int(run_page.rsplit("/", 1)[1])
    progress = officer.get(f"/imports/{run_id}/progress").get_json()
    assert progress["status"] == "previewed" and progress["working"] is False
    # Confirmed as it is, a file with a refused row writes nothing and says the two ways on.
    resp = post(officer, f"/imports/{run_id}/confirm", {}, page=run_page)
    assert resp.status_code == 400
    refused = resp.get_data(as_text=True)
    assert "There is a problem" in refused and "<title>Error: " in refused
    assert 'href="#leave_out_refused"' in refused
    assert "Choose to leave out the refused row and import the rest" in refused
    assert _count(session, Licence) == 0
    assert officer.get(f"/imports/{run_id}/progress").get_json()["status"] == "previewed"
    # Chosen: the other rows are imported, the refused one left out.
    resp = post(officer, f"/imports/{run_id}/confirm", {"leave_out_refused": "y"}, page=run_page)
    assert resp.status_code == 302
    page = officer.get(run_page).get_data(as_text=True)
    assert "2 premises and 2 licences added" in page
    assert "Refused rows left out, as chosen: 1." in page
    assert _count(session, Licence) == 2
    lic = session.scalars(select(Licence).where(Licence.reference == "LIC/1")).one()
    assert lic.dps_name == "Pat Example"
    # The same file again: everything unchanged, nothing written when confirmed.
    resp = _upload(officer, data)
    again = resp.headers["Location"]
    page = officer.get(again).get_data(as_text=True)
    assert re.search(r"Unchanged</dt><dd[^>]*>2<", page)
    post(
        officer,
        f"/imports/{int(again.rsplit('/', 1)[1])}/confirm",
        {"leave_out_refused": "y"},
        page=again,
    )
    assert _count(session, Licence) == 2 and _count(session, Premises) == 2


def test_a_changed_file_shows_each_change_field_by_field(
    officer: FlaskClient, session: Session
) -> None:
    data = (FIXTURES / "licences.csv").read_bytes()
    first = _upload(officer, data).headers["Location"]
    post(officer, f"{first}/confirm", {"leave_out_refused": "y"}, page=first)
    newer = data.replace(b"Pat Example", b"Sam Newname")
    page = officer.get(_upload(officer, newer).headers["Location"]).get_data(as_text=True)
    assert "Changed records" in page
    assert "Licence dps name: <del>Pat Example</del> becomes <ins>Sam Newname</ins>" in page


def test_a_file_of_the_wrong_kind_fails_with_a_clear_message_and_nothing_written(
    officer: FlaskClient, session: Session
) -> None:
    resp = _upload(officer, b"<FHRSEstablishment/>", "esd", "wrong.xml")
    page = officer.get(resp.headers["Location"]).get_data(as_text=True)
    assert "The file was not imported" in page and "This is not a CSV file" in page
    assert _count(session, Licence) == 0 and _count(session, Premises) == 0
    assert session.scalars(select(ImportRun.status)).all() == ["failed"]


def test_no_file_or_no_kind_keeps_the_form_with_its_errors(officer: FlaskClient) -> None:
    resp = post(officer, "/imports", {"format": "esd"}, page="/imports")
    assert resp.status_code == 400 and "Choose the file to import" in resp.get_data(as_text=True)
    resp = post(officer, "/imports", {"upload": (io.BytesIO(b"x"), "a.csv")}, page="/imports")
    assert resp.status_code == 400 and "Select the kind of file" in resp.get_data(as_text=True)


def test_an_upload_over_the_import_limit_gets_the_413_page(
    officer: FlaskClient, session: Session
) -> None:
    settings = officer.application.config["SETTINGS"]
    officer.application.config["SETTINGS"] = dataclasses.replace(settings, import_max_mb=1)
    resp = _upload(officer, b"x" * (1024 * 1024 + 1))
    assert resp.status_code == 413
    page = resp.get_data(as_text=True)
    assert "The file is too large" in page
    # The limit that applied, and the way round it for an import.
    assert "Choose a file of 1 MB or less and try again." in page
    assert "from the command line by a system administrator" in page
    assert "(flask --app app register import)" in page
    assert _count(session, ImportRun) == 0


def test_the_import_page_takes_files_larger_than_other_forms_but_only_from_importers(
    officer: FlaskClient, session: Session, client: FlaskClient
) -> None:
    """MAX_UPLOAD_MB caps every other request; IMPORT_MAX_MB the import page's, for importers."""
    officer.application.config["MAX_CONTENT_LENGTH"] = 1024
    data = (FIXTURES / "licences.csv").read_bytes()
    assert len(data) > 1024
    resp = _upload(officer, data + b"\r\n" * 1024)
    assert resp.status_code == 302 and _count(session, ImportRun) == 1
    # Elsewhere the general limit still holds, for the same officer, with no command to suggest.
    elsewhere = officer.post("/premises/new", data={"name": "x" * 4096})
    assert elsewhere.status_code == 413
    assert "command line" not in elsewhere.get_data(as_text=True)
    # Someone who may not import gets the general limit on the import page too.
    make_user(session, "ward_officer", email="wo@example.gov.uk")
    session.commit()
    other = officer.application.test_client()
    sign_in(other, "wo@example.gov.uk")
    resp = other.post("/imports", data={"format": "esd", "upload": (io.BytesIO(data), "r.csv")})
    assert resp.status_code == 413 and _count(session, ImportRun) == 1


def test_discarding_a_preview_imports_nothing(officer: FlaskClient, session: Session) -> None:
    run_page = _upload(officer, (FIXTURES / "licences.csv").read_bytes()).headers["Location"]
    resp = post(officer, f"{run_page}/discard", {}, page=run_page)
    assert resp.status_code == 302
    assert session.scalars(select(ImportRun.status)).all() == ["discarded"]
    assert _count(session, Licence) == 0


@pytest.mark.parametrize("role", ["ward_officer", "supervisor", "partner", "committee_clerk"])
def test_only_licensing_officers_and_administrators_import(
    client: FlaskClient, session: Session, role: str
) -> None:
    make_user(session, role, email="someone@example.gov.uk")
    session.commit()
    sign_in(client, "someone@example.gov.uk")
    assert client.get("/imports").status_code == 403


def test_the_exports_are_audited_and_for_officers_supervisors_and_admins(
    client: FlaskClient, session: Session
) -> None:
    make_wards(session)
    p = make_premises(session, name="The Crown")
    make_licence(session, p.id, reference="PL/7", dps_name="Dee Person")
    make_user(session, "supervisor", email="sup@example.gov.uk")
    make_user(session, "ward_officer", email="wo@example.gov.uk")
    session.commit()
    sign_in(client, "sup@example.gov.uk")
    resp = client.get("/exports/licences.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    body = resp.get_data(as_text=True)
    assert "PL/7" in body and "The Crown" in body and "Dee Person" in body
    data = json.loads(client.get("/exports/licences.json").get_data(as_text=True))
    assert [entry["reference"] for entry in data["licences"]] == ["PL/7"]
    assert (
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "register.export")
        )
        == 2
    )
    client.post("/sign-out", data={})
    other = client.application.test_client()
    sign_in(other, "wo@example.gov.uk")
    assert other.get("/exports/licences.csv").status_code == 403


def test_the_licence_page_shows_and_edits_the_esd_fields(
    officer: FlaskClient, session: Session
) -> None:
    p = make_premises(session, name="The Anchor")
    lic = make_licence(session, p.id, reference="PL/8")
    session.commit()
    resp = post(
        officer,
        f"/licences/{lic.id}/edit",
        {
            "version": str(lic.version),
            "regime": "premises_licence",
            "reference": "PL/8",
            "holder_name": "Holder Ltd",
            "status": "active",
            "dps_name": "Robin Bar",
            "dps_licence_no": "PLH/99",
            "alcohol_on_sales": "yes",
            "late_night_refreshment": "no",
            "regulated_entertainment": ["Live music", "Films"],
            "activity_hours": "Sale of alcohol: Monday to Sunday 10:00 to 23:00",
            "expires_on": ["31", "12", "2030"],
        },
        page=f"/licences/{lic.id}/edit",
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    session.refresh(lic)
    assert (lic.dps_name, lic.alcohol_on_sales, lic.late_night_refreshment) == (
        "Robin Bar",
        True,
        False,
    )
    assert lic.regulated_entertainment == "Films|Live music"
    page = officer.get(f"/premises/{p.id}").get_data(as_text=True)
    assert "Robin Bar (personal licence PLH/99)" in page
    assert "Sale of alcohol on the premises" in page and "Sale of alcohol: Monday to Sunday" in page
    form = officer.get(f"/licences/{lic.id}/edit").get_data(as_text=True)
    assert re.search(r'<option value="yes" selected>Yes</option>', form)
    # Saving a licence with an end date made its expiry reminder for the licensing team.
    reminder = session.scalars(
        select(Reminder).where(Reminder.kind == "licence_expiry", Reminder.subject_id == lic.id)
    ).one()
    assert (reminder.team, reminder.status) == ("licensing", "open")


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/licences.csv", "licences.csv"),
        ("lic\x00ences.csv", "licences.csv"),
        ("\u202evsc.exe", "vsc.exe"),  # a right-to-left override that would disguise the name
        ("\x01\x02", "upload"),
    ],
)
def test_an_uploads_name_is_kept_as_its_last_part_without_hidden_characters(
    officer: FlaskClient, session: Session, sent: str, kept: str
) -> None:
    resp = _upload(officer, (FIXTURES / "licences.csv").read_bytes(), name=sent)
    assert resp.status_code == 302
    run_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    assert session.get_one(ImportRun, run_id).filename == kept
    assert kept in officer.get(resp.headers["Location"]).get_data(as_text=True)


def test_a_file_of_many_refused_rows_lists_the_first_and_downloads_every_one(
    officer: FlaskClient, session: Session, app: object
) -> None:
    header = "CaseReference,CaseDate,PremisesName,LocationText,Postcode"
    bad = [f"B/{i},31/02/2020,=Name {i},{i} Road,W6 9JU" for i in range(205)]
    data = "\n".join([header, *bad, "G/1,01/01/2020,Good,1 Road,W6 9JU"]).encode()
    resp = _upload(officer, data)
    run_page = resp.headers["Location"]
    page = officer.get(run_page).get_data(as_text=True)
    assert page.count("is not a real date") == 200  # the first 200 on the page
    assert "And 5 more." in page and "the first 200 listed below" in page
    run_id = int(run_page.rsplit("/", 1)[1])
    assert f'href="/imports/{run_id}/refused.csv"' in page

    download = officer.get(f"/imports/{run_id}/refused.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True).removeprefix("\ufeff"))))
    assert rows[0] == ["Line", "Reason"]
    assert [int(line) for line, _ in rows[1:]] == list(range(2, 207))  # every one, in order
    assert all("is not a real date" in reason for _, reason in rows[1:])

    make_user(session, "ward_officer", email="wo@example.gov.uk")
    session.commit()
    other = app.test_client()  # type: ignore[attr-defined]
    sign_in(other, "wo@example.gov.uk")
    assert other.get(f"/imports/{run_id}/refused.csv").status_code == 403


def test_every_refused_row_is_listed_when_every_row_is_refused(
    officer: FlaskClient, session: Session
) -> None:
    """Only the first reason was given, and refused.csv held only its header."""
    data = b"CaseReference,CaseDate,PremisesName\r\nA,99/99/2026,X\r\nB,98/99/2026,Y\r\n"
    run_page = _upload(officer, data).headers["Location"]
    page = officer.get(run_page).get_data(as_text=True)
    assert "The file was not imported" in page and "Every row of the file was refused (2" in page
    assert "&#39;99/99/2026&#39; is not a real date" in page
    assert "&#39;98/99/2026&#39; is not a real date" in page
    run_id = int(run_page.rsplit("/", 1)[1])
    rows = list(
        csv.reader(
            io.StringIO(officer.get(f"/imports/{run_id}/refused.csv").get_data(as_text=True)[1:])
        )
    )
    assert [r[0] for r in rows] == ["Line", "2", "3"]
    assert session.scalars(select(ImportRun.status)).all() == ["failed"]
    assert _count(session, Licence) == 0


ADDRESSES = ("77 Home Road", "HU2 2BB", "88 Private Close", "HU3 3CC")


def _with_addresses(session: Session) -> Licence:
    p = make_premises(session, name="Privacy Arms")
    return make_licence(
        session,
        p.id,
        reference="DPS/1",
        holder_name="Priya Holder",
        holder_address=ADDRESSES[0],
        holder_postcode=ADDRESSES[1],
        applicant_type="Individual",
        dps_name="Dan Supervisor",
        dps_address=ADDRESSES[2],
        dps_postcode=ADDRESSES[3],
    )


def test_the_exports_withhold_home_addresses_from_whom_the_premises_page_hides_them(
    client: FlaskClient, session: Session
) -> None:
    """An administrator could download the addresses /premises/<id> hides from them."""
    make_wards(session)
    lic = _with_addresses(session)
    make_user(session, "admin", email="admin@example.gov.uk")
    make_user(session, "supervisor", email="sup@example.gov.uk")
    session.commit()
    sign_in(client, "admin@example.gov.uk")
    page = client.get(f"/premises/{lic.premises_id}").get_data(as_text=True)
    csv_body = client.get("/exports/licences.csv").get_data(as_text=True)
    json_body = client.get("/exports/licences.json").get_data(as_text=True)
    for shown in (page, csv_body, json_body):
        assert "Dan Supervisor" in shown
        for address in ADDRESSES:
            assert address not in shown
    [row] = csv.DictReader(io.StringIO(csv_body.removeprefix("\ufeff")))
    assert row["LicenceHolderAddress"] == row["SupervisorPostcode"] == "[withheld]"
    data = json.loads(json_body)
    assert data["withheld"] == ["holder_address", "holder_postcode", "dps_address", "dps_postcode"]
    assert "withheld" in data["note"] and data["licences"][0]["dps_address"] is None
    assert "addresses-withheld" in client.get("/imports").get_data(as_text=True)
    client.post("/sign-out", data={})
    sup = client.application.test_client()
    sign_in(sup, "sup@example.gov.uk")
    for shown in (
        sup.get(f"/premises/{lic.premises_id}").get_data(as_text=True),
        sup.get("/exports/licences.csv").get_data(as_text=True),
        sup.get("/exports/licences.json").get_data(as_text=True),
    ):
        assert all(address in shown for address in ADDRESSES)


def test_an_import_preview_withholds_home_addresses_from_an_administrator(
    client: FlaskClient, session: Session
) -> None:
    lic = _with_addresses(session)
    lic.import_fingerprint = None
    make_user(session, "admin", email="admin@example.gov.uk")
    session.commit()
    sign_in(client, "admin@example.gov.uk")
    data = (
        b"CaseReference,CaseDate,PremisesName,LocationText,LicenceHolderAddress\r\n"
        b"DPS/1,,Privacy Arms,1 King Street,1 New Home Road\r\n"
    )
    run_page = _upload(client, data).headers["Location"]
    page = client.get(run_page).get_data(as_text=True)
    assert "Licence holder address: <del>withheld</del> becomes <ins>withheld</ins>" in page
    assert ADDRESSES[0] not in page and "1 New Home Road" not in page
