"""Every role's main pages at desktop (1280 px) and tablet (768 px) width, and at 320 px.

For each role: sign in, then at each width visit the home page and every page the service
navigation offers and run axe-core on each with every impact counted (with
BROWSER_TEST_SCREENSHOTS set to a folder, the check keeps a full-page screenshot of each, to look
at; they cost time, so not by default). The navigation keeps to one line at
1280 px and folds behind its Menu button at 768 px; the register's filters fold away so its
table takes the page's width; no page is wider than the window (a wide table scrolls in a region
of its own). At 320 px, the width of a 1280 px window zoomed to 400% (WCAG 2.2's reflow
criterion), those pages and one page of each kind their main content links to must not scroll
sideways either, nor once WCAG's text spacing is applied, and the first of them has no axe-core
finding there either (the header wraps at that width). One browser, one server and one page
per role; the width changes inside the test.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from browser.pages import account, assert_no_sideways_scroll, nav, sign_in, sign_out

pytestmark = pytest.mark.browser

WIDTHS = (1280, 768)
# WCAG 2.2's reflow width: content readable without scrolling sideways (bar a table, which
# scrolls in its own region) in a 1280 px window zoomed to 400%.
REFLOW_WIDTH = 320
HEIGHT = 900
# WCAG 2.2's text spacing (1.4.12): what a reader's own style sheet may set, all at once.
TEXT_SPACING = (
    "* { line-height: 1.5 !important; letter-spacing: 0.12em !important;"
    " word-spacing: 0.16em !important; } p { margin-bottom: 2em !important; }"
)
# Links that lead to a file rather than a page.
FILE_LINK = re.compile(r"\.(csv|json|geojson|pdf|png|jpe?g)(\?|$)|/evidence/|/static/|download")
ROLES = {
    "licensing_officer": ("licensing@demo.invalid", "licensing-demo-2026"),
    "ward_officer": ("ward@demo.invalid", "wardofficer-demo-2026"),
    "intel_analyst": ("analyst@demo.invalid", "analyst-demo-2026"),
    "committee_clerk": ("clerk@demo.invalid", "clerk-demo-2026"),
    "supervisor": ("supervisor@demo.invalid", "supervisor-demo-2026"),
    "partner": ("partner@demo.invalid", "partner-demo-2026"),
    "admin": ("admin@demo.invalid", "admin-demo-2026!"),
}
# The service navigation's section: its name on one row, its links (or Menu) on one more.
MAX_NAV_HEIGHT = 130


def _menu_links(page: Page) -> list[tuple[str, str]]:
    """(label, path) of each link in the service navigation, read at desktop width."""
    links = nav(page).locator("a.govuk-service-navigation__link")
    out = []
    for link in links.all():
        label = re.sub(r"\s+", " ", link.inner_text()).strip()
        out.append((label, link.get_attribute("href") or ""))
    return out


def _kind(path: str) -> str:
    """A page's kind: its path with every number replaced, its query left out."""
    return re.sub(r"\d+", "N", path.split("?")[0].split("#")[0])


def _linked_pages(page: Page) -> list[str]:
    """The paths of the service's own pages the page's main content links to."""
    hrefs = page.locator("main a[href^='/']").evaluate_all(
        "(links) => links.map((a) => a.getAttribute('href'))"
    )
    return [h for h in hrefs if not FILE_LINK.search(h)]


def _check_reflow(
    page: Page, live_server: Any, role: str, paths: list[str], check_accessibility: Any
) -> int:
    """No page of `paths` (one of each kind) scrolls sideways at the reflow width, with its own
    text spacing or with WCAG's wider spacing; how many pages were checked. The first is also
    checked with axe-core there: the header wraps at this width, and its targets must stay
    24 px apart (WCAG 2.2's target size)."""
    page.set_viewport_size({"width": REFLOW_WIDTH, "height": HEIGHT})
    kinds: set[str] = set()
    for path in paths:
        kind = _kind(path)
        if kind in kinds:
            continue
        kinds.add(kind)
        try:
            page.goto(live_server(path))
        except PlaywrightError as exc:  # a link the pattern missed that starts a download
            if "Download is starting" in exc.message:
                continue
            raise
        assert_no_sideways_scroll(page, f"{role} {path}")
        if len(kinds) == 1:
            check_accessibility(page, f"{role} {REFLOW_WIDTH} {path}")
        page.add_style_tag(content=TEXT_SPACING)
        assert_no_sideways_scroll(page, f"{role} {path} (with WCAG's text spacing)")
    return len(kinds)


def _item_tops(page: Page) -> list[float]:
    return page.locator("#navigation > li").evaluate_all(
        "(items) => items.map((item) => item.getBoundingClientRect().top)"
    )


def _check_navigation(page: Page, width: int, role: str) -> None:
    section = page.get_by_role("region", name="Service information")
    height = (section.bounding_box() or {"height": 0})["height"]
    assert height <= MAX_NAV_HEIGHT, f"{role} at {width} px: navigation {height:.0f} px tall"
    # The account's links sit in the header, apart from the menu.
    expect(account(page).get_by_role("button", name="Sign out")).to_be_visible()
    expect(nav(page).get_by_role("button", name="Sign out")).to_have_count(0)
    toggle = nav(page).get_by_role("button", name="Menu")
    if width >= 1280:
        expect(toggle).to_be_hidden()
        tops = _item_tops(page)
        assert len({round(t) for t in tops}) == 1, f"{role}: the menu wraps at {width} px: {tops}"
        return
    # Tablet: folded behind Menu; opened, one link under another; closed again.
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#navigation")).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#navigation")).to_be_visible()
    tops = _item_tops(page)
    assert tops == sorted(tops) and len(set(tops)) == len(tops), tops
    toggle.click()
    expect(page.locator("#navigation")).to_be_hidden()


def _check_register(page: Page, width: int) -> None:
    """The filters fold away behind MOJ's toggle; the table takes the main column's width."""
    toggle = page.get_by_role("button", name=re.compile(r"^Show filters"))
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("heading", name="Filter", exact=True)).to_be_hidden()
    table = page.locator("#premises-table")
    main = page.locator("main")
    table_width = (table.bounding_box() or {"width": 0})["width"]
    main_width = (main.bounding_box() or {"width": 1})["width"]
    assert table_width >= 0.95 * main_width, (width, table_width, main_width)
    toggle.click()
    expect(page.get_by_role("heading", name="Filter", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Hide filters"))).to_have_attribute(
        "aria-expanded", "true"
    )


@pytest.mark.parametrize("role", list(ROLES))
def test_every_main_page_of_a_role_reads_well_at_every_width(
    page: Page, live_server: Any, check_accessibility: Any, role: str
) -> None:
    page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
    sign_in(page, live_server, ROLES[role])
    pages = [("Home", "/"), *_menu_links(page)]
    assert len(pages) >= 3, pages
    # The fictional borough (no shared data) is headed by its own name, not the real one's.
    council = page.locator(".app-header__council")
    if not live_server.real_wards:
        expect(council).to_have_text("Borough of Brackenmere (fictional)")
    else:
        expect(council).to_have_text("London Borough of Hammersmith & Fulham")
    linked: list[str] = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": HEIGHT})
        for label, path in pages:
            page.goto(live_server(path))
            if width == WIDTHS[0]:
                linked += _linked_pages(page)
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            if label == "Map":
                expect(page.locator("[data-app-map]")).to_have_attribute(
                    "data-loaded", re.compile(r"^\d+$")
                )
            check_accessibility(page, f"{role} {width} {label}")
            assert_no_sideways_scroll(page, f"{role} {label}")
            _check_navigation(page, width, role)
            if path.rstrip("/").endswith("/premises"):
                _check_register(page, width)
    assert len(check_accessibility.checked) == len(pages) * len(WIDTHS)
    reflowed = _check_reflow(
        page, live_server, role, [path for _, path in pages] + linked, check_accessibility
    )
    assert reflowed > len(pages), f"{role}: no page beyond the menu was checked at 320 px"
    sign_out(page)
