"""The second factor in real headless Chromium, with REQUIRE_SECOND_FACTOR on as in production.

An analyst signs in for the first time, sets up an authenticator app from the key on the page,
saves the recovery codes, signs out, signs in again with a wrong then a recovery code; an
administrator (who sets up their own app first) resets the analyst's second factor. axe-core
checks every page of the journey and must find nothing at all, of any impact.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from browser.conftest import (
    LiveServer,
    assert_no_axe_findings,
    serve,
)
from browser.pages import sign_out, submit_sign_in
from enforcement.accounts import totp
from enforcement.clock import utcnow

pytestmark = pytest.mark.browser

ANALYST = ("analyst@demo.invalid", "analyst-demo-2026")  # enforcement/demo.py DEMO_USERS
ADMIN = ("admin@demo.invalid", "admin-demo-2026!")


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The real app served by `flask run` with the second factor required."""
    yield from serve(tmp_path_factory.mktemp("strict"), REQUIRE_SECOND_FACTOR="on")


def password(page: Page, server: LiveServer, who: tuple[str, str]) -> None:
    page.goto(server("/sign-in"))
    submit_sign_in(page, who)


def set_up_app(page: Page, label: str) -> list[str]:
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    assert_no_axe_findings(page, f"set up the app ({label})")
    key = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Code from your app").fill(totp.code_at(key, utcnow()))
    page.get_by_role("button", name="Confirm and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your authenticator app is set up")
    assert_no_axe_findings(page, f"recovery codes ({label})")
    codes = [c.strip() for c in page.locator("#recovery-codes code").all_inner_texts()]
    assert len(codes) == 10
    page.get_by_role("button", name="I have saved my codes, continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello")
    return codes


def test_setting_up_and_using_a_second_factor(page: Page, strict_server: LiveServer) -> None:
    # 1. First sign-in: the password leads to setting up the app; nothing else opens meanwhile.
    password(page, strict_server, ANALYST)
    page.goto(strict_server("/premises"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    password(page, strict_server, ANALYST)
    codes = set_up_app(page, "analyst")
    sign_out(page)

    # 2. Next sign-in: a code is asked for; a wrong one is refused, a recovery code works.
    password(page, strict_server, ANALYST)
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your security code")
    assert_no_axe_findings(page, "security code")
    page.get_by_label("Security code").fill("000000")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("The code is not correct")
    assert_no_axe_findings(page, "security code with an error")
    page.get_by_label("Security code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello")
    expect(page.get_by_text("You used a recovery code. You have 9 left.")).to_be_visible()
    sign_out(page)

    # 3. An administrator (who sets up their own app first) resets the analyst's factor.
    password(page, strict_server, ADMIN)
    set_up_app(page, "administrator")
    page.goto(strict_server("/admin/users"))
    page.get_by_role("link", name="Change Ash Analyst").click()
    page.get_by_role("link", name=re.compile("Second factor")).click()
    expect(page.get_by_text("9 of 10")).to_be_visible()
    assert_no_axe_findings(page, "a user's second factor (admin)")
    page.get_by_role("button", name="Reset second factor").click()
    expect(page.get_by_text("second factor has been reset")).to_be_visible()
    sign_out(page)

    # 4. The analyst sets up a new app at their next sign-in.
    password(page, strict_server, ANALYST)
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
