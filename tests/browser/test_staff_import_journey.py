"""An administrator imports the staff list in real headless Chromium: a list with a bad row
(nothing made, each row to correct listed), then the corrected list, whose accounts are shown
with their temporary passwords once; a new officer signs in with theirs and must change it.
Every page state is checked by axe-core, with every impact counted."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from browser.pages import nav, sign_in, sign_out, submit_sign_in

pytestmark = pytest.mark.browser

ADMIN = ("admin@demo.invalid", "admin-demo-2026!")  # enforcement/demo.py DEMO_USERS
POLICE = "Metropolitan Police, Central West (demo)"  # enforcement/demo.py POLICE
LISTED = f'Email,Name,Organisation,Roles,Wards\r\nnew.officer@met.example,Nia Okoro,"{POLICE}",'


def _upload(page: Page, folder: Path, text: str) -> None:
    listed = folder / "staff.csv"
    listed.write_text(text, encoding="utf-8")
    page.get_by_label("Staff list").set_input_files(str(listed))
    page.get_by_role("button", name="Upload the list").click()


def test_an_administrator_imports_staff_and_a_new_officer_signs_in(
    page: Page, live_server: Any, check_accessibility: Any, tmp_path: Path
) -> None:
    sign_in(page, live_server, ADMIN)
    nav(page).get_by_role("link", name="Users").click()
    page.get_by_role("link", name="Import staff from a spreadsheet").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import staff from a spreadsheet")
    check_accessibility(page, "staff import")

    _upload(page, tmp_path, LISTED + "Chief\r\n")
    expect(page.get_by_role("alert")).to_contain_text("1 row of the list cannot be used")
    expect(page.locator("#problems")).to_contain_text("Roles: Chief is not a role")
    check_accessibility(page, "staff import with a row to correct")

    _upload(page, tmp_path, LISTED + "Supervisor\r\n")
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff accounts made")
    row = page.get_by_role("row", name=re.compile("Nia Okoro"))
    secret = row.locator("code").inner_text()
    assert re.fullmatch(r"[a-z0-9]{5}(-[a-z0-9]{5}){3}", secret), secret
    check_accessibility(page, "staff accounts made")

    sign_out(page)
    page.goto(live_server("/sign-in"))
    submit_sign_in(page, ("new.officer@met.example", secret))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Change your password"))
