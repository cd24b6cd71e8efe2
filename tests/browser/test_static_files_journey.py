"""A browser keeps the app's own files: after the first page, the next pages ask the server for
themselves only, not even for the scripts a script imports (the page's import map gives their
versioned addresses; docs/operations.md, "Static files")."""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from browser.pages import nav, sign_in

pytestmark = pytest.mark.browser

OFFICER = ("licensing@demo.invalid", "licensing-demo-2026")  # enforcement/demo.py DEMO_USERS
# A request line of the server's log: `"GET /static/app.js?v=... HTTP/1.1" 200`, the request
# itself coloured by the development server when the answer is not a 200.
COLOUR = r"(?:\x1b\[[\d;]*m)?"
REQUEST = re.compile(rf'"{COLOUR}GET (\S+) HTTP/[\d.]+{COLOUR}" (\d{{3}})')


def _requests_after(log: str, marker: str) -> list[tuple[str, str]]:
    return REQUEST.findall(log.split(marker, 1)[1])


def test_the_next_pages_fetch_no_file_the_browser_already_holds(
    page: Page, live_server: Any
) -> None:
    assert live_server.log is not None
    sign_in(page, live_server, OFFICER)
    # A first page in this browser fetches every file; the pages after it fetch none again.
    marker = f"/health?mark={secrets.token_hex(4)}"
    page.request.get(live_server(marker))
    nav(page).get_by_role("link", name="Premises").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Premises")
    page.wait_for_load_state("load")
    page.go_back()
    page.wait_for_load_state("load")
    page.reload()
    page.wait_for_load_state("load")
    end = f"/health?mark={secrets.token_hex(4)}"
    page.request.get(live_server(end))

    log = live_server.log.read_text(errors="replace")
    asked = _requests_after(log.split(end, 1)[0], marker)
    files = [(path, status) for path, status in asked if path.startswith(("/static/", "/vendor/"))]
    pages = [path for path, _ in asked if not path.startswith(("/static/", "/vendor/", "/health"))]
    assert pages == ["/premises", "/", "/"], asked
    # No file is asked for again, not even checked (304).
    assert files == [], files
