"""The referral's page: the referral, the one step open now, the steps taken, then the rest folded."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from builders import BOOK, CAL, NOW, post, sign_in
from builders.referrals import World, at, full_draft, make_world
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from enforcement.models import Referral
from enforcement.referrals import drafting as referrals
from enforcement.referrals import process as referral_process

#: Every form a referral's page can hold, by the last part of the address it posts to.
STEP_FORM = re.compile(
    r'<form method="post" action="/referrals/\d+/'
    r"(submit|sign-off|public-summary|process|hearing|notice|representations|outcome|notified"
    r"|appeal|appeal-decision)[#\"]"
)
#: How far each referral is taken, in order.
STAGES = (
    "draft",
    "submitted",
    "signed_off",
    "process_open",
    "listed",
    "notice_given",
    "decided",
    "notified",
    "appealed",
    "closed",
)


@pytest.fixture
def world(session: Session) -> World:
    made = make_world(session)
    session.commit()
    return made


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """The referral pages' clock; change now[0] to move it."""
    now = [NOW]
    monkeypatch.setattr("app.referrals.views.utcnow", lambda: now[0])
    return now


def _referral_at(session: Session, world: World, stage: str) -> Referral:
    """A referral taken through the process (through the domain) as far as `stage`."""
    reached = STAGES.index(stage)
    a = world.actors
    r = referrals.create_draft(session, a["officer"], NOW, world.premises.id, full_draft(world))

    def step(name: str, do: object) -> bool:
        if STAGES.index(name) > reached:
            return False
        do()  # type: ignore[operator]
        return True

    process = {"calendar": CAL, "rulebook": BOOK}
    taken = (
        step("submitted", lambda: referrals.submit(session, a["officer"], NOW, r.id, r.version))
        and step(
            "signed_off",
            lambda: referrals.sign_off(session, a["supervisor"], NOW, r.id, r.version, "Good"),
        )
        and step(
            "process_open",
            lambda: referral_process.open_process(
                session,
                a["clerk"],
                at("2026-03-03", "12:00"),
                r.id,
                r.version,
                received_at=at("2026-03-03", "09:00"),
                **process,  # type: ignore[arg-type]
            ),
        )
        and step(
            "listed",
            lambda: referral_process.list_hearing(
                session,
                a["clerk"],
                at("2026-03-03", "12:00"),
                r.id,
                r.version,
                hearing_at=at("2026-04-20", "10:00"),
                listed_at=at("2026-03-03", "12:00"),
                **process,  # type: ignore[arg-type]
            ),
        )
        and step(
            "notice_given",
            lambda: referral_process.record_notice_given(
                session,
                a["clerk"],
                at("2026-03-05", "12:00"),
                r.id,
                r.version,
                given_at=at("2026-03-05", "11:00"),
                **process,  # type: ignore[arg-type]
            ),
        )
        and step(
            "decided",
            lambda: referral_process.record_outcome(
                session,
                a["clerk"],
                at("2026-04-20", "17:00"),
                r.id,
                r.version,
                referral_process.OutcomeInput(
                    held_at=at("2026-04-20", "10:30"),
                    decided_at=at("2026-04-20", "16:00"),
                    decision="revoke",
                    reasons="Exploitation at the premises.",
                ),
                **process,  # type: ignore[arg-type]
            ),
        )
        and step(
            "notified",
            lambda: referral_process.record_notification(
                session,
                a["clerk"],
                at("2026-04-21", "12:00"),
                r.id,
                r.version,
                notified_at=at("2026-04-21", "10:00"),
                **process,  # type: ignore[arg-type]
            ),
        )
        and step(
            "appealed",
            lambda: referral_process.record_appeal(
                session,
                a["clerk"],
                at("2026-04-24", "12:00"),
                r.id,
                r.version,
                lodged_at=at("2026-04-24", "10:00"),
                **process,  # type: ignore[arg-type]
            ),
        )
        and step(
            "closed",
            lambda: referral_process.record_appeal_decision(
                session,
                a["clerk"],
                at("2026-06-01", "12:00"),
                r.id,
                r.version,
                decided_at=at("2026-06-01", "10:00"),
                outcome="allowed",
                **process,  # type: ignore[arg-type]
            ),
        )
    )
    assert taken or stage != "closed"
    session.commit()
    statuses = {"listed": "hearing_listed", "notice_given": "hearing_listed", "notified": "decided"}
    assert r.status == statuses.get(stage, stage)
    return r


def _forms(page: str) -> list[str]:
    return STEP_FORM.findall(page)


def _others(page: str) -> list[str]:
    return re.findall(r'href="/referrals/\d+\?step=([a-z_]+)"', page)


# The clerk's page at each stage, on a day in it: the one form, and the other steps as links.
CLERK_STAGES = [
    ("signed_off", "2026-03-03", ["process"], []),
    # The representation period runs to the end of 31 March: listing comes first.
    ("process_open", "2026-03-04", ["hearing"], ["representations"]),
    ("listed", "2026-03-04", ["notice"], ["representations", "outcome", "move_hearing"]),
    ("notice_given", "2026-03-10", ["representations"], ["outcome", "move_hearing"]),
    # The representation period has ended: the hearing and the decision come next.
    ("notice_given", "2026-04-10", ["outcome"], ["representations", "move_hearing"]),
    ("decided", "2026-04-20", ["notified"], ["appeal"]),
    ("notified", "2026-04-22", ["appeal"], []),
    ("appealed", "2026-04-25", ["appeal-decision"], []),
    ("closed", "2026-06-02", [], []),
]


@pytest.mark.parametrize(("stage", "day", "form", "others"), CLERK_STAGES)
def test_the_clerk_sees_only_the_step_open_now_and_the_others_as_links(
    client: FlaskClient,
    session: Session,
    world: World,
    clock: list[datetime],
    stage: str,
    day: str,
    form: list[str],
    others: list[str],
) -> None:
    r = _referral_at(session, world, stage)
    clock[0] = at(day, "12:00")
    sign_in(client, "clerk@example.gov.uk")
    page = client.get(f"/referrals/{r.id}").get_data(as_text=True)
    assert _forms(page) == form
    assert _others(page) == others
    # The summary comes first, then the step, then the steps taken, then the referral folded.
    order = [page.index(marker) for marker in ('id="referral-details"', 'id="steps-taken"')]
    if form:
        order.insert(1, page.index('id="step-'))
    assert order == sorted(order)
    assert page.index('id="steps-taken"') < page.index(
        '<details class="govuk-details" id="evidence"'
    )


def test_another_open_step_is_chosen_from_its_link_and_a_closed_one_is_not(
    client: FlaskClient, session: Session, world: World, clock: list[datetime]
) -> None:
    r = _referral_at(session, world, "process_open")
    clock[0] = at("2026-03-04", "12:00")
    sign_in(client, "clerk@example.gov.uk")
    page = client.get(f"/referrals/{r.id}?step=representations").get_data(as_text=True)
    assert _forms(page) == ["representations"] and _others(page) == ["list_hearing"]
    assert "The representation period ends at the end of Tuesday 31 March 2026." in page
    for junk in ("outcome", "sign_off", "nonsense", "x" * 5000, ""):
        resp = client.get(f"/referrals/{r.id}", query_string={"step": junk})
        assert resp.status_code == 200
        assert _forms(resp.get_data(as_text=True)) == ["hearing"], junk


def test_a_listed_hearing_is_moved_showing_the_current_listing(
    client: FlaskClient, session: Session, world: World, clock: list[datetime]
) -> None:
    r = _referral_at(session, world, "listed")
    clock[0] = at("2026-03-04", "12:00")
    sign_in(client, "clerk@example.gov.uk")
    page = client.get(f"/referrals/{r.id}?step=move_hearing").get_data(as_text=True)
    assert _forms(page) == ["hearing"]
    assert '<h2 class="govuk-heading-m" id="step-hearing">Move the hearing</h2>' in page
    assert re.search(r"<button[^>]*>\s*Move the hearing\s*</button>", page)
    assert "List the hearing" not in page
    listing = re.search(r'id="current-listing">([^\n]*)</p>', page)
    assert listing and "10:00 BST on Monday 20 April 2026" in listing.group(1)
    moved = post(
        client,
        f"/referrals/{r.id}/hearing",
        {
            "version": str(r.version),
            "hearing_on": ["22", "4", "2026"],
            "hearing_time": "14:00",
            "listed_on": ["4", "3", "2026"],
            "listed_time": "11:00",
        },
        page=f"/referrals/{r.id}?step=move_hearing",
    )
    assert moved.status_code == 302, moved.get_data(as_text=True)[:2000]
    page = client.get(f"/referrals/{r.id}?step=move_hearing").get_data(as_text=True)
    assert "14:00 BST on Wednesday 22 April 2026" in page.split('id="current-listing"')[1][:200]
    timeline = page.split('id="steps-taken"')[1]
    # Newest first, each with its time and zone.
    moved_at = timeline.index("Hearing moved for 14:00 BST on Wednesday 22 April 2026")
    listed_at = timeline.index("Hearing listed for 10:00 BST on Monday 20 April 2026")
    assert moved_at < listed_at
    assert "11:00 GMT on Wednesday 4 March 2026" in timeline
    assert timeline.index("Review application received") > listed_at
    assert timeline.index("Signed off") > timeline.index("Review application received")
    assert "The statutory process opened as case" in timeline


def test_the_list_form_still_says_list_before_a_hearing_is_listed(
    client: FlaskClient, session: Session, world: World, clock: list[datetime]
) -> None:
    r = _referral_at(session, world, "process_open")
    clock[0] = at("2026-03-04", "12:00")
    sign_in(client, "clerk@example.gov.uk")
    page = client.get(f"/referrals/{r.id}").get_data(as_text=True)
    assert '<h2 class="govuk-heading-m" id="step-hearing">List the hearing</h2>' in page
    assert "Move the hearing" not in page and 'id="current-listing"' not in page
    window = re.search(r'id="hearing-window"><p class="govuk-body">([^<]*)</p>', page)
    assert window and window.group(1) == (
        "The hearing must be between Wednesday 1 April 2026 and Thursday 30 April 2026"
        " (the hearing window for this premises licence review)."
    )


@pytest.mark.parametrize(
    ("hearing_on", "expected"),
    [
        (
            ["31", "3", "2026"],
            "The hearing must be between Wednesday 1 April 2026 and Thursday 30 April 2026"
            " (the hearing window for this premises licence review).",
        ),
        (
            ["1", "5", "2026"],
            "The hearing must be between Wednesday 1 April 2026 and Thursday 30 April 2026"
            " (the hearing window for this premises licence review).",
        ),
    ],
)
def test_a_hearing_outside_the_window_is_refused_in_one_plain_sentence(
    client: FlaskClient,
    session: Session,
    world: World,
    clock: list[datetime],
    hearing_on: list[str],
    expected: str,
) -> None:
    r = _referral_at(session, world, "process_open")
    clock[0] = at("2026-03-04", "12:00")
    sign_in(client, "clerk@example.gov.uk")
    refused = post(
        client,
        f"/referrals/{r.id}/hearing",
        {
            "version": str(r.version),
            "hearing_on": hearing_on,
            "hearing_time": "10:00",
            "listed_on": ["4", "3", "2026"],
            "listed_time": "11:00",
        },
        page=f"/referrals/{r.id}",
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    errors = re.findall(
        r'<p id="hearing_on-error" class="govuk-error-message">(.*?)</p>', page, re.S
    )
    assert len(errors) == 1 and errors[0].split("</span>")[-1].strip() == expected
    assert "outside the hearing window" not in page and "no later than" not in page
    assert _forms(page) == ["hearing"]  # the step that failed stays open, with what was typed
    assert 'value="10:00"' in page
    session.expire_all()
    assert session.get(Referral, r.id).hearing_at is None  # type: ignore[union-attr]


def test_other_step_errors_are_whole_sentences(
    client: FlaskClient, session: Session, world: World, clock: list[datetime]
) -> None:
    r = _referral_at(session, world, "listed")
    clock[0] = at("2026-03-04", "12:00")
    sign_in(client, "clerk@example.gov.uk")
    future = post(
        client,
        f"/referrals/{r.id}/notice",
        {"version": str(r.version), "given_on": ["9", "3", "2026"], "given_time": "10:00"},
        page=f"/referrals/{r.id}",
    )
    assert future.status_code == 400
    text = future.get_data(as_text=True)
    assert "The date notice of the hearing was given cannot be in the future" in text
    assert _forms(text) == ["notice"]
    # A step the referral is past: said with its status, not as a broken sentence.
    decided = _referral_at(session, world, "decided")
    stale = post(
        client,
        f"/referrals/{decided.id}/notice",
        {"version": str(decided.version), "given_on": ["5", "3", "2026"], "given_time": "10:00"},
        page=f"/referrals/{decided.id}",
    )
    assert stale.status_code == 400
    assert "You cannot record the notice now: the referral\u2019s status is" in stale.get_data(
        as_text=True
    ).replace("&#39;", "\u2019").replace("'", "\u2019")


def test_each_role_sees_what_it_saw_before_and_only_its_own_step(
    client: FlaskClient, session: Session, world: World, clock: list[datetime]
) -> None:
    draft = _referral_at(session, world, "draft")
    submitted = _referral_at(session, world, "submitted")
    listed = _referral_at(session, world, "listed")
    clock[0] = at("2026-03-04", "12:00")
    seen = {
        # who: (draft, submitted, listed) forms
        "officer@example.gov.uk": (["submit"], [], []),
        "officer2@example.gov.uk": ([], [], []),
        "supervisor@example.gov.uk": (["submit"], ["sign-off"], []),
        "clerk@example.gov.uk": ([], [], ["notice"]),
    }
    for who, forms in seen.items():
        sign_in(client, who)
        for r, expected in zip((draft, submitted, listed), forms, strict=True):
            page = client.get(f"/referrals/{r.id}").get_data(as_text=True)
            assert _forms(page) == expected, (who, r.status)
            assert 'id="steps-taken"' in page and 'id="referral-details"' in page
            papers = 'id="paper-links"' in page
            assert papers == (
                r is listed and who in {"supervisor@example.gov.uk", "clerk@example.gov.uk"}
            ), (who, r.status)
        post(client, "/sign-out", {})
    sign_in(client, "admin@example.gov.uk")
    assert client.get(f"/referrals/{listed.id}").status_code == 403


def test_the_supervisor_signing_off_has_the_referral_unfolded(
    client: FlaskClient, session: Session, world: World, clock: list[datetime]
) -> None:
    r = _referral_at(session, world, "submitted")
    sign_in(client, "supervisor@example.gov.uk")
    page = client.get(f"/referrals/{r.id}").get_data(as_text=True)
    for fold in ("grounds", "evidence", "support-details"):
        assert f'<details class="govuk-details" id="{fold}" open>' in page
    post(client, "/sign-out", {})
    sign_in(client, "clerk@example.gov.uk")
    page = client.get(f"/referrals/{r.id}").get_data(as_text=True)
    assert '<details class="govuk-details" id="evidence">' in page


def test_the_steps_taken_are_a_timeline_newest_first_with_who_and_when(
    client: FlaskClient, session: Session, world: World, clock: list[datetime]
) -> None:
    r = _referral_at(session, world, "listed")
    referral_process.add_representations(
        session,
        world.actors["clerk"],
        at("2026-03-21", "12:00"),
        r.id,
        r.version,
        referral_process.RepresentationInput(
            party="police",
            count=2,
            summary="They support a review.",
            received_on=at("2026-03-20").date(),
        ),
    )
    session.commit()
    clock[0] = at("2026-03-22", "12:00")
    sign_in(client, "officer@example.gov.uk")
    page = client.get(f"/referrals/{r.id}").get_data(as_text=True)
    timeline = page.split('id="steps-taken"')[1].split('id="the-referral"')[0]
    titles = re.findall(r'<h3 class="moj-timeline__title">([^<]*)</h3>', timeline)
    assert titles == [
        "2 representations received from the police (responsible authority)",
        "Hearing listed for 10:00 BST on Monday 20 April 2026",
        "Review application received",
        "Signed off",
        "Submitted for sign-off",
        "Draft started",
    ]
    assert "Friday 20 March 2026</time>" in timeline  # a day, with no time
    assert "12:00 GMT on Tuesday 3 March 2026" in timeline and "by Clara Clerkwell" in timeline
    assert "by Olive Oakley" in timeline and "by Sam Sutherland" in timeline
    assert _forms(page) == []  # the officer has no step here
