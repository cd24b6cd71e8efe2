"""The public register through its pages, signed out: on or off, search, a licence, the CSV,
nothing restricted, caching, the rate limit and its 429 page."""

from __future__ import annotations

from datetime import date

import pytest
from builders import make_licence, make_premises, make_user, make_wards, sign_in
from builders.referrals import CONDITIONS, RESTRICTED, World, make_world
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from enforcement.models import PublicRegisterHit


@pytest.fixture
def public_app(app: Flask) -> Flask:
    app.config["SETTINGS"] = app.config["SETTINGS"].with_overrides(public_register=True)
    return app


@pytest.fixture
def visitor(public_app: Flask) -> FlaskClient:
    return public_app.test_client()


def test_off_unless_switched_on(client: FlaskClient, session: Session) -> None:
    make_wards(session)
    lic = make_licence(session, make_premises(session).id)
    session.commit()
    for path in ("/register", f"/register/licences/{lic.id}", "/register/download.csv"):
        assert client.get(path).status_code == 404


def test_search_and_open_a_licence_without_signing_in(
    visitor: FlaskClient, session: Session
) -> None:
    world: World = make_world(session)
    other = make_premises(session, name="Crown and Anchor", postcode="W6 9JU")
    make_licence(session, other.id, reference="PL/7")
    session.commit()

    page = visitor.get("/register")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert world.licence.reference in html and "PL/7" in html
    assert "Showing 1 to 2 of 2 licences" in html

    found = visitor.get("/register", query_string={"q": "w69ju"}).get_data(as_text=True)
    assert "PL/7" in found and world.licence.reference not in found
    by_ward = visitor.get("/register", query_string={"ward": "E05999902"}).get_data(as_text=True)
    assert "No licences match" in by_ward

    detail = visitor.get(f"/register/licences/{world.licence.id}")
    text = detail.get_data(as_text=True)
    assert detail.status_code == 200
    for condition in CONDITIONS:
        assert condition in text
    assert "Active" in text and world.premises.name in text
    # Nothing restricted: no holder or supervisor, officers, flags, visits or inspections.
    for secret in RESTRICTED:
        assert secret not in text and secret not in html
    assert "Sign out" not in text


def test_junk_in_the_search_is_a_clear_400(visitor: FlaskClient, session: Session) -> None:
    make_wards(session)
    session.commit()
    resp = visitor.get("/register", query_string={"ward": "nowhere", "q": "x" * 300})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Choose a ward from the list" in text and "200 characters or fewer" in text
    assert visitor.get("/register/licences/99999").status_code == 404
    assert visitor.get("/register/download.csv", query_string={"regime": "x"}).status_code == 400


def test_the_download_is_the_esd_csv_of_the_search(visitor: FlaskClient, session: Session) -> None:
    world: World = make_world(session)
    session.commit()
    resp = visitor.get("/register/download.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    body = resp.get_data(as_text=True)
    assert body.startswith("ExtractDate,OrganisationLabel,CaseReference,")
    assert world.licence.reference in body and CONDITIONS[0] in body
    for secret in RESTRICTED:
        assert secret not in body


def test_pages_are_cached_with_an_etag(visitor: FlaskClient, session: Session) -> None:
    make_wards(session)
    session.commit()
    first = visitor.get("/register")
    assert first.headers["Cache-Control"] == "public, max-age=60"
    etag = first.headers["ETag"]
    again = visitor.get("/register", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""


def test_a_signed_in_visitor_gets_a_private_copy(public_app: Flask, session: Session) -> None:
    make_wards(session)
    make_user(session, "licensing_officer", email="lo@example.gov.uk")
    session.commit()
    client = public_app.test_client()
    sign_in(client, "lo@example.gov.uk")
    resp = client.get("/register")
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "private, max-age=60"
    assert "Sign out" not in resp.get_data(as_text=True)


def test_too_many_requests_get_a_clear_429(public_app: Flask, session: Session) -> None:
    public_app.config["SETTINGS"] = public_app.config["SETTINGS"].with_overrides(
        public_register_rate_per_minute=3
    )
    make_wards(session)
    session.commit()
    client = public_app.test_client()
    statuses = [client.get("/register").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get("/register/download.csv")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) <= 60
    assert "Too many requests" in refused.get_data(as_text=True)
    # Another address is not held back, and no address is stored.
    other = client.get("/register", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert other.status_code == 200
    keys = session.scalars(select(PublicRegisterHit.client_key)).all()
    assert len(keys) == 2 and not any("203.0.113.7" in k or "127.0.0.1" in k for k in keys)


def bookkeeping(statement: str) -> bool:
    """The rate limit's statements: its upsert, a purge, PostgreSQL's relaxed commit."""
    return "public_register_hits" in statement or "synchronous_commit" in statement


def test_a_search_is_two_statements(
    visitor: FlaskClient, session: Session, count_queries: object
) -> None:
    make_wards(session)
    for n in range(30):
        make_licence(session, make_premises(session).id, reference=f"PL/{n}", conditions=("c",))
    session.commit()
    visitor.get("/register")  # warm up
    before = count_queries.count  # type: ignore[attr-defined]
    assert visitor.get("/register").status_code == 200
    every = count_queries.statements[before:]  # type: ignore[attr-defined]
    # The rate limit's bookkeeping (its upsert, and a purge when a new minute begins) aside:
    # the wards for the filter; then the search: the count, and the page with each licence's
    # status by a decision in effect.
    statements = [s for s in every if not bookkeeping(s)]
    assert 1 <= len(every) - len(statements) <= 3
    assert len(statements) == 3, statements
    assert sum("count(*)" in s for s in statements) == 1
    # A search: one ordered pass over the matching ids, then the page by id.
    before = count_queries.count  # type: ignore[attr-defined]
    assert visitor.get("/register", query_string={"q": "1 high"}).status_code == 200
    searched = [
        s
        for s in count_queries.statements[before:]  # type: ignore[attr-defined]
        if not bookkeeping(s)
    ]
    assert len(searched) == 3, searched


def test_a_page_past_the_end_is_an_empty_page_not_an_error(
    visitor: FlaskClient, session: Session
) -> None:
    make_wards(session)
    premises = make_premises(session, name="Road House")
    for n in range(3):
        make_licence(session, premises.id, reference=f"PL/R{n}")
    session.commit()
    visitor.application.config["SETTINGS"] = visitor.application.config["SETTINGS"].with_overrides(
        page_size=1
    )
    for query in ({"page": "100"}, {"page": "100", "q": "road"}):
        resp = visitor.get("/register", query_string=query)
        assert resp.status_code == 200
        body = resp.get_data(as_text=True)
        assert "This page is past the last one" in body and "3 licences match, on 3 pages" in body
        assert "No licences match" not in body and "Showing" not in body


def test_a_licence_page_shows_activities_hours_and_an_organisations_holder(
    visitor: FlaskClient, session: Session
) -> None:
    make_wards(session)
    p = make_premises(session, name="The Lamb")
    extra: dict[str, object] = {
        "alcohol_off_sales": True,
        "late_night_refreshment": True,
        "activity_hours": "Late-night refreshment: Fri-Sat 23:00-01:00",
        "holder_address": "1 Holder Road",
        "holder_postcode": "LS1 1AA",
        "dps_name": "Dana Supervisor",
        "dps_licence_no": "PERS/1234",
    }
    org = make_licence(
        session, p.id, holder_name="Lamb Inns Ltd", applicant_type="Partnership", **extra
    )
    person = make_licence(
        session, p.id, holder_name="Ivy Individual", applicant_type="Individual", **extra
    )
    session.commit()
    shown = visitor.get(f"/register/licences/{org.id}").get_data(as_text=True)
    hidden = visitor.get(f"/register/licences/{person.id}").get_data(as_text=True)
    for html in (shown, hidden):
        assert "Sale of alcohol off the premises" in html and "Late-night refreshment" in html
        assert "Fri-Sat 23:00-01:00" in html
        assert "Dana Supervisor" not in html and "PERS/1234" not in html
    assert "Lamb Inns Ltd" in shown and "1 Holder Road, LS1 1AA" in shown
    assert "Ivy Individual" not in hidden and "1 Holder Road" not in hidden
    assert shown.count("Licence holder") > hidden.count("Licence holder")


def test_a_licence_page_shows_the_service_and_decision_date_a_file_brought(
    visitor: FlaskClient, session: Session
) -> None:
    make_wards(session)
    p = make_premises(session, name="Riverside Members Club")
    lic = make_licence(
        session,
        p.id,
        service_type="Club premises certificate",
        decision_date=date(2026, 3, 10),
    )
    session.commit()
    html = visitor.get(f"/register/licences/{lic.id}").get_data(as_text=True)
    assert (
        "Club premises certificate" in html and "Premises licence (Licensing Act 2003)" not in html
    )
    assert "Decision on the application" in html and "10 March 2026" in html
    assert "Not recorded" not in html.split("In force from")[0]
    listing = visitor.get("/register?text=riverside").get_data(as_text=True)
    assert "Club premises certificate" in listing
