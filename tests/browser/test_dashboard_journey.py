"""The quarterly data share in real headless Chromium, every page checked by axe.

An analyst opens the action plan dashboard, imports a partner's figures (a file with mistakes
first: nothing imported, every bad line listed), produces the last quarter's data share and
previews it. A supervisor chooses a quarter and a ward with the keyboard, opens the print view
(whose print stylesheet leaves the menus out), signs the share off and downloads it. The
partner then sees only the signed-off, anonymised figures, with no links to records, and
downloads the JSON file.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from browser.pages import assert_no_sideways_scroll, sign_in, sign_out, watch
from enforcement.measures import Quarter

pytestmark = pytest.mark.browser

ANALYST = ("analyst@demo.invalid", "analyst-demo-2026")  # enforcement/demo.py DEMO_USERS
SUPERVISOR = ("supervisor@demo.invalid", "supervisor-demo-2026")
PARTNER = ("partner@demo.invalid", "partner-demo-2026")
CHARITY = "Anti-trafficking charity (demo)"
EXPECTED_PAGES = {
    "dashboard (live)",
    "import a partner's figures with errors",
    "partners' submissions",
    "data share preview",
    "dashboard for one ward",
    "print view",
    "print view of every ward",
    "data share signed off",
    "dashboard (partner)",
}
RECORD_LIST = re.compile(r"^/(cases|flags|welfare-visits|premises|compliance|moontwist-training)")


def _upload(page: Page, body: str) -> None:
    page.get_by_label("CSV file of figures").set_input_files(
        files=[{"name": "figures.csv", "mimeType": "text/csv", "buffer": body.encode()}]
    )
    page.get_by_role("button", name="Import the figures").click()


def test_a_quarter_is_shared_with_partners_after_sign_off(
    page: Page, live_server: Any, check_accessibility: Any
) -> None:
    broken = watch(page)
    quarter = Quarter.last_complete(datetime.now(UTC))

    # 1. The analyst's live dashboard: a chart and a table for each measure.
    sign_in(page, live_server, ANALYST)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Action plan dashboard")
    expect(page.get_by_role("img", name=re.compile("^Ward officers trained"))).to_be_visible()
    expect(page.get_by_role("table", name=re.compile("^The measures at a glance"))).to_be_visible()
    check_accessibility(page, "dashboard (live)")

    # 2. A partner's figures: a file with mistakes is refused whole, line by line.
    page.get_by_role("link", name=re.compile("^Import a partner")).click()
    page.get_by_label("Organisation", exact=True).select_option(label=CHARITY)
    page.get_by_label("Quarter", exact=True).select_option(quarter.code)
    _upload(
        page,
        "quarter,ward_code,measure,age_group,count\n"
        f"{quarter.code},,nrm_referrals,adult,3\n"
        f"{quarter.code},,nrm_referrals,teenager,2\n"
        f"{quarter.code},,contacts_signposted,all,lots\n",
    )
    problems = page.get_by_role("table", name=re.compile("^Problems in the file"))
    expect(problems).to_contain_text("3")
    expect(problems).to_contain_text("4")
    expect(problems).to_contain_text("The count must be a whole number")
    expect(page.get_by_role("alert")).to_contain_text("The file was not imported: 2 problems")
    check_accessibility(page, "import a partner's figures with errors")
    page.get_by_label("Quarter", exact=True).select_option(quarter.code)
    _upload(
        page,
        "quarter,ward_code,measure,age_group,count\n"
        f"{quarter.code},,nrm_referrals,adult,3\n"
        f"{quarter.code},,contacts_signposted,all,12\n",
    )
    expect(page.get_by_text(f"Imported 2 figures for {quarter.label}.")).to_be_visible()
    expect(page.get_by_role("cell", name="Current")).to_be_visible()
    check_accessibility(page, "partners' submissions")

    # 3. The analyst produces the quarter's data share and previews it.
    page.goto(live_server("/data-shares"))
    page.get_by_label("Quarter", exact=True).select_option(quarter.code)
    page.get_by_role("button", name="Produce the data share").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Data share for {quarter.label}")
    expect(page.get_by_text("Not signed off")).to_be_visible()
    preview = page.get_by_role("table", name=re.compile("rows of the data share"))
    expect(preview).to_contain_text("fewer than 5")  # the partner's 3 adult NRM referrals
    expect(page.get_by_role("link", name="Download as CSV")).to_have_count(0)
    share_url = page.url
    check_accessibility(page, "data share preview")
    sign_out(page)

    # 4. A supervisor chooses the quarter and a ward with the keyboard.
    sign_in(page, live_server, SUPERVISOR)
    page.goto(live_server("/dashboard"))
    quarter_select = page.get_by_label("Quarter", exact=True)
    quarter_select.focus()
    quarter_select.select_option(quarter.code)
    ward_select = page.get_by_label("Ward", exact=True)
    ward_select.focus()
    ward = ward_select.locator("option").nth(1)
    ward_name = ward.inner_text().strip()
    ward_select.select_option(ward.get_attribute("value"))
    page.keyboard.press("Tab")  # the figures select
    page.keyboard.press("Tab")  # the button
    expect(page.get_by_role("button", name="Show these figures")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-caption-l").first).to_have_text(f"{quarter.label}: {ward_name}")
    expect(
        page.get_by_role("table", name=re.compile(f"^The measures at a glance: {ward_name}"))
    ).to_be_visible()
    check_accessibility(page, "dashboard for one ward")

    # 5. The print view for the group's meeting; printed, the menus and links are left out.
    page.get_by_role("link", name=re.compile("^Print view")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Action plan report")
    expect(page.get_by_role("button", name="Print this report")).to_be_visible()
    check_accessibility(page, "print view")
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Menu")).to_be_hidden()
    expect(page.get_by_role("button", name="Print this report")).to_be_hidden()
    page.emulate_media(media="screen")
    # The whole borough's report, live: its ward tables list several records' links in a cell,
    # each a target of its own, and the widest tables scroll inside their own region.
    page.goto(live_server("/dashboard/print"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Action plan report")
    several = page.locator("td.app-no-print").filter(has=page.locator("li + li a"))
    assert several.count() > 0, "no ward table cell lists more than one record's link"
    check_accessibility(page, "print view of every ward")
    assert_no_sideways_scroll(page, "print view of every ward")

    # 6. The supervisor signs the share off and downloads it.
    page.goto(share_url)
    page.get_by_role("button", name="Sign off for partners").click()
    expect(page.get_by_role("alert")).to_contain_text("Confirm that you have checked the preview")
    page.get_by_label("I have checked the preview").check()
    page.get_by_role("button", name="Sign off for partners").click()
    expect(page.get_by_text("Signed off. Partners can now see")).to_be_visible()
    check_accessibility(page, "data share signed off")
    with page.expect_download() as got:
        page.get_by_role("link", name="Download as CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(got.value.path()).read_text(encoding="utf-8"))))
    assert rows and rows[0]["quarter"] == quarter.code
    assert not [r for r in rows if r["value"] in {"1", "2", "3", "4"}]
    sign_out(page)

    # 7. The partner sees the signed-off, anonymised figures, with no links to any record.
    sign_in(page, live_server, PARTNER)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Action plan dashboard")
    expect(page.get_by_text(re.compile("^Signed off for partners in"))).to_be_visible()
    expect(page.locator(".govuk-inset-text").first).to_contain_text("Anonymised")
    glance = page.get_by_role("table", name=re.compile("^The measures at a glance"))
    expect(glance).to_contain_text("fewer than 5 (partners that shared figures)")
    hrefs = page.locator("main a").evaluate_all("links => links.map(a => a.pathname)")
    assert not [h for h in hrefs if RECORD_LIST.match(h)], hrefs
    check_accessibility(page, "dashboard (partner)")
    with page.expect_download() as got:
        page.get_by_role("link", name="as JSON").click()
    document = json.loads(Path(got.value.path()).read_text(encoding="utf-8"))
    assert document["quarter"] == quarter.code and document["rows"]

    assert not broken, "\n".join(broken)
    assert set(check_accessibility.checked) == EXPECTED_PAGES
