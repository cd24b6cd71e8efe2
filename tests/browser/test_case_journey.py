"""A ward officer's closure case in real headless Chromium, every page checked by axe.

Open a closure case on a licensed premises, record the notice being issued and served (a
mistake first, which must keep what was typed), see the hearing deadline, record the closure
order, follow the review after closure it opens, find cases due in the list, close the case.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from browser.pages import show_filters, sign_in
from enforcement.clock import LONDON

pytestmark = pytest.mark.browser

EMAIL = "ward@demo.invalid"  # enforcement/demo.py DEMO_USERS: a police ward officer
PASSWORD = "wardofficer-demo-2026"
EXPECTED_PAGES = {
    "open a case",
    "open a case with errors",
    "case (opened)",
    "case (event refused)",
    "case (earlier date to confirm)",
    "case (notice served)",
    "review after closure",
    "case list (due in 7 days)",
    "close case",
    "case (closed)",
}


def _record(
    page: Page,
    kind: str,
    day: datetime,
    clock: str,
    served: str | None = None,
    *,
    earlier: bool = False,
) -> None:
    page.get_by_label("What happened").select_option(label=kind)
    when = page.get_by_role("group", name="Date it happened")
    when.get_by_label("Day").fill(str(day.day))
    when.get_by_label("Month").fill(str(day.month))
    when.get_by_label("Year").fill(str(day.year))
    page.get_by_label("Time it happened").fill(clock)
    if served:
        page.get_by_role("radio", name=served).check()
    page.get_by_role("button", name="Record event").click()
    if earlier:
        # The case was opened today: an event on an earlier day is confirmed with a tick.
        page.get_by_label("The earlier date is right").check()
        page.get_by_role("button", name="Record event").click()


def _hearing_state(row: str) -> str:
    """ "Pending" or "Missed", as the deadline the row shows ("by 09:30 GMT on Sunday 6 December
    2026") is still ahead or already past, by the London clock now."""
    found = re.search(r"by (\d\d:\d\d) (?:GMT|BST) on \w+ (\d{1,2} \w+ \d{4})", row)
    assert found, row
    shown = f"{found.group(2)} {found.group(1)}"
    month = "%b" if re.search(r" \w{3} \d{4}$", found.group(2)) else "%B"  # "Dec" or "December"
    due = datetime.strptime(shown, f"%d {month} %Y %H:%M").replace(tzinfo=LONDON)
    return "Pending" if datetime.now(LONDON) < due else "Missed"


def test_ward_officer_runs_a_closure_case(
    page: Page, live_server: Any, check_accessibility: Any
) -> None:
    # Two days ago, so the 24-hour closure notice has ended whatever the time of day the test
    # runs (from yesterday it would still be running before 09:00 and be "due in 7 days").
    two_days_ago = datetime.now(LONDON) - timedelta(days=2)
    sign_in(page, live_server, (EMAIL, PASSWORD))

    # 1. A premises holding an active premises licence, and a case opened on it.
    page.goto(live_server("/premises?regime=premises_licence&licence_status=active"))
    table = page.get_by_role("table", name="Premises matching the search and filters")
    first = table.get_by_role("row").nth(1).get_by_role("link").first
    premises_name = first.inner_text().strip()
    first.click()
    page.get_by_role("link", name=f"Open an enforcement case at {premises_name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Open an enforcement case")
    check_accessibility(page, "open a case")
    page.get_by_label("Enforcement tool").select_option(label="Closure notice and order (2014 Act)")
    page.get_by_role("button", name="Open case").click()
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("link", name="Enter a summary of the case")).to_be_visible()
    expect(page.get_by_label("Enforcement tool")).to_have_value("asbcpa_closure")
    check_accessibility(page, "open a case with errors")
    page.get_by_label("Summary").fill("Closure after a joint visit with the licensing team")
    page.get_by_role("button", name="Open case").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"^Case EC-\d{4}-\d{4}$"))
    reference = heading.inner_text().removeprefix("Case ").strip()
    case_url = page.url
    expect(page.get_by_text("No deadlines yet")).to_be_visible()
    check_accessibility(page, "case (opened)")

    # 2. A service before the notice was issued is refused on its field, keeping the input.
    _record(page, "Notice served", two_days_ago, "09:30", served="In person")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("needs 'notice issued' recorded first")
    expect(page.get_by_label("Time it happened")).to_have_value("09:30")
    expect(page.get_by_role("radio", name="In person")).to_be_checked()
    check_accessibility(page, "case (event refused)")
    _record(page, "Notice issued", two_days_ago, "09:00")
    expect(page.get_by_role("alert")).to_contain_text("The event is before the case was opened on")
    expect(page.get_by_label("The earlier date is right")).not_to_be_checked()
    expect(page.get_by_label("Time it happened")).to_have_value("09:00")
    check_accessibility(page, "case (earlier date to confirm)")
    page.get_by_label("The earlier date is right").check()
    page.get_by_role("button", name="Record event").click()
    _record(page, "Notice served", two_days_ago, "09:30", served="In person", earlier=True)
    hearing = page.locator("#deadline-asbcpa-s80-hearing")
    expect(hearing).to_contain_text("Court must hear the closure order application")
    expect(hearing).to_contain_text(re.compile(r"by 09:30 (GMT|BST) on"))
    # 48 hours from a service at 09:30 two days ago: pending until 09:30 today (later over
    # Christmas Day), missed after it. The state must agree with the deadline the row shows.
    expect(hearing).to_contain_text(_hearing_state(hearing.inner_text()))
    expect(hearing).to_contain_text("s80(3)-(4)")
    expect(page.locator(".moj-timeline__title", has_text="Notice served")).to_be_visible()
    check_accessibility(page, "case (notice served)")

    # 3. The closure order opens the review after closure, held by the council.
    _record(page, "Order made", two_days_ago, "10:30", earlier=True)
    expect(page.get_by_text("The law now requires a")).to_be_visible()
    expect(hearing).to_contain_text("Met by order made")
    page.locator(".next-step").get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Case EC-"))
    review = page.get_by_role("heading", level=1).inner_text().removeprefix("Case ").strip()
    expect(page.locator("#deadline-la-s167-determination")).to_contain_text(
        "Review must be determined"
    )
    expect(page.get_by_role("button", name="Record event")).to_have_count(0)
    check_accessibility(page, "review after closure")

    # 4. The list shows the cases due within a week: the review's 7 days for representations.
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Cases").click()
    show_filters(page)
    page.get_by_label("Deadlines").select_option(label="Due in the next 7 days")
    page.get_by_role("button", name="Apply filters").click()
    table = page.get_by_role("table", name="Enforcement cases matching the filters")
    expect(table.get_by_role("link", name=review)).to_be_visible()
    expect(table.get_by_role("link", name=reference)).to_have_count(0)
    check_accessibility(page, "case list (due in 7 days)")

    # 5. Close the case: its deadlines stop applying.
    page.goto(case_url)
    page.get_by_role("link", name=f"Close case {reference}").click()
    check_accessibility(page, "close case")
    page.get_by_label("Why is the case being closed?").fill("Order made; appeal period to watch")
    page.get_by_role("button", name="Close case").click()
    expect(page.locator(".govuk-tag", has_text="Closed").first).to_be_visible()
    expect(page.get_by_role("button", name="Record event")).to_have_count(0)
    check_accessibility(page, "case (closed)")

    assert set(check_accessibility.checked) == EXPECTED_PAGES
