"""Intelligence flags in real headless Chromium: submitted, graded C, restricted, audited.

A partner submits a flag about an address; an analyst links it to a premises and grades it
B2C for the police only; a licensing officer sees that the premises has an open flag but cannot
open it; the administrator finds every step (and the refused attempt) in the audit trail.
axe-core checks each new page.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from browser.pages import assert_no_sideways_scroll, sign_in, sign_out
from enforcement.demo import POLICE

pytestmark = pytest.mark.browser

PARTNER = ("partner@demo.invalid", "partner-demo-2026")  # enforcement/demo.py DEMO_USERS
ANALYST = ("analyst@demo.invalid", "analyst-demo-2026")
LICENSING = ("licensing@demo.invalid", "licensing-demo-2026")
ADMIN = ("admin@demo.invalid", "admin-demo-2026!")
# With an advert's web address, a word too long for a narrow screen's line.
ADVERT = "https://adverts.example/listings/hammersmith-w6-massage-open-late-new-girls-every-week"
REPORT = (
    "Minibus drops workers at the back door before six and collects them after midnight. "
    f"The flat is advertised at {ADVERT}."
)


def test_a_partner_flag_graded_c_is_seen_only_by_police_and_fully_audited(
    page: Page, live_server: Any, check_accessibility: Any
) -> None:
    # 1. The partner submits a flag about an address, without grading it.
    sign_in(page, live_server, PARTNER)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Intelligence").click()
    check_accessibility(page, "intelligence flags (partner)")
    page.get_by_role("link", name="Record intelligence").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record an intelligence flag")
    expect(page.get_by_label("Source evaluation")).to_have_count(0)
    page.get_by_label("Address of the location (optional)").fill("Rear of 12 King Street")
    page.get_by_role("group", name="Type of source").get_by_label("Charity").check()
    page.get_by_role("checkbox", name="Forced labour").check()
    page.get_by_label("The report").fill(REPORT)
    page.get_by_role("button", name="Record the flag").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Intelligence flag")
    flag_url = page.url
    expect(page.get_by_text("Not graded yet")).to_be_visible()
    check_accessibility(page, "intelligence flag (partner)")
    sign_out(page)

    # 2. The analyst links it to a premises and grades it B2C, police only.
    sign_in(page, live_server, ANALYST)
    page.goto(live_server("/premises"))
    table = page.get_by_role("table", name="Premises matching the search and filters")
    first = table.get_by_role("row").nth(1).get_by_role("link").first
    name = first.inner_text().strip()
    first.click()
    premises_url = page.url
    number = premises_url.rstrip("/").rsplit("/", 1)[-1]
    page.goto(flag_url)
    expect(page.get_by_text(REPORT)).to_be_visible()
    # The advert's address breaks to fit a 320 px window rather than push the page sideways.
    tablet = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 700})
    assert_no_sideways_scroll(page, "intelligence flag")
    page.set_viewport_size(tablet)
    check_accessibility(page, "intelligence flag (analyst)")
    page.get_by_label("Register number of the premises").fill(number)
    page.get_by_role("button", name="Link to the premises").click()
    expect(page.get_by_role("link", name=name).first).to_be_visible()
    page.get_by_label("Source evaluation").select_option("B")
    page.get_by_label("Intelligence assessment").select_option("2")
    page.get_by_label("Handling code").select_option("C")
    page.get_by_label("Handling conditions").fill("Police only: an operation is being planned.")
    page.get_by_role("group", name="Organisations it may be shown to").get_by_label(POLICE).check()
    page.get_by_role("button", name="Save the grade").click()
    expect(page.get_by_text("The grade has been saved.")).to_be_visible()
    expect(page.locator("#flag-summary")).to_contain_text("B2C")
    expect(page.locator("#graded-by")).to_contain_text("Ash Analyst")
    expect(page.get_by_text("Must not be disclosed in a public paper")).to_be_visible()
    check_accessibility(page, "graded intelligence flag")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Intelligence").click()
    expect(
        page.get_by_role("table", name="Intelligence flags matching the filters")
    ).to_contain_text("B2C")
    check_accessibility(page, "intelligence flags (analyst)")
    sign_out(page)

    # 3. The licensing officer sees the premises has an open flag, but cannot open it.
    sign_in(page, live_server, LICENSING)
    page.goto(premises_url)
    expect(page.locator("#open-flags")).to_contain_text("1 open intelligence flag")
    expect(page.locator("#restricted-flags")).to_be_visible()
    expect(page.get_by_text(REPORT)).to_have_count(0)
    check_accessibility(page, "premises with a restricted flag")
    response = page.goto(flag_url)
    assert response is not None and response.status == 403
    expect(page.get_by_text(REPORT)).to_have_count(0)
    sign_out(page)

    # 4. The administrator finds every step, and the refusal, in the audit trail.
    sign_in(page, live_server, ADMIN)
    response = page.goto(flag_url)
    assert response is not None and response.status == 404  # no automatic right to read it
    page.goto(live_server("/admin/audit?entity_type=intel_flag"))
    log = page.get_by_role("table", name="Audit events, newest first")
    for summary in (
        re.compile(r"Recorded intelligence flag \d+"),
        re.compile(r"Linked intelligence flag \d+ to premises"),
        re.compile(r"Graded intelligence flag \d+"),
        re.compile(r"Opened intelligence flag \d+"),
        re.compile(r"Refused: open intelligence flag \d+"),
    ):
        expect(log.get_by_text(summary).first).to_be_visible()
    expect(page.get_by_text(REPORT)).to_have_count(0)
    check_accessibility(page, "audit log of the flag")
