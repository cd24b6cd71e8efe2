"""A licensing officer imports a licence register through the upload page, in real Chromium.

Upload an esd CSV, follow the background preview, confirm, see the result, open an imported
licence's form. The new pages are checked with axe-core for findings of any impact.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from browser.conftest import assert_no_axe_findings
from browser.pages import nav, sign_in

pytestmark = pytest.mark.browser

WHO = ("licensing@demo.invalid", "licensing-demo-2026")  # enforcement/demo.py DEMO_USERS
FIXTURE = Path(__file__).resolve().parents[1] / "data" / "register" / "licences.csv"


def test_a_licensing_officer_imports_a_register_file(
    page: Page, live_server: Any, tmp_path: Path
) -> None:
    # A reference of its own, so the journey can run again against the same server.
    run = secrets.token_hex(3).upper()
    upload = tmp_path / "register.csv"
    upload.write_bytes(FIXTURE.read_bytes().replace(b"LIC/", f"LIC{run}/".encode()))
    sign_in(page, live_server, WHO)
    nav(page).get_by_role("link", name="Imports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import premises and licences")
    assert_no_axe_findings(page, "imports")

    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("alert")).to_contain_text("Select the kind of file")
    assert_no_axe_findings(page, "imports with errors")

    page.get_by_label("Premises licence register (LGA/esd CSV)").check()
    page.get_by_label("File", exact=True).set_input_files(str(upload))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_text("Waiting for you to confirm")).to_be_visible(timeout=60_000)
    expect(page.get_by_role("table", name="Refused rows")).to_contain_text("is not a real date")
    assert_no_axe_findings(page, "import preview")

    # A file with a refused row is imported only when its rows are chosen to be left out.
    page.get_by_role("button", name="Confirm the import").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Choose to leave out the refused row and import the rest")
    summary.get_by_role("link").first.click()
    checkbox = page.get_by_label("Leave out the refused row and import the rest")
    expect(checkbox).to_be_focused()
    assert_no_axe_findings(page, "import preview with errors")
    checkbox.check()
    page.get_by_role("button", name="Confirm the import").click()
    expect(page.get_by_role("heading", name="Imported")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Refused rows left out, as chosen: 1.")).to_be_visible()
    expect(page.get_by_text("2 premises and 2 licences added")).to_be_visible()
    assert_no_axe_findings(page, "import result")

    page.goto(live_server("/premises?q=Example+Arms"))
    page.get_by_role("link", name=re.compile("The Example Arms")).first.click()
    expect(page.get_by_text("Pat Example (personal licence PL/EX/1)")).to_be_visible()
    page.get_by_role("link", name=f"Change licence LIC{run}/1").click()
    expect(page.get_by_label("Designated premises supervisor (optional)")).to_have_value(
        "Pat Example"
    )
    assert_no_axe_findings(page, "licence form with the esd fields")
