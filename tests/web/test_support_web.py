"""The support directory's pages (administrators only) and a premises' support card."""

from __future__ import annotations

import pytest
from builders import csrf_token, make_premises, make_user, make_wards, sign_in
from builders.inspections import make_inspection
from builders.support import make_service
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enforcement.models import AuditEvent, SupportService


@pytest.fixture
def people(session: Session) -> None:
    for role in ("admin", "licensing_officer", "supervisor", "partner"):
        make_user(session, role, email=f"{role}@example.gov.uk")
    session.commit()


def _as(client: FlaskClient, role: str) -> FlaskClient:
    assert sign_in(client, f"{role}@example.gov.uk").status_code == 302
    return client


FORM = {
    "name": "A local charity",
    "kind": "charity",
    "description": "Outreach and casework for women involved in prostitution.",
    "how_to_reach": "Call 020 0000 0000 on weekdays",
    "hours": "Monday to Friday, 10am to 6pm",
    "languages": ["th", "vi"],
}


def test_an_administrator_adds_changes_and_withdraws_a_service(
    client: FlaskClient, session: Session, people: None
) -> None:
    admin = _as(client, "admin")
    listed = admin.get("/admin/support-services")
    assert listed.status_code == 200 and "Support directory" in listed.get_data(as_text=True)
    path = "/admin/support-services/new"
    refused = admin.post(
        path, data={**FORM, "languages": [], "csrf_token": csrf_token(admin, path)}
    )
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "Select the languages the service offers" in text and 'value="A local charity"' in text
    assert session.scalar(select(func.count()).select_from(SupportService)) == 0
    added = admin.post(path, data={**FORM, "csrf_token": csrf_token(admin, path)})
    assert added.status_code == 302
    s = session.scalars(select(SupportService)).one()
    page = admin.get("/admin/support-services").get_data(as_text=True)
    assert "A local charity" in page and "Thai, Vietnamese" in page
    edit = f"/admin/support-services/{s.id}/edit"
    form = admin.get(edit).get_data(as_text=True)
    assert 'name="version"' in form and "Outreach and casework" in form
    changed = admin.post(
        edit,
        data={
            **FORM,
            "hours": "24 hours, every day",
            "version": str(s.version),
            "csrf_token": csrf_token(admin, edit),
        },
    )
    assert changed.status_code == 302
    stale = admin.post(
        edit, data={**FORM, "version": str(s.version - 1), "csrf_token": csrf_token(admin, edit)}
    )
    assert stale.status_code == 409
    withdraw = f"/admin/support-services/{s.id}/withdraw"
    assert (
        admin.post(
            withdraw, data={"csrf_token": csrf_token(admin, "/admin/support-services")}
        ).status_code
        == 302
    )
    session.expire_all()
    assert session.get(SupportService, s.id).active is False  # type: ignore[union-attr]
    delete = f"/admin/support-services/{s.id}/delete"
    assert (
        admin.post(
            delete, data={"csrf_token": csrf_token(admin, "/admin/support-services")}
        ).status_code
        == 302
    )
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(SupportService)) == 0
    actions = list(
        session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.entity_type == "support_service")
            .order_by(AuditEvent.id)
        )
    )
    assert actions == [
        "support_service.create",
        "support_service.update",
        "support_service.withdraw",
        "support_service.delete",
    ]


def test_a_service_signposted_at_an_inspection_is_kept_with_a_message(
    client: FlaskClient, session: Session, people: None
) -> None:
    """The inspection's choice holds the service: deleting it says to withdraw it instead (it
    used to reach the database's foreign key and end in a 500)."""
    make_wards(session)
    s = make_service(session, name="Signposted helpline")
    make_inspection(session, make_premises(session).id, services=frozenset({s.id}))
    session.commit()
    admin = _as(client, "admin")
    token = csrf_token(admin, "/admin/support-services")
    refused = admin.post(f"/admin/support-services/{s.id}/delete", data={"csrf_token": token})
    assert refused.status_code == 302
    page = admin.get(refused.headers["Location"]).get_data(as_text=True)
    assert "Signposted helpline has been chosen on a visit, an inspection or a referral" in page
    assert "withdraw it instead" in page
    session.expire_all()
    assert session.get(SupportService, s.id) is not None


@pytest.mark.parametrize(
    "name", ["Ärztliche Hilfe", "ΕΛΛΗΝΙΚΟΣ", "İstanbul helpline"], ids=["latin", "greek", "turkish"]
)
def test_a_name_already_in_the_directory_is_refused_whatever_its_letters(
    client: FlaskClient, session: Session, people: None, name: str
) -> None:
    """Adding it again, or renaming another service to it, is a message on the field, not the
    unique index's error (a 500): SQL's lower() folds these capitals otherwise than Python."""
    admin = _as(client, "admin")
    path = "/admin/support-services/new"
    assert (
        admin.post(
            path, data={**FORM, "name": name, "csrf_token": csrf_token(admin, path)}
        ).status_code
        == 302
    )
    again = admin.post(path, data={**FORM, "name": name, "csrf_token": csrf_token(admin, path)})
    assert again.status_code == 400 and "is already in the directory" in again.get_data(
        as_text=True
    )
    other = make_service(session, name="Another service")
    session.commit()
    edit = f"/admin/support-services/{other.id}/edit"
    renamed = admin.post(
        edit,
        data={
            **FORM,
            "name": name.lower(),
            "version": str(other.version),
            "csrf_token": csrf_token(admin, edit),
        },
    )
    assert renamed.status_code == 400 and "is already in the directory" in renamed.get_data(
        as_text=True
    )
    assert session.scalar(select(func.count()).select_from(SupportService)) == 2


@pytest.mark.parametrize("role", ["licensing_officer", "supervisor", "partner"])
def test_only_administrators_reach_the_directory(
    client: FlaskClient, session: Session, people: None, role: str
) -> None:
    s = make_service(session)
    session.commit()
    who = _as(client, role)
    assert who.get("/admin/support-services").status_code == 403
    assert who.get(f"/admin/support-services/{s.id}/edit").status_code == 403
    token = csrf_token(who, "/")
    assert (
        who.post(f"/admin/support-services/{s.id}/delete", data={"csrf_token": token}).status_code
        == 403
    )
    assert session.get(SupportService, s.id) is not None


def test_the_support_card_shows_the_services_in_the_premises_languages(
    client: FlaskClient, session: Session, people: None
) -> None:
    make_wards(session)
    p = make_premises(session, name="Nails West", language_codes=frozenset({"vi", "pl"}))
    make_service(session, name="Vietnamese outreach", languages=frozenset({"vi"}))
    make_service(session, name="Always open helpline", any_language=True, languages=frozenset())
    make_service(session, name="Thai only", languages=frozenset({"th"}))
    make_service(session, name="Gone", languages=frozenset({"vi"}), active=False)
    session.commit()
    officer = _as(client, "licensing_officer")
    assert f"/premises/{p.id}/support-card" in officer.get(f"/premises/{p.id}").get_data(
        as_text=True
    )
    card = officer.get(f"/premises/{p.id}/support-card").get_data(as_text=True)
    assert "In Vietnamese" in card and "Vietnamese outreach" in card
    assert "In any language" in card and "Always open helpline" in card
    assert "No service in the directory lists Polish" in card
    assert "Thai only" not in card and "Gone" not in card
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/")})
    assert _as(client, "partner").get(f"/premises/{p.id}/support-card").status_code == 403
