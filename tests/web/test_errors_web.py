"""Failures get clear pages and correct statuses: database down, unexpected errors, security headers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from builders import TEST_SECRET_FOR_APPS, csrf_token
from conftest import PostgresDatabase, upgrade
from flask import Flask

from app import create_app
from config import Settings
from enforcement.db import make_engine


def _down_app() -> Flask:
    # Port 1 on the loopback: nothing listens there, so every connection is refused at once.
    return create_app(
        Settings(
            database_url="postgresql+psycopg://postgres@127.0.0.1:1/nowhere?connect_timeout=2",
            secret_key=TEST_SECRET_FOR_APPS,
            testing=True,
        )
    )


def test_database_down_gives_503_and_a_clear_message() -> None:
    client = _down_app().test_client()
    token = csrf_token(client)
    resp = client.post(
        "/sign-in",
        data={"email": "a@example.gov.uk", "password": "whatever-it-is", "csrf_token": token},
    )
    assert resp.status_code == 503
    body = resp.get_data(as_text=True)
    assert "The database cannot be reached just now. Nothing was saved." in body
    health = client.get("/health")
    assert health.status_code == 503 and health.get_json() == {"status": "database unavailable"}


def test_unexpected_error_is_500_without_details() -> None:
    app = _down_app()

    @app.route("/boom")
    def boom() -> str:
        raise RuntimeError("secret internals")

    from app import PUBLIC_ENDPOINTS  # the route is not public: sign-in redirect comes first

    client = app.test_client()
    assert "boom" not in PUBLIC_ENDPOINTS
    assert client.get("/boom").status_code == 302
    app.view_functions["home.health"] = boom  # a public endpoint that fails
    resp = client.get("/health")
    assert resp.status_code == 500
    assert "secret internals" not in resp.get_data(as_text=True)
    assert "Sorry, there is a problem with the service" in resp.get_data(as_text=True)


def test_security_headers_and_no_govuk_crown() -> None:
    client = _down_app().test_client()
    resp = client.get("/sign-in")
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["Cache-Control"] == "no-store"
    body = resp.get_data(as_text=True)
    assert "govuk-crest" not in body and "Crown copyright" not in body and "govuk-logo" not in body


def test_vendor_assets_are_served_from_installed_packages() -> None:
    client = _down_app().test_client()
    js = client.get("/vendor/govuk/govuk-frontend.min.js")
    assert js.status_code == 200 and b"initAll" in js.data
    assert client.get("/vendor/moj/moj-frontend.min.js").status_code == 200
    assert client.get("/vendor/govuk/../../package.json").status_code == 404
    assert client.get("/vendor/nothing/x.js").status_code == 404
    css = client.get("/static/dist/app.css")
    assert css.status_code == 200 and b"GDS Transport" not in css.data


@pytest.fixture(params=["sqlite", "postgresql"])
def unmigrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database nobody ran the migrations on."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'new.db'}"
        return
    pg = PostgresDatabase("tracker_unmigrated")
    try:
        yield pg.url
    finally:
        pg.drop()


def test_a_database_nobody_migrated_is_503_and_the_health_check_says_so(
    unmigrated_url: str,
) -> None:
    app = create_app(
        Settings(database_url=unmigrated_url, secret_key=TEST_SECRET_FOR_APPS, testing=True)
    )
    client = app.test_client()
    health = client.get("/health")  # a load balancer keeps away from this server
    assert health.status_code == 503
    assert health.get_json() == {"status": "database schema out of date"}
    resp = client.post(  # PostgreSQL says "relation does not exist": no 500 either way
        "/sign-in",
        data={
            "email": "a@example.gov.uk",
            "password": "whatever-it-is",
            "csrf_token": csrf_token(client),
        },
    )
    assert resp.status_code == 503
    assert "Nothing was saved" in resp.get_data(as_text=True)

    engine = make_engine(unmigrated_url)
    upgrade(engine)
    engine.dispose()
    health = client.get("/health")
    assert health.status_code == 200 and health.get_json() == {"status": "ok"}
