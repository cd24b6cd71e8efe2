"""A licensing officer's journey through the register in real headless Chromium, checked by axe.

Sign in, add a premises by its location, find it in the list under the right ward, add a licence,
sign out. Every page on the way is checked with axe-core for problems of any impact. The
locators are the accessible names a keyboard or screen-reader user would go by.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from browser.pages import account, go_home, nav, show_filters, submit_sign_in, watch

pytestmark = pytest.mark.browser

EMAIL = "licensing@demo.invalid"  # enforcement/demo.py DEMO_USERS
PASSWORD = "licensing-demo-2026"
# A point in Hammersmith Broadway (E05013741) in the 2022 Hammersmith & Fulham wards.
REAL_POINT = (51.4925, -0.2244)
REAL_WARD = "Hammersmith Broadway"
EXPECTED_PAGES = {
    "sign-in",
    "home",
    "add premises",
    "add premises with errors",
    "premises (new, unlicensed)",
    "premises list (searched and filtered)",
    "add licence",
    "add licence with errors",
    "premises (licensed)",
    "signed out",
}


def _point_in_a_ward(real_wards: bool) -> tuple[float, float, str | None]:
    """Latitude, longitude and (when known up front) the ward the demo data puts them in."""
    if real_wards:
        return (*REAL_POINT, REAL_WARD)
    # No shared data: the demo loaded its fictional borough; stand in the middle of its first ward
    # and let the app say which ward that is.
    from enforcement.demo import _boundaries

    boundaries, _real = _boundaries(None)
    inside = boundaries[0].geometry.representative_point()
    return inside.y, inside.x, None


def test_licensing_officer_adds_a_premises_and_a_licence(
    page: Page, live_server: Any, check_accessibility: Any
) -> None:
    run = secrets.token_hex(3)
    name = f"Browser Test Nails {run}"
    reference = f"STL/BT/{run}"
    latitude, longitude, expected_ward = _point_in_a_ward(live_server.real_wards)
    # Every stylesheet, script and image the pages ask for must be served, and no script may fail.
    # (Pages themselves may answer 400: a form sent back with errors does.)
    broken = watch(page)

    # 1. Signed out, the register sends you to sign in, and back again afterwards.
    page.goto(live_server("/premises"))
    expect(page).to_have_url(re.compile(r"/sign-in\?next=(/|%2F)premises$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    check_accessibility(page, "sign-in")
    submit_sign_in(page, (EMAIL, PASSWORD))
    expect(page).to_have_url(live_server("/premises"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Premises")

    menu = nav(page)
    go_home(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello")
    check_accessibility(page, "home")

    # 2. Add a premises by its location; a bad postcode first, which must keep what was typed.
    menu.get_by_role("link", name="Premises").click()
    page.get_by_role("link", name="Add a premises").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a premises")
    check_accessibility(page, "add premises")

    page.get_by_label("Name of premises").fill(name)
    page.get_by_label("Type of premises").select_option(label="Nail bar")
    page.get_by_label("Address line 1").fill("1 Browser Street")
    page.get_by_label("Postcode (optional)").fill("NOT A POSTCODE")
    page.get_by_label("Latitude (optional)").fill(str(latitude))
    page.get_by_label("Longitude (optional)").fill(str(longitude))
    page.get_by_role("checkbox", name="Vietnamese").check()
    page.get_by_role("checkbox", name="Thai").check()
    page.get_by_role("button", name="Save premises").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link", name="Enter a real postcode, like W6 9JU")).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Error: "))
    postcode = page.get_by_label("Postcode (optional)")
    expect(postcode).to_have_value("NOT A POSTCODE")
    # The field shows its error, and a screen reader hears it as the field's description.
    expect(postcode).to_have_class(re.compile(r"\bgovuk-input--error\b"))
    expect(postcode).to_have_accessible_description(
        re.compile("Enter a real postcode, like W6 9JU")
    )
    expect(page.get_by_label("Name of premises")).to_have_value(name)
    expect(page.get_by_label("Type of premises")).to_have_value("nail_bar")
    expect(page.get_by_label("Address line 1")).to_have_value("1 Browser Street")
    expect(page.get_by_label("Latitude (optional)")).to_have_value(str(latitude))
    expect(page.get_by_label("Longitude (optional)")).to_have_value(str(longitude))
    expect(page.get_by_role("checkbox", name="Vietnamese")).to_be_checked()
    expect(page.get_by_role("checkbox", name="Thai")).to_be_checked()
    expect(page.get_by_role("checkbox", name="Polish")).not_to_be_checked()
    check_accessibility(page, "add premises with errors")

    # The error summary's link takes the keyboard to the field at fault.
    summary.get_by_role("link", name="Enter a real postcode, like W6 9JU").click()
    expect(postcode).to_be_focused()
    postcode.fill("w6 0rx")
    page.get_by_role("button", name="Save premises").click()

    # 3. The premises page: the ward worked out from the location, and no licence yet.
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_text(f"{name} has been added to the register.")).to_be_visible()
    ward_value = page.locator(".govuk-summary-list__row", has_text="Ward").locator("dd")
    if expected_ward is None:
        expected_ward = ward_value.inner_text().strip()
    expect(ward_value).to_have_text(expected_ward)
    assert not expected_ward.startswith(("Outside", "Not known")), expected_ward
    expect(page.locator(".govuk-summary-list__row", has_text="Address")).to_contain_text("W6 0RX")
    expect(page.locator(".govuk-summary-list__row", has_text="Languages needed")).to_contain_text(
        "Thai, Vietnamese"
    )
    expect(page.locator(".govuk-tag", has_text="Trading unlicensed")).to_be_visible()
    expect(page.get_by_text("No licences recorded for this premises.")).to_be_visible()
    premises_url = page.url
    check_accessibility(page, "premises (new, unlicensed)")

    # 4. Find it in the list: search by name, filter by its ward.
    menu.get_by_role("link", name="Premises").click()
    page.get_by_role("searchbox", name="Search by name, address, postcode or UPRN").fill(name)
    page.get_by_role("button", name="Search", exact=True).click()
    show_filters(page)
    page.get_by_label("Ward").select_option(label=expected_ward)
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"[?&]ward=[^&]+"))
    expect(page.get_by_role("status")).to_have_text("Showing 1 to 1 of 1 premises")
    expect(
        page.get_by_role("link", name=f"Remove this filter: Ward {expected_ward}")
    ).to_be_visible()
    table = page.get_by_role("table", name="Premises matching the search and filters")
    row = table.get_by_role("row").filter(has=page.get_by_role("link", name=name))
    expect(row).to_have_count(1)
    ward_column = [h.strip() for h in table.get_by_role("columnheader").all_inner_texts()].index(
        "Ward"
    )
    expect(row.get_by_role("cell").nth(ward_column)).to_have_text(expected_ward)
    expect(row).to_contain_text("Trading unlicensed")
    check_accessibility(page, "premises list (searched and filtered)")

    # 5. Open it and add its special treatment licence, with two conditions.
    row.get_by_role("link", name=name).click()
    expect(page).to_have_url(premises_url)
    page.get_by_role("link", name=f"Add a licence to {name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a licence")
    check_accessibility(page, "add licence")
    page.get_by_label("Type of licence").select_option(
        label="Special treatment licence (London Local Authorities Act 1991)"
    )
    page.get_by_label("Licence reference").fill(reference)
    page.get_by_label("Licence holder", exact=True).fill("Browser Test Beauty Ltd")
    page.get_by_label("Status", exact=True).select_option(label="Active")
    start = page.get_by_role("group", name="Start date (optional)")
    start.get_by_label("Day").fill("31")
    start.get_by_label("Month").fill("2")
    start.get_by_label("Year").fill("2025")
    conditions = (
        "Every treatment room shall have a door that cannot be locked from the outside.",
        "No person under 18 shall be employed to give treatments.",
    )
    page.get_by_label("Conditions (optional)").fill("\n".join(conditions))
    page.get_by_role("button", name="Save licence").click()

    # 31 February is no date: the error summary's link leads to the day box, and nothing is lost.
    date_error = "Start date must be a real date, like 27 3 2025"
    page.get_by_role("alert").get_by_role("link", name=date_error).click()
    expect(start.get_by_label("Day")).to_be_focused()
    expect(start).to_have_accessible_description(re.compile(date_error))
    expect(page.get_by_label("Licence reference")).to_have_value(reference)
    expect(page.get_by_label("Conditions (optional)")).to_have_value("\n".join(conditions))
    check_accessibility(page, "add licence with errors")
    start.get_by_label("Day").fill("1")
    start.get_by_label("Month").fill("4")
    page.get_by_role("button", name="Save licence").click()

    expect(page).to_have_url(re.compile(re.escape(premises_url) + r"(#.*)?$"))
    card_title = f"Special treatment licence (London Local Authorities Act 1991): {reference}"
    card = page.locator(".govuk-summary-card").filter(
        has=page.get_by_role("heading", name=card_title, exact=True)
    )
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Active")
    expect(card).to_contain_text("From 1 April 2025")
    condition_items = card.locator("ol").get_by_role("listitem")  # the numbered conditions
    expect(condition_items).to_have_count(2)
    for n, (item, text) in enumerate(zip(condition_items.all(), conditions, strict=True), 1):
        expect(item).to_contain_text(f"{n}. {text}")
    expect(page.locator(".govuk-tag", has_text="Trading unlicensed")).to_have_count(0)
    check_accessibility(page, "premises (licensed)")

    # 6. Sign out from the service navigation; the register is closed again.
    account(page).get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(live_server("/sign-in"))
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    check_accessibility(page, "signed out")
    page.goto(live_server("/premises"))
    expect(page).to_have_url(re.compile(r"/sign-in\?next=(/|%2F)premises$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")

    assert not broken, "\n".join(broken)
    assert set(check_accessibility.checked) == EXPECTED_PAGES
    assert len(check_accessibility.checked) == len(EXPECTED_PAGES)
