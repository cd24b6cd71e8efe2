"""The rule book in force: the table, the overrides file, then the admin page's dated overrides."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from builders import (
    BOOK,
    CAL,
    NOW,
    SYSTEM,
    make_case,
    make_licence,
    make_org,
    make_premises,
    make_user,
    make_wards,
)
from conftest import savepoint_session
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from app import create_app
from app.rulebook import flag_review_rules, local_days
from config import ConfigError, Settings
from enforcement.access import Actor
from enforcement.accounts import users
from enforcement.cases import casework as cases
from enforcement.cases import overrides
from enforcement.cases.clock import default_rulebook
from enforcement.cases.statutory import RuleBook, RuleOverrideError
from enforcement.clock import end_of_london_day, london_today, to_london
from enforcement.errors import Forbidden, ValidationFailed
from enforcement.intelligence import flags
from enforcement.models import AuditEvent, CaseDeadline, RuleOverride
from enforcement.reminders.outbox import LogMailer
from enforcement.scheduler import tick

TODAY = london_today(NOW)


def _admin(session: Session) -> Actor:
    return users.actor_for(make_user(session, "admin"))


def _add(
    session: Session,
    actor: Actor,
    rule_id: str,
    amount: int,
    day: date,
    counting: str = "starting_day_after",
    base: RuleBook | None = None,
) -> RuleOverride:
    return overrides.add_override(
        session,
        actor,
        NOW,
        overrides.OverrideInput(rule_id, amount, counting, day, "Council decision"),
        base or RuleBook(),
    )


def test_the_overrides_file_changes_the_base_rule_book(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text('{"local.poster.follow_up": {"amount": 21}}', encoding="utf-8")
    book = default_rulebook(path)
    assert book.get("local.poster.follow_up").amount == 21
    change = book.local_change("local.poster.follow_up")
    assert change is not None and change.table_rule.amount == 14
    assert change.source == "the rule overrides file"
    assert book.local_change("la.s51.representations") is None
    assert default_rulebook(None).get("local.poster.follow_up").amount == 14


@pytest.mark.parametrize(
    "text",
    ['{"no.such.rule": {"amount": 3}}', '{"la.s52.hearing": {"counting": "hours_after"}}', "[1"],
)
def test_a_wrong_overrides_file_stops_the_app_starting(
    tmp_path: Path, settings: Settings, text: str
) -> None:
    path = tmp_path / "rules.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleOverrideError):
        default_rulebook(path)
    with pytest.raises(ConfigError, match="RULE_OVERRIDES_FILE"):
        create_app(dataclasses.replace(settings, rule_overrides_file=path))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"local.poster.follow_up": {"counting": "months_after", "amount": 2}}',
            "local.poster.follow_up: counting 'months_after' is not allowed: a workflow reads it"
            " as a number of days, so its counting stays starting_day_after",
        ),
        (
            '{"local.welfare.follow_up": {"counting": "hours_after", "amount": 48}}',
            "local.welfare.follow_up: counting 'hours_after' is not allowed",
        ),
        (
            '{"local.intel.review.open.ungraded": {"counting": "hours_after", "amount": 700}}',
            "local.intel.review.open.ungraded: counting 'hours_after' is not allowed",
        ),
        (
            '{"la.s52.hearing": {"counting": "months_after", "amount": 2}}',
            "la.s52.hearing: counting 'months_after' is not allowed: a chained rule must count"
            " in days; it may take beginning_with, starting_day_after, working_days_after,"
            " working_days_beginning_with",
        ),
    ],
)
def test_the_overrides_file_refuses_what_the_page_refuses_naming_the_rule(
    tmp_path: Path, settings: Settings, session: Session, text: str, message: str
) -> None:
    path = tmp_path / "rules.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        create_app(dataclasses.replace(settings, rule_overrides_file=path))
    assert str(refused.value).startswith(f"RULE_OVERRIDES_FILE: {message}")
    # The page refuses the same change, with nothing kept.
    ((rule_id, change),) = json.loads(text).items()
    with pytest.raises(ValidationFailed) as page:
        _add(session, _admin(session), rule_id, change["amount"], TODAY, change["counting"])
    assert "counting" in page.value.errors
    assert session.scalar(select(func.count()).select_from(RuleOverride)) == 0


def test_a_stored_local_rule_no_longer_allowed_is_skipped_so_workflows_still_work(
    app: Flask, session: Session
) -> None:
    # Local rules saved before the countings were checked on every path (the probe's
    # "700 hours" made every new flag, grading and status change a 500).
    admin = _admin(session)
    now = datetime.now(UTC)
    for rule_id, amount, counting in [
        ("local.intel.review.open.ungraded", 700, "hours_after"),
        ("local.welfare.follow_up", 48, "hours_after"),
        ("local.poster.follow_up", 2, "months_after"),
        ("la.s52.hearing", 2, "months_after"),
    ]:
        session.add(
            RuleOverride(
                rule_id=rule_id,
                amount=amount,
                counting=counting,
                effective_from=london_today(now),
                reason="Saved before the check",
                created_at=now,
                created_by_id=admin.user_id,
            )
        )
    session.commit()
    book = overrides.rulebook_in_force(session, now, RuleBook())
    assert book.local_change("la.s52.hearing") is None
    assert book.get("la.s52.hearing").unit == "working days"
    with app.test_request_context():
        assert flag_review_rules() == flags.DEFAULT_RULES
        assert local_days("local.welfare.follow_up") == 14
        assert local_days("local.poster.follow_up") == 14


def test_settings_refuse_a_missing_overrides_file_and_an_unknown_evidence_store(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigError, match="RULE_OVERRIDES_FILE"):
        Settings.from_env({"RULE_OVERRIDES_FILE": str(tmp_path / "missing.json")})
    with pytest.raises(ConfigError, match="EVIDENCE_STORE"):
        Settings.from_env({"EVIDENCE_STORE": "s3"})
    assert Settings.from_env({"EVIDENCE_STORE": "Database"}).evidence_store == "database"


def test_the_override_in_force_is_the_latest_to_take_effect_and_not_withdrawn(
    session: Session,
) -> None:
    admin = _admin(session)
    _add(session, admin, "la.s51.representations", 20, TODAY)
    later = _add(session, admin, "la.s51.representations", 10, TODAY + timedelta(days=5))
    _add(session, admin, "la.s167.representations", 5, TODAY)
    session.commit()

    today = overrides.rulebook_in_force(session, NOW, RuleBook())
    assert today.get("la.s51.representations").amount == 20
    assert today.get("la.s167.representations").amount == 5
    change = today.local_change("la.s51.representations")
    assert change is not None and change.effective_from == TODAY
    assert change.table_rule.amount == 28

    in_a_week = overrides.rulebook_in_force(session, NOW + timedelta(days=7), RuleBook())
    assert in_a_week.get("la.s51.representations").amount == 10

    overrides.withdraw_override(session, admin, NOW, later.id)
    session.commit()
    in_a_week = overrides.rulebook_in_force(session, NOW + timedelta(days=7), RuleBook())
    assert in_a_week.get("la.s51.representations").amount == 20
    actions = session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.entity_type == "rule_override")
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["rule_override.add"] * 3 + ["rule_override.withdraw"]
    with pytest.raises(ValidationFailed):
        overrides.withdraw_override(session, admin, NOW, later.id)


def test_page_overrides_sit_on_top_of_the_file(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text('{"la.s51.representations": {"amount": 21}}', encoding="utf-8")
    base = default_rulebook(path)
    admin = _admin(session)
    _add(session, admin, "la.s51.representations", 7, TODAY, base=base)
    session.commit()
    book = overrides.rulebook_in_force(session, NOW, base)
    assert book.get("la.s51.representations").amount == 7
    change = book.local_change("la.s51.representations")
    assert change is not None and change.table_rule.amount == 28
    assert change.source == overrides.SOURCE


def test_refused_overrides_write_nothing(session: Session) -> None:
    admin = _admin(session)
    for rule_id, amount, counting, day in [
        ("no.such.rule", 5, "starting_day_after", TODAY),
        ("la.s51.representations", 400, "starting_day_after", TODAY),
        ("la.s51.representations", 5, "starting_day_after", TODAY - timedelta(days=1)),
        ("local.welfare.follow_up", 5, "working_days_after", TODAY),
    ]:
        with pytest.raises(ValidationFailed):
            _add(session, admin, rule_id, amount, day, counting)
    officer = users.actor_for(make_user(session, "licensing_officer"))
    with pytest.raises(Forbidden):
        _add(session, officer, "la.s51.representations", 5, TODAY)
    assert session.scalar(select(func.count()).select_from(RuleOverride)) == 0


def test_flag_review_periods_and_follow_ups_come_from_the_rule_book_in_force(
    app: Flask, session: Session
) -> None:
    admin = _admin(session)
    now = datetime.now(UTC)
    today = london_today(now)
    _add(session, admin, "local.intel.review.open.strong", 10, today)
    _add(session, admin, "local.poster.follow_up", 21, today)
    _add(session, admin, "local.welfare.follow_up", 30, today)
    session.commit()
    with app.test_request_context():
        rules = flag_review_rules()
        assert local_days("local.poster.follow_up") == 21
        assert local_days("local.welfare.follow_up") == 30
    since = datetime(2027, 1, 4, 9, tzinfo=UTC)
    # Days starting the day after 4 January: by the end of 14 January, and of 5 March.
    assert flags.review_due("open", "3x5x2", "A", "1", since, rules) == end_of_london_day(
        date(2027, 1, 14)
    )
    # The bands nobody changed keep the table's periods.
    assert flags.review_due("open", "3x5x2", "B", "3", since, rules) == end_of_london_day(
        date(2027, 3, 5)
    )
    assert flags.review_rules_from({}) == flags.DEFAULT_RULES


def test_the_tick_derives_open_cases_under_the_overrides_file(
    session: Session, connection: Connection, settings: Settings, tmp_path: Path
) -> None:
    make_wards(session)
    council = make_org(session, "Borough Council", "council")
    officer = make_user(session, "licensing_officer", org=council)
    premises = make_premises(session)
    make_licence(session, premises.id)
    case = make_case(session, premises.id, council.id, officer.id, tool="premises_review")
    cases.record_event(
        session,
        SYSTEM,
        NOW,
        case.id,
        case.version,
        cases.EventInput("application_received", NOW - timedelta(hours=1)),
        calendar=CAL,
        rulebook=BOOK,
    )
    session.commit()

    def due() -> datetime:
        session.expire_all()
        found = session.scalar(
            select(CaseDeadline.due_at).where(
                CaseDeadline.case_id == case.id,
                CaseDeadline.rule_id == "la.s51.representations",
            )
        )
        assert found is not None
        return found

    before = due()
    path = tmp_path / "rules.json"
    path.write_text('{"la.s51.representations": {"amount": 21}}', encoding="utf-8")
    with_file = dataclasses.replace(settings, rule_overrides_file=path)
    tick(lambda: savepoint_session(connection), NOW, LogMailer(), with_file)
    # 28 days became 21: the period ends a week earlier (both at the end of a London day).
    assert to_london(due()).date() == to_london(before).date() - timedelta(days=7)
