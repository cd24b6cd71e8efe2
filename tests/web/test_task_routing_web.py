"""Every task reaches whoever can act on it, on both databases (docs/reminders.md).

A referral is taken from draft to decision beside an inspection, a welfare visit, graded flags
and two plain cases, and at each step every open reminder is checked: each of its recipients
(its owner and its team's members) holds the permission of the control that closes it, through
the access policy, and is shown that control on the record's page. Every reminder kind and
every control must be met on the way, so a new kind fails here until it is routed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from builders import (
    BOOK,
    CAL,
    NOW,
    SYSTEM,
    WEST,
    make_case,
    make_premises,
    make_user,
    sign_in,
    train,
)
from builders.referrals import World, at, full_draft, make_world
from builders.welfare import IMMIGRATION, visit_input, visit_record
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from enforcement.access import can, can_for_organisation
from enforcement.accounts import users
from enforcement.models import (
    EnforcementCase,
    Organisation,
    PremisesWard,
    Referral,
    Reminder,
    User,
    Ward,
)
from enforcement.referrals import drafting as referrals
from enforcement.referrals import process as referral_process
from enforcement.registerio import expiry
from enforcement.reminders import notify, routing
from enforcement.reminders.routing import Control, Process
from enforcement.reminders.vocab import ReminderKind
from enforcement.welfare import visits as welfare

RECEIVED = at("2026-03-03", "09:00")
IN_WINDOW = at("2026-04-20", "10:00")

# Which statutory step of a referral's case is taken with which of the referral's forms.
REFERRAL_STEP_FORMS = {
    "la.s51.representations": ("/representations",),
    "la.s52.hearing": ("/hearing", "/outcome"),
    "la.s52.notice_of_hearing": ("/notice",),
    "la.s52.determination": ("/outcome",),
    "la.s52.appeal": ("/appeal",),
}


def _referral_of_case(session: Session, case_id: int) -> int | None:
    return session.scalar(select(Referral.id).where(Referral.case_id == case_id))


def _process(session: Session, r: Reminder) -> Process:
    if r.kind == ReminderKind.STATUTORY_DEADLINE and _referral_of_case(session, r.subject_id):
        return Process.COMMITTEE_REFERRAL
    return Process.CASE


def _page_and_controls(session: Session, r: Reminder, control: Control) -> tuple[str, list[str]]:
    """Return the page that shows the control, and the addresses any of which is the control."""
    premises = f"/premises/{r.premises_id}"
    referral = f"/referrals/{r.subject_id}"
    pages: dict[Control, Callable[[], tuple[str, list[str]]]] = {
        Control.RECORD_INSPECTION: lambda: (premises, [f"{premises}/inspections/new"]),
        Control.LOG_WELFARE_VISIT: lambda: (premises, [f"{premises}/welfare-visits/new"]),
        Control.RECORD_CASE_EVENT: lambda: (
            f"/cases/{r.subject_id}",
            [f"/cases/{r.subject_id}/events"],
        ),
        Control.GRADE_FLAG: lambda: (f"/flags/{r.subject_id}", [f"/flags/{r.subject_id}/grade"]),
        Control.CHANGE_LICENCE: lambda: (premises, [f"/licences/{r.subject_id}/edit"]),
        Control.SIGN_OFF_REFERRAL: lambda: (referral, [f"{referral}/sign-off"]),
        Control.OPEN_REFERRAL_PROCESS: lambda: (referral, [f"{referral}/process"]),
        Control.RESUBMIT_REFERRAL: lambda: (referral, [f"{referral}/submit"]),
        Control.DECIDE_IMMIGRATION_REFERRAL: lambda: (
            f"/welfare-visits/{r.subject_id}",
            [f"/welfare-visits/{r.subject_id}/immigration-referral"],
        ),
        Control.RECORD_REFERRAL_STEP: lambda: _referral_step(session, r),
    }
    return pages[control]()


def _referral_step(session: Session, r: Reminder) -> tuple[str, list[str]]:
    if r.kind == ReminderKind.HEARING:
        page = f"/referrals/{r.subject_id}"
        return page, [f"{page}/outcome", f"{page}/hearing"]
    referral_id = _referral_of_case(session, r.subject_id)
    page = f"/referrals/{referral_id}"
    assert r.rule_id in REFERRAL_STEP_FORMS, f"no referral form named for rule {r.rule_id}"
    return page, [page + form for form in REFERRAL_STEP_FORMS[r.rule_id]]


# A referral's page shows the step due now as a form and the other open steps as links to it
# (`?step=`): the referral's form addresses, by the step that shows each.
REFERRAL_STEPS = {
    "representations": ("representations",),
    "notice": ("notice",),
    "outcome": ("outcome",),
    "hearing": ("list_hearing", "move_hearing"),
    "appeal": ("appeal",),
    "process": ("process",),
    "submit": ("submit",),
    "sign-off": ("sign_off",),
}


def _shows(client: FlaskClient, page: str, control: str) -> bool:
    """Say whether the page shows the control (a form posting to it, or a link to it)."""
    if f'"{control}' in client.get(page).get_data(as_text=True):
        return True
    if not page.startswith("/referrals/"):
        return False
    return any(
        f'"{control}' in client.get(f"{page}?step={step}").get_data(as_text=True)
        for step in REFERRAL_STEPS.get(control.rsplit("/", 1)[-1], ())
    )


class Checker:
    """Checks each open reminder once: its recipients hold its control and are shown it."""

    def __init__(self, app: Flask, session: Session) -> None:
        self.app = app
        self.session = session
        self.checked: set[int] = set()
        self.kinds: set[tuple[str, Process]] = set()
        self.controls: set[Control] = set()
        self.recipients_of: dict[int, set[str]] = {}

    def recipients(self, r: Reminder) -> list[User]:
        ids = {r.owner_user_id} if r.owner_user_id else set()
        if r.team:
            ids |= {p.id for p in notify.team_members(self.session, r.team)}
        return [u for u in (self.session.get(User, i) for i in sorted(ids)) if u is not None]

    def check_open(self) -> None:
        self.session.expire_all()
        for r in self.session.scalars(
            select(Reminder).where(Reminder.status == "open").order_by(Reminder.id)
        ):
            if r.id in self.checked:
                continue
            self.checked.add(r.id)
            self.check(r)

    def check(self, r: Reminder) -> None:
        process = _process(self.session, r)
        control = routing.control_for(ReminderKind(r.kind), process)
        permission = routing.NEEDS[control]
        self.kinds.add((r.kind, process))
        self.controls.add(control)
        people = self.recipients(r)
        assert people, f"reminder {r.title!r} reaches no one"
        self.recipients_of[r.id] = {u.email for u in people}
        page, controls = _page_and_controls(self.session, r, control)
        for user in people:
            actor = users.actor_for(user)
            assert can(actor, permission), f"{user.email} cannot {control.label}: {r.title}"
            if control is Control.RECORD_CASE_EVENT:
                case = self.session.get(EnforcementCase, r.subject_id)
                assert case is not None
                assert can_for_organisation(actor, permission, case.owner_organisation_id)
            if control is Control.LOG_WELFARE_VISIT:
                # The welfare workflow's own test: trained, and covering the premises' ward.
                ward = self.session.scalar(
                    select(Ward.code)
                    .join(PremisesWard, PremisesWard.ward_id == Ward.id)
                    .where(PremisesWard.premises_id == r.premises_id)
                )
                assert welfare.may_log_at(self.session, actor, ward), (
                    f"{user.email} cannot log a welfare visit at the premises of {r.title}"
                )
            # Whoever is sent a task may act on it, and the domain agrees.
            refusal = routing.completion_refusal(self.session, actor, r)
            assert refusal is None, f"{user.email} may not act on {r.title}: {refusal}"
            client = self.app.test_client()
            sign_in(client, user.email)
            assert any(_shows(client, page, c) for c in controls), (
                f"{user.email} is not shown {control.label} ({controls}) on {page} for {r.title}"
            )


@pytest.fixture
def world(session: Session) -> World:
    made = make_world(session)
    session.commit()
    return made


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    now: list[object] = [NOW]
    for module in ("referrals", "premises", "cases", "flags", "inspections", "welfare"):
        monkeypatch.setattr(f"app.{module}.views.utcnow", lambda: now[0], raising=False)
    return now


def test_every_task_reaches_only_people_who_can_close_it(
    app: Flask, session: Session, world: World, clock: list[object]
) -> None:
    check = Checker(app, session)
    officer, supervisor, clerk = (world.actors[k] for k in ("officer", "supervisor", "clerk"))
    # People who cover the ward of the premises but cannot log a welfare visit there: a ward
    # officer not yet trained, a licensing officer and a (trained) supervisor given the ward.
    # The ward's team is those who can, so its follow-up visit never reaches these.
    council = session.get(Organisation, world.council_id)
    police = session.get(Organisation, world.police_id)
    for email, role, org, trained in (
        ("untrained@example.gov.uk", "ward_officer", police, False),
        ("licensing-west@example.gov.uk", "licensing_officer", council, False),
        ("supervisor-west@example.gov.uk", "supervisor", council, True),
    ):
        person = make_user(session, role, email=email, org=org, wards_=frozenset({WEST.code}))
        if trained:
            train(session, person)
    # Two plain cases: one with an officer in charge, one a council review nobody has taken on.
    other = make_premises(session, name="The Anchor")
    make_case(session, other.id, world.council_id, officer.user_id or 0, now=NOW)
    review = make_case(
        session, other.id, world.council_id, officer.user_id or 0, tool="premises_review", now=NOW
    )
    referral_process.cases.record_event(
        session,
        SYSTEM,
        NOW,
        review.id,
        review.version,
        referral_process.cases.EventInput(kind="application_received", occurred_at=NOW),
        calendar=CAL,
        rulebook=BOOK,
    )
    # As a review the law opened arrives: nobody in charge yet, so the licensing team's.
    review.officer_id = None
    session.flush()
    referral_process.cases.readdress_reminders(session, SYSTEM, NOW, review.id, CAL, BOOK)
    # The licence's expiry reminder, made by the workflow that keeps them (registerio.expiry).
    world.licence.expires_on = (NOW + timedelta(days=60)).date()
    session.flush()
    expiry.sync_licences(session, NOW, [world.licence.id])
    # A welfare visit that asks for an immigration referral: a supervisor's decision to make.
    welfare.log_welfare_visit(
        session,
        world.actors["ward"],
        NOW,
        visit_input(
            world.premises.id,
            visited_at=NOW - timedelta(hours=2),
            idempotency_key="routing-immigration",
            record=visit_record(
                outcomes=frozenset({"immigration_referral"}), immigration_justification=IMMIGRATION
            ),
        ),
    )
    session.commit()
    check.check_open()

    r = referrals.create_draft(session, officer, NOW, world.premises.id, full_draft(world))
    referrals.submit(session, officer, NOW + timedelta(hours=1), r.id, r.version)
    session.commit()
    check.check_open()
    referrals.return_referral(
        session, supervisor, NOW + timedelta(hours=2), r.id, r.version, "Add the second visit"
    )
    session.commit()
    check.check_open()
    referrals.submit(session, officer, NOW + timedelta(hours=3), r.id, r.version)
    referrals.sign_off(session, supervisor, NOW + timedelta(hours=4), r.id, r.version, "Agreed")
    session.commit()
    check.check_open()
    clock[0] = NOW + timedelta(days=1)
    referral_process.open_process(
        session,
        clerk,
        NOW + timedelta(days=1),
        r.id,
        r.version,
        received_at=RECEIVED,
        calendar=CAL,
        rulebook=BOOK,
    )
    session.commit()
    check.check_open()
    # The case page sends the officer in charge to the referral: no control to record steps.
    officer_client = app.test_client()
    sign_in(officer_client, "officer@example.gov.uk")
    case_page = officer_client.get(f"/cases/{r.case_id}").get_data(as_text=True)
    assert f'Committee referral <a class="govuk-link" href="/referrals/{r.id}">' in case_page
    assert f"/cases/{r.case_id}/events" not in case_page
    clock[0] = RECEIVED + timedelta(days=1)
    referral_process.list_hearing(
        session,
        clerk,
        RECEIVED + timedelta(days=1),
        r.id,
        r.version,
        hearing_at=IN_WINDOW,
        listed_at=RECEIVED + timedelta(days=1),
        calendar=CAL,
        rulebook=BOOK,
    )
    session.commit()
    check.check_open()
    clock[0] = at("2026-04-20", "17:00")
    referral_process.record_outcome(
        session,
        clerk,
        at("2026-04-20", "17:00"),
        r.id,
        r.version,
        referral_process.OutcomeInput(
            held_at=IN_WINDOW,
            decided_at=at("2026-04-20", "16:00"),
            decision="revoke",
            reasons="The sub-committee was satisfied the premises were used for exploitation.",
        ),
        calendar=CAL,
        rulebook=BOOK,
    )
    referral_process.record_notification(
        session,
        clerk,
        at("2026-04-21", "10:00"),
        r.id,
        r.version,
        notified_at=at("2026-04-21", "10:00"),
        calendar=CAL,
        rulebook=BOOK,
    )
    session.commit()
    check.check_open()

    # Every kind of reminder, every way a statutory step is recorded, and every control met.
    expected = {(k.value, Process.CASE) for k in ReminderKind} | {
        (ReminderKind.STATUTORY_DEADLINE.value, Process.COMMITTEE_REFERRAL)
    }
    assert check.kinds == expected
    assert check.controls == set(Control)
    # The referral's statutory steps reached the clerk, never its author.
    case_reminders = session.scalars(
        select(Reminder).where(
            Reminder.kind == ReminderKind.STATUTORY_DEADLINE,
            Reminder.subject_id == r.case_id,
            Reminder.subject_type == "enforcement_case",
        )
    ).all()
    seen = [x for x in case_reminders if x.id in check.recipients_of]
    titles = " ".join(x.title for x in seen)
    for words in (
        "Give notice of the review hearing",
        "Representations period ends",
        "Review hearing must start",
    ):
        assert words in titles
    for x in case_reminders:
        assert x.owner_user_id is None and x.team == "clerks"
    for x in seen:
        assert check.recipients_of[x.id] == {"clerk@example.gov.uk"}
    # The welfare visit's follow-up reached its officer, who can log the next visit, and no
    # one else who covers the ward.
    follow_ups = [
        x
        for x in session.scalars(
            select(Reminder).where(Reminder.kind == ReminderKind.FOLLOW_UP_VISIT)
        )
        if x.id in check.recipients_of
    ]
    assert follow_ups
    for x in follow_ups:
        assert check.recipients_of[x.id] == {"ward@example.gov.uk"}


def test_ward_teams_read_as_ward_names_and_the_task_table_has_its_status_and_action(
    app: Flask, session: Session, world: World
) -> None:
    client = app.test_client()
    sign_in(client, "ward@example.gov.uk")
    home = client.get("/").get_data(as_text=True)
    # The ward officer is told which wards they cover, by name.
    assert "The ward you cover: <strong>Westward</strong>" in home
    # Their follow-up visit is the ward team's, named by the ward, never by its code.
    assert "For the Westward ward team" in home and "E05999901" not in home
    table = home[home.index('<table class="govuk-table" id="tasks">') :]
    table = table[: table.index("</table>")]
    headers = [h.strip() for h in re.findall(r'<th scope="col"[^>]*>([^<]*)<', table)]
    assert headers == ["Task", "Kind", "Due", "Status", "Action"]
    rows = re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', table, re.S)[1:]
    assert rows
    for row in rows:
        cells = re.findall(r'<td class="govuk-table__cell[^"]*">(.*?)</td>', row, re.S)
        assert len(cells) == 5
        assert re.sub(r"<[^>]+>", "", cells[3]).strip(), "the Status column is empty"
        assert ">Open task<" in cells[4]
    visits = client.get("/welfare-visits").get_data(as_text=True)
    assert "The ward you cover: <strong>Westward</strong>" in visits
    form = client.get(f"/premises/{world.premises.id}/welfare-visits/new").get_data(as_text=True)
    assert "The ward you cover: <strong>Westward</strong>" in form
    # Someone who covers no wards is told nothing about wards.
    other = app.test_client()
    sign_in(other, "officer@example.gov.uk")
    assert "ward you cover" not in other.get("/").get_data(as_text=True)
