"""The Flask test client as a browser would use it: CSRF tokens, signing in, posting forms."""

from __future__ import annotations

import re
from typing import Any

from flask.ctx import RequestContext
from flask.testing import FlaskClient
from flask_wtf.csrf import generate_csrf
from werkzeug.test import EnvironBuilder

from builders.people import PASSWORD

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TEST_SECRET_FOR_APPS = "a-test-secret-key-of-more-than-thirty-two-characters"


def csrf_token(client: FlaskClient, path: str = "/sign-in") -> str:
    """The CSRF token the page at `path` carries in its forms (the page is drawn to read it)."""
    page = client.get(path).get_data(as_text=True)
    found = CSRF_RE.search(page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def session_csrf_token(client: FlaskClient) -> str:
    """The CSRF token every form of the client's session carries, made by Flask-WTF as a page
    would make it (the secret kept in the session's cookie), without drawing a page.

    Posting through the test client is most of a short web test's time, and drawing a page for
    its token was a third of that."""
    app = client.application
    # The client's own session, saved back to its cookie after.
    with (
        client.session_transaction() as kept,
        RequestContext(app, EnvironBuilder("/").get_environ(), session=kept),
    ):
        return str(generate_csrf())


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    token = session_csrf_token(client)
    return client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token})


def post(client: FlaskClient, path: str, data: dict[str, Any], *, page: str | None = None) -> Any:
    """Post a form as a browser would, with the CSRF token of the signed-in session (read from
    the page at `page` when one is named)."""
    token = session_csrf_token(client) if page is None else csrf_token(client, page)
    return client.post(path, data={**data, "csrf_token": token})
