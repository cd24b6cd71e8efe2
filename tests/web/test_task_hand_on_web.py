"""A task whose owner can no longer complete it goes to the team that can (docs/reminders.md).

An officer in charge of a case owns its statutory deadlines alone. When an administrator takes
away the role that records the case's steps, or deactivates the account, each of those tasks is
handed to the team that holds the control (the licensing team for a council's case; no team for
a police case, which the supervisors' list of tasks that reach no one then shows), the case no
longer names the officer, and each hand-on is audited. A change that leaves the owner able to act
hands nothing on.
"""

from __future__ import annotations

import re

import pytest
from builders import (
    BOOK,
    CAL,
    NOW,
    SYSTEM,
    make_case,
    make_org,
    make_premises,
    make_user,
    make_wards,
    post,
    sign_in,
)
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enforcement.cases import casework
from enforcement.clock import utcnow
from enforcement.models import AuditEvent, EnforcementCase, Organisation, Reminder, User
from enforcement.models.mail import OutboxMail
from enforcement.reminders import notify, tasks
from enforcement.reminders.notify import NotifyConfig
from enforcement.reminders.reminders import OPEN
from enforcement.vocab import OrganisationKind


def _case_with_deadlines(
    session: Session, org: Organisation, officer: User, tool: str, first_event: str
) -> EnforcementCase:
    """A case in the officer's charge, its clock started by its first event: deadlines owed."""
    premises = make_premises(session)
    case = make_case(session, premises.id, org.id, officer.id, tool=tool, now=NOW)
    casework.record_event(
        session,
        SYSTEM,
        NOW,
        case.id,
        case.version,
        casework.EventInput(kind=first_event, occurred_at=NOW),
        calendar=CAL,
        rulebook=BOOK,
    )
    return case


def _open_of(session: Session, case: EnforcementCase) -> list[Reminder]:
    return list(
        session.scalars(
            select(Reminder)
            .where(Reminder.subject_id == case.id, Reminder.status == OPEN)
            .where(Reminder.subject_type == "enforcement_case")
            .order_by(Reminder.id)
        )
    )


def _edit(client: FlaskClient, user: User, roles: list[str]) -> int:
    form = client.get(f"/admin/users/{user.id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form)
    assert version
    data = {
        "version": version.group(1),
        "display_name": user.display_name,
        "email": user.email,
        "organisation_id": str(user.organisation_id),
        "roles": roles,
    }
    return int(post(client, f"/admin/users/{user.id}/edit", data, page="/admin/users").status_code)


CONFIG = NotifyConfig(
    base_url="https://tracker.example.gov.uk",
    mail_from="Licensing tracker <reminders@tracker.example.gov.uk>",
    service_name="Licensing and premises enforcement",
    council_name="Test Council",
)


def _mailed(session: Session, owed: list[Reminder]) -> set[str]:
    return set(
        session.scalars(
            select(OutboxMail.recipient).where(OutboxMail.reminder_id.in_([r.id for r in owed]))
        )
    )


def _put_in_charge(session: Session, case: EnforcementCase, officer: User) -> None:
    casework.update_case(
        session,
        SYSTEM,
        utcnow(),
        case.id,
        case.version,
        officer_id=officer.id,
        summary=case.summary,
        calendar=CAL,
        rulebook=BOOK,
    )


def _handed_on(session: Session) -> list[str]:
    return list(
        session.scalars(
            select(AuditEvent.summary)
            .where(AuditEvent.action == "reminder.hand_on")
            .order_by(AuditEvent.id)
        )
    )


@pytest.fixture
def council(session: Session) -> Organisation:
    make_wards(session)
    return make_org(session, "Council (hand-on)", OrganisationKind.COUNCIL)


def test_an_officer_losing_the_role_hands_the_cases_deadlines_to_the_licensing_team(
    app: Flask, session: Session, council: Organisation
) -> None:
    officer = make_user(session, "licensing_officer", org=council, display_name="Olu Officer")
    colleague = make_user(
        session, "licensing_officer", email="colleague@example.gov.uk", org=council
    )
    make_user(session, "admin", email="root@example.gov.uk")
    case = _case_with_deadlines(
        session, council, officer, "premises_review", "application_received"
    )
    owed = _open_of(session, case)
    assert owed and all(r.owner_user_id == officer.id and r.team is None for r in owed)
    # The officer is mailed: every lead due by now (the deadlines are past) in one mail each.
    notify.enqueue_due(session, utcnow(), CONFIG)
    assert _mailed(session, owed) == {officer.email}
    session.commit()
    admin = app.test_client()
    sign_in(admin, "root@example.gov.uk")

    # A change that leaves them able to act hands nothing on.
    assert _edit(admin, officer, ["licensing_officer", "supervisor"]) == 302
    session.expire_all()
    assert all(r.owner_user_id == officer.id for r in _open_of(session, case))
    assert not _handed_on(session)

    # Moved to intelligence work: they can no longer record the case's steps.
    assert _edit(admin, officer, ["intel_analyst"]) == 302
    told = admin.get("/admin/users").get_data(as_text=True)
    assert f"The {len(owed)} tasks they can no longer complete have gone to the teams" in told
    session.expire_all()
    handed = _open_of(session, case)
    assert [r.id for r in handed] == [r.id for r in owed]
    assert all(r.owner_user_id is None and r.team == "licensing" for r in handed)
    assert session.get_one(EnforcementCase, case.id).officer_id is None
    summaries = _handed_on(session)
    assert len(summaries) == len(owed)
    assert all("to Licensing team: Olu Officer can no longer" in s for s in summaries)
    # The team is mailed afresh, as for a new task, though every lead was mailed to the officer;
    # the officer is not mailed again.
    notify.enqueue_due(session, utcnow(), CONFIG)
    assert _mailed(session, handed) == {officer.email, colleague.email}
    assert session.scalar(
        select(func.count())
        .select_from(OutboxMail)
        .where(
            OutboxMail.recipient == officer.email, OutboxMail.reminder_id.in_([r.id for r in owed])
        )
    ) == len(owed)
    # The case's clock, run again, keeps them with the team (the case names no officer now).
    casework.readdress_reminders(session, SYSTEM, NOW, case.id, CAL, BOOK)
    assert [(r.owner_user_id, r.team) for r in _open_of(session, case)] == [
        (None, "licensing")
    ] * len(owed)
    session.commit()

    # The licensing team now has them on its list, and a member can complete one.
    other = app.test_client()
    sign_in(other, colleague.email)
    listed = other.get("/tasks").get_data(as_text=True)
    assert all(f'/tasks/{r.id}"' in listed for r in handed), listed
    resp = post(other, f"/tasks/{handed[0].id}/done", {})
    assert resp.status_code == 302
    session.expire_all()
    assert session.get_one(Reminder, handed[0].id).status != OPEN


def test_deactivating_a_police_cases_officer_puts_its_deadlines_before_the_supervisors(
    app: Flask, session: Session, council: Organisation
) -> None:
    police = make_org(session, "Police (hand-on)", OrganisationKind.POLICE)
    officer = make_user(session, "ward_officer", org=police)
    make_user(session, "admin", email="root@example.gov.uk", org=council)
    case = _case_with_deadlines(session, police, officer, "asbcpa_closure", "notice_issued")
    owed = _open_of(session, case)
    assert owed and all(r.owner_user_id == officer.id for r in owed)
    before = {t.key for t in tasks.unreached_tasks(session, NOW)}
    session.commit()
    admin = app.test_client()
    sign_in(admin, "root@example.gov.uk")
    assert post(admin, f"/admin/users/{officer.id}/deactivate", {}).status_code == 302
    session.expire_all()
    handed = _open_of(session, case)
    # The licensing team is the council's: a police case waits for no team, and is shown as
    # reaching no one until a supervisor puts someone in charge of it.
    assert all(r.owner_user_id is None and r.team is None for r in handed)
    assert session.get_one(EnforcementCase, case.id).officer_id is None
    after = {t.key for t in tasks.unreached_tasks(session, NOW)}
    assert after - before == {"/statutory_deadline"}
    assert len(_handed_on(session)) == len(owed)


def test_a_new_officer_in_charge_is_mailed_the_cases_deadlines_afresh(
    session: Session, council: Organisation
) -> None:
    """Every lead of a past deadline was mailed to the first officer; the one put in charge
    next is mailed too, as for a new task, and the first is not mailed again."""
    first = make_user(session, "licensing_officer", org=council)
    second = make_user(session, "licensing_officer", org=council)
    case = _case_with_deadlines(session, council, first, "premises_review", "application_received")
    owed = _open_of(session, case)
    notify.enqueue_due(session, utcnow(), CONFIG)
    assert _mailed(session, owed) == {first.email}
    _put_in_charge(session, case, second)
    session.expire_all()  # the tick reads the reminders afresh, as its own session would
    notify.enqueue_due(session, utcnow(), CONFIG)
    assert _mailed(session, owed) == {first.email, second.email}
    assert session.scalar(
        select(func.count())
        .select_from(OutboxMail)
        .where(
            OutboxMail.recipient == first.email, OutboxMail.reminder_id.in_([r.id for r in owed])
        )
    ) == len(owed)
    # Handed back to the first officer: they were mailed these leads already, and are not
    # mailed them again (nor does the outbox refuse the tick).
    case = session.get_one(EnforcementCase, case.id)
    _put_in_charge(session, case, first)
    session.expire_all()
    before = session.scalar(select(func.count()).select_from(OutboxMail))
    notify.enqueue_due(session, utcnow(), CONFIG)
    assert session.scalar(select(func.count()).select_from(OutboxMail)) == before
