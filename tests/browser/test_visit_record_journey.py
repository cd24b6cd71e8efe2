"""The whole welfare visit record and the support directory, in real headless Chromium.

An administrator adds a service to the support directory (sent back once for a missing
language). The demo ward officer opens a premises in a ward they cover, reads its support
card, and logs a visit with the new sections: attendance and approach, the service
signposted, an immigration referral (refused once without a justification) and a C handling
code. A supervisor finds the decision on their task list, approves it with a reason, and sees
it counted on the dashboard. Every page is checked with axe-core, failing on a finding of any
impact.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from browser.pages import nav, sign_in, sign_out, watch
from browser.test_welfare_journey import SUPERVISOR, WARD_OFFICER, _fill_visit, _first_covered_ward

pytestmark = pytest.mark.browser

ADMIN = ("admin@demo.invalid", "admin-demo-2026!")  # enforcement/demo.py DEMO_USERS
SERVICE = "Borough outreach for nail bar workers"
JUSTIFICATION = "Both adults asked us to refer them so that they can regularise their status."
EXPECTED_PAGES = [
    "support directory",
    "add a service with errors",
    "support directory with the service",
    "support card",
    "welfare visit form with errors",
    "welfare visit with the whole record",
    "tasks with the immigration referral",
    "decide on an immigration referral",
    "welfare visit with the referral approved",
]


def test_a_visit_with_the_whole_record_and_an_approved_immigration_referral(
    page: Page, live_server: Any, check_accessibility: Any
) -> None:
    broken = watch(page)

    def axe(label: str) -> None:
        check_accessibility(page, label)

    # 1. An administrator adds a service to the support directory.
    sign_in(page, live_server, ADMIN)
    nav(page).get_by_role("link", name="Support directory").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Support directory")
    expect(page.get_by_role("table")).to_contain_text("Modern Slavery & Exploitation Helpline")
    axe("support directory")
    page.get_by_role("link", name="Add a service").click()
    page.get_by_label("Name of the service").fill(SERVICE)
    page.get_by_role("group", name="Kind of service").get_by_label("Charity").check()
    page.get_by_label("What the service offers").fill("Outreach and advice in Vietnamese.")
    page.get_by_label("How to reach the service").fill("Through the council's contact centre")
    page.get_by_label("Hours").fill("Weekdays, 10am to 4pm")
    page.get_by_role("button", name="Save service").click()
    expect(page.get_by_role("alert")).to_contain_text("Select the languages the service offers")
    expect(page.get_by_label("Name of the service")).to_have_value(SERVICE)
    axe("add a service with errors")
    languages = page.get_by_role("group", name="Languages offered")
    for language in ("Vietnamese", "Thai", "English", "Polish", "Romanian", "Tagalog"):
        languages.get_by_label(language, exact=True).check()
    page.get_by_role("button", name="Save service").click()
    expect(page.get_by_text(f"{SERVICE} has been added to the support directory.")).to_be_visible()
    axe("support directory with the service")
    sign_out(page)

    # 2. The ward officer reads a premises' support card, then logs a visit there.
    sign_in(page, live_server, WARD_OFFICER)
    page.goto(live_server(f"/premises?ward={_first_covered_ward(live_server.real_wards)}"))
    table = page.get_by_role("table", name="Premises matching the search and filters")
    link = table.get_by_role("row").nth(2).get_by_role("link").first
    name = link.inner_text().strip()
    link.click()
    page.get_by_role("link", name=re.compile("^Support card")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Support card")
    expect(page.locator("#any-language")).to_be_visible()
    expect(page.get_by_text("Modern Slavery & Exploitation Helpline")).to_be_visible()
    axe("support card")
    page.get_by_role("link", name="Back").click()
    page.get_by_role("link", name=f"Log a welfare visit to {name}").click()
    _fill_visit(page, "Welcomed the visit")
    page.get_by_role("group", name="Was a partner agency present?").get_by_label("Yes").check()
    page.get_by_label("If yes, which partner agency").fill("A specialist charity")
    page.get_by_role("group", name="Services signposted").get_by_label(SERVICE).check()
    outcome = page.get_by_role("group", name=re.compile("^Outcome of the visit"))
    outcome.get_by_label(re.compile("Immigration referral")).check()
    page.get_by_role("group", name="Handling code of this record").get_by_label(
        "C: lawful sharing permitted with conditions"
    ).check()
    page.get_by_label("If C, the conditions for sharing").fill("The ward team only")
    page.get_by_role("button", name="Save welfare visit").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Explain why an immigration referral is justified")
    expect(page.get_by_label("If yes, which partner agency")).to_have_value("A specialist charity")
    axe("welfare visit form with errors")
    page.get_by_label("If an immigration referral, why is it justified?").fill(JUSTIFICATION)
    page.get_by_role("button", name="Save welfare visit").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welfare visit on")
    expect(page.locator("#approach")).to_contain_text("Yes, A specialist charity")
    expect(page.get_by_text(SERVICE)).to_be_visible()
    expect(page.locator("#immigration")).to_contain_text("Awaiting a supervisor's decision")
    expect(page.locator("#handling")).to_contain_text("The ward team only")
    visit_url = page.url
    axe("welfare visit with the whole record")
    sign_out(page)

    # 3. A supervisor decides on it from their task list; the dashboard counts it.
    sign_in(page, live_server, SUPERVISOR)
    nav(page).get_by_role("link", name=re.compile("^Tasks")).click()
    task = page.get_by_role("link", name="Immigration referral from a welfare visit to decide")
    expect(task.first).to_be_visible()
    expect(page.get_by_text(name)).to_have_count(0)
    axe("tasks with the immigration referral")
    page.goto(visit_url)
    page.get_by_role("link", name="Approve or decline the immigration referral").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Decide on the immigration referral")
    expect(page.get_by_text(JUSTIFICATION)).to_be_visible()
    axe("decide on an immigration referral")
    page.get_by_role("group", name="Do you approve the immigration referral?").get_by_label(
        "Approve"
    ).check()
    page.get_by_label("Reason for your decision").fill("They asked for it, freely and twice.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("The immigration referral has been approved.")).to_be_visible()
    expect(page.locator("#immigration")).to_contain_text("Approved by a supervisor")
    axe("welfare visit with the referral approved")
    page.goto(live_server("/dashboard"))
    expect(page.get_by_text("Immigration referrals from welfare visits").first).to_be_visible()

    assert not broken, "\n".join(broken)
    assert check_accessibility.checked == EXPECTED_PAGES
