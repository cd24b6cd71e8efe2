"""Inspections through their pages: the form, photos, follow-ups on the task list, compliance."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from builders import (
    SYSTEM,
    csrf_token,
    make_licence,
    make_premises,
    make_user,
    make_wards,
    post,
    sign_in,
)
from builders.support import make_service
from flask import Flask
from flask.testing import FlaskClient
from image_helpers import ATTACKS, has_gps, jpeg_with_gps, png, read_back
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from enforcement.cases import overrides
from enforcement.cases.statutory import RuleBook
from enforcement.clock import end_of_london_day, london_today
from enforcement.models import AuditEvent, Inspection, Reminder
from enforcement.vocab import PremisesType

PNG = png()


@pytest.fixture
def app_with_evidence(app: Flask, tmp_path: Path) -> Flask:
    settings = app.config["SETTINGS"]
    app.config["SETTINGS"] = settings.with_overrides(evidence_dir=tmp_path / "evidence")
    return app


@pytest.fixture
def officer(session: Session, client: FlaskClient, app_with_evidence: Flask) -> FlaskClient:
    make_wards(session)
    make_user(session, "licensing_officer", email="lo@example.gov.uk")
    session.commit()
    sign_in(client, "lo@example.gov.uk")
    return client


def _form(client: FlaskClient, path: str) -> dict[str, str]:
    page = client.get(path).get_data(as_text=True)
    key = re.search(r'name="idempotency_key" type="hidden" value="([0-9a-f]+)"', page)
    lic = re.search(r'name="licence_id" type="hidden" value="(\d*)"', page)
    assert key and lic, page[:3000]
    return {
        "idempotency_key": key.group(1),
        "licence_id": lic.group(1),
        "csrf_token": csrf_token(client, path),
    }


def _nail_bar(session: Session) -> int:
    p = make_premises(
        session,
        name="Gloss Nails",
        premises_type=PremisesType.NAIL_BAR,
        language_codes=frozenset({"en", "vi"}),
    )
    make_licence(
        session,
        p.id,
        regime="special_treatment",
        conditions=("Doors never locked from outside", "Register kept"),
    )
    session.commit()
    return p.id


def test_failed_poster_check_with_photo_creates_a_follow_up_on_the_task_list(
    officer: FlaskClient, session: Session
) -> None:
    pid = _nail_bar(session)
    path = f"/premises/{pid}/inspections/new"
    page = officer.get(path).get_data(as_text=True)
    assert "This premises needs the poster in: English, Vietnamese." in page
    cond_ids = re.findall(r'name="finding_(\d+)"', page)
    assert len(set(cond_ids)) == 2
    data = {
        **_form(officer, path),
        "inspected_on": ["2", "3", "2026"],
        "inspected_time": "14:30",
        "reason": "routine",
        "poster_displayed": "yes",
        "poster_visible": ["public"],
        "languages_displayed": ["en"],
        f"finding_{cond_ids[0]}": "breached",
        f"note_{cond_ids[0]}": "Bolt on the outside of a treatment room",
        "photo": (io.BytesIO(PNG), "poster.png"),
    }
    resp = officer.post(path, data=data, content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    detail = officer.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Not visible to workers; missing Vietnamese" in detail
    assert "Bolt on the outside of a treatment room" in detail and "Breached" in detail
    assert "2 March 2026 at 2:30pm" in detail
    photo = re.search(r'src="(/evidence/\d+)"', detail)
    assert photo
    served = officer.get(photo.group(1))
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert read_back(served.data).size == read_back(PNG).size  # the picture, re-encoded
    home = officer.get("/").get_data(as_text=True)
    assert "Follow-up inspection of Gloss Nails" in home and "the end of 16 March 2026" in home
    timeline = officer.get(f"/premises/{pid}").get_data(as_text=True)
    assert "Routine inspection: poster not visible to workers; missing Vietnamese" in timeline
    # The same form sent again (a retry on a flaky connection) does not record a second inspection.
    data["photo"] = (io.BytesIO(PNG), "poster.png")
    again = officer.post(path, data=data, content_type="multipart/form-data")
    assert again.status_code == 302 and again.headers["Location"] == resp.headers["Location"]
    assert session.scalar(select(func.count()).select_from(Inspection)) == 1


def test_form_errors_keep_everything_typed(officer: FlaskClient, session: Session) -> None:
    pid = _nail_bar(session)
    path = f"/premises/{pid}/inspections/new"
    page = officer.get(path).get_data(as_text=True)
    cond = re.findall(r'name="finding_(\d+)"', page)[0]
    form = _form(officer, path)
    resp = officer.post(
        path,
        data={
            **form,
            "inspected_on": ["2", "3", "2026"],
            "inspected_time": "25:99",
            "reason": "routine",
            "poster_displayed": "yes",
            "poster_visible": ["public", "workers"],
            "languages_displayed": ["en", "vi"],
            "observations": "Typed observations",
            f"finding_{cond}": "complied",
            f"note_{cond}": "Typed note",
            "photo": (io.BytesIO(b"GIF89a not allowed"), "poster.png"),
        },
        content_type="multipart/form-data",
    )
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Enter a time like 14:30" in body
    assert "Typed observations" in body and "Typed note" in body and 'value="25:99"' in body
    assert f'name="finding_{cond}" type="radio" value="complied" checked' in body
    assert form["idempotency_key"] in body  # the retry keeps the same key
    assert session.scalar(select(func.count()).select_from(Inspection)) == 0


def test_photo_that_is_not_an_image_is_refused(officer: FlaskClient, session: Session) -> None:
    pid = _nail_bar(session)
    path = f"/premises/{pid}/inspections/new"
    resp = officer.post(
        path,
        data={
            **_form(officer, path),
            "inspected_on": ["2", "3", "2026"],
            "inspected_time": "10:00",
            "reason": "routine",
            "poster_displayed": "no",
            "photo": (io.BytesIO(b"<script>alert(1)</script>"), "evil.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 400
    assert "The photo must be a JPG, PNG or WebP image" in resp.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Inspection)) == 0


def test_evidence_is_served_only_to_allowed_roles(
    officer: FlaskClient, session: Session, app_with_evidence: Flask
) -> None:
    pid = _nail_bar(session)
    path = f"/premises/{pid}/inspections/new"
    resp = officer.post(
        path,
        data={
            **_form(officer, path),
            "inspected_on": ["2", "3", "2026"],
            "inspected_time": "10:00",
            "reason": "complaint",
            "poster_displayed": "no",
            "photo": (io.BytesIO(PNG), "p.png"),
        },
        content_type="multipart/form-data",
    )
    detail = officer.get(resp.headers["Location"]).get_data(as_text=True)
    photo = re.search(r'src="(/evidence/\d+)"', detail)
    assert photo
    make_user(session, "ward_officer", email="wo@example.gov.uk")
    session.commit()
    other = app_with_evidence.test_client()
    assert other.get(photo.group(1)).status_code == 302  # signed out: to the sign-in page
    sign_in(other, "wo@example.gov.uk")
    assert other.get(photo.group(1)).status_code == 403
    assert "your role cannot view it" in other.get(resp.headers["Location"]).get_data(as_text=True)


def test_compliance_view_and_audited_csv(session: Session, client: FlaskClient) -> None:
    make_wards(session)
    make_user(session, "supervisor", email="sup@example.gov.uk")
    p = make_premises(session, premises_type=PremisesType.PUB_BAR)
    make_licence(session, p.id)
    session.commit()
    sign_in(client, "sup@example.gov.uk")
    page = client.get("/compliance").get_data(as_text=True)
    assert "Westward" in page and "Never checked" in page
    csv_resp = client.get("/compliance.csv")
    assert csv_resp.status_code == 200 and csv_resp.mimetype == "text/csv"
    assert "E05999901,Westward,1,0,0,0.000,1,0" in csv_resp.get_data(as_text=True)
    assert (
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "compliance.export")
        )
        == 1
    )


def test_ward_officer_cannot_record_inspections(session: Session, client: FlaskClient) -> None:
    make_wards(session)
    make_user(session, "ward_officer", email="wo2@example.gov.uk")
    p = make_premises(session)
    session.commit()
    sign_in(client, "wo2@example.gov.uk")
    assert client.get(f"/premises/{p.id}/inspections/new").status_code == 403
    assert client.get("/compliance").status_code == 403
    assert post(client, f"/premises/{p.id}/inspections/new", {}).status_code == 403


def _upload(officer: FlaskClient, session: Session, photo: bytes, name: str) -> TestResponse:
    pid = _nail_bar(session)
    path = f"/premises/{pid}/inspections/new"
    return officer.post(
        path,
        data={
            **_form(officer, path),
            "inspected_on": ["2", "3", "2026"],
            "inspected_time": "10:00",
            "reason": "routine",
            "poster_displayed": "no",
            "observations": "Typed before the upload",
            "photo": (io.BytesIO(photo), name),
        },
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize(("photo", "name"), ATTACKS, ids=["jpeg+html", "png+php", "12-byte webp"])
def test_files_that_only_start_like_an_image_are_refused(
    officer: FlaskClient, session: Session, app_with_evidence: Flask, photo: bytes, name: str
) -> None:
    resp = _upload(officer, session, photo, name)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "The photo could not be read: it is damaged, or it is not really a JPG" in body
    assert "Typed before the upload" in body
    assert session.scalar(select(func.count()).select_from(Inspection)) == 0
    evidence_dir = app_with_evidence.config["SETTINGS"].evidence_dir
    assert not evidence_dir.exists() or not any(p.is_file() for p in evidence_dir.rglob("*"))


def test_a_photo_with_gps_is_kept_and_served_without_it(
    officer: FlaskClient, session: Session, app_with_evidence: Flask
) -> None:
    original = jpeg_with_gps()
    assert has_gps(original)
    resp = _upload(officer, session, original, "IMG_20260302_flat_3.php.jpg")
    assert resp.status_code == 302
    detail = officer.get(resp.headers["Location"]).get_data(as_text=True)
    photo = re.search(r'src="(/evidence/\d+)"', detail)
    assert photo
    served = officer.get(photo.group(1))
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert not has_gps(served.data) and not read_back(served.data).getexif()
    stored = list(app_with_evidence.config["SETTINGS"].evidence_dir.rglob("*"))
    (kept,) = [p for p in stored if p.is_file()]
    assert kept.read_bytes() == served.data and kept.name == hashlib.sha256(served.data).hexdigest()
    # Served under a name made from the hash and the real type, never the uploaded name.
    assert (
        served.headers["Content-Disposition"] == f'inline; filename="evidence-{kept.name[:16]}.jpg"'
    )
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert "IMG_20260302" not in served.headers["Content-Disposition"]


def test_an_inspection_on_the_nights_the_clocks_change_asks_or_refuses(
    officer: FlaskClient, session: Session
) -> None:
    pid = _nail_bar(session)
    path = f"/premises/{pid}/inspections/new"

    def send(day: list[str], **extra: str) -> object:
        data = {
            **_form(officer, path),
            "inspected_on": day,
            "inspected_time": "01:30",
            "reason": "routine",
            "poster_displayed": "no",
            **extra,
        }
        return officer.post(path, data=data, content_type="multipart/form-data")

    skipped = send(["29", "3", "2026"])
    assert skipped.status_code == 400  # type: ignore[attr-defined]
    assert "01:30 did not happen in London on Sunday 29 March 2026" in skipped.get_data(  # type: ignore[attr-defined]
        as_text=True
    )
    repeated = send(["26", "10", "2025"])
    page = repeated.get_data(as_text=True)  # type: ignore[attr-defined]
    assert repeated.status_code == 400  # type: ignore[attr-defined]
    assert "01:30 BST (first)" in page and "01:30 GMT (second)" in page
    assert session.scalar(select(func.count()).select_from(Inspection)) == 0
    saved = send(["26", "10", "2025"], inspected_which="second")
    assert saved.status_code == 302, saved.get_data(as_text=True)[:3000]  # type: ignore[attr-defined]
    detail = officer.get(saved.headers["Location"]).get_data(as_text=True)  # type: ignore[attr-defined]
    assert "26 October 2025 at 1:30am GMT" in detail


def test_a_condition_finding_is_a_field_whose_errors_lead_to_it(
    officer: FlaskClient, session: Session
) -> None:
    pid = _nail_bar(session)
    path = f"/premises/{pid}/inspections/new"
    page = officer.get(path).get_data(as_text=True)
    first, second = dict.fromkeys(re.findall(r'name="finding_(\d+)"', page))
    resp = officer.post(
        path,
        data={
            **_form(officer, path),
            "inspected_on": ["2", "3", "2026"],
            "inspected_time": "10:00",
            "reason": "routine",
            "poster_displayed": "no",
            f"finding_{first}": "made_up",
            f"finding_{second}": "complied",
            f"note_{second}": "x" * 2001,
        },
        content_type="multipart/form-data",
    )
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400
    # Each problem is in the summary, linked to its condition's own box, and shown by it.
    assert f'<a href="#finding_{first}">Select a finding for this condition</a>' in body
    assert f'<a href="#note_{second}">A note must be 2,000 characters or fewer</a>' in body
    assert f'id="finding_{first}-error"' in body and f'id="note_{second}-error"' in body
    assert session.scalar(select(func.count()).select_from(Inspection)) == 0


def test_the_follow_up_period_is_the_local_rule_in_force(
    officer: FlaskClient, session: Session
) -> None:
    now = datetime.now(UTC)
    overrides.add_override(
        session,
        SYSTEM,
        now,
        overrides.OverrideInput(
            "local.poster.follow_up", 21, "starting_day_after", london_today(now), "Decision"
        ),
        RuleBook(),
    )
    session.commit()
    resp = _upload(officer, session, PNG, "poster.png")  # no poster displayed: a follow-up
    assert resp.status_code == 302
    inspection = session.scalars(select(Inspection)).one()
    due = session.scalar(select(Reminder.due_at).where(Reminder.subject_type == "inspection"))
    assert due == end_of_london_day(london_today(inspection.inspected_at) + timedelta(days=21))


def test_services_signposted_are_chosen_from_the_directory_and_shown(
    officer: FlaskClient, session: Session
) -> None:
    pid = _nail_bar(session)
    helpline = make_service(session, name="Modern Slavery Helpline")
    gone = make_service(session, name="Closed Project", active=False)
    session.commit()
    path = f"/premises/{pid}/inspections/new"
    page = officer.get(path).get_data(as_text=True)
    assert "Modern Slavery Helpline" in page and "Closed Project" not in page
    data = {
        "inspected_on": ["2", "3", "2026"],
        "inspected_time": "14:30",
        "reason": "routine",
        "poster_displayed": "yes",
        "poster_visible": ["public", "workers"],
        "languages_displayed": ["en", "vi"],
        "observations": "Typed observations",
    }
    refused = officer.post(path, data={**_form(officer, path), **data, "services": [str(gone.id)]})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Select services from the support directory" in body
    assert "Typed observations" in body
    assert session.scalar(select(func.count()).select_from(Inspection)) == 0
    resp = officer.post(path, data={**_form(officer, path), **data, "services": [str(helpline.id)]})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    detail = officer.get(resp.headers["Location"]).get_data(as_text=True)
    shown = re.search(r'id="services-signposted">([^<]*)<', detail)
    assert shown and shown.group(1) == "Modern Slavery Helpline"
