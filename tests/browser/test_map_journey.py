"""The map in real headless Chromium: its layers load, a click opens a premises, axe passes.

Leaflet and the map script are served from the app's own files under the real Content-Security-
Policy; there are no tiles, so every request the page makes must answer from the app itself.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from browser.conftest import axe_url
from browser.pages import show_filters, sign_in

pytestmark = pytest.mark.browser

OFFICER = ("licensing@demo.invalid", "licensing-demo-2026")  # enforcement/demo.py DEMO_USERS
WARD_OFFICER = ("ward@demo.invalid", "wardofficer-demo-2026")


def watch_for_failures(page: Page, live_server: Any) -> list[str]:
    """Collect failed requests, requests to anywhere but the app (bar the tests' own axe-core),
    and script errors."""
    problems: list[str] = []
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    page.on(
        "request",
        lambda r: (
            problems.append(f"external request {r.url}")
            if not r.url.startswith((live_server.url, "data:", axe_url()))
            else None
        ),
    )
    page.on("pageerror", lambda exc: problems.append(f"script error on {page.url}: {exc}"))
    page.on(
        "console",
        lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
    )
    return problems


def test_map_loads_its_layers_and_a_click_opens_a_premises(
    page: Page, live_server: Any, check_accessibility: Any
) -> None:
    problems = watch_for_failures(page, live_server)
    sign_in(page, live_server, OFFICER)

    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Map").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Map of premises")
    the_map = page.locator('[data-app-map="premises"]')
    expect(the_map).to_have_attribute("data-loaded", re.compile(r"^\d+$"))
    shown = int(the_map.get_attribute("data-loaded") or "0")
    assert shown > 0
    # The base layer is the ward polygons; no tile images are asked for.
    wards = page.locator(".leaflet-overlay-pane path:not(.app-map-point)")
    assert wards.count() >= 12
    assert page.locator(".leaflet-tile").count() == 0
    points = page.locator("path.app-map-point")
    expect(points).to_have_count(shown)
    # The whole borough is in view (every ward's outline lies inside the map), and the count
    # said is the count of points in view (premises without a location are counted apart).
    count_in_view = """(map) => {
            const box = map.getBoundingClientRect();
            const inside = (r) => r.left >= box.left - 1 && r.right <= box.right + 1
                && r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
            const centred = (r) => {
                const x = (r.left + r.right) / 2, y = (r.top + r.bottom) / 2;
                return x >= box.left && x <= box.right && y >= box.top && y <= box.bottom;
            };
            const outlines = [...map.querySelectorAll(".leaflet-overlay-pane path:not(.app-map-point)")];
            const points = [...map.querySelectorAll("path.app-map-point")];
            return [
                outlines.every((o) => inside(o.getBoundingClientRect())),
                // Leaflet leaves a point far out of view as an empty path: not drawn.
                points.map((p) => p.getBoundingClientRect())
                    .filter((r) => r.width > 0 && centred(r)).length,
                map.dataset.inView,
            ];
        }"""
    for _ in range(20):  # the count follows the view once it has settled
        wards_inside, in_view, said = page.evaluate(count_in_view, the_map.element_handle())
        if said == str(in_view):
            break
        page.wait_for_timeout(250)
    assert wards_inside
    assert said == str(in_view)
    expect(page.get_by_role("status")).to_contain_text(
        re.compile(rf"^{in_view:,} premises? on the map")
    )
    expect(page.locator('[data-legend-count="active"]')).to_have_text(re.compile(r"^\(\d[\d,]*\)$"))
    check_accessibility(page, "map")

    # Filtered to a ward and coloured by poster compliance: fewer points, a new legend.
    show_filters(page)
    ward = page.get_by_label("Ward", exact=True)
    first_ward = ward.locator("option").nth(1).inner_text()
    ward.select_option(label=first_ward)
    page.get_by_label("Colour the points by").select_option(
        label="Poster compliance at the latest check"
    )
    page.get_by_role("button", name="Show on the map").click()
    expect(the_map).to_have_attribute("data-loaded", re.compile(r"^\d+$"))
    in_ward = int(the_map.get_attribute("data-loaded") or "0")
    assert 0 < in_ward < shown
    expect(
        page.get_by_role("heading", name="Poster compliance at the latest check")
    ).to_be_visible()
    expect(page.get_by_role("link", name=f"Remove this filter: Ward {first_ward}")).to_be_visible()

    # A click on a point opens its popup; the popup's link opens the premises.
    point = page.locator("path.app-map-point").first
    point.scroll_into_view_if_needed()
    point.click(force=True)
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_be_visible()
    link = popup.get_by_role("link")
    name = link.inner_text().strip()
    assert name
    expect(popup).to_contain_text(first_ward)
    check_accessibility(page, "map with a popup open")
    link.click()
    expect(page).to_have_url(re.compile(r"/premises/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(name)

    # From the premises, the nearby list and its map.
    page.get_by_role("link", name=re.compile(r"^Premises nearby")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Premises near {name}")
    nearby_map = page.locator('[data-app-map="nearby"]')
    expect(nearby_map).to_have_attribute("data-loaded", re.compile(r"^\d+$"))
    check_accessibility(page, "premises nearby")

    assert not problems, "\n".join(problems)


def test_ward_officers_map_opens_on_their_wards(
    page: Page, live_server: Any, check_accessibility: Any
) -> None:
    problems = watch_for_failures(page, live_server)
    sign_in(page, live_server, WARD_OFFICER)
    page.goto(live_server("/map"))
    the_map = page.locator('[data-app-map="premises"]')
    expect(the_map).to_have_attribute("data-loaded", re.compile(r"^\d+$"))
    focus = (the_map.get_attribute("data-focus-wards") or "").split(",")
    assert focus and all(focus), "the demo ward officer covers some wards"
    # Their wards are drawn with a heavier outline, and the view fits them, not the borough.
    heavy = page.locator('.leaflet-overlay-pane path[stroke-width="3"]')
    expect(heavy).to_have_count(len(focus))
    box = the_map.bounding_box()
    assert box is not None
    for i in range(heavy.count()):
        ward_box = heavy.nth(i).bounding_box()
        assert ward_box is not None
        assert ward_box["height"] <= box["height"] + 2 and ward_box["width"] <= box["width"] + 2
    # No poster colouring for a role that may not see compliance.
    options = page.get_by_label("Colour the points by").locator("option").all_inner_texts()
    assert "Poster compliance at the latest check" not in options
    check_accessibility(page, "ward officer's map")
    assert not problems, "\n".join(problems)
