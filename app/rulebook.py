"""The working calendar and the rule book in force for this request (docs/statutory-clock.md)."""

from __future__ import annotations

from flask import current_app

from app.database import db
from config import Settings
from enforcement.cases import casework as cases
from enforcement.cases import overrides
from enforcement.cases.calendar import WorkingCalendar
from enforcement.cases.statutory import RuleBook
from enforcement.clock import utcnow
from enforcement.intelligence import flags


def base_rulebook() -> RuleBook:
    """Return the rule table with the overrides file's changes (read once per process)."""
    settings: Settings = current_app.config["SETTINGS"]
    return cases.default_rulebook(settings.rule_overrides_file)


def rulebook() -> RuleBook:
    """Return the rule book in force now: the table, the file, then the page's overrides."""
    return overrides.rulebook_in_force(db(), utcnow(), base_rulebook())


def clock() -> tuple[WorkingCalendar, RuleBook]:
    """Return the working calendar and the rule book in force now."""
    settings: Settings = current_app.config["SETTINGS"]
    path = cases.bank_holidays_file(settings.shared_data_dir)
    return cases.default_calendar(path), rulebook()


def local_days(rule_id: str) -> int:
    """Return the number of days a local rule in force gives (a follow-up period)."""
    return rulebook().get(rule_id).amount


def flag_review_rules() -> flags.ReviewRules:
    """Return the flag review periods in force, from the rule book's local.intel.review rules."""
    book = rulebook()
    return flags.review_rules_from({rule.id: rule.amount for rule in book if not rule.derived})
