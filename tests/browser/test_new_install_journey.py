"""A council's first day, before its wards are imported: the maps still work, in real Chromium.

Leaflet draws nothing on a map that has no view, and the maps took their view from the wards;
with none, the premises map failed with a script error ("Set map center and zoom first") and the
location picker was a grey box that could not be clicked. The server here serves the demo data
with its wards taken out, as a new install that imported its register first would be.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from browser.conftest import LiveServer, serve
from browser.pages import sign_in
from browser.test_map_journey import OFFICER, watch_for_failures

pytestmark = pytest.mark.browser


#: A name as someone might type or a file might hold it: it must be shown as it is, as text.
MARKUP_NAME = "<b>Nails</b> & <i>Beauty</i> <3"


@pytest.fixture(scope="module")
def server_without_wards(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("no-wards")
    for server in serve(folder):
        with sqlite3.connect(folder / "browser.db") as db:
            db.execute("DELETE FROM premises_wards")
            db.execute("DELETE FROM wards")
            db.execute(  # renamed behind the app's back: its search words are set to match
                "UPDATE premises SET name = ?, search_text = 'zzmarkup ' || search_text"
                " WHERE id = (SELECT min(id) FROM premises WHERE latitude IS NOT NULL)",
                (MARKUP_NAME,),
            )
        db.close()
        yield server


@pytest.fixture
def problems(page: Page, server_without_wards: LiveServer) -> list[str]:
    """The licensing officer signed in; the page's failed requests and script errors as they
    happen (none expected)."""
    found = watch_for_failures(page, server_without_wards)
    sign_in(page, server_without_wards, OFFICER)
    return found


def test_the_premises_map_draws_the_premises_when_there_are_no_wards(
    page: Page, server_without_wards: LiveServer, problems: list[str], check_accessibility: Any
) -> None:
    page.goto(server_without_wards("/map"))
    expect(page.locator("#no-wards")).to_contain_text("No ward boundaries have been imported yet")
    the_map = page.locator('[data-app-map="premises"]')
    expect(the_map).to_have_attribute("data-loaded", re.compile(r"^[1-9]\d*$"))
    assert the_map.get_attribute("data-failed") is None
    assert page.locator(".leaflet-overlay-pane path:not(.app-map-point)").count() == 0
    shown = int(the_map.get_attribute("data-loaded") or "0")
    expect(page.locator("path.app-map-point")).to_have_count(shown)
    expect(page.get_by_role("status")).to_contain_text("premises on the map")
    check_accessibility(page, "map without wards")

    # Nothing to draw at all: an empty map of Great Britain, and still no error.
    page.goto(server_without_wards("/map?q=no-such-premises-anywhere"))
    expect(the_map).to_have_attribute("data-loaded", "0")
    assert the_map.get_attribute("data-failed") is None
    expect(page.get_by_role("status")).to_have_text("0 premises on the map.")
    assert problems == []


def test_the_premises_form_offers_no_map_to_click_until_there_are_wards(
    page: Page, server_without_wards: LiveServer, problems: list[str], check_accessibility: Any
) -> None:
    page.goto(server_without_wards("/premises/new"))
    expect(page.locator("#no-wards")).to_contain_text("There is no map to click on yet")
    expect(page.locator('[data-app-map="picker"]')).to_have_count(0)
    expect(page.get_by_text("or click on the map")).to_have_count(0)
    expect(page.get_by_label("Latitude (optional)")).to_be_visible()
    check_accessibility(page, "premises form without wards")
    assert problems == []


def test_a_name_that_looks_like_markup_is_shown_as_typed_on_the_map(
    page: Page, server_without_wards: LiveServer, problems: list[str]
) -> None:
    """Leaflet takes a tooltip's string as HTML: "<b>Nails</b>" was drawn in bold, its markup
    gone (and a tag the page's CSP did not stop would have been live)."""
    page.goto(server_without_wards("/map?q=zzmarkup"))
    the_map = page.locator('[data-app-map="premises"]')
    expect(the_map).to_have_attribute("data-loaded", "1")
    page.locator("path.app-map-point").hover(force=True)
    tooltip = page.locator(".leaflet-tooltip")
    expect(tooltip).to_have_text(MARKUP_NAME)
    assert tooltip.locator("b, i").count() == 0
    assert problems == []
