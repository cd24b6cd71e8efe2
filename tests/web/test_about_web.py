"""The accessibility statement, privacy and cookies pages: open to all, linked from every page,
and true to what the service does (the cookie they name is the one it sets, and the public
register sets none)."""

from __future__ import annotations

import re
from html import escape

import pytest
from builders import make_user, sign_in
from conftest import savepoint_session
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from app import create_app
from config import Settings

PAGES = {
    "/accessibility": "Accessibility statement for",
    "/privacy": "How this service uses personal information",
    "/cookies": "Cookies and what the service stores on your device",
}
FOOTER = re.compile(
    r'href="/accessibility">Accessibility statement</a>.*href="/privacy">Privacy</a>'
    r'.*href="/cookies">Cookies</a>',
    re.DOTALL,
)


@pytest.mark.parametrize("path", sorted(PAGES))
def test_each_page_is_open_to_anyone_and_to_people_signed_in(
    client: FlaskClient, session: Session, path: str
) -> None:
    signed_out = client.get(path)
    assert signed_out.status_code == 200
    assert PAGES[path] in signed_out.get_data(as_text=True)
    make_user(session, "ward_officer", email="ward@example.gov.uk")
    session.commit()
    sign_in(client, "ward@example.gov.uk")
    page = client.get(path).get_data(as_text=True)
    assert PAGES[path] in page and 'aria-label="Menu"' in page  # the signed-in navigation


def test_every_page_links_to_them_in_its_footer(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    assert FOOTER.search(client.get("/sign-in").get_data(as_text=True))
    make_user(session, "licensing_officer", email="officer@example.gov.uk")
    session.commit()
    sign_in(client, "officer@example.gov.uk")
    for path in ("/", "/premises", "/tasks"):
        assert FOOTER.search(client.get(path).get_data(as_text=True)), path
    app.config["SETTINGS"] = app.config["SETTINGS"].with_overrides(public_register=True)
    assert FOOTER.search(app.test_client().get("/register").get_data(as_text=True))


def test_the_contact_is_the_configured_address_or_else_the_councils_team(
    client: FlaskClient, settings: Settings, connection: Connection
) -> None:
    team = escape(f"{settings.council_name}'s licensing team", quote=False)
    for path in ("/accessibility", "/privacy"):
        assert team in client.get(path).get_data(as_text=True), path
    with_contact = create_app(
        settings.with_overrides(contact_email="licensing@council.example"),
        session_maker=lambda _for_write: savepoint_session(connection),
    ).test_client()
    for path in ("/accessibility", "/privacy"):
        page = with_contact.get(path).get_data(as_text=True)
        assert 'href="mailto:licensing@council.example"' in page and team not in page, path


def test_the_cookies_page_names_the_cookie_the_service_sets_and_the_register_sets_none(
    app: Flask,
) -> None:
    visitor = app.test_client()
    set_cookie = visitor.get("/sign-in").headers.get_all("Set-Cookie")
    names = {header.split("=", 1)[0] for header in set_cookie}
    assert len(names) == 1
    page = visitor.get("/cookies").get_data(as_text=True)
    [name] = names
    assert f'<td class="govuk-table__cell">{name}</td>' in page
    assert page.count('<tr class="govuk-table__row">') == 2  # the header and the one cookie

    app.config["SETTINGS"] = app.config["SETTINGS"].with_overrides(public_register=True)
    stranger = app.test_client()
    for path in ("/register", "/register?q=crown", "/accessibility", "/cookies"):
        assert stranger.get(path).headers.get_all("Set-Cookie") == [], path
