"""A licensing officer records indicators of labour exploitation and a referral at an inspection.

In real headless Chromium: add a nail bar, record an inspection whose checklist offers labour
exploitation first, tick indicators and say a referral was made; the service goes straight to
the anonymous referral record, which refuses an adult's NRM referral without informed consent
and keeps what was typed; then the inspection page lists the indicators by group and the
record, whose reasonable-grounds decision is recorded later. Every page is checked with axe-core
and may have no finding of any impact.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from browser.pages import nav, sign_in, watch
from enforcement.clock import LONDON, utcnow

pytestmark = pytest.mark.browser

OFFICER = ("licensing@demo.invalid", "licensing-demo-2026")  # enforcement/demo.py DEMO_USERS
EXPECTED_PAGES = [
    "inspection form",
    "referral record form",
    "referral record form with errors",
    "inspection with indicators and a referral",
    "NRM decisions form",
    "inspection with the decision",
]


def _fill_date(page: Page, group: str, day: Any) -> None:
    when = page.get_by_role("group", name=group)
    when.get_by_label("Day").fill(str(day.day))
    when.get_by_label("Month").fill(str(day.month))
    when.get_by_label("Year").fill(str(day.year))


def test_officer_records_indicators_and_an_anonymous_referral_at_an_inspection(
    page: Page, live_server: Any, check_accessibility: Any
) -> None:
    run = secrets.token_hex(3)
    name = f"Referral Journey Nails {run}"
    broken = watch(page)
    sign_in(page, live_server, OFFICER)

    nav(page).get_by_role("link", name="Premises").click()
    page.get_by_role("link", name="Add a premises").click()
    page.get_by_label("Name of premises").fill(name)
    page.get_by_label("Type of premises").select_option(label="Nail bar")
    page.get_by_label("Address line 1").fill("3 Referral Row")
    page.get_by_role("button", name="Save premises").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)

    # 1. At a nail bar the labour group comes first; each indicator says how it comes to light.
    page.get_by_role("link", name=f"Record an inspection of {name}").click()
    legends = page.locator("#section-indicators ~ .govuk-form-group legend")
    expect(legends.first).to_have_text("Labour exploitation")
    labour = page.get_by_role("group", name="Labour exploitation")
    expect(labour).to_contain_text("Needs a conversation")
    check_accessibility(page, "inspection form")

    yesterday = (utcnow().astimezone(LONDON) - timedelta(days=1)).date()
    _fill_date(page, "Date of inspection", yesterday)
    page.get_by_label("Time of inspection").fill("11:00")
    page.get_by_role("radio", name="Routine inspection").check()
    page.get_by_role("group", name="Was the anti-trafficking poster displayed?").get_by_role(
        "radio", name="Yes"
    ).check()
    page.get_by_role("checkbox", name="Where the public can see it").check()
    page.get_by_role("checkbox", name="Where people working there can see it").check()
    labour.get_by_role("checkbox", name="Pay is held back, or is below the minimum wage").check()
    labour.get_by_role(
        "checkbox", name="One person takes every payment and does all the talking for the workers"
    ).check()
    page.get_by_role("group", name="Did the inspection lead to any referrals?").get_by_role(
        "radio", name=re.compile("^Yes")
    ).check()
    page.get_by_role("button", name="Save inspection").click()

    # 2. Straight to the anonymous referral record.
    expect(page.get_by_role("heading", level=1)).to_have_text("Add an anonymous referral record")
    expect(page.get_by_text("Now record each referral it led to, one at a time.")).to_be_visible()
    check_accessibility(page, "referral record form")
    page.get_by_role("radio", name="National Referral Mechanism (NRM)", exact=True).check()
    page.get_by_role("radio", name="Adult (18 or over)", exact=True).check()
    consent = page.get_by_role("group", name=re.compile("^Adults only"))
    consent.get_by_role("radio", name="No").check()
    page.get_by_role("radio", name="Male", exact=True).check()
    page.get_by_role("checkbox", name="Labour exploitation").check()
    page.get_by_role("radio", name="In the UK", exact=True).check()
    page.get_by_role("radio", name="Local authority", exact=True).check()
    page.get_by_role("button", name="Save referral record").click()

    # 3. An adult enters the NRM only with informed consent: refused, and nothing typed lost.
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("An adult enters the NRM only with their informed consent")
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.get_by_role("checkbox", name="Labour exploitation")).to_be_checked()
    expect(page.get_by_role("radio", name="Male", exact=True)).to_be_checked()
    check_accessibility(page, "referral record form with errors")
    consent.get_by_role("radio", name="Yes").check()
    page.get_by_role("button", name="Save referral record").click()

    # 4. The inspection lists the indicators by group, never a count, and the record.
    expect(page).to_have_url(re.compile(r"/inspections/\d+$"))
    inspection_url = page.url
    indicators = page.locator("#indicators")
    expect(indicators.get_by_role("heading", name="Labour exploitation")).to_be_visible()
    expect(indicators).to_contain_text("Pay is held back, or is below the minimum wage")
    table = page.get_by_role("table", name=re.compile("^Anonymous referral records"))
    row = table.get_by_role("row").filter(has_text="National Referral Mechanism (NRM)")
    expect(row).to_contain_text("Adult (18 or over); informed consent given")
    expect(row).to_contain_text("Labour exploitation")
    expect(row).to_contain_text("Awaited")
    check_accessibility(page, "inspection with indicators and a referral")

    # 5. Later: the reasonable grounds decision.
    row.get_by_role("link", name=re.compile("^Update the decisions")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("NRM decisions on a referral")
    check_accessibility(page, "NRM decisions form")
    page.get_by_role("group", name="Reasonable grounds decision").get_by_role(
        "radio", name="Positive"
    ).check()
    today = utcnow().astimezone(LONDON).date()
    _fill_date(page, "Date of the reasonable grounds decision (if made)", today)
    page.get_by_role("button", name="Save the decisions").click()
    expect(page).to_have_url(inspection_url)
    expect(page.get_by_text("The NRM decisions have been saved.")).to_be_visible()
    expect(row).to_contain_text("Reasonable grounds: positive")
    check_accessibility(page, "inspection with the decision")

    assert not broken, "\n".join(broken)
    assert check_accessibility.checked == EXPECTED_PAGES
