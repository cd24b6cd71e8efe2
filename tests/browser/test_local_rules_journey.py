"""An administrator changes a rule on the Local rules page in real headless Chromium.

A mistake first (which keeps what was typed), then a local rule taking effect today, then its
withdrawal; every page state is checked by axe-core, and the page must have no finding at all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from browser.pages import nav, sign_in
from enforcement.clock import LONDON

pytestmark = pytest.mark.browser

ADMIN = ("admin@demo.invalid", "admin-demo-2026!")  # enforcement/demo.py DEMO_USERS
RULE = "local.poster.follow_up: Follow-up inspection of the poster"


def _no_findings(page: Page, check: Any, label: str) -> None:
    """The shared check (serious and critical), then every impact: a new page has none."""
    check(page, label)
    found = page.evaluate(
        """async () => (await axe.run(document, {runOnly: {type: 'tag', values:
        ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})).violations
        .map(v => v.id + ' (' + v.impact + ')')"""
    )
    assert found == [], f"axe-core findings on the {label} page: {found}"


def test_an_administrator_adds_and_withdraws_a_local_rule(
    page: Page, live_server: Any, check_accessibility: Any
) -> None:
    sign_in(page, live_server, ADMIN)
    nav(page).get_by_role("link", name="Local rules").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Local rules")
    _no_findings(page, check_accessibility, "local rules")

    page.get_by_label("Rule", exact=True).select_option(label=RULE)
    page.get_by_label("Amount").fill("400")
    page.get_by_label("How the period is counted").select_option("starting_day_after")
    today = datetime.now(LONDON).date()
    when = page.get_by_role("group", name="Date it takes effect")
    when.get_by_label("Day").fill(str(today.day))
    when.get_by_label("Month").fill(str(today.month))
    when.get_by_label("Year").fill(str(today.year))
    page.get_by_label("Why the rule changes").fill("Licensing Committee decision 2027/3")
    page.get_by_role("button", name="Add local rule").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter an amount between 1 and 366 days")
    expect(page.get_by_label("Why the rule changes")).to_have_value(
        "Licensing Committee decision 2027/3"
    )
    _no_findings(page, check_accessibility, "local rules with errors")

    page.get_by_label("Amount").fill("21")
    page.get_by_role("button", name="Add local rule").click()
    expect(
        page.get_by_text("The local rule for local.poster.follow_up takes effect")
    ).to_be_visible()
    row = page.locator("#rule-local-poster-follow_up")
    expect(row).to_contain_text("21 days")
    expect(row).to_contain_text("Local rule")
    _no_findings(page, check_accessibility, "local rules (one added)")

    page.get_by_role("button", name="Withdraw the local rule for local.poster.follow_up").click()
    expect(
        page.get_by_text("The local rule for local.poster.follow_up has been withdrawn.")
    ).to_be_visible()
    expect(page.locator("#rule-local-poster-follow_up")).to_contain_text("14 days")
    _no_findings(page, check_accessibility, "local rules (withdrawn)")
