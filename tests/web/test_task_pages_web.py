"""A task's page leads to its record, and a case says truly whose list its deadlines are on."""

from __future__ import annotations

from builders import (
    make_case,
    make_flag,
    make_org,
    make_premises,
    make_user,
    make_wards,
    sign_in,
)
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from enforcement.models import Reminder
from enforcement.reminders.vocab import ReminderKind
from enforcement.vocab import OrganisationKind


def test_a_flag_review_task_links_to_its_flag(app: Flask, session: Session) -> None:
    """The review task of a flag about a place (no premises) still leads to the flag: the
    analyst has no other way from the task, or its mail, to what must be reviewed."""
    make_wards(session)
    police = make_org(session, "Police (tasks)", OrganisationKind.POLICE)
    analyst = make_user(session, "intel_analyst", org=police, email="analyst@example.gov.uk")
    flag = make_flag(
        session, None, location_text="Above the shop", longitude=1.005, latitude=54.005
    )
    task = session.scalars(
        select(Reminder).where(Reminder.kind == ReminderKind.FLAG_REVIEW).order_by(Reminder.id)
    ).one()
    assert task.subject_id == flag.id and task.premises_id is None
    session.commit()
    client = app.test_client()
    sign_in(client, analyst.email)
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert f'href="/flags/{flag.id}"' in page and "No page for this record" not in page


def test_a_police_case_with_no_officer_says_its_deadlines_are_on_no_list(
    app: Flask, session: Session
) -> None:
    """The licensing team is the council's: a police case nobody is in charge of is on no
    one's task list, and its page must not send people to look for it on the licensing team's."""
    make_wards(session)
    police = make_org(session, "Police (case page)", OrganisationKind.POLICE)
    council = make_org(session, "Council (case page)", OrganisationKind.COUNCIL)
    ward = make_user(session, "ward_officer", org=police, email="ward@example.gov.uk")
    officer = make_user(session, "licensing_officer", org=council, email="officer@example.gov.uk")
    pages = {}
    for org, in_charge in ((police, ward), (council, officer)):
        case = make_case(session, make_premises(session).id, org.id, in_charge.id)
        case.officer_id = None  # as a review the law opened, or an officer who left, leaves it
        session.flush()
        pages[org.kind] = case.id
    session.commit()
    police_view, council_view = app.test_client(), app.test_client()
    sign_in(police_view, "ward@example.gov.uk")
    sign_in(council_view, "officer@example.gov.uk")
    on_police = police_view.get(f"/cases/{pages[OrganisationKind.POLICE]}").get_data(as_text=True)
    assert "on no one's task list until someone is put in charge" in on_police
    assert "licensing team" not in on_police
    on_council = council_view.get(f"/cases/{pages[OrganisationKind.COUNCIL]}").get_data(
        as_text=True
    )
    assert "the deadlines are on the licensing team's task list" in on_council
