"""Local changes to the rule table, managed on the admin page: validated, audited, dated.

The rule book in force at a moment is the rule table, then the overrides file named by
RULE_OVERRIDES_FILE, then the overrides made here that have taken effect by that London day
(docs/statutory-clock.md). The scheduler's tick derives open cases again once the rule book
changes (its fingerprint differs), so a new limit reaches every open case within a tick.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from enforcement import audit
from enforcement.access import Actor, Permission, require
from enforcement.cases.rules import Rule
from enforcement.cases.statutory import (
    RuleBook,
    RuleOverrideError,
    UnknownRuleError,
    max_amount,
    unit_choices,
)
from enforcement.cases.vocab import Counting
from enforcement.clock import day_text, london_today
from enforcement.errors import NotFound, ValidationFailed
from enforcement.models.cases import RuleOverride

ENTITY = "rule_override"
SOURCE = "the local rules page"
REASON_MAX = 1000


@dataclass(frozen=True)
class OverrideInput:
    """What an administrator gives for a local rule: the rule, its new amount and unit, the
    London day it takes effect, and why."""

    rule_id: str
    amount: int | None
    counting: str
    effective_from: date | None
    reason: str


def _check(data: OverrideInput, book: RuleBook, today: date) -> tuple[Rule, Counting, int]:
    errors: dict[str, str] = {}
    try:
        rule = book.get(data.rule_id)
    except UnknownRuleError:
        raise ValidationFailed({"rule_id": "Select a rule from the list"}) from None
    table_rule = change.table_rule if (change := book.local_change(rule.id)) else rule
    allowed = unit_choices(table_rule)
    counting = next((c for c in allowed if c.value == data.counting), None)
    if counting is None:
        errors["counting"] = "Select how the period is counted from the list"
    amount = data.amount
    if amount is None:
        errors["amount"] = "Enter the amount, a whole number"
    elif counting is not None and not 1 <= amount <= max_amount(table_rule, counting):
        errors["amount"] = (
            f"Enter an amount between 1 and {max_amount(table_rule, counting)} {counting.unit}"
        )
    if data.effective_from is None:
        errors["effective_from"] = "Enter the date the local rule takes effect"
    elif data.effective_from < today:
        errors["effective_from"] = "The date it takes effect must be today or in the future"
    if not data.reason.strip():
        errors["reason"] = "Enter why the rule is changed (the decision or the change in the law)"
    elif len(data.reason) > REASON_MAX:
        errors["reason"] = f"Reason must be {REASON_MAX} characters or fewer"
    if errors:
        raise ValidationFailed(errors)
    assert counting is not None and amount is not None
    try:
        RuleBook.from_overrides({rule.id: {"amount": amount, "counting": counting.value}}, book)
    except (RuleOverrideError, ValueError) as exc:
        raise ValidationFailed(
            {"counting": f"This rule cannot be counted that way: {exc}"}
        ) from exc
    return table_rule, counting, amount


def add_override(
    session: Session, actor: Actor, now: datetime, data: OverrideInput, base: RuleBook
) -> RuleOverride:
    """Record a local rule taking effect on a London day (today or later), audited."""
    require(actor, Permission.REFERENCE_MANAGE)
    table_rule, counting, amount = _check(data, base, london_today(now))
    assert data.effective_from is not None
    row = RuleOverride(
        rule_id=table_rule.id,
        amount=amount,
        counting=counting.value,
        effective_from=data.effective_from,
        reason=data.reason.strip(),
        created_at=now,
        created_by_id=actor.user_id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="rule_override.add",
        entity_type=ENTITY,
        entity_id=row.id,
        summary=(
            f"Local rule for {table_rule.id}: {amount} {counting.unit} from"
            f" {day_text(data.effective_from)} (the table: {table_rule.amount} {table_rule.unit})"
        ),
        after={
            "rule_id": row.rule_id,
            "amount": amount,
            "counting": counting.value,
            "effective_from": data.effective_from.isoformat(),
            "reason": row.reason,
        },
    )
    return row


def withdraw_override(
    session: Session, actor: Actor, now: datetime, override_id: int
) -> RuleOverride:
    """Withdraw a local rule from now on (the table's rule, or an earlier override, returns)."""
    require(actor, Permission.REFERENCE_MANAGE)
    row = session.get(RuleOverride, override_id)
    if row is None:
        raise NotFound("There is no such local rule.")
    if row.withdrawn_at is not None:
        raise ValidationFailed({"": "This local rule has already been withdrawn."})
    row.withdrawn_at, row.withdrawn_by_id = now, actor.user_id
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="rule_override.withdraw",
        entity_type=ENTITY,
        entity_id=row.id,
        summary=(
            f"Withdrew the local rule for {row.rule_id}"
            f" ({row.amount} {Counting(row.counting).unit} from {day_text(row.effective_from)})"
        ),
        before={"withdrawn": False},
        after={"withdrawn": True},
    )
    return row


def list_overrides(session: Session) -> list[RuleOverride]:
    """Return every local rule made on the page, newest effect first."""
    return list(
        session.scalars(
            select(RuleOverride).order_by(
                RuleOverride.effective_from.desc(), RuleOverride.id.desc()
            )
        )
    )


def get_override(session: Session, override_id: int) -> RuleOverride:
    row = session.get(RuleOverride, override_id)
    if row is None:
        raise NotFound("There is no such local rule.")
    return row


def _in_force(session: Session, day: date) -> tuple[tuple[str, int, str, date], ...]:
    """Return the override in force on a London day for each rule that has one."""
    rows = session.execute(
        select(
            RuleOverride.rule_id,
            RuleOverride.amount,
            RuleOverride.counting,
            RuleOverride.effective_from,
        )
        .where(RuleOverride.withdrawn_at.is_(None), RuleOverride.effective_from <= day)
        .order_by(RuleOverride.rule_id, RuleOverride.effective_from, RuleOverride.id)
    ).all()
    latest: dict[str, tuple[str, int, str, date]] = {}
    for rule_id, amount, counting, since in rows:
        latest[rule_id] = (rule_id, amount, counting, since)  # the last one taking effect wins
    return tuple(latest.values())


@functools.lru_cache(maxsize=32)
def _book(base: RuleBook, changes: tuple[tuple[str, int, str, date], ...]) -> RuleBook:
    """Build (once per base and set of changes) the rule book with these overrides applied.

    Cached, so the clock's fingerprint (cached per rule book) is computed once per change.
    An override the base no longer allows (a rule removed or changed in a release) is skipped.
    """
    book = base
    for rule_id, amount, counting, since in changes:
        try:
            book = RuleBook.from_overrides(
                {rule_id: {"amount": amount, "counting": counting}},
                book,
                source=SOURCE,
                effective_from={rule_id: since},
            )
        except (RuleOverrideError, ValueError):
            continue
    return book


def rulebook_in_force(session: Session, now: datetime, base: RuleBook) -> RuleBook:
    """Return the rule book in force at `now`: `base` with the overrides in effect that day."""
    changes = _in_force(session, london_today(now))
    return _book(base, changes) if changes else base


@dataclass(frozen=True)
class RuleLine:
    """One rule on the local rules page: as the table has it, and as it is in force today."""

    table_rule: Rule
    in_force: Rule
    source: str
    effective_from: date | None


def rule_lines(session: Session, now: datetime, base: RuleBook) -> list[RuleLine]:
    """Return every rule, in table order, with what is in force today and where it comes from."""
    book = rulebook_in_force(session, now, base)
    lines = []
    for rule in book:
        change = book.local_change(rule.id)
        lines.append(
            RuleLine(
                change.table_rule if change else rule,
                rule,
                change.source if change else "the rule table",
                change.effective_from if change else None,
            )
        )
    return lines


def workflow_days(book: RuleBook, rule_ids: Sequence[str]) -> dict[str, int]:
    """Return the amounts of some rules workflows read as days, by rule id (plain values that
    packages beside this one take as parameters)."""
    return {rule_id: book.get(rule_id).amount for rule_id in rule_ids if rule_id in book}
