"""A member of the public searches the register and opens a licence with its conditions.

Real headless Chromium against the real server with PUBLIC_REGISTER on and demo data, signed
out throughout; axe-core finds nothing, of any impact, on each page.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, func, select, tuple_

from browser.conftest import LiveServer, assert_no_axe_findings, serve
from enforcement.models import Licence, LicenceCondition, Premises

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def public_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Path]]:
    folder = tmp_path_factory.mktemp("public")
    for server in serve(folder, PUBLIC_REGISTER="true"):
        yield server, folder / "browser.db"


def _a_licence_with_conditions(db: Path) -> tuple[str, str, str, list[str]]:
    """A licensed premises of the demo data that its name and street address tell apart from
    every other (the fictional borough's businesses share a few names), its licence's
    reference and its conditions."""
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        own = (
            select(Premises.name, Premises.address_line1)
            .group_by(Premises.name, Premises.address_line1)
            .having(func.count() == 1)
        )
        lid, name, address, reference = conn.execute(
            select(Licence.id, Premises.name, Premises.address_line1, Licence.reference)
            .join(Premises, Premises.id == Licence.premises_id)
            .where(
                tuple_(Premises.name, Premises.address_line1).in_(own),
                Licence.id.in_(select(LicenceCondition.licence_id)),
            )
            .order_by(Licence.id)
            .limit(1)
        ).one()
        conditions = list(
            conn.scalars(
                select(LicenceCondition.text)
                .where(LicenceCondition.licence_id == lid, LicenceCondition.is_active)
                .order_by(LicenceCondition.number)
            )
        )
    engine.dispose()
    return name, address, reference, conditions


def test_search_the_public_register_and_open_a_licence(
    page: Page, public_server: tuple[LiveServer, Path]
) -> None:
    server, db = public_server
    name, address, reference, conditions = _a_licence_with_conditions(db)
    assert conditions

    page.goto(server("/register"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Public register of licences")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    assert_no_axe_findings(page, "public register")

    page.get_by_label("Search by premises name, address or postcode").fill(f"{name} {address}")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#result-count")).to_contain_text("of")
    assert_no_axe_findings(page, "public register searched")

    page.locator("#licences-table").get_by_role("link", name=name).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.locator("#licence-details")).to_contain_text(reference)
    items = page.locator("#conditions li")
    expect(items).to_have_count(len(conditions))
    for n, text in enumerate(conditions):
        expect(items.nth(n)).to_have_text(text)
    assert_no_axe_findings(page, "public licence")

    # A search that matches nothing, and one with a mistake, say so.
    page.goto(server("/register?ward=nowhere"))
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose a ward from the list")
    assert_no_axe_findings(page, "public register with an error")


def test_a_visitor_reaches_the_accessibility_privacy_and_cookies_pages_from_the_footer(
    page: Page, public_server: tuple[LiveServer, Path]
) -> None:
    """Public sector services publish an accessibility statement; the register's visitors, who
    cannot sign in, must reach it (and the privacy and cookies pages) from the register."""
    server, _db = public_server
    headings = {
        "Accessibility statement": "Accessibility statement for",
        "Privacy": "How this service uses personal information",
        "Cookies": "Cookies and what the service stores on your device",
    }
    for link, heading in headings.items():
        page.goto(server("/register"))
        page.get_by_role("contentinfo").get_by_role("link", name=link, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        assert_no_axe_findings(page, link)
    assert page.context.cookies() == []  # the register and these pages set none


def test_the_register_is_not_there_when_switched_off(page: Page, live_server: Any) -> None:
    response = page.goto(live_server("/register"))
    assert response is not None and response.status == 404
