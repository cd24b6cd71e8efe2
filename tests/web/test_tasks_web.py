"""The task list through its pages: order, badge, done, acknowledge, snooze, team view, preferences."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from builders import (
    SYSTEM,
    csrf_token,
    make_premises,
    make_user,
    make_wards,
    post,
    sign_in,
    train,
)
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from enforcement.models import AuditEvent, Reminder, ReminderEscalation, User
from enforcement.reminders import reminders, tasks
from enforcement.reminders.vocab import ReminderKind


def now() -> datetime:
    return datetime.now(UTC)  # the web edge reads the real clock


def remind(
    session: Session, owner: User | None, title: str, due_in: timedelta, **kw: Any
) -> Reminder:
    spec: dict[str, Any] = {
        "kind": ReminderKind.FOLLOW_UP_INSPECTION,
        "subject_type": "inspection",
        "subject_id": abs(hash(title)) % 100_000,
        "title": title,
        "due_at": now() + due_in,
        "owner_user_id": owner.id if owner else None,
    }
    spec.update(kw)
    r = reminders.schedule(session, reminders.ReminderSpec(**spec), now() - timedelta(days=1))
    session.commit()
    return r


@pytest.fixture
def officer_user(session: Session) -> User:
    make_wards(session)
    user = make_user(session, "licensing_officer", email="lo@example.gov.uk")
    session.commit()
    return user


@pytest.fixture
def officer(client: FlaskClient, officer_user: User) -> FlaskClient:
    sign_in(client, "lo@example.gov.uk")
    return client


def badge(page: str) -> int | None:
    found = re.search(r'moj-notification-badge">(\d+)<', page)
    return int(found.group(1)) if found else None


def test_task_list_overdue_first_then_soonest_each_linking_to_its_record(
    officer: FlaskClient, officer_user: User, session: Session
) -> None:
    p = make_premises(session, name="Gloss Nails")
    remind(session, officer_user, "Later follow-up", timedelta(days=5))
    late = remind(session, officer_user, "Overdue follow-up", timedelta(days=-1))
    remind(
        session,
        officer_user,
        "Licence expires soon",
        timedelta(days=1),
        kind=ReminderKind.LICENCE_EXPIRY,
        subject_type="licence",
        premises_id=p.id,
    )
    for path in ("/", "/tasks"):
        page = officer.get(path).get_data(as_text=True)
        order = [
            page.index(t) for t in ("Overdue follow-up", "Licence expires soon", "Later follow-up")
        ]
        assert order == sorted(order), path
        assert badge(page) == 3
    page = officer.get("/tasks").get_data(as_text=True)
    assert f'href="/inspections/{late.subject_id}">Overdue follow-up' in page
    assert f'href="/premises/{p.id}">Licence expires soon' in page  # no page of its own: premises
    assert re.search(r"govuk-tag--red\">\s*Overdue", page)


def test_the_badge_is_one_count_query(
    officer: FlaskClient, officer_user: User, session: Session, count_queries: Any
) -> None:
    remind(session, officer_user, "A task", timedelta(days=2))
    before = len(count_queries.statements)
    assert officer.get("/premises").status_code == 200
    about_reminders = [s for s in count_queries.statements[before:] if "reminders" in s]
    assert len(about_reminders) == 1 and "count(" in about_reminders[0].lower()


def test_the_badge_counts_each_persons_own_team_and_escalated_tasks(
    officer: FlaskClient, officer_user: User, session: Session, app: Any
) -> None:
    # Two licensing officers share one team, so the badge's count runs the statement built for
    # that team for both: each still counts only their own tasks, the team's, and what was
    # escalated to them; a snoozed one counts again once its snooze has passed.
    other = make_user(session, "licensing_officer", email="other@example.gov.uk")
    session.commit()
    remind(session, officer_user, "Mine", timedelta(days=2))
    remind(session, other, "Theirs", timedelta(days=2))
    remind(session, other, "Theirs too", timedelta(days=3))
    remind(session, None, "The team's", timedelta(days=2), team="licensing")
    remind(session, None, "Another ward's", timedelta(days=2), team="ward:E05999901")
    escalated = remind(session, other, "Theirs, escalated to me", timedelta(days=-1))
    session.add(
        ReminderEscalation(
            reminder_id=escalated.id,
            reason="overdue",
            supervisor_id=officer_user.id,
            escalated_at=now(),
        )
    )
    snoozed = remind(session, officer_user, "Snoozed", timedelta(days=2))
    snoozed.snoozed_until = now() + timedelta(days=1)
    session.commit()
    assert badge(officer.get("/premises").get_data(as_text=True)) == 3
    with app.test_client() as theirs:
        sign_in(theirs, "other@example.gov.uk")
        assert badge(theirs.get("/premises").get_data(as_text=True)) == 4
    snoozed.snoozed_until = now() - timedelta(minutes=1)
    session.commit()
    assert badge(officer.get("/premises").get_data(as_text=True)) == 4


def test_done_and_acknowledge_need_the_form_token_and_are_audited(
    officer: FlaskClient, officer_user: User, session: Session
) -> None:
    r = remind(session, officer_user, "Follow-up at Gloss Nails", timedelta(days=2))
    assert officer.post(f"/tasks/{r.id}/done").status_code == 400  # no CSRF token
    resp = post(officer, f"/tasks/{r.id}/acknowledge", {}, page=f"/tasks/{r.id}")
    assert resp.status_code == 302 and resp.headers["Location"] == f"/tasks/{r.id}"
    page = officer.get(f"/tasks/{r.id}").get_data(as_text=True)
    assert "Acknowledged" in page and "Not yet" not in page
    resp = post(officer, f"/tasks/{r.id}/done", {"next": "/tasks"}, page=f"/tasks/{r.id}")
    assert resp.status_code == 302 and resp.headers["Location"] == "/tasks"
    session.refresh(r)
    assert r.status == "done" and r.closed_by_id == officer_user.id and r.next_send_at is None
    after = officer.get("/tasks").get_data(as_text=True)
    assert "is done and has left your task list" in after  # the flash message names it
    assert f'/tasks/{r.id}"' not in after and badge(after) is None
    actions = set(
        session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "reminder"))
    )
    assert actions == {"reminder.acknowledge", "reminder.done"}
    again = post(officer, f"/tasks/{r.id}/done", {}, page=f"/tasks/{r.id}")
    assert again.status_code == 302  # already closed: told so, nothing changes
    assert "already closed" in officer.get(again.headers["Location"]).get_data(as_text=True)


def test_done_refuses_a_next_address_off_the_site(
    officer: FlaskClient, officer_user: User, session: Session
) -> None:
    r = remind(session, officer_user, "A task", timedelta(days=2))
    resp = post(officer, f"/tasks/{r.id}/done", {"next": "//evil.example/"}, page=f"/tasks/{r.id}")
    assert resp.headers["Location"] == f"/tasks/{r.id}"


def test_a_statutory_deadline_cannot_be_snoozed(
    officer: FlaskClient, officer_user: User, session: Session
) -> None:
    r = remind(
        session,
        officer_user,
        "Hearing notice",
        timedelta(days=3),
        kind=ReminderKind.STATUTORY_DEADLINE,
        statutory=True,
    )
    detail = officer.get(f"/tasks/{r.id}").get_data(as_text=True)
    assert "A statutory deadline cannot be snoozed" in detail and "/snooze" not in detail
    page = officer.get(f"/tasks/{r.id}/snooze")
    assert page.status_code == 400
    assert "A statutory deadline cannot be snoozed" in page.get_data(as_text=True)
    day = now() + timedelta(days=2)
    resp = post(
        officer,
        f"/tasks/{r.id}/snooze",
        {"until": [str(day.day), str(day.month), str(day.year)], "reason": "Busy"},
        page=f"/tasks/{r.id}",
    )
    assert resp.status_code == 400
    session.refresh(r)
    assert r.snoozed_until is None


def test_snoozing_needs_a_reason_then_moves_the_task_aside(
    officer: FlaskClient, officer_user: User, session: Session
) -> None:
    r = remind(session, officer_user, "Follow-up visit", timedelta(days=3))
    day = now() + timedelta(days=2)
    fields = {"until": [str(day.day), str(day.month), str(day.year)]}
    missing = post(
        officer, f"/tasks/{r.id}/snooze", {**fields, "reason": ""}, page=f"/tasks/{r.id}/snooze"
    )
    assert missing.status_code == 400
    text = missing.get_data(as_text=True)
    assert "Enter why you are snoozing this task" in text and f'value="{day.day}"' in text
    far = now() + timedelta(days=40)
    too_far = post(
        officer,
        f"/tasks/{r.id}/snooze",
        {"until": [str(far.day), str(far.month), str(far.year)], "reason": "Later"},
        page=f"/tasks/{r.id}/snooze",
    )
    assert too_far.status_code == 400 and "30 days at most" in too_far.get_data(as_text=True)
    refused = post(
        officer,
        f"/tasks/{r.id}/snooze",
        {**fields, "reason": "The worker gave her number, 07700 900123"},
        page=f"/tasks/{r.id}/snooze",
    )
    assert refused.status_code == 400
    assert "The reason seems to contain a phone number" in refused.get_data(as_text=True)
    ok = post(
        officer,
        f"/tasks/{r.id}/snooze",
        {**fields, "reason": "Waiting for the landlord's reply"},
        page=f"/tasks/{r.id}/snooze",
    )
    assert ok.status_code == 302
    session.refresh(r)
    assert r.snoozed_until is not None and r.snooze_reason == "Waiting for the landlord's reply"
    page = officer.get("/tasks").get_data(as_text=True)
    assert page.index("Snoozed</h3>") < page.index("Follow-up visit")
    assert badge(page) is None  # a snoozed task is not counted
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "reminder.snooze")).one()
    # Every reader of the trail sees a task's events: the reason, which may speak of the
    # restricted record the task is about, stays on the task.
    assert event.summary.startswith("Snoozed the reminder “Follow-up visit” until ")
    assert event.summary.endswith(", giving a reason")
    assert "landlord" not in (event.summary + (event.before_json or "") + (event.after_json or ""))
    assert '"snooze_reason_given": true' in (event.after_json or "")


def test_someone_elses_task_is_not_found_but_a_team_members_is_shared(
    officer: FlaskClient, session: Session
) -> None:
    other = make_user(session, "licensing_officer")
    private = remind(session, other, "Their own task", timedelta(days=1))
    team = remind(session, other, "Team task", timedelta(days=1), team="licensing")
    ward = remind(session, None, "Ward task", timedelta(days=1), team="ward:E05999901")
    assert officer.get(f"/tasks/{private.id}").status_code == 404
    assert post(officer, f"/tasks/{private.id}/done", {}, page="/tasks").status_code == 404
    assert officer.get(f"/tasks/{team.id}").status_code == 200
    assert officer.get(f"/tasks/{ward.id}").status_code == 404  # they do not cover that ward
    page = officer.get("/tasks").get_data(as_text=True)
    assert "Team task" in page and "Their own task" not in page and "Ward task" not in page


def test_supervisor_sees_the_team_by_person_and_kind_and_escalations(
    client: FlaskClient, session: Session
) -> None:
    boss = make_user(session, "supervisor", email="boss@example.gov.uk")
    ann = make_user(session, "licensing_officer")
    ann.display_name = "Ann Officer"
    bob = make_user(session, "ward_officer")
    bob.display_name = "Bob Constable"
    for person in (ann, bob):
        tasks.set_supervisor(session, SYSTEM, now(), person.id, boss.id)
    session.commit()
    late = remind(session, ann, "Ann's late follow-up", timedelta(days=-2))
    remind(session, ann, "Ann's next follow-up", timedelta(days=4))
    statutory = remind(
        session,
        bob,
        "Bob's hearing notice",
        timedelta(hours=-3),
        kind=ReminderKind.STATUTORY_DEADLINE,
        statutory=True,
    )
    session.add(
        ReminderEscalation(
            reminder_id=statutory.id, reason="overdue", supervisor_id=boss.id, escalated_at=now()
        )
    )
    session.commit()
    sign_in(client, "boss@example.gov.uk")
    page = client.get("/tasks/team").get_data(as_text=True)
    rows = dict(
        re.findall(
            r'<th scope="row" class="govuk-table__header">([^<]+)</th>((?:\s*<td[^>]*>\d+</td>){3})',
            page,
        )
    )
    counts = {k: re.findall(r">(\d+)<", v) for k, v in rows.items()}
    assert counts["Ann Officer"] == ["2", "1", "0"]
    assert counts["Bob Constable"] == ["1", "1", "1"]
    assert counts["Follow-up inspection"] == ["2", "1", "0"]
    assert counts["Statutory deadline"] == ["1", "1", "1"]
    assert page.index("Ann&#39;s late follow-up") < page.index("Bob&#39;s hearing notice")
    assert f"/tasks/{late.id}" in page
    # The escalation is on the supervisor's own task list too, and they may open it.
    mine = client.get("/tasks").get_data(as_text=True)
    assert "Bob&#39;s hearing notice" in mine and "Escalated to you" in mine
    assert client.get(f"/tasks/{late.id}").status_code == 200  # Ann's supervisor


def test_supervisors_see_the_tasks_that_reach_no_one(client: FlaskClient, session: Session) -> None:
    """A task goes to its owner and its team. One whose owner has left, waiting for a team no one
    is in (a ward nobody covers, a new install with no licensing officers), was on no one's list
    and mailed to no one, and nothing said so."""
    make_wards(session)
    make_user(session, "supervisor", email="boss@example.gov.uk")
    leaver = make_user(session, "ward_officer", wards_=frozenset({"E05999901"}))
    train(session, leaver)
    train(session, make_user(session, "ward_officer", wards_=frozenset({"E05999902"})))
    make_user(session, "licensing_officer")
    # Covering Westward is not enough to be its team: these cannot log a welfare visit there.
    make_user(session, "ward_officer", wards_=frozenset({"E05999901"}))  # not yet trained
    train(session, make_user(session, "supervisor", wards_=frozenset({"E05999901"})))
    make_user(session, "licensing_officer", wards_=frozenset({"E05999901"}))
    follow_up = {"kind": ReminderKind.FOLLOW_UP_VISIT, "subject_type": "welfare_visit"}
    remind(session, leaver, "Left behind", timedelta(days=-1), team="ward:E05999901", **follow_up)
    remind(session, None, "Nobody's", timedelta(days=3), team="ward:E05999901", **follow_up)
    remind(session, None, "Covered", timedelta(days=3), team="ward:E05999902", **follow_up)
    remind(session, None, "For the team", timedelta(days=-1), team="licensing")
    remind(session, None, "For no team", timedelta(days=-1))
    leaver.is_active = False
    session.commit()

    sign_in(client, "boss@example.gov.uk")
    page = client.get("/tasks/team").get_data(as_text=True)
    assert "Some tasks reach no one" in page
    table = page[
        page.index('id="unreached"') : page.index("</table>", page.index('id="unreached"'))
    ]
    rows = re.findall(
        r'<th scope="row" class="govuk-table__header">([^<]+)</th>\s*'
        r"<td[^>]*>(\d+)</td>\s*<td[^>]*>(\d+)</td>",
        table,
    )
    assert rows == [
        ("No team: Follow-up inspection", "1", "1"),
        ("Westward ward team: Follow-up welfare visit", "2", "1"),
    ]
    # The administrators, who give people wards and roles, see the same on the users page.
    make_user(session, "admin", email="admin@example.gov.uk")
    session.commit()
    admin = client.application.test_client()
    sign_in(admin, "admin@example.gov.uk")
    users_page = admin.get("/admin/users").get_data(as_text=True)
    assert "Some tasks reach no one" in users_page and "on their user page below" in users_page
    assert "Westward ward team: Follow-up welfare visit" in users_page
    # Once someone who can log a visit there covers the ward, its tasks reach them, and the
    # warning goes.
    train(session, make_user(session, "ward_officer", wards_=frozenset({"E05999901"})))
    session.commit()
    page = client.get("/tasks/team").get_data(as_text=True)
    assert "Westward ward team" not in page and "No team: Follow-up inspection" in page


def test_team_view_is_for_supervisors(officer: FlaskClient) -> None:
    assert officer.get("/tasks/team").status_code == 403


def test_choosing_a_daily_digest(
    officer: FlaskClient, officer_user: User, session: Session
) -> None:
    page = officer.get("/tasks/preferences").get_data(as_text=True)
    assert 'value="immediate" checked' in page
    assert (
        post(
            officer, "/tasks/preferences", {"preference": "weekly"}, page="/tasks/preferences"
        ).status_code
        == 400
    )
    resp = post(officer, "/tasks/preferences", {"preference": "daily"}, page="/tasks/preferences")
    assert resp.status_code == 302
    session.refresh(officer_user)
    assert officer_user.digest_preference == "daily"
    assert session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.reminder_preference")
    ).one()


def test_task_pages_need_sign_in(client: FlaskClient) -> None:
    for path in ("/tasks", "/tasks/1", "/tasks/team", "/tasks/preferences"):
        resp = client.get(path)
        assert resp.status_code == 302 and "/sign-in" in resp.headers["Location"]
    token_page = csrf_token(client)
    assert client.post("/tasks/1/done", data={"csrf_token": token_page}).status_code == 302
