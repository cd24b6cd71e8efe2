"""The page frame every role sees: the header's account links, the service navigation, the
site's icon, back links in a landmark; and the inspection form's one size of radios."""

from __future__ import annotations

import re

import pytest
from builders import make_licence, make_premises, make_user, make_wards, sign_in
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.templating import id_url_prefix
from enforcement.vocab import PremisesType


def _as(session: Session, client: FlaskClient, role: str) -> FlaskClient:
    make_wards(session)
    make_user(session, role, email=f"{role}@example.gov.uk")
    session.commit()
    sign_in(client, f"{role}@example.gov.uk")
    return client


def _between(page: str, start: str, end: str) -> str:
    first = page.index(start)
    return page[first : page.index(end, first)]


def test_the_account_s_links_sit_in_the_header_apart_from_the_menu(
    session: Session, client: FlaskClient
) -> None:
    page = _as(session, client, "supervisor").get("/").get_data(as_text=True)
    header = _between(page, '<header class="app-header"', "</header>")
    assert 'aria-label="Your account"' in header and ">Sign out</button>" in header
    menu = _between(page, '<nav aria-label="Menu"', "</nav>")
    assert "Sign out" not in menu
    labels = re.findall(
        r'class="govuk-service-navigation__link" href="[^"]*"[^>]*>\s*(?:<strong[^>]*>)?([^<]+)',
        menu,
    )
    # Short labels, in one line at desktop width (the page headings say them in full).
    assert labels[:5] == ["Tasks", "Premises", "Map", "Cases", "Referrals"]
    assert "Posters" in labels and "Training" in labels
    assert "Home" not in labels and "Committee referrals" not in labels
    # The service's name leads home, and the menu folds behind its button below desktop width.
    assert re.search(r'<a href="/" class="govuk-service-navigation__link">', page)
    assert 'class="govuk-service-navigation__toggle app-js-navigation-toggle"' in menu


def test_the_site_s_icon_is_served_to_anyone(client: FlaskClient) -> None:
    resp = client.get("/favicon.ico")
    assert resp.status_code == 200 and resp.mimetype == "image/svg+xml"
    assert resp.get_data(as_text=True).startswith("<svg")


def test_a_back_link_sits_in_a_navigation_landmark(session: Session, client: FlaskClient) -> None:
    officer = _as(session, client, "licensing_officer")
    p = make_premises(session, name="Gloss Nails", premises_type=PremisesType.NAIL_BAR)
    session.commit()
    page = officer.get(f"/premises/{p.id}/inspections/new").get_data(as_text=True)
    back = _between(page, '<nav class="app-no-print" aria-label="Back">', "</nav>")
    assert "govuk-back-link" in back
    # It comes before <main>, outside it: the landmark is what keeps it inside one.
    assert page.index('aria-label="Back"') < page.index("<main")


def test_every_radio_and_checkbox_on_the_inspection_form_is_the_small_size(
    session: Session, client: FlaskClient
) -> None:
    officer = _as(session, client, "licensing_officer")
    make_user(session, "licensing_officer", email="colleague@example.gov.uk")
    p = make_premises(
        session,
        name="Gloss Nails",
        premises_type=PremisesType.NAIL_BAR,
        language_codes=frozenset({"en", "vi"}),
    )
    make_licence(session, p.id, regime="special_treatment", conditions=("Register kept",))
    session.commit()
    page = officer.get(f"/premises/{p.id}/inspections/new").get_data(as_text=True)
    groups = re.findall(r'class="(govuk-(?:radios|checkboxes)(?: [^"]*)?)"', page)
    assert len(groups) >= 6, groups
    for classes in groups:
        kind = classes.split()[0]
        assert f"{kind}--small" in classes.split(), classes


def test_a_row_link_is_the_record_address_up_to_its_id_then_the_id(app: Flask) -> None:
    # List rows link as id_url_prefix + id: the same address url_for builds for that record.
    with app.test_request_context("/premises"):
        prefix = id_url_prefix("premises.detail", "premises_id")
        assert prefix + "12345" == url_for("premises.detail", premises_id=12345)
        with pytest.raises(ValueError, match="does not end its address"):
            id_url_prefix("premises.index", "page")  # a query parameter, not the address's end
