"""Steps every browser journey shares: signing in and out through the real forms, watching a
page for failed requests and script errors."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect


def nav(page: Page) -> Any:
    """The service navigation (labelled "Menu")."""
    return page.get_by_role("navigation", name="Menu")


def account(page: Page) -> Any:
    """The signed-in account's links in the header (its name, Sign out), apart from the menu."""
    return page.get_by_role("navigation", name="Your account")


def go_home(page: Page) -> None:
    """Go to the home page by the service's name, first in the service navigation."""
    page.get_by_role("region", name="Service information").get_by_role(
        "link", name="Licensing and premises enforcement"
    ).click()


def submit_sign_in(page: Page, who: tuple[str, str]) -> None:
    """Fill in and send the sign-in form on the page already showing it."""
    page.get_by_label("Email address").fill(who[0])
    page.get_by_label("Password", exact=True).fill(who[1])
    page.get_by_role("button", name="Sign in").click()


def sign_in(page: Page, live_server: Any, who: tuple[str, str]) -> None:
    """Sign in as (email, password) from the sign-in page and wait for the home page."""
    page.goto(live_server("/sign-in"))
    submit_sign_in(page, who)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello")


def sign_out(page: Page) -> None:
    account(page).get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()


def show_filters(page: Page) -> None:
    """Open a list's filters, folded away behind MOJ's filter toggle until filters are chosen."""
    toggle = page.get_by_role("button", name=re.compile(r"^(Show|Hide) filters"))
    expect(toggle).to_be_visible()
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")


def assert_no_sideways_scroll(page: Page, label: str) -> None:
    """Fail if the page is wider than its window: on a tablet the whole page would scroll
    sideways. A wide table belongs in a region of its own that scrolls (`.app-table-scroll`)."""
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    width = page.viewport_size["width"] if page.viewport_size else "?"
    assert overflow <= 0, f"the {label} page scrolls sideways by {overflow} px at {width} px"


def watch(page: Page) -> list[str]:
    """The list a page's failed requests (4xx and 5xx, bar page loads, which the journeys check
    themselves) and script errors are added to as they happen."""
    broken: list[str] = []
    page.on(
        "response",
        lambda r: (
            broken.append(f"{r.status} {r.url}")
            if r.status >= 400 and r.request.resource_type != "document"
            else None
        ),
    )
    page.on("pageerror", lambda exc: broken.append(f"script error on {page.url}: {exc}"))
    return broken
