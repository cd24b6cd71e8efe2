"""Local rules: changed on the admin page, validated and audited, applied by the tick, shown on the case."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from builders import (
    BOOK,
    CAL,
    SYSTEM,
    make_case,
    make_licence,
    make_org,
    make_premises,
    make_user,
    make_wards,
    post,
    sign_in,
)
from conftest import savepoint_session
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from config import Settings
from enforcement.cases import casework as cases
from enforcement.clock import london_today, to_london
from enforcement.models import AuditEvent, CaseDeadline, RuleOverride
from enforcement.reminders.outbox import LogMailer
from enforcement.scheduler import tick

RULE = "la.s51.representations"


def _day_fields(day: date) -> dict[str, str]:
    return {
        "effective_from": [str(day.day), str(day.month), str(day.year)],  # type: ignore[dict-item]
    }


def _form(day: date, amount: str = "14", counting: str = "starting_day_after") -> dict[str, object]:
    return {
        "rule_id": RULE,
        "amount": amount,
        "counting": counting,
        "reason": "Council decision LIC/2026/14: shorter period for representations",
        **_day_fields(day),
    }


@pytest.fixture
def review_case(session: Session) -> tuple[int, datetime]:
    """A premises review received an hour ago, its deadlines derived from the table."""
    make_wards(session)
    council = make_org(session, "Borough Council", "council")
    officer = make_user(session, "licensing_officer", email="lo@example.gov.uk", org=council)
    make_user(session, "admin", email="admin@example.gov.uk", org=council)
    premises = make_premises(session)
    make_licence(session, premises.id)
    now = datetime.now(UTC).replace(microsecond=0)
    case = make_case(
        session,
        premises.id,
        council.id,
        officer.id,
        tool="premises_review",
        now=now - timedelta(hours=2),
    )
    cases.record_event(
        session,
        SYSTEM,
        now - timedelta(hours=1),
        case.id,
        case.version,
        cases.EventInput("application_received", now - timedelta(hours=1)),
        calendar=CAL,
        rulebook=BOOK,
    )
    session.commit()
    return case.id, now


def _due(session: Session, case_id: int, rule_id: str) -> datetime:
    session.expire_all()
    due = session.scalar(
        select(CaseDeadline.due_at).where(
            CaseDeadline.case_id == case_id, CaseDeadline.rule_id == rule_id
        )
    )
    assert due is not None
    return due


def _day(moment: datetime) -> date:
    """The London day a period ends on (its UTC time shifts by an hour across a clock change)."""
    return to_london(moment).date()


def _tick(connection: Connection, settings: Settings, at: datetime) -> None:
    tick(lambda: savepoint_session(connection), at, LogMailer(), settings)


def test_a_rule_changed_on_the_page_from_today_moves_an_open_cases_deadline_at_once(
    app: Flask,
    client: FlaskClient,
    session: Session,
    connection: Connection,
    settings: Settings,
    review_case: tuple[int, datetime],
) -> None:
    case_id, now = review_case
    before = _due(session, case_id, RULE)
    hearing_before = _due(session, case_id, "la.s52.hearing")
    sign_in(client, "admin@example.gov.uk")
    assert client.get("/admin/rules").status_code == 200

    response = post(client, "/admin/rules", _form(london_today(now)), page="/admin/rules")
    assert response.status_code == 302
    row = session.scalar(select(RuleOverride).where(RuleOverride.rule_id == RULE))
    assert row is not None and row.amount == 14
    assert session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "rule_override.add", AuditEvent.entity_id == str(row.id))
    )
    # In force today: the page counts open cases again, as the next tick would, so the case
    # page never shows the local rule beside a deadline counted under the table's.
    assert _day(_due(session, case_id, RULE)) == _day(before) - timedelta(days=14)
    assert "open cases&#39; deadlines have been counted again" in client.get(
        "/admin/rules"
    ).get_data(as_text=True)
    # The hearing is chained onto the end of representations: it moves with it.
    assert _due(session, case_id, "la.s52.hearing") < hearing_before

    officer = app.test_client()
    sign_in(officer, "lo@example.gov.uk")
    page = officer.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Local rule: 14 days" in page
    assert "in place of 28 days under Licensing Act 2003, s51(3)(c)" in page
    assert "Counted as: 14 consecutive days" in page
    assert "Counted as: 28 consecutive days" not in page
    # The next tick finds nothing more to move.
    _tick(connection, settings, now)
    assert _day(_due(session, case_id, RULE)) == _day(before) - timedelta(days=14)

    # Withdrawn, the table's rule returns at once.
    response = post(client, f"/admin/rules/overrides/{row.id}/withdraw", {}, page="/admin/rules")
    assert response.status_code == 302
    assert _due(session, case_id, RULE) == before
    assert _due(session, case_id, "la.s52.hearing") == hearing_before


def test_a_rule_taking_effect_later_leaves_deadlines_alone_until_its_day(
    client: FlaskClient,
    session: Session,
    connection: Connection,
    settings: Settings,
    review_case: tuple[int, datetime],
) -> None:
    case_id, now = review_case
    before = _due(session, case_id, RULE)
    sign_in(client, "admin@example.gov.uk")
    later = london_today(now) + timedelta(days=3)
    assert post(client, "/admin/rules", _form(later), page="/admin/rules").status_code == 302
    _tick(connection, settings, now)
    assert _due(session, case_id, RULE) == before
    _tick(connection, settings, now + timedelta(days=3, hours=1))
    assert _day(_due(session, case_id, RULE)) == _day(before) - timedelta(days=14)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rule_id": "no.such.rule"}, "Select a rule from the list"),
        ({"amount": "0"}, "Enter an amount between 1 and 366 days"),
        ({"amount": "367"}, "Enter an amount between 1 and 366 days"),
        ({"amount": "ten"}, "must be a whole number"),
        ({"rule_id": "la.s52.hearing", "counting": "hours_after"}, "Select how the period is"),
        ({"rule_id": "local.poster.follow_up", "counting": "working_days_after"}, "Select how"),
        ({"rule_id": "local.welfare.follow_up", "amount": "91"}, "between 1 and 90 days"),
        ({"rule_id": "local.intel.review.open.weak", "amount": "366"}, "between 1 and 365"),
        ({"counting": "working_days_before"}, "Select how the period is counted"),
        ({"reason": "  "}, "Enter why the rule is changed"),
        ({"effective_from": ["1", "1", "2020"]}, "must be today or in the future"),
        ({"effective_from": ["31", "2", "2027"]}, "must be a real date"),
    ],
)
def test_a_wrong_local_rule_is_refused_with_a_message_and_nothing_kept(
    client: FlaskClient,
    session: Session,
    review_case: tuple[int, datetime],
    changes: dict[str, object],
    message: str,
) -> None:
    _, now = review_case
    sign_in(client, "admin@example.gov.uk")
    form = {**_form(london_today(now)), **changes}
    response = post(client, "/admin/rules", form, page="/admin/rules")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert "Council decision LIC/2026/14" in page or changes.get("reason")  # kept as typed
    assert session.scalar(select(func.count()).select_from(RuleOverride)) == 0


def test_only_administrators_manage_local_rules(
    client: FlaskClient, session: Session, review_case: tuple[int, datetime]
) -> None:
    _, now = review_case
    sign_in(client, "lo@example.gov.uk")
    assert client.get("/admin/rules").status_code == 403
    response = post(client, "/admin/rules", _form(london_today(now)))
    assert response.status_code == 403
    assert session.scalar(select(func.count()).select_from(RuleOverride)) == 0
