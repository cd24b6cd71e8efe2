"""A task goes to, and is completed only by, whoever holds the control that completes it.

On both databases, through the pages: a welfare visit's follow-up reaches only those who can
log a visit at its premises (not everyone who covers the ward), only they may acknowledge,
snooze or mark it done, and the visit's page says a follow-up visit was made only when one was
logged. Also: when day-unit reminders are mailed, how tasks name their team, and what a snoozed
team task tells the rest of the team (docs/reminders.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from builders import (
    WEST,
    make_org,
    make_premises,
    make_user,
    make_wards,
    post,
    sign_in,
    train,
    visit_input,
)
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from enforcement.accounts.users import actor_for
from enforcement.clock import (
    end_of_london_day,
    london_midnight_utc,
    london_today,
    to_london,
    when_text,
)
from enforcement.errors import Forbidden
from enforcement.models import AuditEvent, OutboxMail, Premises, Reminder, ReminderEscalation, User
from enforcement.models.welfare import WelfareVisit
from enforcement.reminders import notify, reminders, tasks
from enforcement.reminders.vocab import ReminderKind
from enforcement.vocab import OrganisationKind
from enforcement.welfare import visits as welfare

CONFIG = notify.NotifyConfig(base_url="https://tracker.example.gov.uk")


def earlier_today(ago: timedelta, *, minutes_in: int) -> datetime:
    """A moment `ago` before now, but not before `minutes_in` minutes into today in London: a
    visit logged now is then recorded on the day it took place, whenever the test runs."""
    midnight = london_midnight_utc(london_today(now()))
    return max(now() - ago, midnight + timedelta(minutes=minutes_in))


def now() -> datetime:
    return datetime.now(UTC)  # the web edge reads the real clock


@dataclass
class Ward:
    """Westward's people, a premises there and a visit whose follow-up is owed."""

    people: dict[str, User]
    premises: Premises
    visit: WelfareVisit
    task: Reminder

    def client(self, app: Flask, who: str) -> FlaskClient:
        client = app.test_client()
        sign_in(client, f"{who}@example.gov.uk")
        return client


# Who covers Westward: (role, organisation, Moontwist-trained, display name). Only the first two
# can log a welfare visit there.
PEOPLE = {
    "owner": ("ward_officer", "police", True, "Wren Ward"),
    "colleague": ("ward_officer", "police", True, "Colin Colleague"),
    "untrained": ("ward_officer", "police", False, "Una Untrained"),
    "licensing": ("licensing_officer", "council", False, "Lena Licensing"),
    "supervisor": ("supervisor", "council", True, "Sam Supervisor"),
}


@pytest.fixture
def ward(session: Session) -> Ward:
    make_wards(session)
    orgs = {
        "police": make_org(session, "Police", OrganisationKind.POLICE),
        "council": make_org(session, "Council", OrganisationKind.COUNCIL),
    }
    people = {}
    for key, (role, org, trained, name) in PEOPLE.items():
        people[key] = make_user(
            session,
            role,
            email=f"{key}@example.gov.uk",
            org=orgs[org],
            wards_=frozenset({WEST.code}),
            display_name=name,
        )
        if trained:
            train(session, people[key])
    # The demo's arrangement: the ward officer reports to a council supervisor.
    tasks.set_supervisor(
        session, notify.SCHEDULER, now(), people["owner"].id, people["supervisor"].id
    )
    flat = make_premises(session, name="Flat 3, 12 West Street", premises_type="residential_flat")
    visit, _ = welfare.log_welfare_visit(
        session,
        actor_for(people["owner"]),
        now(),
        visit_input(flat.id, visited_at=earlier_today(timedelta(hours=2), minutes_in=1)),
    )
    task = session.scalars(
        select(Reminder).where(Reminder.kind == ReminderKind.FOLLOW_UP_VISIT)
    ).one()
    session.commit()
    return Ward(people, flat, visit, task)


def test_a_follow_up_visit_goes_only_to_those_who_can_log_a_visit_there(
    app: Flask, session: Session, ward: Ward
) -> None:
    """Not everyone who covers the ward: a supervisor or a licensing officer given the ward,
    or a ward officer not yet trained, cannot log a visit, so they are not its team."""
    assert ward.task.team == f"ward:{WEST.code}"
    members = {p.email for p in notify.team_members(session, ward.task.team)}
    assert members == {"owner@example.gov.uk", "colleague@example.gov.uk"}
    for who in PEOPLE:
        actor = actor_for(ward.people[who])
        may_log = welfare.may_log_at(session, actor, WEST.code)
        assert (f"{who}@example.gov.uk" in members or who == "owner") == may_log, who
    # Mailed on the morning it is due: to the owner and the ward's team, no one else.
    morning = ward.task.due_at - timedelta(hours=12)
    notify.enqueue_due(session, morning, CONFIG)
    mails = {
        m.recipient: m
        for m in session.scalars(select(OutboxMail).where(OutboxMail.reminder_id == ward.task.id))
    }
    assert set(mails) == {"owner@example.gov.uk", "colleague@example.gov.uk"}
    colleague = mails["colleague@example.gov.uk"]
    assert "You are receiving this as a member of the Westward ward team." in colleague.text_body
    assert colleague.subject == "Reminder: Follow-up visit due by the end of today"
    session.commit()
    # On the task lists (and badges) of the same people only.
    for who in PEOPLE:
        page = ward.client(app, who).get("/tasks").get_data(as_text=True)
        shown = f'/tasks/{ward.task.id}"' in page
        assert shown == (who in {"owner", "colleague"}), who
        assert (who in {"owner", "colleague"}) == bool(
            re.search(r'moj-notification-badge">1<', page)
        ), who
        if who == "colleague":
            assert "For the Westward ward team" in page or "For Wren Ward" in page


def test_only_those_who_can_log_a_visit_may_mark_the_follow_up_done(
    app: Flask, session: Session, ward: Ward
) -> None:
    r = ward.task
    path = f"/tasks/{r.id}"
    # Those outside the team do not see it at all.
    for who in ("licensing", "untrained"):
        client = ward.client(app, who)
        assert client.get(path).status_code == 404, who
        assert post(client, f"{path}/done", {}).status_code == 404, who
    # The owner's supervisor sees it, but cannot log a visit, so cannot complete it: no buttons
    # on the page, and the domain refuses the posts.
    boss = ward.client(app, "supervisor")
    page = boss.get(path).get_data(as_text=True)
    assert f'{path}/done"' not in page and f'{path}/acknowledge"' not in page
    assert f'{path}/snooze"' not in page
    assert "Only someone who can log a welfare visit can acknowledge" in page
    for action in ("done", "acknowledge"):
        assert post(boss, f"{path}/{action}", {}).status_code == 403, action
    assert boss.get(f"{path}/snooze").status_code == 403
    with pytest.raises(Forbidden):
        tasks.mark_done(session, actor_for(ward.people["supervisor"]), now(), r.id)
    session.rollback()
    session.refresh(r)
    assert r.status == "open" and r.acknowledged_at is None and r.snoozed_until is None
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "reminder"))
    assert list(actions) == []
    visit_page = f"/welfare-visits/{ward.visit.id}"
    owner = ward.client(app, "owner")
    assert "A follow-up visit is due by" in owner.get(visit_page).get_data(as_text=True)
    # A colleague who can log a visit there may mark it done; the visit's page then says what
    # happened, not that a follow-up visit was made.
    colleague = ward.client(app, "colleague")
    assert f'{path}/done"' in colleague.get(path).get_data(as_text=True)
    assert post(colleague, f"{path}/done", {"next": "/tasks"}).status_code == 302
    text = " ".join(owner.get(visit_page).get_data(as_text=True).split())
    assert "The follow-up visit has been made" not in text
    assert "A follow-up visit was made" not in text
    day = f"{to_london(now()):%-d %B %Y}"
    assert (
        "No follow-up visit has been logged. The follow-up task was marked done by "
        f"Colin Colleague on {day} without a visit being logged."
    ) in text


def test_the_follow_up_is_made_when_the_next_visit_is_logged(
    app: Flask, session: Session, ward: Ward
) -> None:
    later = earlier_today(timedelta(hours=1), minutes_in=2)
    second, _ = welfare.log_welfare_visit(
        session,
        actor_for(ward.people["colleague"]),
        now(),
        visit_input(ward.premises.id, visited_at=later, indicators=frozenset()),
    )
    session.commit()
    session.refresh(ward.task)
    assert ward.task.status == "done"
    text = " ".join(
        ward.client(app, "owner")
        .get(f"/welfare-visits/{ward.visit.id}")
        .get_data(as_text=True)
        .split()
    )
    assert f"A follow-up visit was made on {to_london(later):%-d %B %Y}" in text
    assert f'href="/welfare-visits/{second.id}">the follow-up visit</a>' in text


def test_a_snoozed_team_task_says_who_snoozed_it_and_until_when(
    app: Flask, session: Session, ward: Ward
) -> None:
    """One task for the team: snoozed by one member, it is snoozed for all of them, and the
    others are told who snoozed it, not that they did."""
    r = ward.task
    colleague = ward.client(app, "colleague")
    snooze_page = colleague.get(f"/tasks/{r.id}/snooze").get_data(as_text=True)
    assert "It is a task for the Westward ward team, so it is snoozed for all of them" in (
        " ".join(snooze_page.split())
    )
    day = now() + timedelta(days=3)
    resp = post(
        colleague,
        f"/tasks/{r.id}/snooze",
        {"until": [str(day.day), str(day.month), str(day.year)], "reason": "Premises closed"},
    )
    assert resp.status_code == 302
    session.refresh(r)
    until = when_text(r.snoozed_until) if r.snoozed_until else ""
    theirs = ward.client(app, "owner").get("/tasks").get_data(as_text=True)
    assert "Snoozed</h3>" in theirs and "Tasks you have snoozed" not in theirs
    assert f"until {until}, by Colin Colleague" in theirs
    mine = colleague.get("/tasks").get_data(as_text=True)
    assert f"until {until}, by you" in mine
    detail = ward.client(app, "owner").get(f"/tasks/{r.id}").get_data(as_text=True)
    assert f"Until {until}, by Colin Colleague: Premises closed" in detail


@pytest.mark.parametrize(
    ("due_day", "two_days_before", "on_the_day"),
    [
        (date(2036, 12, 15), "13 December 2036 at 8:00am GMT", "15 December 2036 at 8:00am GMT"),
        (date(2036, 6, 10), "8 June 2036 at 8:00am BST", "10 June 2036 at 8:00am BST"),
    ],
)
def test_the_task_page_shows_day_leads_at_8am_london(
    app: Flask, session: Session, due_day: date, two_days_before: str, on_the_day: str
) -> None:
    """A follow-up due by the end of a day was mailed "2 days before" at 23:59:59 London two
    days earlier, and shown as 12:00am; it goes at 8am London, GMT or BST as the day is."""
    officer = make_user(session, "licensing_officer", email="lo@example.gov.uk")
    r = reminders.schedule(
        session,
        reminders.ReminderSpec(
            kind=ReminderKind.FOLLOW_UP_INSPECTION,
            subject_type="inspection",
            subject_id=1,
            title="Follow-up inspection due",
            due_at=end_of_london_day(due_day),
            owner_user_id=officer.id,
        ),
        now(),
    )
    notify.enqueue_due(session, now(), CONFIG)  # plans its leads; nothing is due yet
    session.commit()
    assert r.next_send_at is not None
    assert to_london(r.next_send_at).hour == 8
    assert to_london(r.next_send_at).date() == due_day - timedelta(days=2)
    client = app.test_client()
    sign_in(client, "lo@example.gov.uk")
    page = client.get(f"/tasks/{r.id}").get_data(as_text=True)
    assert f"2 days before: {two_days_before}<br>" in page
    assert f"On the day: {on_the_day}" in page


def test_tasks_name_their_team_as_a_sentence_does(app: Flask, session: Session) -> None:
    """'Escalated to you: the committee clerks have not acted on it', not 'Committee clerks
    has not acted on it'; 'For the committee clerks'."""
    council = make_org(session, "Council")
    boss = make_user(session, "supervisor", email="boss@example.gov.uk", org=council)
    make_user(session, "committee_clerk", email="clerk@example.gov.uk", org=council)
    make_user(session, "licensing_officer", email="lo@example.gov.uk", org=council)
    spec = {
        "kind": ReminderKind.HEARING,
        "subject_type": "committee_referral",
        "due_at": now() + timedelta(days=2),
        "statutory": True,
    }
    hearing = reminders.schedule(
        session,
        reminders.ReminderSpec(subject_id=1, title="Hearing notice", team="clerks", **spec),
        now(),
    )
    reminders.schedule(
        session,
        reminders.ReminderSpec(
            kind=ReminderKind.LICENCE_EXPIRY,
            subject_type="licence",
            subject_id=1,
            title="Licence PL/1 expires",
            due_at=now() + timedelta(days=20),
            team="licensing",
        ),
        now(),
    )
    session.add(
        ReminderEscalation(
            reminder_id=hearing.id, reason="overdue", supervisor_id=boss.id, escalated_at=now()
        )
    )
    session.commit()
    pages = {}
    for who in ("boss", "clerk", "lo"):
        client = app.test_client()
        sign_in(client, f"{who}@example.gov.uk")
        pages[who] = client.get("/tasks").get_data(as_text=True)
    assert "Escalated to you: the committee clerks have not acted on it" in pages["boss"]
    assert "For the committee clerks" in pages["clerk"]
    assert "For the licensing team" in pages["lo"]
    for page in pages.values():
        assert "Committee clerks has" not in page and "For the Committee" not in page
        assert "For the Licensing team" not in page
