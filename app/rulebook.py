"""The working calendar and the rule book in force for this request (docs/statutory-clock.md)."""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.database import db
from config import Settings
from enforcement.cases import casework as cases
from enforcement.cases import overrides
from enforcement.cases.calendar import WorkingCalendar
from enforcement.cases.statutory import RuleBook
from enforcement.clock import utcnow
from enforcement.intelligence import flags

log = logging.getLogger(__name__)


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


def rederive_open_cases() -> bool:
    """Bring every open case's deadlines up to date under the rule book in force now, as the
    scheduler's tick does (`recompute_open_deadlines`), and commit; say whether it was done.

    Run once a local rule taking effect today is saved, or one is withdrawn, so the case pages
    show the new deadlines at once rather than from the next tick. Should another writer (the
    scheduler, an officer recording an event) write the same rows first, or a case fail to
    derive, nothing here is kept and the next tick derives whatever is still out of date (the
    local rule itself is already saved).
    """
    session = db()
    calendar, book = clock()
    try:
        cases.recompute_open_deadlines(session, utcnow(), calendar, book)
        session.commit()
    except IntegrityError:
        session.rollback()
        log.warning("local rules: another writer brought these cases up to date first")
        return False
    except Exception:
        session.rollback()
        log.exception("local rules: open cases left for the scheduler's next tick")
        return False
    return True
