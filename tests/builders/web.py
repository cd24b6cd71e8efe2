"""The Flask test client as a browser would use it: CSRF tokens, signing in, posting forms."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from builders.people import PASSWORD

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TEST_SECRET_FOR_APPS = "a-test-secret-key-of-more-than-thirty-two-characters"


def csrf_token(client: FlaskClient, path: str = "/sign-in") -> str:
    page = client.get(path).get_data(as_text=True)
    found = CSRF_RE.search(page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    token = csrf_token(client)
    return client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token})


def post(client: FlaskClient, path: str, data: dict[str, Any], *, page: str = "/") -> Any:
    """Post a form as a browser would, with the CSRF token from a page of the signed-in session."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page)})
