"""Working offline in real headless Chromium, with the network switched off and on.

A licensing officer takes two premises offline, loses the signal, records an inspection with a
failed poster check (sent back once by the tablet's own check, keeping what was typed); a ward
officer on another tablet logs a welfare visit without a signal. Both reload while still offline
and find their records "Saved on this tablet, not yet sent"; when the signal returns each is
sent once, and the server holds exactly one of each, audited, with the follow-up reminder made.
A change to a licence's conditions made on the server meanwhile is shown as a conflict and not
overwritten. A record the server refuses stays on the tablet, its messages on the form, to be
corrected and sent. A web session that idles out while the officer is offline keeps what is
saved, which is sent once they sign in again. Signing out clears the tablet (IndexedDB is empty afterwards), after a warning
when records have not been sent; signing out on another device does not. Another officer
signing in on the same browser sees nothing of what the first kept, with or without a signal. Every offline screen is checked with axe-core.

The journeys run against a server of their own, so the test can read its database file.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from browser.conftest import LiveServer, serve
from browser.pages import account, nav, sign_in, sign_out, submit_sign_in, watch
from browser.test_inspection_journey import CONDITIONS, OFFICER, _add_licensed_nail_bar
from browser.test_welfare_journey import WARD_OFFICER, _fill_visit, _first_covered_ward
from enforcement.clock import LONDON, utcnow

pytestmark = pytest.mark.browser

SAVED = "Saved on this tablet, not yet sent"
DB_NAME = "tracker-offline"  # app/static/offline/db.js
SHELLS = 4  # app/static/offline/sw.js: the four shell pages it keeps


@pytest.fixture(scope="module")
def offline_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Path]]:
    folder = tmp_path_factory.mktemp("offline")
    for server in serve(folder):
        yield server, folder / "browser.db"


def _query(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(db)) as conn:
        return list(conn.execute(sql, args))


def _tablet(browser: Any) -> BrowserContext:
    """A tablet: its own cookies and storage; CSP bypassed so that axe can run."""
    context: BrowserContext = browser.new_context(
        bypass_csp=True, viewport={"width": 1024, "height": 768}
    )
    context.set_default_timeout(10_000)
    return context


def _take_offline(page: Page, premises_url: str, name: str) -> int:
    page.goto(premises_url)
    page.get_by_role("button", name=f"Take offline {name}").click()
    expect(page.get_by_role("status")).to_contain_text("Taken offline")
    return int(premises_url.rstrip("/").rsplit("/", 1)[1])


def _open_offline_ready(page: Page, showing: str) -> None:
    """Open Working offline from the menu and wait until its script lists the premises named
    `showing` (on a busy machine the signal could otherwise go before the page's own scripts had
    loaded) and the service worker keeps the shells."""
    nav(page).get_by_role("link", name="Offline").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Working offline")
    expect(page.get_by_role("link", name=showing)).to_be_visible()
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function(
        """async (n) => {
            const names = await caches.keys();
            if (!names.length) return false;
            const cache = await caches.open(names[0]);
            const kept = (await cache.keys()).map((r) => new URL(r.url).pathname);
            return ["/offline/", "/offline/premises", "/offline/inspect", "/offline/visit"]
                .filter((p) => kept.includes(p)).length === n;
        }""",
        arg=SHELLS,
    )


def _card(page: Page, kind: str, name: str) -> Any:
    return page.locator(".govuk-summary-card", has_text=f"{kind} at {name}")


def _stores(page: Page) -> dict[str, Any]:
    """What this browser holds for offline working: databases and their stores' counts."""
    held: dict[str, Any] = page.evaluate(
        """async (dbName) => {
            const dbs = (await indexedDB.databases()).map((d) => d.name);
            const out = {databases: dbs, counts: {}, caches: await caches.keys()};
            if (!dbs.includes(dbName)) return out;
            const db = await new Promise((ok, fail) => {
                const r = indexedDB.open(dbName);
                r.onsuccess = () => ok(r.result);
                r.onerror = () => fail(r.error);
            });
            for (const name of db.objectStoreNames) {
                out.counts[name] = await new Promise((ok) => {
                    const r = db.transaction(name).objectStore(name).count();
                    r.onsuccess = () => ok(r.result);
                });
            }
            db.close();
            return out;
        }""",
        DB_NAME,
    )
    return held


def _fill_failed_poster_check(page: Page, time_text: str, days_ago: int = 1) -> None:
    day = (utcnow().astimezone(LONDON) - timedelta(days=days_ago)).date()
    when = page.get_by_role("group", name="Date of inspection")
    when.get_by_label("Day").fill(str(day.day))
    when.get_by_label("Month").fill(str(day.month))
    when.get_by_label("Year").fill(str(day.year))
    page.get_by_label("Time of inspection").fill(time_text)
    page.get_by_role("radio", name="Routine inspection").check()
    poster = page.get_by_role("group", name="Was the anti-trafficking poster displayed?")
    poster.get_by_role("radio", name="Yes").check()
    page.get_by_role("checkbox", name="Where the public can see it").check()
    page.get_by_role("checkbox", name="Thai (needed here)").check()
    condition = page.get_by_role("group", name=f"Condition 1: {CONDITIONS[0]}")
    condition.get_by_role("radio", name="Breached").check()


@dataclass
class OnSite:
    """A signed-in officer's tablet with a licensed nail bar taken offline, the signal lost."""

    tablet: BrowserContext
    page: Page
    premises_id: int
    name: str
    url: str  # the premises page


def _inspection_saved_offline(
    browser: Any, live: LiveServer, label: str, code: str, *, days_ago: int = 1
) -> OnSite:
    """Take a new nail bar offline, lose the signal and save a failed poster check on the tablet."""
    run = secrets.token_hex(3)
    name = f"{label} Nails {run}"
    tablet = _tablet(browser)
    page = tablet.new_page()
    sign_in(page, live, OFFICER)
    url = _add_licensed_nail_bar(page, name, f"STL/{code}/{run}")
    premises_id = _take_offline(page, url, name)
    _open_offline_ready(page, showing=name)
    tablet.set_offline(True)
    page.get_by_role("link", name=name).click()
    page.get_by_role("link", name=f"Record an inspection of {name}").click()
    _fill_failed_poster_check(page, "10:30", days_ago=days_ago)
    page.get_by_role("button", name="Save inspection").click()
    expect(_card(page, "Inspection", name)).to_contain_text(SAVED)
    return OnSite(tablet, page, premises_id, name, url)


def test_records_made_without_a_signal_survive_a_reload_and_are_sent_once(
    browser: Any, offline_server: tuple[LiveServer, Path], check_accessibility: Any
) -> None:
    live, db = offline_server
    run = secrets.token_hex(3)

    # 1. The licensing officer takes two premises offline and opens Working offline.
    officer_tablet = _tablet(browser)
    officer = officer_tablet.new_page()
    broken = watch(officer)
    sign_in(officer, live, OFFICER)
    first = f"Offline Nails {run}"
    second = f"Offline Spa {run}"
    first_url = _add_licensed_nail_bar(officer, first, f"STL/OF/{run}")
    second_url = _add_licensed_nail_bar(officer, second, f"STL/OS/{run}")
    first_id = _take_offline(officer, first_url, first)
    _take_offline(officer, second_url, second)
    _open_offline_ready(officer, showing=first)
    expect(officer.get_by_role("link", name=second)).to_be_visible()
    check_accessibility(officer, "working offline")

    # 2. No signal: the premises, its form, the tablet's own check keeping what was typed.
    officer_tablet.set_offline(True)
    officer.get_by_role("link", name=first).click()
    expect(officer.get_by_role("heading", level=1)).to_have_text(first)
    expect(officer.get_by_text(CONDITIONS[0])).to_be_visible()
    check_accessibility(officer, "premises on this tablet")
    officer.get_by_role("link", name=f"Record an inspection of {first}").click()
    expect(officer.get_by_role("heading", level=1)).to_have_text("Record an inspection")
    expect(officer.get_by_role("checkbox", name="Vietnamese (needed here)")).to_be_visible()
    check_accessibility(officer, "inspection form on this tablet")
    _fill_failed_poster_check(officer, "25:99")
    officer.get_by_role("button", name="Save inspection").click()
    summary = officer.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(officer).to_have_title(re.compile(r"^Error: "))
    summary.get_by_role("link", name="Enter a time like 14:30").click()
    time_box = officer.get_by_label("Time of inspection")
    expect(time_box).to_be_focused()
    expect(time_box).to_have_value("25:99")
    expect(officer.get_by_role("radio", name="Routine inspection")).to_be_checked()
    expect(officer.get_by_role("checkbox", name="Thai (needed here)")).to_be_checked()
    check_accessibility(officer, "inspection form on this tablet with errors")
    time_box.fill("10:30")
    officer.get_by_role("button", name="Save inspection").click()
    expect(officer.get_by_role("heading", level=1)).to_have_text("Working offline")
    expect(_card(officer, "Inspection", first)).to_contain_text(SAVED)
    expect(officer.get_by_role("button", name="Send now")).to_be_visible()
    check_accessibility(officer, "working offline with a record not yet sent")

    # 3. A ward officer, on another tablet, logs a welfare visit without a signal.
    ward_tablet = _tablet(browser)
    ward = ward_tablet.new_page()
    broken_too = watch(ward)
    sign_in(ward, live, WARD_OFFICER)
    ward.goto(live(f"/premises?ward={_first_covered_ward(live.real_wards)}"))
    table = ward.get_by_role("table", name="Premises matching the search and filters")
    link = table.get_by_role("row").nth(1).get_by_role("link").first
    visited = link.inner_text().strip()
    link.click()
    visited_url = ward.url
    visited_id = _take_offline(ward, visited_url, visited)
    _open_offline_ready(ward, showing=visited)
    ward_tablet.set_offline(True)
    ward.get_by_role("link", name=visited).click()
    ward.get_by_role("link", name=f"Log a welfare visit to {visited}").click()
    expect(ward.get_by_role("heading", level=1)).to_have_text("Log a welfare visit")
    check_accessibility(ward, "welfare visit form on this tablet")
    # Today (the form says it is recorded on the day), at midnight: never in the future.
    today = utcnow().astimezone(LONDON).date()
    visit_day = ward.get_by_role("group", name="Date of the visit")
    visit_day.get_by_label("Day").fill(str(today.day))
    visit_day.get_by_label("Month").fill(str(today.month))
    visit_day.get_by_label("Year").fill(str(today.year))
    ward.get_by_role("button", name="Save welfare visit").click()
    expect(ward.get_by_role("alert")).to_contain_text("Enter the time the visit started")
    check_accessibility(ward, "welfare visit form on this tablet with errors")
    ward.get_by_label("Time the visit started").fill("00:00")
    _fill_visit(ward, "Offline visit feedback")
    ward.get_by_role("button", name="Save welfare visit").click()
    expect(_card(ward, "Welfare visit", visited)).to_contain_text(SAVED)

    # 4. Reloaded while still offline, both records are still there, not yet sent.
    for tablet, kind, name in ((officer, "Inspection", first), (ward, "Welfare visit", visited)):
        response = tablet.reload()
        assert response is not None and response.from_service_worker
        expect(tablet.get_by_role("heading", level=1)).to_have_text("Working offline")
        # The kept shell, not a page drawn online: no name, no Sign out, no menu.
        expect(account(tablet)).to_have_count(0)
        expect(nav(tablet)).to_have_count(0)
        expect(_card(tablet, kind, name)).to_contain_text(SAVED)
    check_accessibility(ward, "working offline after a reload without a signal")
    assert _query(db, "SELECT count(*) FROM inspections WHERE premises_id = ?", first_id) == [(0,)]

    # 5. The signal returns: each record is sent, once.
    officer_tablet.set_offline(False)
    ward_tablet.set_offline(False)
    expect(_card(officer, "Inspection", first)).to_contain_text("Sent")
    expect(_card(ward, "Welfare visit", visited)).to_contain_text("Sent")
    expect(officer.get_by_role("button", name="Send now")).to_be_hidden()
    check_accessibility(officer, "working offline with the record sent")
    for tablet in (officer, ward):  # opening the page again sends nothing again
        tablet.reload()
        expect(tablet.get_by_role("heading", level=1)).to_have_text("Working offline")
        tablet.get_by_text("This tablet is online").wait_for()
    officer.get_by_role("link", name=f"Open the record of {first}").click()
    expect(officer.get_by_role("heading", level=1)).to_contain_text("Inspection on")
    expect(
        officer.get_by_text("Not visible to workers; missing Vietnamese", exact=True)
    ).to_be_visible()

    inspections = _query(db, "SELECT id FROM inspections WHERE premises_id = ?", first_id)
    assert len(inspections) == 1
    (inspection_id,) = inspections[0]
    assert _query(
        db,
        "SELECT count(*) FROM audit_events WHERE action = 'inspection.create'"
        " AND entity_type = 'inspection' AND entity_id = ?",
        str(inspection_id),
    ) == [(1,)]
    assert _query(
        db,
        "SELECT count(*) FROM reminders WHERE premises_id = ? AND kind = 'follow_up_inspection'"
        " AND status = 'open'",
        first_id,
    ) == [(1,)]
    visits = _query(
        db,
        "SELECT id FROM welfare_visits WHERE premises_id = ? AND feedback = ?",
        visited_id,
        "Offline visit feedback",
    )
    assert len(visits) == 1
    assert _query(
        db,
        "SELECT count(*) FROM audit_events WHERE action = 'welfare_visit.create' AND entity_id = ?",
        str(visits[0][0]),
    ) == [(1,)]

    officer_tablet.close()
    ward_tablet.close()
    assert check_accessibility.checked == [
        "working offline",
        "premises on this tablet",
        "inspection form on this tablet",
        "inspection form on this tablet with errors",
        "working offline with a record not yet sent",
        "welfare visit form on this tablet",
        "welfare visit form on this tablet with errors",
        "working offline after a reload without a signal",
        "working offline with the record sent",
    ]
    failed = broken + broken_too
    assert not [b for b in failed if "/offline/api/" in b or "script error" in b], failed


def test_a_change_made_on_the_server_meanwhile_is_a_conflict_not_overwritten(
    browser: Any, offline_server: tuple[LiveServer, Path], check_accessibility: Any
) -> None:
    live, db = offline_server
    run = secrets.token_hex(3)
    name = f"Conflict Nails {run}"
    tablet = _tablet(browser)
    page = tablet.new_page()
    sign_in(page, live, OFFICER)
    url = _add_licensed_nail_bar(page, name, f"STL/CF/{run}")
    premises_id = _take_offline(page, url, name)
    _open_offline_ready(page, showing=name)

    # At the office, the licence gets a new condition while the tablet is out.
    office_context = _tablet(browser)
    office = office_context.new_page()
    sign_in(office, live, OFFICER)
    office.goto(url)
    office.get_by_role("link", name=re.compile(r"^Add a condition to licence")).click()
    office.get_by_label("Wording of the new condition").fill("Towels shall be laundered daily.")
    office.get_by_role("button", name="Add condition").click()
    expect(office.get_by_text("Towels shall be laundered daily.")).to_be_visible()
    conditions_before = _query(
        db,
        "SELECT c.id, c.number, c.text FROM licence_conditions c JOIN licences l"
        " ON l.id = c.licence_id WHERE l.premises_id = ? ORDER BY c.id",
        premises_id,
    )
    office_context.close()

    # Two inspections recorded against the package taken before the change.
    tablet.set_offline(True)
    for time_text in ("10:30", "11:45"):
        page.goto(live(f"/offline/premises?id={premises_id}"))
        page.get_by_role("link", name=f"Record an inspection of {name}").click()
        _fill_failed_poster_check(page, time_text)
        page.get_by_role("button", name="Save inspection").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Working offline")
    expect(_card(page, "Inspection", name)).to_have_count(2)
    tablet.set_offline(False)

    conflicts = page.locator(".govuk-summary-card[data-state='conflict']", has_text=name)
    expect(conflicts).to_have_count(2)
    expect(conflicts.first).to_contain_text("Conflict: changed on the server")
    expect(conflicts.first).to_contain_text("The licence conditions changed")
    check_accessibility(page, "working offline with a conflict")

    def inspections() -> list[tuple[Any, ...]]:
        return _query(db, "SELECT count(*) FROM inspections WHERE premises_id = ?", premises_id)

    def conditions() -> list[tuple[Any, ...]]:
        return _query(
            db,
            "SELECT c.id, c.number, c.text FROM licence_conditions c JOIN licences l"
            " ON l.id = c.licence_id WHERE l.premises_id = ? ORDER BY c.id",
            premises_id,
        )

    assert inspections() == [(0,)]
    assert conditions() == conditions_before

    # One is sent anyway: saved beside the change, which stays as it was.
    conflicts.first.get_by_role("button", name=f"Send anyway the inspection at {name}").click()
    sent = page.locator(".govuk-summary-card[data-state='sent']", has_text=name)
    expect(sent).to_have_count(1)
    expect(conflicts).to_have_count(1)
    assert inspections() == [(1,)]
    assert conditions() == conditions_before
    # The other is discarded: it never reaches the server.
    conflicts.first.get_by_role("button", name=f"Discard the inspection at {name}").click()
    expect(page.get_by_text(f"The inspection at {name} has been discarded")).to_be_visible()
    expect(conflicts).to_have_count(0)
    assert inspections() == [(1,)]
    tablet.close()


def test_signing_out_warns_of_unsent_records_then_clears_the_tablet(
    browser: Any, offline_server: tuple[LiveServer, Path], check_accessibility: Any
) -> None:
    live, _db = offline_server
    site = _inspection_saved_offline(browser, live, "Sign Out", "SO")
    tablet, page, url = site.tablet, site.page, site.url
    held = _stores(page)
    assert held["counts"] == {"meta": 1, "premises": 1, "records": 1}, held

    # The server cannot be reached for sending (but pages load): the record stays unsent.
    tablet.route("**/offline/api/records", lambda route: route.abort())
    tablet.set_offline(False)
    page.goto(url)
    account(page).get_by_role("button", name="Sign out").click()
    warning = page.get_by_role("alert")
    expect(warning).to_contain_text("You have records that have not been sent")
    expect(warning).to_contain_text("1 record saved on this tablet has not been sent")
    check_accessibility(page, "warning before signing out")
    with page.expect_response(lambda r: r.url.endswith("/sign-out")) as signing_out:
        page.get_by_role("button", name="Sign out anyway").click()
    # The browser clears its storage even where the page's script could not.
    assert signing_out.value.all_headers().get("clear-site-data") == '"storage"'
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    page.wait_for_function(
        "async (n) => !(await indexedDB.databases()).some((d) => d.name === n)", arg=DB_NAME
    )
    held = _stores(page)
    assert DB_NAME not in held["databases"], held
    assert not [c for c in held["caches"] if c.startswith("offline-")], held
    registrations = page.evaluate(
        "navigator.serviceWorker.getRegistrations().then((r) => r.length)"
    )
    assert registrations == 0
    tablet.close()


def test_a_record_the_server_refuses_stays_on_the_tablet_to_correct(
    browser: Any, offline_server: tuple[LiveServer, Path], check_accessibility: Any
) -> None:
    live, db = offline_server
    # Tomorrow is a real date, so the tablet saves it; only the server refuses the future.
    site = _inspection_saved_offline(browser, live, "Refused", "RF", days_ago=-1)
    tablet, page, premises_id, name = site.tablet, site.page, site.premises_id, site.name
    tablet.set_offline(False)

    card = _card(page, "Inspection", name)
    expect(card).to_contain_text("Refused: needs correcting")
    expect(card).to_contain_text("must be in the past")
    check_accessibility(page, "working offline with a refused record")
    card.get_by_role("link", name=f"Correct it the inspection at {name}").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("must be in the past")
    expect(page.get_by_label("Time of inspection")).to_have_value("10:30")
    expect(page.get_by_role("radio", name="Routine inspection")).to_be_checked()
    expect(page.get_by_role("checkbox", name="Thai (needed here)")).to_be_checked()
    check_accessibility(page, "inspection form on this tablet to correct")
    yesterday = (utcnow().astimezone(LONDON) - timedelta(days=1)).date()
    when = page.get_by_role("group", name="Date of inspection")
    expect(when).to_contain_text("Error: The inspection date and time must be in the past")
    expect(when.get_by_label("Day")).to_have_value(str((yesterday + timedelta(days=2)).day))
    when.get_by_label("Day").fill(str(yesterday.day))
    when.get_by_label("Month").fill(str(yesterday.month))
    when.get_by_label("Year").fill(str(yesterday.year))
    page.get_by_role("button", name="Save inspection").click()
    expect(_card(page, "Inspection", name)).to_contain_text("Sent")
    assert _query(db, "SELECT count(*) FROM inspections WHERE premises_id = ?", premises_id) == [
        (1,)
    ]
    tablet.close()


def test_a_session_that_idled_out_keeps_what_is_saved_and_sends_it_after_signing_in_again(
    browser: Any, offline_server: tuple[LiveServer, Path], check_accessibility: Any
) -> None:
    live, db = offline_server
    site = _inspection_saved_offline(browser, live, "Idle", "ID")
    tablet, page, premises_id, name = site.tablet, site.page, site.premises_id, site.name

    # Out of signal for longer than the idle limit: the web session has ended on the server.
    tablet.clear_cookies()
    tablet.set_offline(False)
    expect(page.get_by_text("Sign in again to send what is saved on this tablet")).to_be_visible()
    expect(_card(page, "Inspection", name)).to_contain_text(SAVED)
    check_accessibility(page, "working offline asking to sign in again")
    assert _stores(page)["counts"] == {"meta": 1, "premises": 1, "records": 1}
    # The sign-in page it leads to (the session's end, not a sign-out) clears nothing.
    page.get_by_role("link", name="Sign in again").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sign in")
    page.wait_for_timeout(500)  # time for the page's script to run, were it to clear anything
    assert _stores(page)["counts"] == {"meta": 1, "premises": 1, "records": 1}
    assert _query(db, "SELECT count(*) FROM inspections WHERE premises_id = ?", premises_id) == [
        (0,)
    ]
    # Signed in again, the same offline key comes back: the record is sent, once.
    submit_sign_in(page, OFFICER)
    expect(page.get_by_role("heading", level=1)).to_have_text("Working offline")
    expect(_card(page, "Inspection", name)).to_contain_text("Sent")
    assert _query(db, "SELECT count(*) FROM inspections WHERE premises_id = ?", premises_id) == [
        (1,)
    ]
    tablet.close()


def test_another_officer_signing_in_on_a_shared_browser_never_sees_what_the_first_kept(
    browser: Any, offline_server: tuple[LiveServer, Path]
) -> None:
    live, db = offline_server
    site = _inspection_saved_offline(browser, live, "Shared", "SH")
    tablet, page, premises_id, name = site.tablet, site.page, site.premises_id, site.name
    record_id = _card(page, "Inspection", name).get_attribute("data-record")
    assert record_id

    # The licensing officer's session idles out; a ward officer signs in on the same browser,
    # then loses the signal and opens the offline pages from the service worker's copies.
    tablet.clear_cookies()
    tablet.set_offline(False)
    sign_in(page, live, WARD_OFFICER)
    tablet.set_offline(True)
    for path in (
        "/offline/",
        f"/offline/premises?id={premises_id}",
        f"/offline/inspect?id={premises_id}&record={record_id}",
        f"/offline/visit?id={premises_id}&record={record_id}",
    ):
        page.goto(live(path))
        expect(page.locator("#offline-loading")).to_have_count(0)
        expect(page.locator("main")).not_to_contain_text(name)
        assert "10:30" not in [i.input_value() for i in page.locator("main input").all()], path
    # Nothing of the first officer's is left for anyone to read: their copy went with their key.
    held = _stores(page)
    assert held["counts"].get("records", 0) == 0, held
    assert held["counts"].get("premises", 0) == 0, held
    tablet.set_offline(False)
    assert _query(db, "SELECT count(*) FROM inspections WHERE premises_id = ?", premises_id) == [
        (0,)
    ]
    tablet.close()


def test_signing_out_on_another_device_keeps_the_tablets_unsent_records(
    browser: Any, offline_server: tuple[LiveServer, Path]
) -> None:
    live, db = offline_server
    site = _inspection_saved_offline(browser, live, "Elsewhere", "EW")
    tablet, page, premises_id, name = site.tablet, site.page, site.premises_id, site.name

    # While the tablet has no signal, the same officer signs in and out on another computer.
    desktop = _tablet(browser)
    other = desktop.new_page()
    sign_in(other, live, OFFICER)
    sign_out(other)
    desktop.close()

    # The signal returns: the tablet still reads its record and sends it, once.
    tablet.set_offline(False)
    expect(_card(page, "Inspection", name)).to_contain_text("Sent")
    assert _query(db, "SELECT count(*) FROM inspections WHERE premises_id = ?", premises_id) == [
        (1,)
    ]
    tablet.close()
