"""A page past the last one (an old link, a list that shrank) says so, on every list.

The rows exist, so the page neither claims that none match nor counts impossible positions
("Showing 0 to 350 of 310"): it says how many match, on how many pages, and links back to the
first page; the count line above the list shows only when the page holds rows.
"""

from __future__ import annotations

import re

import pytest
from builders import NOW, make_case, sign_in
from builders.referrals import World, full_draft, make_world
from flask import Flask
from sqlalchemy.orm import Session

from enforcement.referrals import drafting as referrals

PAST = "This page is past the last one"


@pytest.fixture
def world(session: Session) -> World:
    made = make_world(session)
    make_case(session, made.premises.id, made.council_id, made.actors["officer"].user_id or 0)
    referrals.create_draft(session, made.actors["officer"], NOW, made.premises.id, full_draft(made))
    session.commit()
    return made


@pytest.mark.parametrize(
    ("who", "path", "one", "many", "empty"),
    [
        ("officer", "/premises", "premises", "premises", "No premises match"),
        ("officer", "/cases", "case", "cases", "No cases match"),
        ("analyst", "/flags", "flag", "flags", "No flags to show"),
        ("officer", "/referrals?view=all", "referral", "referrals", "No referrals in this list"),
        (None, "/register", "licence", "licences", "No licences match"),
    ],
)
def test_a_page_past_the_last_says_so_and_leads_back(
    app: Flask, world: World, who: str | None, path: str, one: str, many: str, empty: str
) -> None:
    app.config["SETTINGS"] = app.config["SETTINGS"].with_overrides(public_register=True)
    client = app.test_client()
    if who is not None:
        sign_in(client, f"{who}@example.gov.uk")
    first = client.get(path).get_data(as_text=True)
    shown = re.search(rf"Showing 1 to (\d+) of (\d+) ({one}|{many})\b", first)
    assert shown, first
    total = int(shown.group(2))
    matched = f"1 {one} matches" if total == 1 else f"{total:,} {many} match"
    joiner = "&" if "?" in path else "?"
    page = client.get(f"{path}{joiner}page=99")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert PAST in body and f"{matched}, on 1 page." in body
    assert "Go back to the first page" in body and "page=1" in body
    assert "Showing" not in body and empty not in body
