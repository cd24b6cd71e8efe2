"""Enforcement cases through their pages: the list and its filters, opening, events, closing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from builders import (
    BOOK,
    CAL,
    NOW,
    make_licence,
    make_org,
    make_premises,
    make_user,
    make_wards,
    post,
    sign_in,
)
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enforcement.accounts import users
from enforcement.cases import casework as cases
from enforcement.clock import LONDON
from enforcement.models import CaseEvent, EnforcementCase, Organisation, Reminder
from enforcement.vocab import PremisesType

# The web edge reads the clock; these tests set it (Friday 24 December 2027, 17:00 in London).
XMAS_EVE = datetime(2027, 12, 24, 17, 0, tzinfo=LONDON)


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """Stop the case pages' clock at Christmas Eve 2027; change now[0] to move it."""
    now = [XMAS_EVE.astimezone(UTC)]
    monkeypatch.setattr("app.cases.views.utcnow", lambda: now[0])
    return now


@pytest.fixture
def orgs(session: Session) -> tuple[Organisation, Organisation]:
    make_wards(session)
    return make_org(session, "Borough Council", "council"), make_org(
        session, "Met Police", "police"
    )


@pytest.fixture
def police(
    session: Session, client: FlaskClient, orgs: tuple[Organisation, Organisation]
) -> FlaskClient:
    make_user(session, "ward_officer", email="dwo@example.police.uk", org=orgs[1])
    session.commit()
    sign_in(client, "dwo@example.police.uk")
    return client


def _pub(session: Session) -> int:
    p = make_premises(session, name="The Crown", premises_type=PremisesType.PUB_BAR)
    make_licence(session, p.id)
    session.commit()
    return p.id


def _user_id(session: Session, email: str) -> int:
    from enforcement.models import User

    uid = session.scalar(select(User.id).where(User.email == email))
    assert uid is not None
    return uid


def _open(
    client: FlaskClient, session: Session, premises_id: int, tool: str = "asbcpa_closure"
) -> int:
    path = f"/premises/{premises_id}/cases/new"
    page = client.get(path).get_data(as_text=True)
    owner = re.search(r'<option value="(\d+)" selected>', page)
    officer = re.findall(r'<option value="(\d+)" selected>', page)
    assert owner and len(officer) == 2, page[:2000]
    resp = post(
        client,
        path,
        {
            "tool": tool,
            "owner_organisation_id": officer[0],
            "officer_id": officer[1],
            "summary": "Closure after a joint visit",
        },
        page=path,
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    found = re.search(r"/cases/(\d+)$", resp.headers["Location"])
    assert found
    return int(found.group(1))


def _version(client: FlaskClient, case_id: int) -> str:
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    found = re.search(r'name="version" type="hidden" value="(\d+)"', page)
    assert found, page[:3000]
    return found.group(1)


def _event(
    client: FlaskClient,
    case_id: int,
    kind: str,
    day: str,
    clock: str,
    version: str | None = None,
    **extra: object,
) -> object:
    d, m, y = day.split()
    return post(
        client,
        f"/cases/{case_id}/events",
        {
            "version": version or _version(client, case_id),
            "kind": kind,
            "occurred_on": [d, m, y],
            "occurred_time": clock,
            **extra,
        },
        page=f"/cases/{case_id}",
    )


def test_worked_example_notice_served_on_christmas_eve(
    police: FlaskClient, session: Session, frozen: list[datetime]
) -> None:
    pid = _pub(session)
    premises_page = police.get(f"/premises/{pid}").get_data(as_text=True)
    assert "Open an enforcement case" in premises_page
    case_id = _open(police, session, pid)
    assert _event(police, case_id, "notice_issued", "24 12 2027", "16:00").status_code == 302  # type: ignore[attr-defined]
    resp = _event(police, case_id, "notice_served", "24 12 2027", "16:30", served_how="in_person")
    assert resp.status_code == 302  # type: ignore[attr-defined]
    page = police.get(f"/cases/{case_id}").get_data(as_text=True)
    row = re.search(
        r'<tr class="govuk-table__row" id="deadline-asbcpa-s80-hearing">(.*?)</tr>', page, re.S
    )
    assert row, page
    text = " ".join(re.sub(r"<[^>]+>", " ", row.group(1)).split())
    assert "Court must hear the closure order application" in text
    assert "by 16:30 GMT on Monday 27 December 2027" in text
    assert "Anti-social Behaviour, Crime and Policing Act 2014, s80(3)-(4)" in text
    assert "Christmas Day not counted" in text
    assert "Pending" in text and "2 days 23 hours left" in text
    assert "Served: in person." in page
    assert (
        "Court must hear the closure order application: by 16:30 GMT on Monday 27 December 2027"
        in page
    )
    # On the officer's task list, and on the premises timeline.
    reminder = session.scalars(
        select(Reminder).where(Reminder.rule_id == "asbcpa.s80.hearing")
    ).one()
    assert (
        reminder.owner_user_id == _user_id(session, "dwo@example.police.uk") and reminder.statutory
    )
    timeline = police.get(f"/premises/{pid}").get_data(as_text=True)
    assert f'href="/cases/{case_id}"' in timeline and "Notice served" in timeline


def test_a_passed_deadline_shows_missed_and_a_met_one_shows_what_met_it(
    police: FlaskClient, session: Session, frozen: list[datetime]
) -> None:
    case_id = _open(police, session, _pub(session))
    _event(police, case_id, "notice_issued", "24 12 2027", "16:00")
    _event(police, case_id, "notice_served", "24 12 2027", "16:30", served_how="post")
    frozen[0] = datetime(2027, 12, 28, 9, 0, tzinfo=UTC)
    page = police.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Overdue by 16 hours 30 minutes" in page and "Deadline missed" in page
    assert "Period ended" in page
    resp = _event(police, case_id, "hearing_held", "28 12 2027", "08:30")
    assert resp.status_code == 302  # type: ignore[attr-defined]
    page = police.get(f"/cases/{case_id}").get_data(as_text=True)
    # The same 24-hour clock as the deadline itself ("by 16:30 GMT on ..."), and as every other
    # time on the page (the timeline too), not "8:30am".
    assert "Done late: hearing held at 08:30 GMT on Tuesday 28 December 2027" in page
    assert re.search(r"\d(am|pm) (GMT|BST)", page) is None


def test_met_deadline_and_the_review_the_closure_order_opens(
    police: FlaskClient, session: Session, frozen: list[datetime]
) -> None:
    case_id = _open(police, session, _pub(session))
    _event(police, case_id, "notice_issued", "24 12 2027", "16:00")
    _event(police, case_id, "notice_served", "24 12 2027", "16:30", served_how="affixed")
    frozen[0] = datetime(2027, 12, 27, 12, 0, tzinfo=UTC)
    resp = _event(police, case_id, "order_made", "27 12 2027", "11:00")
    assert resp.status_code == 302  # type: ignore[attr-defined]
    page = police.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Met by order made at 11:00 GMT on Monday 27 December 2027" in page
    review = session.scalars(
        select(EnforcementCase).where(EnforcementCase.tool == "closure_review")
    ).one()
    assert review.parent_case_id == case_id
    assert f"case {review.reference} has been opened" in page
    assert f'href="/cases/{review.id}"' in page
    review_page = police.get(f"/cases/{review.id}").get_data(as_text=True)
    assert "Review must be determined" in review_page
    assert "by the end of Monday 24 January 2028" in review_page
    assert "Record an event" not in review_page  # the council's case: police read it only
    assert "To confirm" in page  # the s82 extension limits are unconfirmed


def test_event_errors_are_on_the_field_keep_the_input_and_save_nothing(
    police: FlaskClient, session: Session, frozen: list[datetime]
) -> None:
    case_id = _open(police, session, _pub(session))
    resp = _event(police, case_id, "order_made", "24 12 2027", "12:00", note="Court at 10")
    assert resp.status_code == 400  # type: ignore[attr-defined]
    page = resp.get_data(as_text=True)  # type: ignore[attr-defined]
    assert "There is a problem" in page and 'href="#kind"' in page
    assert "needs &#39;notice served&#39; recorded first" in page
    assert "Court at 10</textarea>" in page and 'value="12:00"' in page
    assert re.search(r'<option value="order_made" selected>', page)
    resp = _event(police, case_id, "notice_issued", "25 12 2027", "09:00")
    assert resp.status_code == 400  # type: ignore[attr-defined]
    assert "The date it happened cannot be in the future" in resp.get_data(as_text=True)  # type: ignore[attr-defined]
    resp = _event(police, case_id, "notice_issued", "31 2 2027", "09:00")
    assert resp.status_code == 400  # type: ignore[attr-defined]
    assert "must be a real date" in resp.get_data(as_text=True)  # type: ignore[attr-defined]
    _event(police, case_id, "notice_issued", "24 12 2027", "16:00")
    resp = _event(police, case_id, "notice_issued", "24 12 2027", "16:00")
    assert resp.status_code == 400  # type: ignore[attr-defined]
    assert "already recorded" in resp.get_data(as_text=True)  # type: ignore[attr-defined]
    resp = _event(police, case_id, "notice_served", "24 12 2027", "15:00", served_how="post")
    assert "cannot come before" in resp.get_data(as_text=True)  # type: ignore[attr-defined]
    resp = _event(police, case_id, "notice_served", "24 12 2027", "16:30")
    assert "Say how it was served" in resp.get_data(as_text=True)  # type: ignore[attr-defined]
    assert session.scalar(select(func.count()).select_from(CaseEvent)) == 1


def test_a_time_the_clocks_skipped_is_refused(
    police: FlaskClient, session: Session, frozen: list[datetime]
) -> None:
    case_id = _open(police, session, _pub(session))
    resp = _event(police, case_id, "notice_issued", "26 3 2027", "01:30", confirm_earlier="y")
    assert resp.status_code == 302  # type: ignore[attr-defined]
    resp = _event(
        police,
        case_id,
        "notice_served",
        "28 3 2027",
        "01:30",
        served_how="post",
        confirm_earlier="y",
    )
    assert resp.status_code == 400  # type: ignore[attr-defined]
    assert "the clocks went forward" in resp.get_data(as_text=True)  # type: ignore[attr-defined]


def test_a_hearing_listed_takes_its_date_and_time(
    client: FlaskClient,
    session: Session,
    orgs: tuple[Organisation, Organisation],
    frozen: list[datetime],
) -> None:
    make_user(session, "licensing_officer", email="lo@example.gov.uk", org=orgs[0])
    session.commit()
    sign_in(client, "lo@example.gov.uk")
    case_id = _open(client, session, _pub(session), "premises_review")
    _event(client, case_id, "application_received", "1 11 2027", "10:00", confirm_earlier="y")
    resp = _event(
        client,
        case_id,
        "hearing_listed",
        "1 12 2027",
        "10:00",
        scheduled_on=["10", "1", "2028"],
        confirm_earlier="y",
    )
    assert resp.status_code == 400  # type: ignore[attr-defined]
    assert "Enter both the date and the time, or neither" in resp.get_data(as_text=True)  # type: ignore[attr-defined]
    resp = _event(client, case_id, "hearing_listed", "1 12 2027", "10:00", confirm_earlier="y")
    assert "Enter the date and time of the hearing" in resp.get_data(as_text=True)  # type: ignore[attr-defined]
    resp = _event(
        client,
        case_id,
        "hearing_listed",
        "1 12 2027",
        "10:00",
        scheduled_on=["30", "11", "2027"],
        scheduled_time="10:00",
        confirm_earlier="y",
    )
    assert resp.status_code == 400  # type: ignore[attr-defined]
    assert "The hearing must be after the time it was listed" in resp.get_data(as_text=True)  # type: ignore[attr-defined]

    def listed(year: str) -> Any:
        return _event(
            client,
            case_id,
            "hearing_listed",
            "1 12 2027",
            "10:00",
            scheduled_on=["10", "1", year],
            scheduled_time="10:00",
            confirm_earlier="y",
        )

    resp = listed("2208")  # for 2028: a slip, kept as typed for the officer to put right
    assert resp.status_code == 400
    refused = resp.get_data(as_text=True)
    assert "The year 2208 is more than 50 years ahead: check the year" in refused
    assert 'value="2208"' in refused
    assert session.scalar(select(func.count()).select_from(CaseEvent)) == 1
    resp = listed("2028")
    assert resp.status_code == 302  # type: ignore[attr-defined]
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Hearing at 10:00 GMT on Monday 10 January 2028." in page
    assert (
        "Give notice of the review hearing" in page
        and "by the end of Wednesday 22 December 2027" in page
    )


def test_a_stale_event_form_is_refused_with_409_keeping_the_input(
    police: FlaskClient, session: Session, frozen: list[datetime]
) -> None:
    case_id = _open(police, session, _pub(session))
    old = _version(police, case_id)
    assert _event(police, case_id, "notice_issued", "24 12 2027", "16:00").status_code == 302  # type: ignore[attr-defined]
    resp = _event(
        police,
        case_id,
        "notice_served",
        "24 12 2027",
        "16:30",
        version=old,
        served_how="post",
        note="Served at the door",
    )
    assert resp.status_code == 409  # type: ignore[attr-defined]
    page = resp.get_data(as_text=True)  # type: ignore[attr-defined]
    assert "Served at the door</textarea>" in page
    # One whole message, said once: nothing tacked on after it.
    assert (
        "Someone else changed this case while you were editing. Your changes have not been"
        " saved. Check their changes below, then submit again to replace them with yours."
    ) in page
    assert page.count("replace them with yours") == 1 and "Submit again" not in page
    # The other change was an event, not one of this form's fields: the page says so.
    assert "None of the fields in this form was changed: their change was elsewhere in it." in page
    fresh = re.search(r'name="version" type="hidden" value="(\d+)"', page)
    assert fresh and fresh.group(1) != old
    assert session.scalar(select(func.count()).select_from(CaseEvent)) == 1


def test_open_case_errors_keep_the_input(
    police: FlaskClient, session: Session, orgs: tuple[Organisation, Organisation]
) -> None:
    pid = _pub(session)
    path = f"/premises/{pid}/cases/new"
    resp = post(
        police,
        path,
        {
            "tool": "closure_review",
            "owner_organisation_id": str(orgs[1].id),
            "officer_id": "",
            "summary": "Kept text",
        },
        page=path,
    )
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert "Select the officer in charge" in page and "Kept text</textarea>" in page
    assert re.search(r'<option value="closure_review" selected>', page)
    resp = post(
        police,
        path,
        {
            "tool": "closure_review",
            "owner_organisation_id": str(orgs[1].id),
            "officer_id": str(_user_id(session, "dwo@example.police.uk")),
            "summary": "Kept text",
        },
        page=path,
    )
    assert resp.status_code == 400
    assert "held by the council" in resp.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(EnforcementCase)) == 0


def test_unknown_records_are_404(police: FlaskClient, session: Session) -> None:
    assert police.get("/cases/999999").status_code == 404
    assert police.get("/cases/999999/close").status_code == 404
    assert police.get("/cases/999999/edit").status_code == 404
    assert police.get("/premises/999999/cases/new").status_code == 404
    resp = post(
        police,
        "/cases/999999/events",
        {
            "version": "1",
            "kind": "notice_issued",
            "occurred_on": ["1", "1", "2026"],
            "occurred_time": "10:00",
        },
        page="/cases",
    )
    assert resp.status_code == 404


def test_who_sees_and_changes_cases(
    client: FlaskClient, session: Session, orgs: tuple[Organisation, Organisation]
) -> None:
    make_user(session, "admin", email="admin@example.gov.uk", org=orgs[0])
    make_user(session, "committee_clerk", email="clerk@example.gov.uk", org=orgs[0])
    make_user(session, "licensing_officer", email="lo@example.gov.uk", org=orgs[0])
    officer = make_user(session, "ward_officer", email="dwo@example.police.uk", org=orgs[1])
    pid = _pub(session)
    case = cases.open_case(
        session,
        users.actor_for(officer),
        NOW,
        cases.CaseInput(pid, "asbcpa_closure", orgs[1].id, officer.id, "Police case"),
    )
    session.commit()
    sign_in(client, "admin@example.gov.uk")
    assert client.get("/cases").status_code == 403
    assert "/cases" not in client.get("/").get_data(as_text=True)
    post(client, "/sign-out", {})
    sign_in(client, "clerk@example.gov.uk")
    assert 'href="/cases"' in client.get("/").get_data(as_text=True)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert case.reference in page and "Record an event" not in page and "Close case" not in page
    assert "Open an enforcement case" not in client.get(f"/premises/{pid}").get_data(as_text=True)
    assert client.get(f"/premises/{pid}/cases/new").status_code == 403
    post(client, "/sign-out", {})
    sign_in(client, "lo@example.gov.uk")  # a council officer: the police's case is not theirs
    assert "Record an event" not in client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert client.get(f"/cases/{case.id}/close").status_code == 403
    resp = post(
        client,
        f"/cases/{case.id}/events",
        {
            "version": str(case.version),
            "kind": "notice_issued",
            "occurred_on": ["1", "3", "2026"],
            "occurred_time": "09:00",
        },
        page=f"/cases/{case.id}",
    )
    assert resp.status_code == 403
    assert session.scalar(select(func.count()).select_from(CaseEvent)) == 0


def test_close_a_case(police: FlaskClient, session: Session, frozen: list[datetime]) -> None:
    case_id = _open(police, session, _pub(session))
    _event(police, case_id, "notice_issued", "24 12 2027", "16:00")
    page = police.get(f"/cases/{case_id}/close").get_data(as_text=True)
    assert "Closure notice ends (24-hour notice)" in page  # warned what stops applying
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page)
    assert version
    resp = post(
        police,
        f"/cases/{case_id}/close",
        {"version": version.group(1), "reason": ""},
        page=f"/cases/{case_id}/close",
    )
    assert resp.status_code == 400 and "Say why the case is being closed" in resp.get_data(
        as_text=True
    )
    resp = post(
        police,
        f"/cases/{case_id}/close",
        {"version": "0", "reason": "Cancelled"},
        page=f"/cases/{case_id}/close",
    )
    assert resp.status_code == 409 and "Cancelled</textarea>" in resp.get_data(as_text=True)
    resp = post(
        police,
        f"/cases/{case_id}/close",
        {"version": version.group(1), "reason": "Notice cancelled by the inspector"},
        page=f"/cases/{case_id}/close",
    )
    assert resp.status_code == 302
    page = police.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Notice cancelled by the inspector" in page and "Record an event" not in page
    assert {r.status for r in session.scalars(select(Reminder))} == {"done"}


def test_a_case_closed_meanwhile_keeps_what_was_typed_with_409(
    police: FlaskClient, session: Session, frozen: list[datetime]
) -> None:
    case_id = _open(police, session, _pub(session))
    page = police.get(f"/cases/{case_id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page)
    assert version
    officer = re.search(r'<option value="(\d+)"', page)
    assert officer
    # Someone else closes the case while this officer has its forms open.
    resp = post(
        police,
        f"/cases/{case_id}/close",
        {"version": version.group(1), "reason": "Closed by a colleague"},
        page=f"/cases/{case_id}/close",
    )
    assert resp.status_code == 302
    for path, data, typed in (
        (f"/cases/{case_id}/close", {"reason": "My reason"}, "My reason</textarea>"),
        (
            f"/cases/{case_id}/edit",
            {"officer_id": officer.group(1), "summary": "My summary"},
            "My summary</textarea>",
        ),
    ):
        resp = post(police, path, {"version": version.group(1), **data})
        body = resp.get_data(as_text=True)
        assert resp.status_code == 409, body[:2000]
        assert "You do not have access" not in body and typed in body
        assert "This case was closed while you were working on it" in body
        assert "your changes have not been saved" in body
    case = session.get(EnforcementCase, case_id)
    assert case is not None
    session.refresh(case)
    assert case.close_reason == "Closed by a colleague" and case.summary != "My summary"
    # Opening either form of the closed case goes back to the case, saying why.
    for path in (f"/cases/{case_id}/close", f"/cases/{case_id}/edit"):
        resp = police.get(path)
        assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/cases/{case_id}")
        shown = police.get(resp.headers["Location"]).get_data(as_text=True)
        assert "is closed, so it cannot be changed or closed again." in shown


def test_a_closed_case_of_another_organisation_is_still_refused(
    client: FlaskClient, session: Session, orgs: tuple[Organisation, Organisation]
) -> None:
    officer = make_user(session, "ward_officer", email="dwo@example.police.uk", org=orgs[1])
    make_user(session, "licensing_officer", email="lo@example.gov.uk", org=orgs[0])
    case = cases.open_case(
        session,
        users.actor_for(officer),
        NOW,
        cases.CaseInput(_pub(session), "asbcpa_closure", orgs[1].id, officer.id, "Police case"),
    )
    cases.close_case(session, users.actor_for(officer), NOW, case.id, case.version, "Done")
    session.commit()
    sign_in(client, "lo@example.gov.uk")
    assert client.get(f"/cases/{case.id}/close").status_code == 403
    assert client.get(f"/cases/{case.id}/edit").status_code == 403
    resp = post(client, f"/cases/{case.id}/close", {"version": str(case.version), "reason": "x"})
    assert resp.status_code == 403


def test_change_the_officer_in_charge(
    police: FlaskClient,
    session: Session,
    orgs: tuple[Organisation, Organisation],
    frozen: list[datetime],
) -> None:
    colleague = make_user(session, "ward_officer", email="snt@example.police.uk", org=orgs[1])
    session.commit()
    case_id = _open(police, session, _pub(session))
    _event(police, case_id, "notice_issued", "24 12 2027", "16:00")
    page = police.get(f"/cases/{case_id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page)
    assert version
    resp = post(
        police,
        f"/cases/{case_id}/edit",
        {"version": version.group(1), "officer_id": str(colleague.id), "summary": "Handed over"},
        page=f"/cases/{case_id}/edit",
    )
    assert resp.status_code == 302
    assert {r.owner_user_id for r in session.scalars(select(Reminder))} == {colleague.id}
    resp = post(
        police,
        f"/cases/{case_id}/edit",
        {"version": version.group(1), "officer_id": str(colleague.id), "summary": "Again"},
        page=f"/cases/{case_id}/edit",
    )
    assert resp.status_code == 409


def _seed_list(
    session: Session, orgs: tuple[Organisation, Organisation]
) -> dict[str, EnforcementCase]:
    officer = make_user(session, "ward_officer", email="dwo@example.police.uk", org=orgs[1])
    lo = make_user(session, "licensing_officer", email="lo@example.gov.uk", org=orgs[0])
    pid = _pub(session)
    police, council = users.actor_for(officer), users.actor_for(lo)
    now = XMAS_EVE

    def event(
        case: EnforcementCase, who: object, kind: str, when: datetime, **extra: object
    ) -> None:
        cases.record_event(
            session,
            who,  # type: ignore[arg-type]
            now,
            case.id,
            case.version,
            cases.EventInput(kind, when, **extra),  # type: ignore[arg-type]
            calendar=CAL,
            rulebook=BOOK,
        )

    soon = cases.open_case(
        session, police, now, cases.CaseInput(pid, "asbcpa_closure", orgs[1].id, officer.id, "Soon")
    )
    event(soon, police, "notice_issued", now - timedelta(hours=1))
    event(soon, police, "notice_served", now - timedelta(minutes=30), served_how="post")
    late = cases.open_case(
        session, council, now, cases.CaseInput(pid, "premises_review", orgs[0].id, lo.id, "Late")
    )
    event(late, council, "application_received", now - timedelta(days=90), confirm_earlier=True)
    idle = cases.open_case(
        session, council, now, cases.CaseInput(pid, "prosecution", orgs[0].id, lo.id, "Idle")
    )
    session.commit()
    return {"soon": soon, "late": late, "idle": idle}


def _listed(client: FlaskClient, query: str = "") -> list[str]:
    resp = client.get(f"/cases{query}")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:2000]
    return re.findall(r'href="/cases/\d+">(EC-\d{4}-\d{4})</a>', resp.get_data(as_text=True))


def test_list_filters_due_in_7_days_missed_and_more(
    client: FlaskClient,
    session: Session,
    orgs: tuple[Organisation, Organisation],
    frozen: list[datetime],
) -> None:
    seeded = _seed_list(session, orgs)
    sign_in(client, "lo@example.gov.uk")
    refs = {k: c.reference for k, c in seeded.items()}
    assert set(_listed(client)) == set(refs.values())
    assert _listed(client, "?due=due_7_days") == [refs["soon"]]
    assert _listed(client, "?due=missed") == [refs["late"]]
    assert set(_listed(client, f"?owner={orgs[0].id}")) == {refs["late"], refs["idle"]}
    assert _listed(client, "?tool=prosecution") == [refs["idle"]]
    assert _listed(client, "?status=closed") == []
    assert _listed(client, "?ward=E05999902") == []
    # Soonest deadline first, nothing due last; newest first otherwise.
    assert _listed(client, "?sort=deadline")[-1] == refs["idle"]
    assert _listed(client, "?sort=reference") == sorted(refs.values())
    page = client.get("/cases?due=missed").get_data(as_text=True)
    assert "Missed 1" in page and "Remove this filter" in page
    for bad in ("?due=soon", "?tool=welfare_visit", "?owner=999", "?ward=E0", "?sort=x"):
        assert client.get(f"/cases{bad}").status_code == 400


def test_list_pages_and_runs_the_same_queries_whatever_it_shows(
    client: FlaskClient,
    session: Session,
    orgs: tuple[Organisation, Organisation],
    frozen: list[datetime],
    count_queries: object,
) -> None:
    seeded = _seed_list(session, orgs)
    lo = session.scalars(
        select(EnforcementCase.officer_id).where(EnforcementCase.id == seeded["idle"].id)
    ).one()
    from enforcement.models import User

    officer = session.get(User, lo)
    assert officer is not None
    sign_in(client, "lo@example.gov.uk")
    counter = count_queries
    counter.statements.clear()  # type: ignore[attr-defined]
    client.get("/cases")
    few = counter.count  # type: ignore[attr-defined]
    for _ in range(8):
        cases.open_case(
            session,
            users.actor_for(officer),
            XMAS_EVE,
            cases.CaseInput(
                seeded["idle"].premises_id, "prosecution", orgs[0].id, officer.id, "More"
            ),
        )
    session.commit()
    counter.statements.clear()  # type: ignore[attr-defined]
    client.get("/cases")
    assert counter.count == few  # type: ignore[attr-defined]
    app = client.application
    app.config["SETTINGS"] = app.config["SETTINGS"].with_overrides(page_size=5)
    first = _listed(client, "?sort=reference")
    second = _listed(client, "?sort=reference&page=2")
    assert len(first) == 5 and len(second) == 5 and not set(first) & set(second)
    assert "Showing 6 to 10 of 11 cases" in client.get("/cases?sort=reference&page=2").get_data(
        as_text=True
    )


# --- dates and times typed into an event --------------------------------------------------------


def test_half_past_one_on_the_night_the_clocks_go_back_asks_which(
    police: FlaskClient, session: Session, frozen: list[datetime]
) -> None:
    case_id = _open(police, session, _pub(session))
    resp = _event(police, case_id, "notice_issued", "25 10 2026", "01:30", confirm_earlier="y")
    page = resp.get_data(as_text=True)  # type: ignore[attr-defined]
    assert resp.status_code == 400  # type: ignore[attr-defined]
    assert "01:30 happened twice in London on Sunday 25 October 2026" in page
    assert "01:30 BST (first)" in page and "01:30 GMT (second)" in page
    assert session.scalar(select(func.count()).select_from(CaseEvent)) == 0
    # The choice is kept when the form is drawn again for another reason.
    resp = _event(
        police, case_id, "", "25 10 2026", "01:30", confirm_earlier="y", occurred_which="second"
    )
    page = resp.get_data(as_text=True)  # type: ignore[attr-defined]
    assert resp.status_code == 400  # type: ignore[attr-defined]
    assert re.search(r'value="second"\s+checked', page) or re.search(
        r'checked\s+[^>]*value="second"', page
    ), page
    resp = _event(
        police,
        case_id,
        "notice_issued",
        "25 10 2026",
        "01:30",
        confirm_earlier="y",
        occurred_which="second",
    )
    assert resp.status_code == 302  # type: ignore[attr-defined]
    stored = session.scalar(select(CaseEvent.occurred_at).where(CaseEvent.case_id == case_id))
    assert stored == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 01:30 GMT, the second one
    assert "01:30 GMT on Sunday 25 October 2026" in police.get(f"/cases/{case_id}").get_data(
        as_text=True
    )


def test_an_event_before_the_case_was_opened_shows_the_confirm_box_with_the_error(
    police: FlaskClient, session: Session, frozen: list[datetime]
) -> None:
    case_id = _open(police, session, _pub(session))
    assert 'name="confirm_earlier"' not in police.get(f"/cases/{case_id}").get_data(as_text=True)
    resp = _event(police, case_id, "notice_issued", "1 1 2020", "10:00")
    page = resp.get_data(as_text=True)  # type: ignore[attr-defined]
    assert resp.status_code == 400  # type: ignore[attr-defined]
    assert (
        "The event is before the case was opened on 24 December 2027."
        " Tick to confirm the earlier date is right" in page
    )
    assert 'name="confirm_earlier"' in page and 'value="10:00"' in page
    resp = _event(police, case_id, "notice_issued", "1 1 1", "10:00", confirm_earlier="y")
    assert resp.status_code == 400  # type: ignore[attr-defined]
    assert "must include a year with 4 numbers" in resp.get_data(as_text=True)  # type: ignore[attr-defined]
    resp = _event(police, case_id, "notice_issued", "1 1 1950", "10:00", confirm_earlier="y")
    assert resp.status_code == 400  # type: ignore[attr-defined]
    assert "The year 1950 is before 1990" in resp.get_data(as_text=True)  # type: ignore[attr-defined]
    resp = _event(police, case_id, "notice_issued", "1 1 2020", "10:00", confirm_earlier="y")
    assert resp.status_code == 302  # type: ignore[attr-defined]


def test_a_prevention_orders_minimum_period_is_an_earliest_discharge_date_not_a_deadline(
    police: FlaskClient, session: Session, frozen: list[datetime]
) -> None:
    case_id = _open(police, session, _pub(session), "stpo")
    assert _event(police, case_id, "order_made", "24 12 2027", "10:00").status_code == 302  # type: ignore[attr-defined]
    page = police.get(f"/cases/{case_id}").get_data(as_text=True)
    row = page[page.index('id="deadline-msa-s17-minimum_duration"') :]
    row = row[: row.index("</tr>")]
    # Five years beginning with Friday 24 December 2027 end with 23 December 2032.
    assert "Earliest date of discharge: Friday 24 December 2032" in row
    assert "No discharge before it without consent" in row and "Minimum period running" in row
    assert " left" not in row and "by the end of" not in row
    assert "Earliest date of discharge: Friday 24 December 2032. The order cannot be" in page
    next_up = page[page.index('id="next"') : page.index('id="events"')]
    assert "Order runs at least" not in next_up and "23 December 2032" not in next_up
    # Nothing nags for it: no reminder, and the case list shows nothing due.
    assert (
        session.scalar(
            select(func.count())
            .select_from(Reminder)
            .where(Reminder.subject_id == case_id, Reminder.rule_id == "msa.s17.minimum_duration")
        )
        == 0
    )
    listing = police.get("/cases?tool=stpo").get_data(as_text=True)
    assert "Earliest date of discharge" not in listing and "2032" not in listing
