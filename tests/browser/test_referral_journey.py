"""A Licensing Committee referral from draft to revocation, in real headless Chromium, axe on each page.

A licensing officer adds a pub and its licence, records an inspection that finds a condition
breached, and drafts a referral (refused first without the offer of support, keeping what was
typed). A supervisor signs it off. The committee clerk opens the statutory process, is refused
a hearing outside the window, lists it inside, downloads both papers (Word and the print
view), and records a revocation. The live server has no clock to move, so the process is
recorded with past dates, as a clerk entering a case after the fact would: the appeal period
has already ended, and the licence shows revoked.
"""

from __future__ import annotations

import io
import re
import secrets
from datetime import date, timedelta
from typing import Any

import docx
import pytest
from playwright.sync_api import Page, expect

from browser.pages import nav, sign_in, sign_out
from enforcement.clock import LONDON, utcnow

pytestmark = pytest.mark.browser

OFFICER = ("licensing@demo.invalid", "licensing-demo-2026")  # enforcement/demo.py DEMO_USERS
SUPERVISOR = ("supervisor@demo.invalid", "supervisor-demo-2026")
CLERK = ("clerk@demo.invalid", "clerk-demo-2026")
CONDITIONS = (
    "Fire exits shall be kept unobstructed and unlocked while the premises are open.",
    "A personal licence holder shall be on the premises whenever alcohol is sold.",
)
HOLDER = "Thanh Nguyen"
MARKER = "Exempt information: Schedule 12A Local Government Act 1972, paragraph 7"
EXPECTED_PAGES = {
    "referral form",
    "referral form with errors",
    "referral (submitted)",
    "referral list (supervisor)",
    "referral (to sign off)",
    "referral (with the clerk)",
    "referral (hearing refused)",
    "referral (hearing listed)",
    "public paper (print view)",
    "referral (decision in effect)",
    "premises (licence revoked)",
}


def _date(page: Page, group: str, day: date) -> None:
    box = page.get_by_role("group", name=group)
    box.get_by_label("Day").fill(str(day.day))
    box.get_by_label("Month").fill(str(day.month))
    box.get_by_label("Year").fill(str(day.year))


def _add_pub_with_an_inspection(page: Page, name: str, reference: str, on: date) -> str:
    nav(page).get_by_role("link", name="Premises").click()
    page.get_by_role("link", name="Add a premises").click()
    page.get_by_label("Name of premises").fill(name)
    page.get_by_label("Type of premises").select_option(label="Pub or bar")
    page.get_by_label("Address line 1").fill("3 Referral Road")
    page.get_by_role("button", name="Save premises").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    premises_url = page.url
    page.get_by_role("link", name=f"Add a licence to {name}").click()
    page.get_by_label("Type of licence").select_option(
        label="Premises licence (Licensing Act 2003)"
    )
    page.get_by_label("Licence reference").fill(reference)
    page.get_by_label("Licence holder", exact=True).fill(HOLDER)
    page.get_by_label("Status", exact=True).select_option(label="Active")
    page.get_by_label("Conditions (optional)").fill("\n".join(CONDITIONS))
    page.get_by_role("button", name="Save licence").click()
    expect(page.locator(".govuk-summary-card", has_text=reference)).to_contain_text("Active")
    page.get_by_role("link", name=f"Record an inspection of {name}").click()
    _date(page, "Date of inspection", on)
    page.get_by_label("Time of inspection").fill("10:30")
    page.get_by_role("radio", name="Routine inspection").check()
    poster = page.get_by_role("group", name="Was the anti-trafficking poster displayed?")
    poster.get_by_role("radio", name="No").check()
    condition = page.get_by_role("group", name=f"Condition 1: {CONDITIONS[0]}")
    condition.get_by_role("radio", name="Breached").check()
    page.get_by_role("button", name="Save inspection").click()
    expect(page).to_have_url(re.compile(r"/inspections/\d+$"))
    return premises_url


PUBLIC_SUMMARY = "A fire exit was found locked at a routine inspection."


def _docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_officer_drafts_supervisor_signs_off_clerk_runs_the_hearing_to_revocation(
    page: Page, live_server: Any, check_accessibility: Any
) -> None:
    run = secrets.token_hex(3)
    name = f"Referral Journey Arms {run}"
    reference = f"PL/RJ/{run}"
    today = utcnow().astimezone(LONDON).date()
    # The past, far enough back that the appeal period after the decision has ended.
    inspected = today - timedelta(days=130)
    received = today - timedelta(days=110)
    hearing = received + timedelta(days=35)  # after the 28 days, well within 20 working days

    # 1. The officer records the breach, then drafts the referral from the premises page.
    sign_in(page, live_server, OFFICER)
    premises_url = _add_pub_with_an_inspection(page, name, reference, inspected)
    page.goto(premises_url)
    page.get_by_role(
        "link", name=re.compile(rf"^Refer to the Licensing Committee\W+{re.escape(name)}$")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Refer to the Licensing Committee")
    check_accessibility(page, "referral form")
    page.get_by_role("checkbox", name="Breach of conditions of the licence").check()
    page.get_by_role("checkbox", name=re.compile(r"condition 1: Fire exits")).check()
    page.get_by_label("Narrative").fill(
        "The fire exit was found locked at a routine inspection. Mr Nguyen gave no reason."
    )
    # A public summary naming the holder is refused: the public paper never names people.
    page.get_by_label("Public summary").fill("The fire exit was locked. Mr Nguyen gave no reason.")
    page.get_by_role("checkbox", name=re.compile(r"^Routine inspection on ")).check()
    page.get_by_role("radio", name="Revoke the licence").check()
    page.get_by_role("button", name="Save and submit for sign-off").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("The public summary names")
    page.get_by_label("Public summary").fill(PUBLIC_SUMMARY)
    page.get_by_role("button", name="Save and submit for sign-off").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("a referral cannot be submitted without it")
    expect(page.get_by_label("Narrative")).to_have_value(re.compile("fire exit was found locked"))
    expect(page.get_by_role("radio", name="Revoke the licence")).to_be_checked()
    check_accessibility(page, "referral form with errors")
    page.get_by_role("checkbox", name="Referral into the National Referral Mechanism").check()
    page.get_by_label("Another provider, or a note on who offered it (optional)").fill(
        "A specialist charity"
    )
    page.get_by_role("group", name="Was the support taken up?").get_by_role(
        "radio", name="Not known"
    ).check()
    _date(page, "Date the support was offered", inspected)
    page.get_by_role("button", name="Save and submit for sign-off").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Committee referral CR-\d{4}-\d{4}$")
    )
    referral = page.get_by_role("heading", level=1).inner_text().removeprefix("Committee referral ")
    referral_url = page.url
    expect(page.locator("#referral-status")).to_have_text("Awaiting sign-off")
    check_accessibility(page, "referral (submitted)")
    sign_out(page)

    # 2. The supervisor finds it awaiting sign-off and signs it off.
    sign_in(page, live_server, SUPERVISOR)
    nav(page).get_by_role("link", name="Referrals").click()
    page.get_by_label("Status").select_option(label="Awaiting sign-off")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("link", name=referral)).to_be_visible()
    check_accessibility(page, "referral list (supervisor)")
    page.get_by_role("link", name=referral).click()
    check_accessibility(page, "referral (to sign off)")
    expect(page.locator("#public-summary-approval")).to_contain_text("approves the")
    page.get_by_label("Comments").fill("Evidence is clear.")
    page.get_by_role("button", name="Sign off").click()
    expect(page.locator("#referral-status")).to_have_text("Signed off: with the committee clerk")
    sign_out(page)

    # 3. The clerk opens the process: the review application, received 110 days ago.
    sign_in(page, live_server, CLERK)
    page.goto(referral_url)
    _date(page, "Date the review application was received", received)
    page.get_by_label("Time the review application was received").fill("09:00")
    page.get_by_role("button", name="Open the statutory process").click()
    expect(page.locator("#hearing-window")).to_contain_text("The hearing must be between")
    expect(page.locator("#date-la-s52-hearing")).to_contain_text("Review hearing must start")
    check_accessibility(page, "referral (with the clerk)")

    # 4. A hearing before the representation period ends is refused, saying why.
    _date(page, "Date of the hearing", received + timedelta(days=10))
    page.get_by_label("Time of the hearing").fill("10:00")
    _date(page, "Date the hearing was listed", received + timedelta(days=1))
    page.get_by_label("Time the hearing was listed").fill("12:00")
    page.get_by_role("button", name="List the hearing").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "(the hearing window for this premises licence review)."
    )
    check_accessibility(page, "referral (hearing refused)")
    _date(page, "Date of the hearing", hearing)
    page.get_by_role("button", name="List the hearing").click()
    expect(page.get_by_text("is listed for")).to_be_visible()
    expect(page.locator("#referral-status")).to_have_text("Hearing listed")
    check_accessibility(page, "referral (hearing listed)")

    # 5. Both papers: Word files to edit, and the print view.
    with page.expect_download() as public_download:
        page.get_by_role("link", name="Public paper (Word)").click()
    public = _docx_text(public_download.value.path().read_bytes())
    assert "5. Chronology of the evidence" in public and MARKER in public
    assert HOLDER not in public and "Nguyen" not in public
    # Only the approved public summary: never the narrative.
    assert PUBLIC_SUMMARY in public and "gave no reason" not in public
    with page.expect_download() as exempt_download:
        page.get_by_role("link", name="Exempt paper (Word)").click()
    exempt = _docx_text(exempt_download.value.path().read_bytes())
    assert HOLDER in exempt and "Exempt version: not for publication" in exempt
    assert "gave no reason" in exempt
    page.get_by_role("link", name="Public paper (print view)").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        f"Review of premises licence {reference}"
    )
    expect(
        page.get_by_role("heading", level=2, name="8. Offer of support to victims and survivors")
    ).to_be_visible()
    check_accessibility(page, "public paper (print view)")
    page.get_by_role("link", name="Back to the referral").click()

    # 6. The hearing, the decision to revoke and its notification: all long past. The page
    # offers the notice of the hearing first; the decision is one of the other steps open.
    page.get_by_role("link", name="Record the hearing and the decision").click()
    _date(page, "Date the hearing was held", hearing)
    page.get_by_label("Time the hearing was held").fill("10:00")
    page.get_by_role("radio", name="Revoke the licence").check()
    page.get_by_label("The sub-committee's reasons").fill(
        "The holder failed to uphold the prevention of crime and disorder objective."
    )
    _date(page, "Date of the decision", hearing)
    page.get_by_label("Time of the decision").fill("15:00")
    _date(page, "Date the decision was notified (optional)", hearing + timedelta(days=1))
    page.get_by_label("Time the decision was notified (optional)").fill("10:00")
    page.get_by_role("button", name="Record the decision").click()
    # The appeal period ended long ago: the decision is in effect as the page is drawn.
    expect(page.locator("#referral-status")).to_have_text("Closed")
    expect(page.locator("#effect")).to_contain_text(f"Licence {reference} revoked with effect from")
    expect(page.locator("#licence-status")).to_have_text("Revoked")
    check_accessibility(page, "referral (decision in effect)")

    # 7. The premises page shows the licence revoked, and the referral on its timeline.
    page.goto(premises_url)
    card = page.locator(".govuk-summary-card", has_text=reference)
    expect(card).to_contain_text("Revoked")
    expect(
        page.get_by_role("link", name=re.compile(f"Committee referral {referral} drafted"))
    ).to_be_visible()
    check_accessibility(page, "premises (licence revoked)")

    assert set(check_accessibility.checked) == EXPECTED_PAGES
