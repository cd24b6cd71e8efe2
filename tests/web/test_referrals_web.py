"""Licensing Committee referrals through their pages: drafting, sign-off, the clerk, papers, lists."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import docx
import pytest
from builders import BOOK, CAL, NOW, post, sign_in
from builders.referrals import HOLDER, OFFICER, World, at, full_draft, make_world
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enforcement.models import AuditEvent, Referral
from enforcement.referrals import drafting as referrals
from enforcement.referrals import process as referral_process


@pytest.fixture
def world(session: Session) -> World:
    made = make_world(session)
    session.commit()
    return made


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """The referral pages' clock, set to the fixture's NOW; change now[0] to move it."""
    now = [NOW]
    monkeypatch.setattr("app.referrals.views.utcnow", lambda: now[0])
    return now


def _version(client: FlaskClient, referral_id: int) -> str:
    page = client.get(f"/referrals/{referral_id}").get_data(as_text=True)
    found = re.search(r'name="version" type="hidden" value="(\d+)"', page)
    assert found, page[:3000]
    return found.group(1)


def _draft_form(world: World, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "licence_id": str(world.licence.id),
        "grounds": ["unlicensed_trading", "breach_of_conditions"],
        "condition_ids": [str(world.condition_id(2))],
        "narrative": "Two inspections found fire exits locked.",
        "public_summary": "Inspections found a fire exit locked.",
        "evidence_inspection": [str(world.inspections[0].id)],
        "evidence_flag": [str(world.c_flag.id)],
        "recommendation": "revoke",
        "support_services": ["nrm"],
        "support_provider": "A specialist charity",
        "support_taken_up": "not_known",
        "support_offered_on": ["1", "3", "2026"],
    }
    data.update(changes)
    return data


def test_an_officer_drafts_from_the_premises_page_and_cannot_submit_without_support(
    client: FlaskClient, session: Session, world: World, clock: list[datetime]
) -> None:
    sign_in(client, "officer@example.gov.uk")
    page = client.get(f"/premises/{world.premises.id}").get_data(as_text=True)
    assert f"/premises/{world.premises.id}/referrals/new" in page
    path = f"/premises/{world.premises.id}/referrals/new"
    form = client.get(path).get_data(as_text=True)
    assert "Intelligence flag" in form and "Welfare visit on" in form
    # The hints tell the truth: the narrative never reaches the public paper; the summary does.
    assert "never in the public one" in form and "Public summary" in form
    assert "Names of people you write here are withheld" not in form
    listed = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "intel_flag.list")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert listed is not None and f'"premises_id": {world.premises.id}' in (listed.after_json or "")
    assert listed.actor_id == world.actors["officer"].user_id
    assert "Condition 2" in form or "condition 2" in form
    before = session.scalar(select(func.count()).select_from(Referral))
    refused = post(
        client,
        path,
        _draft_form(
            world,
            support_services=[],
            support_provider="",
            support_taken_up="",
            support_offered_on=["", "", ""],
            submit_for_sign_off="Save and submit for sign-off",
        ),
        page=path,
    )
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "a referral cannot be submitted without it" in text
    assert "Two inspections found fire exits locked." in text  # what was typed is kept
    assert session.scalar(select(func.count()).select_from(Referral)) == before
    saved = post(client, path, _draft_form(world, save="Save draft"), page=path)
    assert saved.status_code == 302
    referral_id = int(saved.headers["Location"].rsplit("/", 1)[1])
    detail = client.get(f"/referrals/{referral_id}").get_data(as_text=True)
    assert "Submit for sign-off" in detail
    done = post(
        client,
        f"/referrals/{referral_id}/submit",
        {"version": _version(client, referral_id)},
        page=f"/referrals/{referral_id}",
    )
    assert done.status_code == 302
    assert session.get(Referral, referral_id).status == "submitted"  # type: ignore[union-attr]


def test_a_stale_draft_gets_a_conflict_page_keeping_the_input(
    client: FlaskClient, session: Session, world: World, clock: list[datetime]
) -> None:
    r = referrals.create_draft(
        session, world.actors["officer"], NOW, world.premises.id, full_draft(world)
    )
    session.commit()
    sign_in(client, "officer@example.gov.uk")
    path = f"/referrals/{r.id}/edit"
    stale = str(r.version)
    referrals.update_draft(
        session, world.actors["supervisor"], NOW, r.id, r.version, full_draft(world)
    )
    session.commit()
    resp = post(
        client,
        path,
        _draft_form(world, version=stale, narrative="Mine.", save="Save draft"),
        page=path,
    )
    assert resp.status_code == 409
    body = resp.get_data(as_text=True)
    assert (
        "Someone else changed this referral while you were editing. Your changes have not been"
        " saved. Check their changes below, then submit again to replace them with yours."
    ) in body
    assert "then try again" not in body and "Submit again" not in body
    assert "Mine." in body


def test_supervisor_signs_off_then_the_clerk_lists_a_hearing_and_downloads_papers(
    client: FlaskClient, session: Session, world: World, clock: list[datetime]
) -> None:
    r = referrals.create_draft(
        session, world.actors["officer"], NOW, world.premises.id, full_draft(world)
    )
    referrals.submit(session, world.actors["officer"], NOW, r.id, r.version)
    session.commit()
    sign_in(client, "supervisor@example.gov.uk")
    page = client.get(f"/referrals/{r.id}").get_data(as_text=True)
    assert "Sign off or return" in page
    returned = post(
        client,
        f"/referrals/{r.id}/sign-off",
        {"version": _version(client, r.id), "comment": "", "send_back": "Return to the officer"},
        page=f"/referrals/{r.id}",
    )
    assert returned.status_code == 400
    assert "Say what needs to change" in returned.get_data(as_text=True)
    signed = post(
        client,
        f"/referrals/{r.id}/sign-off",
        {"version": _version(client, r.id), "comment": "Good", "sign_off": "Sign off"},
        page=f"/referrals/{r.id}",
    )
    assert signed.status_code == 302
    client.get("/sign-out")
    post(client, "/sign-out", {})
    sign_in(client, "clerk@example.gov.uk")
    clock[0] = at("2026-03-03", "12:00")
    opened = post(
        client,
        f"/referrals/{r.id}/process",
        {
            "version": _version(client, r.id),
            "received_on": ["3", "3", "2026"],
            "received_time": "09:00",
            "case_id": "",
        },
        page=f"/referrals/{r.id}",
    )
    assert opened.status_code == 302, opened.get_data(as_text=True)[:2000]
    page = client.get(f"/referrals/{r.id}").get_data(as_text=True)
    assert "the end of Thursday 30 April 2026" in page  # the window, from the clock
    late = post(
        client,
        f"/referrals/{r.id}/hearing",
        {
            "version": _version(client, r.id),
            "hearing_on": ["5", "5", "2026"],
            "hearing_time": "10:00",
            "listed_on": ["3", "3", "2026"],
            "listed_time": "12:00",
        },
        page=f"/referrals/{r.id}",
    )
    assert late.status_code == 400
    refused = late.get_data(as_text=True)
    plain = (
        "The hearing must be between Wednesday 1 April 2026 and Thursday 30 April 2026"
        " (the hearing window for this premises licence review)."
    )
    assert plain in refused, re.findall(r"The hearing must[^<]*", refused)
    assert "outside the hearing window" not in refused and "no later than" not in refused
    listed = post(
        client,
        f"/referrals/{r.id}/hearing",
        {
            "version": _version(client, r.id),
            "hearing_on": ["20", "4", "2026"],
            "hearing_time": "10:00",
            "listed_on": ["3", "3", "2026"],
            "listed_time": "12:00",
        },
        page=f"/referrals/{r.id}",
    )
    assert listed.status_code == 302
    public = client.get(f"/referrals/{r.id}/papers/public.docx")
    assert public.status_code == 200
    assert "attachment" in public.headers["Content-Disposition"]
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(public.data)).paragraphs)
    assert "Review of premises licence PL/2026/0042" in text and HOLDER not in text
    html = client.get(f"/referrals/{r.id}/papers/exempt.html")
    assert html.status_code == 200 and html.content_type.startswith("text/html")
    assert HOLDER in html.get_data(as_text=True) and "/static/paper.css" in html.get_data(
        as_text=True
    )
    actions = session.scalars(
        select(AuditEvent.summary).where(AuditEvent.action == "referral.paper")
    ).all()
    assert len(actions) == 2
    assert client.get(f"/referrals/{r.id}/papers/secret.docx").status_code == 404


def test_who_may_see_referrals_and_papers(
    client: FlaskClient, session: Session, world: World, clock: list[datetime]
) -> None:
    r = referrals.create_draft(
        session, world.actors["officer"], NOW, world.premises.id, full_draft(world)
    )
    session.commit()
    sign_in(client, "admin@example.gov.uk")
    assert client.get("/referrals").status_code == 403
    assert client.get(f"/referrals/{r.id}").status_code == 403
    post(client, "/sign-out", {})
    sign_in(client, "officer2@example.gov.uk")
    assert client.get(f"/referrals/{r.id}").status_code == 200
    assert client.get(f"/referrals/{r.id}/edit").status_code == 403  # not the author
    assert client.get(f"/referrals/{r.id}/papers/public.docx").status_code == 403


def test_restricted_evidence_shown_on_the_page_is_audited(
    client: FlaskClient, session: Session, world: World, clock: list[datetime]
) -> None:
    r = referrals.create_draft(
        session, world.actors["officer"], NOW, world.premises.id, full_draft(world)
    )
    session.commit()
    sign_in(client, "clerk@example.gov.uk")
    page = client.get(f"/referrals/{r.id}").get_data(as_text=True)
    # The clerk may know that flags exist, not what they say: their content stays out.
    from builders.referrals import C_REPORT, P_REPORT

    assert C_REPORT not in page and P_REPORT not in page
    post(client, "/sign-out", {})
    sign_in(client, "supervisor@example.gov.uk")
    page = client.get(f"/referrals/{r.id}").get_data(as_text=True)
    assert C_REPORT in page and OFFICER in page
    seen = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "intel_flag.list")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert seen is not None and f"referral {r.reference}" in seen.summary


def _seed(session: Session, world: World, n: int) -> None:
    for i in range(n):
        r = referrals.create_draft(
            session,
            world.actors["officer"],
            NOW + timedelta(minutes=i),
            world.premises.id,
            full_draft(world),
        )
        referrals.submit(session, world.actors["officer"], NOW, r.id, r.version)
        referrals.sign_off(session, world.actors["supervisor"], NOW, r.id, r.version)
        referral_process.open_process(
            session,
            world.actors["clerk"],
            at("2026-03-03", "12:00"),
            r.id,
            r.version,
            received_at=at("2026-03-03", "09:00"),
            calendar=CAL,
            rulebook=BOOK,
        )
        referral_process.list_hearing(
            session,
            world.actors["clerk"],
            at("2026-03-03", "12:00"),
            r.id,
            r.version,
            hearing_at=at("2026-04-20", f"{10 + i % 6}:00"),
            listed_at=at("2026-03-03", "12:00"),
            calendar=CAL,
            rulebook=BOOK,
        )
    session.commit()


def test_the_clerks_lists_run_a_bounded_number_of_statements(
    client: FlaskClient,
    session: Session,
    world: World,
    clock: list[datetime],
    count_queries: object,
) -> None:
    _seed(session, world, 2)
    clock[0] = at("2026-03-04")
    sign_in(client, "clerk@example.gov.uk")
    counter = count_queries
    counts = {}
    for view in ("all", "hearings", "papers", "awaiting_effect"):
        counter.statements.clear()  # type: ignore[attr-defined]
        resp = client.get(f"/referrals?view={view}")
        assert resp.status_code == 200
        counts[view] = counter.count  # type: ignore[attr-defined]
    page = client.get("/referrals?view=hearings").get_data(as_text=True)
    assert page.count("/referrals/") >= 2 and "Monday 20 April 2026" in page
    _seed(session, world, 6)
    for view in ("all", "hearings", "papers"):
        counter.statements.clear()  # type: ignore[attr-defined]
        client.get(f"/referrals?view={view}")
        assert counter.count == counts[view], view  # type: ignore[attr-defined]
        assert counter.count <= 8, view  # type: ignore[attr-defined]
    assert client.get("/referrals?view=nonsense").status_code == 400
    assert client.get("/referrals?sort=nonsense").status_code == 400
    page = client.get("/referrals?view=papers&page=1").get_data(as_text=True)
    assert "By " in page


def _revoked_on_20_april(session: Session, world: World) -> Referral:
    """One referral whose hearing on 20 April 2026 decided to revoke, notified the next day."""
    _seed(session, world, 1)
    r = session.scalars(select(Referral)).one()
    referral_process.record_outcome(
        session,
        world.actors["clerk"],
        at("2026-04-21", "12:00"),
        r.id,
        r.version,
        referral_process.OutcomeInput(
            held_at=at("2026-04-20", "10:30"),
            decided_at=at("2026-04-20", "16:00"),
            decision="revoke",
            reasons="Exploitation at the premises.",
            notified_at=at("2026-04-21", "10:00"),
        ),
        calendar=CAL,
        rulebook=BOOK,
    )
    session.commit()
    return r


def test_the_decision_shows_in_effect_after_the_appeal_window_on_viewing(
    client: FlaskClient, session: Session, world: World, clock: list[datetime]
) -> None:
    r = _revoked_on_20_april(session, world)
    sign_in(client, "clerk@example.gov.uk")
    clock[0] = at("2026-05-01")
    page = client.get(f"/referrals/{r.id}").get_data(as_text=True)
    assert "unless an appeal is lodged" in page and "Active" in page
    awaiting = client.get("/referrals?view=awaiting_effect").get_data(as_text=True)
    assert r.reference in awaiting and "Monday 11 May 2026" in awaiting
    clock[0] = datetime(2026, 5, 12, 9, 0, tzinfo=UTC)
    page = client.get(f"/referrals/{r.id}").get_data(as_text=True)
    assert "revoked with effect from 12 May 2026" in page
    assert '<span id="licence-status">Revoked</span>' in page


def test_an_appeal_can_be_recorded_on_the_page_after_the_decision_took_effect(
    client: FlaskClient, session: Session, world: World, clock: list[datetime]
) -> None:
    r = _revoked_on_20_april(session, world)
    sign_in(client, "clerk@example.gov.uk")
    clock[0] = datetime(2026, 5, 19, 9, 0, tzinfo=UTC)
    page = client.get(f"/referrals/{r.id}").get_data(as_text=True)
    assert '<span id="licence-status">Revoked</span>' in page
    assert f'action="/referrals/{r.id}/appeal' in page
    done = post(
        client,
        f"/referrals/{r.id}/appeal",
        {
            "version": _version(client, r.id),
            "lodged_on": ["11", "5", "2026"],
            "lodged_time": "15:00",
        },
        page=f"/referrals/{r.id}",
    )
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    page = client.get(f"/referrals/{r.id}").get_data(as_text=True)
    assert '<span id="licence-status">Active</span>' in page
    assert "Appeal lodged" in page


def test_conditions_a_decision_added_show_where_they_came_from(
    client: FlaskClient, session: Session, world: World, clock: list[datetime]
) -> None:
    _seed(session, world, 1)
    r = session.scalars(select(Referral)).one()
    referral_process.record_outcome(
        session,
        world.actors["clerk"],
        at("2026-04-21", "12:00"),
        r.id,
        r.version,
        referral_process.OutcomeInput(
            held_at=at("2026-04-20", "10:30"),
            decided_at=at("2026-04-20", "16:00"),
            decision="modify_conditions",
            reasons="A new condition meets the concern.",
            notified_at=at("2026-04-21", "10:00"),
            new_conditions=("No one shall sleep on the premises.",),
        ),
        calendar=CAL,
        rulebook=BOOK,
    )
    referral_process.apply_due_effects(session, at("2026-05-12", "09:00"))
    session.commit()
    sign_in(client, "officer@example.gov.uk")
    page = client.get(f"/premises/{world.premises.id}").get_data(as_text=True)
    assert "4. No one shall sleep on the premises." in page
    assert "added by a Licensing Committee decision" in page
    assert f'href="/referrals/{r.id}"' in page


def test_the_same_new_draft_form_sent_twice_saves_one_draft(
    client: FlaskClient, session: Session, world: World, clock: list[datetime]
) -> None:
    sign_in(client, "officer@example.gov.uk")
    path = f"/premises/{world.premises.id}/referrals/new"
    form = client.get(path).get_data(as_text=True)
    key = re.search(r'name="idempotency_key" type="hidden" value="([0-9a-f]{32})"', form)
    assert key, "the new-draft form carries a one-off key"
    before = session.scalar(select(func.count()).select_from(Referral)) or 0
    data = _draft_form(world, save="Save draft", idempotency_key=key.group(1))
    first = post(client, path, data, page=path)
    again = post(client, path, data, page=path)
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert session.scalar(select(func.count()).select_from(Referral)) == before + 1
    created = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "referral.create")
    ).all()
    assert len(created) == 1
    # Another officer cannot use the key: the form is refused and nothing is saved.
    post(client, "/sign-out", {})
    sign_in(client, "supervisor@example.gov.uk")
    refused = post(client, path, data, page=path)
    assert refused.status_code == 400
    assert "This form has already been used" in refused.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Referral)) == before + 1


def test_a_hearing_time_the_clocks_repeat_or_skip_is_asked_about(
    client: FlaskClient, session: Session, world: World, clock: list[datetime]
) -> None:
    r = referrals.create_draft(
        session, world.actors["officer"], NOW, world.premises.id, full_draft(world)
    )
    referrals.submit(session, world.actors["officer"], NOW, r.id, r.version)
    referrals.sign_off(session, world.actors["supervisor"], NOW, r.id, r.version, "Good")
    session.commit()
    sign_in(client, "clerk@example.gov.uk")
    clock[0] = at("2026-10-20", "12:00")
    opened = post(
        client,
        f"/referrals/{r.id}/process",
        {
            "version": _version(client, r.id),
            "received_on": ["20", "10", "2026"],
            "received_time": "09:00",
            "case_id": "",
        },
        page=f"/referrals/{r.id}",
    )
    assert opened.status_code == 302, opened.get_data(as_text=True)[:2000]
    clock[0] = at("2026-10-26", "12:00")

    def list_it(hearing: list[str], hearing_time: str, **extra: str) -> object:
        return post(
            client,
            f"/referrals/{r.id}/hearing",
            {
                "version": _version(client, r.id),
                "hearing_on": hearing,
                "hearing_time": hearing_time,
                "listed_on": ["25", "10", "2026"],
                "listed_time": "01:30",
                **extra,
            },
            page=f"/referrals/{r.id}",
        )

    asked = list_it(["1", "12", "2026"], "10:00")
    page = asked.get_data(as_text=True)  # type: ignore[attr-defined]
    assert asked.status_code == 400  # type: ignore[attr-defined]
    assert "01:30 happened twice in London on Sunday 25 October 2026" in page
    assert "01:30 BST (first)" in page and "01:30 GMT (second)" in page
    skipped = list_it(["28", "3", "2027"], "01:30", listed_which="first")
    assert skipped.status_code == 400  # type: ignore[attr-defined]
    page = skipped.get_data(as_text=True)  # type: ignore[attr-defined]
    assert "01:30 did not happen in London on Sunday 28 March 2027" in page
    assert re.search(r'value="first"\s+checked', page), "the choice made is kept"
    listed = list_it(["1", "12", "2026"], "10:00", listed_which="first")
    assert listed.status_code == 302, listed.get_data(as_text=True)[:3000]  # type: ignore[attr-defined]
    session.expire_all()
    assert session.get(Referral, r.id).hearing_at == datetime(2026, 12, 1, 10, tzinfo=UTC)  # type: ignore[union-attr]


def test_c_coded_evidence_reaches_the_clerk_s_exempt_paper_only_as_the_approved_summary(
    client: FlaskClient, session: Session, world: World, clock: list[datetime]
) -> None:
    from builders.referrals import C_CONDITIONS, C_REPORT

    from enforcement.models import ReferralEvidence

    r = referrals.create_draft(
        session, world.actors["officer"], NOW, world.premises.id, full_draft(world)
    )
    referrals.submit(session, world.actors["officer"], NOW, r.id, r.version)
    session.commit()
    item = session.scalars(
        select(ReferralEvidence.id).where(
            ReferralEvidence.referral_id == r.id, ReferralEvidence.classification == "restricted"
        )
    ).one()
    sign_in(client, "supervisor@example.gov.uk")
    page = client.get(f"/referrals/{r.id}").get_data(as_text=True)
    assert f'name="sanitised_{item}"' in page and 'id="public-summary-approval"' in page
    sanitised = "Police intelligence indicates that identity documents may be held by others."
    bad = post(
        client,
        f"/referrals/{r.id}/sign-off",
        {
            "version": _version(client, r.id),
            "sign_off": "Sign off",
            f"sanitised_{item}": "Born 03/04/2001, phone 07700 900123.",
        },
        page=f"/referrals/{r.id}",
    )
    assert bad.status_code == 400 and "07700 900123" in bad.get_data(as_text=True)  # kept
    signed = post(
        client,
        f"/referrals/{r.id}/sign-off",
        {"version": _version(client, r.id), "sign_off": "Sign off", f"sanitised_{item}": sanitised},
        page=f"/referrals/{r.id}",
    )
    assert signed.status_code == 302
    post(client, "/sign-out", {})
    sign_in(client, "clerk@example.gov.uk")
    for fmt in ("docx", "html"):
        paper = client.get(f"/referrals/{r.id}/papers/exempt.{fmt}")
        assert paper.status_code == 200
        if fmt == "docx":
            document = docx.Document(io.BytesIO(paper.data))
            text = "\n".join(
                [p.text for p in document.paragraphs]
                + [c.text for t in document.tables for row in t.rows for c in row.cells]
            )
        else:
            text = paper.get_data(as_text=True)
        assert C_REPORT not in text and C_CONDITIONS not in text
        assert sanitised in text


def test_a_supervisor_approves_the_summary_of_a_referral_signed_off_without_one(
    client: FlaskClient, session: Session, world: World, clock: list[datetime]
) -> None:
    from enforcement.referrals.papers import committee

    r = referrals.create_draft(
        session, world.actors["officer"], NOW, world.premises.id, full_draft(world)
    )
    referrals.submit(session, world.actors["officer"], NOW, r.id, r.version)
    referrals.sign_off(session, world.actors["supervisor"], NOW, r.id, r.version)
    r.public_summary_approved_at = None  # as signed off before public summaries existed
    r.public_summary_approved_by_id = None
    session.commit()
    sign_in(client, "clerk@example.gov.uk")
    awaited = client.get(f"/referrals/{r.id}/papers/public.html").get_data(as_text=True)
    assert committee.SUMMARY_AWAITED.split(".")[0] in awaited
    assert "Approve a public summary" not in client.get(f"/referrals/{r.id}").get_data(as_text=True)
    post(client, "/sign-out", {})
    sign_in(client, "supervisor2@example.gov.uk")
    page = client.get(f"/referrals/{r.id}").get_data(as_text=True)
    assert "Approve a public summary" in page
    named = post(
        client,
        f"/referrals/{r.id}/public-summary",
        {"version": _version(client, r.id), "public_summary": f"{HOLDER} refused entry."},
        page=f"/referrals/{r.id}",
    )
    assert named.status_code == 400 and "The public summary names" in named.get_data(as_text=True)
    approved = post(
        client,
        f"/referrals/{r.id}/public-summary",
        {"version": _version(client, r.id), "public_summary": "The holder refused entry."},
        page=f"/referrals/{r.id}",
    )
    assert approved.status_code == 302
    paper = client.get(f"/referrals/{r.id}/papers/public.html").get_data(as_text=True)
    assert "The holder refused entry." in paper and committee.SUMMARY_AWAITED[:30] not in paper
