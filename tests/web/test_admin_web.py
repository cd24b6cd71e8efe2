"""Administrators manage users in the app and read the audit log; nobody else can."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from builders import NOW, make_org, make_user, make_wards, post, sign_in
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enforcement.accounts import staff, users
from enforcement.accounts.throttle import ThrottleRules
from enforcement.models import AuditEvent, User


@pytest.fixture
def admin(session: Session, client: FlaskClient) -> FlaskClient:
    make_wards(session)
    make_user(session, "admin", email="root@example.gov.uk")
    session.commit()
    sign_in(client, "root@example.gov.uk")
    return client


def test_create_user_with_roles_and_wards_then_they_sign_in(
    admin: FlaskClient, session: Session, app: object
) -> None:
    org = make_org(session, "Police Org")
    session.commit()
    resp = post(
        admin,
        "/admin/users/new",
        {
            "display_name": "Dee Ward",
            "email": "Dee@Example.gov.uk",
            "organisation_id": str(org.id),
            "roles": ["ward_officer", "intel_analyst"],
            "ward_codes": ["E05999901"],
            "password": "temporary-pass-999",
        },
        page="/admin/users/new",
    )
    assert resp.status_code == 302
    user = session.scalars(select(User).where(User.email == "dee@example.gov.uk")).one()
    assert user.roles == {"ward_officer", "intel_analyst"} and user.ward_codes == {"E05999901"}
    assert user.must_change_password
    listing = admin.get("/admin/users").get_data(as_text=True)
    assert "Dee Ward" in listing and "Intelligence analyst" in listing


def test_create_user_errors_keep_input(admin: FlaskClient, session: Session) -> None:
    resp = post(
        admin,
        "/admin/users/new",
        {
            "display_name": "Typed Person",
            "email": "not-an-email",
            "organisation_id": "0",
            "password": "short",
        },
        page="/admin/users/new",
    )
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Select at least one role" in body and 'value="Typed Person"' in body


def test_an_address_mail_cannot_carry_is_refused_with_the_reason(
    admin: FlaskClient, session: Session
) -> None:
    """An accented or non-Latin address would make every mail to the person fail (mail servers
    without SMTPUTF8 take only plain addresses), so it is a message on the field."""
    org = make_org(session, "Council")
    session.commit()
    form = {
        "display_name": "José García",
        "email": "josé.garcía@example.gov.uk",
        "organisation_id": str(org.id),
        "roles": ["licensing_officer"],
        "password": "temporary-pass-999",
    }
    resp = post(admin, "/admin/users/new", form, page="/admin/users/new")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "accented or non-Latin letters" in body
    assert 'value="josé.garcía@example.gov.uk"' in body
    assert (
        session.scalar(select(func.count()).select_from(User).where(User.email.like("jos%"))) == 0
    )
    ok = post(
        admin,
        "/admin/users/new",
        {**form, "email": "jose.garcia@example.gov.uk"},
        page="/admin/users/new",
    )
    assert ok.status_code == 302


def test_deactivate_and_reset_password(admin: FlaskClient, session: Session, app: object) -> None:
    target = make_user(session, "licensing_officer", email="target@example.gov.uk")
    session.commit()
    resp = post(admin, f"/admin/users/{target.id}/deactivate", {}, page="/admin/users")
    assert resp.status_code == 302
    session.expire_all()
    assert not session.get(User, target.id).is_active  # type: ignore[union-attr]
    other = app.test_client()  # type: ignore[attr-defined]
    assert sign_in(other, "target@example.gov.uk").status_code == 401
    post(admin, f"/admin/users/{target.id}/reactivate", {}, page="/admin/users")
    resp = post(
        admin,
        f"/admin/users/{target.id}/reset-password",
        {"password": "brand-new-temp-pass"},
        page=f"/admin/users/{target.id}/reset-password",
    )
    assert resp.status_code == 302
    assert sign_in(other, "target@example.gov.uk", "brand-new-temp-pass").status_code == 302
    actions = [
        e.action
        for e in session.scalars(select(AuditEvent).where(AuditEvent.entity_id == str(target.id)))
    ]
    assert {"user.deactivate", "user.activate", "user.reset_password"} <= set(actions)


def test_admin_cannot_deactivate_themself(admin: FlaskClient, session: Session) -> None:
    me = session.scalars(select(User).where(User.email == "root@example.gov.uk")).one()
    resp = post(admin, f"/admin/users/{me.id}/deactivate", {}, page="/admin/users")
    assert resp.status_code == 302
    assert "You cannot deactivate your own account." in admin.get("/admin/users").get_data(
        as_text=True
    )
    session.expire_all()
    assert session.get(User, me.id).is_active  # type: ignore[union-attr]


def test_edit_user_with_stale_version_is_a_conflict(admin: FlaskClient, session: Session) -> None:
    target = make_user(session, "licensing_officer")
    session.commit()
    form = admin.get(f"/admin/users/{target.id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form)
    assert version
    data = {
        "version": version.group(1),
        "display_name": "Changed",
        "email": target.email,
        "organisation_id": str(target.organisation_id),
        "roles": ["licensing_officer"],
    }
    assert (
        post(admin, f"/admin/users/{target.id}/edit", data, page="/admin/users").status_code == 302
    )
    again = post(
        admin,
        f"/admin/users/{target.id}/edit",
        {**data, "display_name": "Again"},
        page="/admin/users",
    )
    assert again.status_code == 409
    assert (
        "Someone else changed this user while you were editing. Your changes have not been"
        " saved. Check their changes below, then submit again to replace them with yours."
    ) in again.get_data(as_text=True)
    assert "Submit again" not in again.get_data(as_text=True)


def test_audit_log_shows_changes_with_before_and_after(
    admin: FlaskClient, session: Session
) -> None:
    page = admin.get("/admin/audit?action=session.sign_in").get_data(as_text=True)
    assert "Signed in as root@example.gov.uk" in page
    page = admin.get("/admin/audit?action=wards.replace").get_data(as_text=True)
    assert "E05999901" in page


# Names whose capitals SQL's lower() folds otherwise than Python: SQLite folds only A to Z, and
# PostgreSQL gives a final capital sigma and a dotted capital I other lower cases than Python's.
NAMES_SQL_FOLDS_OTHERWISE = ["Íslenska", "ΕΛΛΗΝΙΚΟΣ", "İstanbulca"]


@pytest.mark.parametrize("name", NAMES_SQL_FOLDS_OTHERWISE, ids=["latin", "greek", "turkish"])
def test_a_language_added_twice_is_refused_whatever_its_letters(
    admin: FlaskClient, session: Session, name: str
) -> None:
    """The second is a message on the field, not the unique index's error (a 500)."""
    from enforcement.models import Language

    assert (
        post(admin, "/admin/languages", {"name": name}, page="/admin/languages").status_code == 302
    )
    for again in (name, name.lower(), f"  {name.upper()} "):
        dup = post(admin, "/admin/languages", {"name": again}, page="/admin/languages")
        assert dup.status_code == 400 and "already on the list" in dup.get_data(as_text=True)
    assert (
        session.scalar(select(func.count()).select_from(Language).where(Language.name == name)) == 1
    )


def test_other_roles_cannot_manage_users_or_read_the_audit_log(
    session: Session, client: FlaskClient
) -> None:
    make_user(
        session, "supervisor", "licensing_officer", "intel_analyst", email="boss@example.gov.uk"
    )
    session.commit()
    sign_in(client, "boss@example.gov.uk")
    for path in ("/admin/users", "/admin/users/new"):
        assert client.get(path).status_code == 403, path
    # Supervisors are the auditors: they read the audit log (README, "the audit trail").
    assert client.get("/admin/audit").status_code == 200


def test_admin_adds_and_withdraws_a_language(admin: FlaskClient, session: Session) -> None:
    from enforcement.models import Language

    resp = post(admin, "/admin/languages", {"name": "Tigrinya"}, page="/admin/languages")
    assert resp.status_code == 302
    lang = session.scalars(select(Language).where(Language.name == "Tigrinya")).one()
    assert lang.active and lang.code == "tigrinya"
    dup = post(admin, "/admin/languages", {"name": "tigrinya"}, page="/admin/languages")
    assert dup.status_code == 400 and "already on the list" in dup.get_data(as_text=True)
    post(admin, f"/admin/languages/{lang.code}/withdraw", {}, page="/admin/languages")
    session.expire_all()
    assert not session.get(Language, "tigrinya").active  # type: ignore[union-attr]
    actions = set(
        session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "language"))
    )
    assert actions == {"language.add", "language.withdraw"}


def test_admin_sets_and_clears_a_supervisor_on_the_user_form(
    admin: FlaskClient, session: Session
) -> None:
    boss = make_user(session, "supervisor", email="boss@example.gov.uk")
    target = make_user(session, "licensing_officer")
    session.commit()
    form = admin.get(f"/admin/users/{target.id}/edit").get_data(as_text=True)
    assert 'name="supervisor_id"' in form and "No supervisor" in form
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form)
    assert version
    data = {
        "version": version.group(1),
        "display_name": target.display_name,
        "email": target.email,
        "organisation_id": str(target.organisation_id),
        "roles": ["licensing_officer"],
        "supervisor_id": str(boss.id),
    }
    resp = post(admin, f"/admin/users/{target.id}/edit", data, page="/admin/users")
    assert resp.status_code == 302
    session.refresh(target)
    assert target.supervisor_id == boss.id
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "user.supervisor")).one()
    # A person cannot supervise themselves: a clear error, and nothing saved.
    form = admin.get(f"/admin/users/{boss.id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form)
    assert version
    own = {
        "version": version.group(1),
        "display_name": "Renamed Boss",
        "email": boss.email,
        "organisation_id": str(boss.organisation_id),
        "roles": ["supervisor"],
        "supervisor_id": str(boss.id),
    }
    refused = post(admin, f"/admin/users/{boss.id}/edit", own, page="/admin/users")
    assert refused.status_code == 400
    assert "cannot be their own supervisor" in refused.get_data(as_text=True)
    session.refresh(boss)
    assert boss.display_name != "Renamed Boss" and boss.supervisor_id is None
    # Cleared again.
    form = admin.get(f"/admin/users/{target.id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form)
    assert version
    resp = post(
        admin,
        f"/admin/users/{target.id}/edit",
        {**data, "version": version.group(1), "supervisor_id": ""},
        page="/admin/users",
    )
    assert resp.status_code == 302
    session.refresh(target)
    assert target.supervisor_id is None


def _upload_staff(client: FlaskClient, text: str, **more: str) -> Any:
    listed = (io.BytesIO(text.encode("utf-8")), "staff.csv")
    return post(
        client, "/admin/users/import", {"upload": listed, **more}, page="/admin/users/import"
    )


def test_an_admin_imports_a_staff_list_and_sees_each_temporary_password_once(
    admin: FlaskClient, session: Session
) -> None:
    make_org(session, "Police Org")
    session.commit()
    users_before = session.scalar(select(func.count()).select_from(User))
    good = (
        "Email;Name;Organisation;Roles;Wards\r\n"
        "dee@example.gov.uk;Dee Ward;police org;Ward officer (DWO or SNT);E05999901\r\n"
        "root@example.gov.uk;Root;Police Org;admin;\r\n"  # has an account: left out
    )
    bad = good + (
        "eve@example.gov.uk;Eve;No Such Org;admin;\r\n"
        "fay;Fay;Police Org;boss;\r\n"
        "gus@example.gov.uk;Gus;;admin;\r\n"
        # A letter O for a zero: no ward has the code, and the officer would cover none.
        "hal@example.gov.uk;Hal;Police Org;ward_officer;E05999gO1\r\n"
    )
    refused = _upload_staff(admin, bad)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "4 rows of the list cannot be used, so nothing was made" in page
    assert "No ward in force has the code E05999GO1" in page
    assert "Organisation: enter the person&#39;s organisation" in page
    assert "there is no organisation called &#39;No Such Org&#39;" in page
    assert "Roles: boss is not a role" in page
    assert session.scalar(select(func.count()).select_from(User)) == users_before

    checked = _upload_staff(admin, good, check_only="y")
    assert checked.status_code == 200
    assert "it would make 1 account, and leave out 1 person" in checked.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(User)) == users_before

    made = _upload_staff(admin, good)
    shown = made.get_data(as_text=True)
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    (secret,) = re.findall(r"<code>([a-z0-9-]{23})</code>", shown)
    dee = session.scalars(select(User).where(User.email == "dee@example.gov.uk")).one()
    assert dee.must_change_password and dee.ward_codes == {"E05999901"}
    assert users.authenticate(
        session, NOW, "dee@example.gov.uk", secret, ip_address=None, rules=ThrottleRules()
    )
    trail = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.import")).one()
    assert secret not in (trail.after_json or "") and "dee@example.gov.uk" in (
        trail.after_json or ""
    )
    again = _upload_staff(admin, good)
    assert "Everyone on the list has an account already" in again.get_data(as_text=True)
    assert secret not in again.get_data(as_text=True)


def test_only_admins_import_staff_and_no_file_is_asked_for(
    admin: FlaskClient, session: Session, client: FlaskClient
) -> None:
    empty = post(admin, "/admin/users/import", {}, page="/admin/users/import")
    assert empty.status_code == 400
    assert "Choose the staff list to upload" in empty.get_data(as_text=True)
    make_user(session, "supervisor", email="sup@example.gov.uk")
    session.commit()
    post(admin, "/sign-out", {})
    sign_in(client, "sup@example.gov.uk")
    assert client.get("/admin/users/import").status_code == 403


def test_a_list_making_more_accounts_than_the_page_makes_at_once_is_refused_whole(
    admin: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(staff, "MAX_NEW_PER_PAGE", 1)  # the real bound is 100
    make_org(session, "Police Org")
    session.commit()
    users_before = session.scalar(select(func.count()).select_from(User))
    listed = "Email,Name,Organisation,Roles\r\n" + "".join(
        f"p{n}@example.gov.uk,P {n},Police Org,partner\r\n" for n in (1, 2)
    )
    refused = _upload_staff(admin, listed)
    assert refused.status_code == 400
    assert "The list would make 2 accounts: this page makes at most 1 at a time" in (
        refused.get_data(as_text=True)
    )
    assert session.scalar(select(func.count()).select_from(User)) == users_before
    made = _upload_staff(admin, listed.replace("p2@example.gov.uk,P 2,Police Org,partner\r\n", ""))
    assert made.status_code == 200 and "1 account made" in made.get_data(as_text=True)
