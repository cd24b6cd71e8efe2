"""The register through its pages: list, search, forms that keep input, stale edits, 404s."""

from __future__ import annotations

import dataclasses
import re

import pytest
from builders import (
    IN_EAST,
    IN_WEST,
    make_licence,
    make_premises,
    make_user,
    make_wards,
    post,
    sign_in,
)
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enforcement.models import AuditEvent, Licence, Premises
from enforcement.register import premises as register_premises
from enforcement.vocab import PremisesType


@pytest.fixture
def officer(session: Session, client: FlaskClient) -> FlaskClient:
    make_wards(session)
    make_user(session, "licensing_officer", email="lo@example.gov.uk")
    session.commit()
    sign_in(client, "lo@example.gov.uk")
    return client


def test_add_premises_derives_ward_and_audits(officer: FlaskClient, session: Session) -> None:
    resp = post(
        officer,
        "/premises/new",
        {
            "name": "Lotus Massage",
            "premises_type": "massage",
            "address_line1": "12 King Street",
            "postcode": "w6 0rx",
            "latitude": str(IN_EAST[1]),
            "longitude": str(IN_EAST[0]),
            "language_codes": ["th", "en"],
        },
        page="/premises/new",
    )
    assert resp.status_code == 302
    page = officer.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Lotus Massage" in page and "Eastward" in page and "W6 0RX" in page
    assert "Trading unlicensed" in page and "English, Thai" in page
    p = session.scalars(select(Premises).where(Premises.name == "Lotus Massage")).one()
    assert (
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "premises.create", AuditEvent.entity_id == str(p.id))
        )
        == 1
    )


def test_form_errors_keep_what_was_typed_and_save_nothing(
    officer: FlaskClient, session: Session
) -> None:
    resp = post(
        officer,
        "/premises/new",
        {
            "name": "Typed Name",
            "premises_type": "nail_bar",
            "address_line1": "3 Typed Road",
            "postcode": "NOT A POSTCODE",
            "latitude": "fifty-one",
            "longitude": "-0.2",
            "uprn": "x" * 30,
        },
        page="/premises/new",
    )
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "There is a problem" in body
    assert "Latitude must be a number, like 51.4927" in body
    assert "A UPRN is a number of up to 12 digits" in body
    assert (
        'value="Typed Name"' in body
        and 'value="3 Typed Road"' in body
        and 'value="NOT A POSTCODE"' in body
    )
    assert session.scalar(select(func.count()).select_from(Premises)) == 0


def test_domain_validation_errors_show_on_their_fields(
    officer: FlaskClient, session: Session
) -> None:
    resp = post(
        officer,
        "/premises/new",
        {
            "name": "Typed Name",
            "premises_type": "nail_bar",
            "address_line1": "3 Typed Road",
            "postcode": "ZZZ",
        },
        page="/premises/new",
    )
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert 'href="#postcode"' in body and "Enter a real postcode" in body


def test_list_search_filter_sort_and_paginate(
    officer: FlaskClient, session: Session, app: object
) -> None:
    for i in range(55):
        make_premises(session, name=f"Shop {i:02d}", premises_type=PremisesType.OFF_LICENCE)
    nails = make_premises(
        session,
        name="Zeta Nails",
        premises_type=PremisesType.NAIL_BAR,
        longitude=IN_EAST[0],
        latitude=IN_EAST[1],
    )
    make_licence(session, nails.id, regime="special_treatment")
    session.commit()
    first = officer.get("/premises?q=shop").get_data(as_text=True)
    assert "Showing 1 to 50 of 55 premises" in first
    # Numbered page links keep the search; the first page offers the next, the last the previous.
    assert (
        'aria-label="Pages of results"' in first and 'href="/premises?q=shop&amp;page=2"' in first
    )
    assert "govuk-pagination__next" in first and "govuk-pagination__prev" not in first
    second = officer.get("/premises?q=shop&page=2").get_data(as_text=True)
    assert "Showing 51 to 55 of 55 premises" in second and "Shop 54" in second
    assert "govuk-pagination__prev" in second and "govuk-pagination__next" not in second
    assert 'aria-current="page"' in second
    desc = officer.get("/premises?q=shop&sort=-name").get_data(as_text=True)
    assert desc.index("Shop 54") < desc.index("Shop 53")
    east = officer.get("/premises?ward=E05999902").get_data(as_text=True)
    assert "Zeta Nails" in east and "Shop 01" not in east
    filtered = officer.get("/premises?regime=special_treatment&licence_status=active").get_data(
        as_text=True
    )
    assert "Zeta Nails" in filtered and "Showing 1 to 1 of 1" in filtered
    unlicensed = officer.get("/premises?licence_status=unlicensed").get_data(as_text=True)
    assert "Shop 00" in unlicensed and "Zeta Nails" not in unlicensed
    empty = officer.get("/premises?q=nothing-matches-this")
    assert empty.status_code == 200 and "No premises match" in empty.get_data(as_text=True)
    bad = officer.get("/premises?premises_type=spaceport&sort=sideways")
    assert bad.status_code == 400 and "Unknown premises type" in bad.get_data(as_text=True)


def test_stale_edit_gets_a_conflict_page_that_keeps_the_edit(
    officer: FlaskClient, session: Session
) -> None:
    p = make_premises(session, name="Before", address_line1="1 Road")
    session.commit()
    form = officer.get(f"/premises/{p.id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form)
    assert version, form[:2000]
    first = post(
        officer,
        f"/premises/{p.id}/edit",
        {
            "version": version.group(1),
            "name": "First",
            "premises_type": "other",
            "address_line1": "1 Road",
        },
        page=f"/premises/{p.id}/edit",
    )
    assert first.status_code == 302
    second = post(
        officer,
        f"/premises/{p.id}/edit",
        {
            "version": version.group(1),
            "name": "Second",
            "premises_type": "other",
            "address_line1": "1 Road",
        },
        page=f"/premises/{p.id}/edit",
    )
    body = second.get_data(as_text=True)
    assert second.status_code == 409
    assert 'value="Second"' in body
    assert (
        "Someone else changed this premises while you were editing. Your changes have not been"
        " saved. Check their changes below, then submit again to replace them with yours."
    ) in body
    assert "make them again" not in body and "Submit again" not in body
    # Their change is on the page, field by field; what both left alone is not.
    assert "Name of premises is now saved as “First”." in body
    assert "Address line 1 is now saved" not in body
    session.expire_all()
    assert session.get(Premises, p.id).name == "First"  # type: ignore[union-attr]


@pytest.mark.parametrize("version", ["", "\n\n", "\u00b2", "1.0", "-1", "9" * 5_000, "2147483648"])
def test_an_edit_carrying_junk_for_its_version_is_a_bad_request_that_saves_nothing(
    officer: FlaskClient, session: Session, version: str
) -> None:
    p = make_premises(session, name="Before", address_line1="1 Road")
    session.commit()
    fields = {
        "version": version,
        "name": "After",
        "premises_type": "other",
        "address_line1": "1 Road",
    }
    answer = post(officer, f"/premises/{p.id}/edit", fields, page=f"/premises/{p.id}/edit")
    assert answer.status_code == 400
    session.expire_all()
    assert session.get(Premises, p.id).name == "Before"  # type: ignore[union-attr]


def test_over_long_field_is_refused_with_a_message(officer: FlaskClient, session: Session) -> None:
    resp = post(
        officer,
        "/premises/new",
        {
            "name": "N" * 201,
            "premises_type": "other",
            "address_line1": "1 Road",
        },
        page="/premises/new",
    )
    assert resp.status_code == 400 and "Name must be 200 characters or fewer" in resp.get_data(
        as_text=True
    )


def test_unknown_ids_are_404(officer: FlaskClient) -> None:
    assert officer.get("/premises/999999").status_code == 404
    assert officer.get("/licences/999999/edit").status_code == 404
    resp = post(officer, "/conditions/999999/withdraw", {})
    assert resp.status_code == 404 and "Page not found" in resp.get_data(as_text=True)


def test_add_licence_with_conditions_then_withdraw_one(
    officer: FlaskClient, session: Session
) -> None:
    p = make_premises(session, name="Glossy", premises_type=PremisesType.NAIL_BAR)
    session.commit()
    resp = post(
        officer,
        f"/premises/{p.id}/licences/new",
        {
            "regime": "special_treatment",
            "reference": "ST/2026/001",
            "holder_name": "Glossy Ltd",
            "status": "active",
            "starts_on": ["1", "4", "2026"],
            "expires_on": ["31", "3", "2027"],
            "conditions": "Doors must not lock from outside\n\nRegister of therapists kept",
        },
        page=f"/premises/{p.id}/licences/new",
    )
    assert resp.status_code == 302
    lic = session.scalars(select(Licence).where(Licence.reference == "ST/2026/001")).one()
    page = officer.get(f"/premises/{p.id}").get_data(as_text=True)
    assert "1 April 2026" in page and "31 March 2027" in page
    assert (
        "1. Doors must not lock from outside" in page and "2. Register of therapists kept" in page
    )
    assert "Trading unlicensed" not in page
    cond_id = re.search(r"/conditions/(\d+)/withdraw", page)
    assert cond_id
    assert post(officer, f"/conditions/{cond_id.group(1)}/withdraw", {}).status_code == 302
    page = officer.get(f"/premises/{p.id}").get_data(as_text=True)
    assert "Withdrawn" in page and "Reinstate" in page
    assert lic.id


def _refused_licence(
    officer: FlaskClient, session: Session, starts_on: list[str], expires_on: list[str]
) -> str:
    """Add a licence with these dates, which the form refuses: the page it redraws."""
    p = make_premises(session)
    session.commit()
    resp = post(
        officer,
        f"/premises/{p.id}/licences/new",
        {
            "regime": "premises_licence",
            "reference": "PL/1",
            "holder_name": "H",
            "status": "active",
            "starts_on": starts_on,
            "expires_on": expires_on,
        },
        page=f"/premises/{p.id}/licences/new",
    )
    assert resp.status_code == 400
    assert session.scalar(select(func.count()).select_from(Licence)) == 0
    return resp.get_data(as_text=True)


def test_bad_date_is_reported_and_dates_kept(officer: FlaskClient, session: Session) -> None:
    body = _refused_licence(officer, session, ["31", "2", "2026"], ["1", "1", "2025"])
    assert "Start date must be a real date, like 27 3 2025" in body
    assert 'value="31"' in body and 'value="2026"' in body  # what was typed is kept


@pytest.mark.parametrize(
    ("year", "says"),
    [
        ("01", "Expiry date must include a year with 4 numbers, like 2025"),
        ("227", "Expiry date must include a year with 4 numbers, like 2025"),
        ("0001", "Expiry date must be in 1900 or later: check the year"),
        ("1899", "Expiry date must be in 1900 or later: check the year"),
    ],
)
def test_a_year_that_can_only_be_a_slip_is_refused(
    officer: FlaskClient, session: Session, year: str, says: str
) -> None:
    """A two-digit year used to be read as it stands: 15 2 01 was 15 February in year 1, and a
    licence expiring then stopped every reminder mail (its lead fell before the first date a
    date can hold). Every date field takes a year of four numbers, 1900 or later."""
    body = _refused_licence(officer, session, ["1", "1", "2020"], ["15", "2", year])
    assert says in body and f'value="{year}"' in body


def test_expiry_before_start_is_refused(officer: FlaskClient, session: Session) -> None:
    p = make_premises(session)
    session.commit()
    resp = post(
        officer,
        f"/premises/{p.id}/licences/new",
        {
            "regime": "premises_licence",
            "reference": "PL/2",
            "holder_name": "H",
            "status": "active",
            "starts_on": ["1", "2", "2026"],
            "expires_on": ["1", "1", "2025"],
        },
        page=f"/premises/{p.id}/licences/new",
    )
    assert resp.status_code == 400
    assert "The expiry date must be on or after the start date" in resp.get_data(as_text=True)


def test_roles_without_edit_rights_get_403(session: Session, client: FlaskClient) -> None:
    make_wards(session)
    make_user(session, "ward_officer", email="wo@example.gov.uk")
    make_user(session, "partner", email="pa@example.gov.uk")
    p = make_premises(session, longitude=IN_WEST[0], latitude=IN_WEST[1])
    session.commit()
    sign_in(client, "wo@example.gov.uk")
    assert client.get(f"/premises/{p.id}").status_code == 200
    assert client.get("/premises/new").status_code == 403
    assert client.get(f"/premises/{p.id}/edit").status_code == 403
    post(client, "/sign-out", {})
    sign_in(client, "pa@example.gov.uk")
    assert client.get("/premises").status_code == 403
    assert client.get(f"/premises/{p.id}").status_code == 403


def test_list_and_detail_pages_run_a_bounded_number_of_queries(
    officer: FlaskClient, session: Session, count_queries: object
) -> None:
    def queries_for(path: str) -> int:
        before = count_queries.count  # type: ignore[attr-defined]
        assert officer.get(path).status_code == 200
        return count_queries.count - before  # type: ignore[attr-defined,no-any-return]

    for i in range(5):
        p = make_premises(session, name=f"Few {i}", premises_type=PremisesType.PUB_BAR)
        make_licence(session, p.id)
    session.commit()
    few = queries_for("/premises?q=few&premises_type=pub_bar&licence_status=active")
    for i in range(45):
        p = make_premises(session, name=f"Few more {i}", premises_type=PremisesType.PUB_BAR)
        make_licence(session, p.id)
        make_licence(session, p.id, status="expired")
    session.commit()
    many = queries_for("/premises?q=few&premises_type=pub_bar&licence_status=active")
    assert many == few <= 10  # the same handful of queries for 5 rows or 50: no N+1
    one_licence = make_premises(session, name="One licence", premises_type=PremisesType.PUB_BAR)
    make_licence(session, one_licence.id, conditions=("a",))
    three_licences = make_premises(
        session, name="Three licences", premises_type=PremisesType.PUB_BAR
    )
    for status in ("active", "expired", "revoked"):
        make_licence(session, three_licences.id, status=status, conditions=("a", "b", "c"))
    session.commit()
    small = queries_for(f"/premises/{one_licence.id}")
    large = queries_for(f"/premises/{three_licences.id}")
    # The premises page's statements do not grow with its licences and conditions (no N+1):
    # 1 for the signed-in user, 3 for the premises, 2 for its timeline, 2 for the navigation
    # and the flags panel (was 19, then 12).
    assert small == large <= 10


def test_timeline_shows_changes_by_name(officer: FlaskClient, session: Session) -> None:
    resp = post(
        officer,
        "/premises/new",
        {
            "name": "Timeline Cafe",
            "premises_type": "restaurant_takeaway",
            "address_line1": "5 Road",
        },
        page="/premises/new",
    )
    page = officer.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Added premises Timeline Cafe" in page and "by Test User" in page


def test_a_search_matching_more_than_the_cap_says_more_than_and_its_pages_stop_there(
    app: Flask, officer: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The list counts its matches only up to COUNT_CAP (1,000): here 4, with 2 a page.
    monkeypatch.setattr(register_premises, "COUNT_CAP", 4)
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], page_size=2)
    for i in range(7):
        kind = PremisesType.PUB_BAR if i < 4 else PremisesType.NAIL_BAR
        make_licence(session, make_premises(session, name=f"Capped {i}", premises_type=kind).id)
    session.commit()

    def count_line(page: str) -> str:
        found = re.search(r'id="result-count"[^>]*>(.*?)</p>', page, re.S)
        assert found is not None
        return " ".join(found.group(1).split())

    def names(page: str) -> list[str]:
        return re.findall(r'class="govuk-link" href="/premises/\d+">([^<]+)</a>', page)

    first = officer.get("/premises?q=capped").get_data(as_text=True)
    assert count_line(first) == (
        "Showing 1 to 2 of more than 4 premises: search for more words or choose filters "
        "to narrow it down"
    )
    assert names(first) == ["Capped 0", "Capped 1"]
    assert "page=2" in first and "page=3" not in first  # two pages: the first 4 matches

    second = officer.get("/premises?q=capped&page=2").get_data(as_text=True)
    assert count_line(second) == (
        "Showing 3 to 4 of more than 4 premises: search for more words or choose filters "
        "to narrow it down"
    )
    assert names(second) == ["Capped 2", "Capped 3"]
    assert "page=3" not in second  # no next page past the cap

    resp = officer.get("/premises?q=capped&page=3")
    past = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Only the first 4 premises are listed" in past
    assert "No premises match" not in past and names(past) == []
    assert 'href="/premises?q=capped&amp;page=1"' in past  # back to the first page

    # At the cap exactly, the count is exact and nothing says "more than".
    exact = officer.get("/premises?q=capped&premises_type=pub_bar").get_data(as_text=True)
    assert count_line(exact) == "Showing 1 to 2 of 4 premises"
    # A page past the end of a list under the cap says so, and how many match.
    beyond = officer.get("/premises?q=capped&premises_type=pub_bar&page=3").get_data(as_text=True)
    assert "This page is past the last one" in beyond and "4 premises match, on 2 pages" in beyond
    assert "No premises match" not in beyond and "Only the first" not in beyond
