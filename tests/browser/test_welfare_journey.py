"""A trained ward officer logs a welfare visit in real headless Chromium; others see their share.

The demo ward officer (trained in the demo data, covering the first four wards) opens a premises in
a ward they cover, logs a visit with indicators (sent back once for a phone number in the feedback,
keeping what was typed), and finds the follow-up on the home page's task list. A licensing officer
opening the same premises sees that a visit took place and its date, never what it recorded. A
supervisor opens the lists, the adherence view and the training pages. Every new page is checked
with axe-core for problems of any impact.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from browser.pages import go_home, sign_in, sign_out, watch
from enforcement.demo import _boundaries

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
WARD_OFFICER = ("ward@demo.invalid", "wardofficer-demo-2026")  # enforcement/demo.py DEMO_USERS
LICENSING = ("licensing@demo.invalid", "licensing-demo-2026")
SUPERVISOR = ("supervisor@demo.invalid", "supervisor-demo-2026")
FEEDBACK = "Welcomed the visit and asked where to get health advice"
INDICATORS = (
    "Seems frightened, anxious or distrustful of police or other authorities",
    "Doors that lock from the outside",
)
EXPECTED_PAGES = {
    "welfare visit form",
    "welfare visit form with errors",
    "welfare visit",
    "welfare referral record",
    "home with the follow-up visit",
    "welfare visits list",
    "premises as a licensing officer",
    "welfare visit as a licensing officer",
    "guidance adherence",
    "moontwist training",
    "record training",
    "release a visit",
}


def _first_covered_ward(real_wards: bool) -> str:
    """The code of a ward the demo ward officer covers (the first of the sorted codes)."""
    configured = os.environ.get("SHARED_DATA_DIR")
    shared = Path(configured) if configured else ROOT.parent / "shared" / "data"
    boundaries, real = _boundaries(shared if real_wards else None)
    assert real is real_wards
    return sorted(b.code for b in boundaries)[0]


def _fill_visit(page: Page, feedback: str) -> None:
    page.get_by_role("group", name="Why did the visit take place?").get_by_label(
        "Proactive visit under the Moontwist programme"
    ).check()
    page.get_by_role("group", name="How is the property described?").get_by_label(
        "Residential flat"
    ).check()
    page.get_by_label("How many people were present?").fill("2")
    for indicator in INDICATORS:
        page.get_by_role("checkbox", name=indicator).check()
    page.get_by_role("group", name="Was an interpreter used?").get_by_label("No").check()
    support = page.get_by_role(
        "group", name="Was information about support left with the people present?"
    )
    support.get_by_label("Yes").check()
    page.get_by_role("group", name="If yes, the languages it was in").get_by_label(
        "English", exact=True
    ).check()
    page.get_by_role("group", name="Did the visit lead to any referrals?").get_by_label(
        "No referrals were made"
    ).check()
    page.get_by_role("group", name="Is a return visit needed?").get_by_label("No").check()
    page.get_by_label("Feedback from the people visited (optional)").fill(feedback)
    guidance = page.get_by_role(
        "group", name="Which parts of the Moontwist guidance did you follow?"
    )
    for box in guidance.get_by_role("checkbox").all():
        box.check()
    page.get_by_role("checkbox", name=re.compile("^I have not recorded names")).check()
    _fill_record(page)


def _fill_record(page: Page) -> None:
    """Attendance and approach, support and outcome (the handling code is P by default)."""
    page.get_by_role("group", name=re.compile("^Were the officers in uniform")).get_by_label(
        "In uniform", exact=True
    ).check()
    page.get_by_role("group", name="Was a partner agency present?").get_by_label("No").check()
    page.get_by_role("radio", name="Yes, they agreed to talk with us").check()
    page.get_by_role("group", name=re.compile("^Were people spoken to away")).get_by_label(
        "Yes", exact=True
    ).check()
    page.get_by_role("group", name=re.compile("^Was further support")).get_by_label("No").check()
    page.get_by_role("group", name=re.compile("^Outcome of the visit")).get_by_label(
        "Follow-up visit"
    ).check()


def test_ward_officer_logs_a_visit_and_a_licensing_officer_sees_only_that_it_happened(
    page: Page, live_server: Any, check_accessibility: Any
) -> None:
    broken = watch(page)

    # 1. The ward officer opens a premises in a ward they cover and starts a visit.
    sign_in(page, live_server, WARD_OFFICER)
    page.goto(live_server(f"/premises?ward={_first_covered_ward(live_server.real_wards)}"))
    table = page.get_by_role("table", name="Premises matching the search and filters")
    first = table.get_by_role("row").nth(1).get_by_role("link").first
    name = first.inner_text().strip()
    first.click()
    premises_url = page.url
    page.get_by_role("link", name=f"Log a welfare visit to {name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log a welfare visit")
    expect(page.get_by_text("Never record the names, dates of birth")).to_be_visible()
    check_accessibility(page, "welfare visit form")

    # 2. A phone number in the feedback is refused, and everything typed is kept.
    _fill_visit(page, "She asked us to ring her on 07700 900123")
    page.get_by_role("button", name="Save welfare visit").click()
    message = "Feedback seems to contain a phone number."
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    summary.get_by_role("link", name=re.compile(re.escape(message))).click()
    feedback = page.get_by_label("Feedback from the people visited (optional)")
    expect(feedback).to_be_focused()
    expect(feedback).to_have_value("She asked us to ring her on 07700 900123")
    for indicator in INDICATORS:
        expect(page.get_by_role("checkbox", name=indicator)).to_be_checked()
    expect(page.get_by_label("How many people were present?")).to_have_value("2")
    check_accessibility(page, "welfare visit form with errors")
    feedback.fill(FEEDBACK)
    page.get_by_role("button", name="Save welfare visit").click()

    # 3. The visit's page, then the follow-up on the home page's task list.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welfare visit on")
    expect(page.get_by_text("A follow-up visit is due by").first).to_be_visible()
    expect(page.get_by_text(FEEDBACK)).to_be_visible()
    for indicator in INDICATORS:
        expect(page.locator("#indicators")).to_contain_text(indicator)
    visit_url = page.url
    check_accessibility(page, "welfare visit")
    # A referral made after all (a child, referred to the NRM: no consent is asked).
    page.get_by_role("link", name="Add an anonymous referral record").click()
    page.get_by_role("radio", name="National Referral Mechanism (NRM)", exact=True).check()
    page.get_by_role("radio", name="Child (under 18)", exact=True).check()
    page.get_by_role("radio", name="Female", exact=True).check()
    page.get_by_role("checkbox", name="Sexual exploitation").check()
    page.get_by_role("group", name="Where did the exploitation happen?").get_by_role(
        "radio", name="Not known", exact=True
    ).check()
    page.get_by_role("radio", name="Police force", exact=True).check()
    check_accessibility(page, "welfare referral record")
    page.get_by_role("button", name="Save referral record").click()
    expect(page).to_have_url(visit_url)
    records = page.get_by_role("table", name=re.compile("^Anonymous referral records"))
    expect(records).to_contain_text("Child (under 18)")
    go_home(page)
    task = page.get_by_role("table", name=re.compile("What you owe")).get_by_role(
        "link", name="Follow-up visit due"
    )
    expect(task.first).to_be_visible()
    assert any((link.get_attribute("href") or "") in visit_url for link in task.all()), (
        "the follow-up task links to the visit"
    )
    check_accessibility(page, "home with the follow-up visit")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Welfare visits").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welfare visits")
    check_accessibility(page, "welfare visits list")
    sign_out(page)

    # 4. A licensing officer sees that a visit took place, and when, but nothing it recorded.
    sign_in(page, live_server, LICENSING)
    page.goto(premises_url)
    timeline = page.locator(".moj-timeline")
    expect(timeline.get_by_role("heading", name="Welfare visit", exact=True).first).to_be_visible()
    expect(timeline.get_by_role("link", name=re.compile("Welfare visit"))).to_have_count(0)
    expect(page.get_by_text(FEEDBACK)).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("Log a welfare visit"))).to_have_count(0)
    check_accessibility(page, "premises as a licensing officer")
    page.goto(visit_url)
    expect(
        page.get_by_text(re.compile(r"A welfare visit took place on \d+ \w+ \d{4}\."))
    ).to_be_visible()
    expect(page.get_by_text(FEEDBACK)).to_have_count(0)
    for indicator in INDICATORS:
        expect(page.get_by_text(indicator)).to_have_count(0)
    check_accessibility(page, "welfare visit as a licensing officer")
    expect(
        page.get_by_role("navigation", name="Menu").get_by_role("link", name="Welfare visits")
    ).to_have_count(0)
    sign_out(page)

    # 5. A supervisor: guidance adherence, training coverage and records, releasing a visit.
    sign_in(page, live_server, SUPERVISOR)
    page.goto(live_server("/welfare-visits/adherence"))
    expect(
        page.get_by_role("table", name="Visits with the whole checklist followed")
    ).to_be_visible()
    check_accessibility(page, "guidance adherence")
    page.get_by_role("navigation", name="Menu").get_by_role(
        "link", name="Training", exact=True
    ).click()
    expect(page.get_by_role("table", name="Ward officers trained, by ward")).to_contain_text(
        "All wards"
    )
    check_accessibility(page, "moontwist training")
    page.get_by_role("link", name="Record training").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record Moontwist training")
    check_accessibility(page, "record training")
    page.goto(visit_url)
    page.get_by_role("link", name="Release for use as evidence").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Release this visit for use as evidence"
    )
    check_accessibility(page, "release a visit")

    assert not broken, "\n".join(broken)
    assert set(check_accessibility.checked) == EXPECTED_PAGES
