"""The statutory clock: a rule book (the rule table with local overrides) and a pure engine that derives deadlines from events."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from enforcement.cases.calendar import WorkingCalendar
from enforcement.cases.rules import RULES, TOOLS, Rule, RuleDefinitionError
from enforcement.cases.vocab import (
    Counting,
    Direction,
    EventKind,
    ScheduledUse,
    Status,
    ToolCode,
    _phrase,
)
from enforcement.clock import LONDON, add_months, end_of_london_day, london_midnight_utc, to_london
from enforcement.errors import ValidationFailed

# ---------------------------------------------------------------------------------------------
# The rule book: defaults plus overrides


class UnknownRuleError(KeyError):
    """No rule has the given id."""


class RuleOverrideError(ValueError):
    """An override names an unknown rule or field, or gives a value the rule cannot take."""


_OVERRIDABLE = frozenset(
    {"amount", "counting", "unit", "citation", "title", "note", "confirmed", "end_of_day"}
)


@dataclass(frozen=True)
class LocalChange:
    """A rule changed locally: the rule as the table has it, where the change came from, and
    the London day it took effect (None for the overrides file, in force from start-up)."""

    rule_id: str
    table_rule: Rule
    source: str
    effective_from: date | None = None


class RuleBook:
    """Hold the rules in force: the defaults, with any overrides from configuration."""

    def __init__(
        self, rules: Iterable[Rule] = RULES, local: Mapping[str, LocalChange] | None = None
    ) -> None:
        self.local: Mapping[str, LocalChange] = dict(local or {})
        self._rules: dict[str, Rule] = {}
        for rule in rules:
            if rule.id in self._rules:
                raise RuleDefinitionError(f"duplicate rule id {rule.id!r}")
            self._rules[rule.id] = rule
        seen: set[str] = set()
        for rule in self._rules.values():
            # The engine derives in table order, so a chained rule must follow its parent.
            if rule.anchor_rule is not None and (
                rule.anchor_rule not in seen or self._rules[rule.anchor_rule].tool is not rule.tool
            ):
                raise RuleDefinitionError(
                    f"{rule.id}: anchor_rule {rule.anchor_rule!r} must be an earlier rule of the"
                    " same tool"
                )
            seen.add(rule.id)
        by_tool: dict[str, list[Rule]] = {}
        for rule in self._rules.values():
            by_tool.setdefault(rule.tool, []).append(rule)
        self._by_tool = {tool: tuple(rules) for tool, rules in by_tool.items()}

    @classmethod
    def from_overrides(
        cls,
        overrides: Mapping[str, Mapping[str, Any]],
        base: Iterable[Rule] | RuleBook = RULES,
        *,
        source: str = "the rule overrides file",
        effective_from: Mapping[str, date] | None = None,
    ) -> RuleBook:
        """Build a rule book from `base` with some fields of some rules replaced.

        Example: RuleBook.from_overrides({"asbcpa.s80.order_duration": {"amount": 6}}).
        Fields that may change: amount, counting (or its alias unit), citation, title, note,
        confirmed, end_of_day. Raises RuleOverrideError naming the rule and field at fault.
        Each changed rule is remembered as a LocalChange beside the rule as the table has it
        (a rule book given as `base` passes its own local changes on).
        """
        local = dict(base.local) if isinstance(base, RuleBook) else {}
        rules = {rule.id: rule for rule in base}
        for rule_id, changes in overrides.items():
            if rule_id not in rules:
                raise RuleOverrideError(f"unknown rule id {rule_id!r}")
            if not isinstance(changes, Mapping):
                raise RuleOverrideError(f"{rule_id}: overrides must be an object of fields")
            table_rule = local[rule_id].table_rule if rule_id in local else rules[rule_id]
            rules[rule_id] = _apply_override(rules[rule_id], changes, table_rule)
            local[rule_id] = LocalChange(
                rule_id, table_rule, source, (effective_from or {}).get(rule_id)
            )
        return cls(rules.values(), local)

    def local_change(self, rule_id: str) -> LocalChange | None:
        """Return how a rule was changed locally, or None when it is as the table has it."""
        return self.local.get(rule_id)

    @classmethod
    def from_json(cls, text: str, base: Iterable[Rule] = RULES) -> RuleBook:
        """Build a rule book from a JSON object of overrides ({"rule.id": {"amount": 6}})."""
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RuleOverrideError(f"rule overrides are not JSON: {exc}") from exc
        if not isinstance(document, dict):
            raise RuleOverrideError("rule overrides must be a JSON object keyed by rule id")
        return cls.from_overrides(document, base)

    @classmethod
    def from_json_file(cls, path: Path, base: Iterable[Rule] = RULES) -> RuleBook:
        """Build a rule book from a JSON file of overrides."""
        return cls.from_json(path.read_text(encoding="utf-8"), base)

    def get(self, rule_id: str) -> Rule:
        """Return the rule with this id; raise UnknownRuleError if there is none."""
        try:
            return self._rules[rule_id]
        except KeyError:
            raise UnknownRuleError(rule_id) from None

    def for_tool(self, tool: str) -> tuple[Rule, ...]:
        """Return the rules of one tool in table order."""
        return self._by_tool.get(tool, ())

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules.values())

    def __len__(self) -> int:
        return len(self._rules)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules


#: The largest amount a rule may be given, by the unit it counts in: the local rules page and
#: the overrides file (RULE_OVERRIDES_FILE) alike, so that no deadline falls past the dates a
#: date can hold.
MAX_AMOUNT: dict[str, int] = {
    "hours": 720,
    "days": 366,
    "working days": 260,
    "months": 60,
    "years": 25,
}
#: The `local.` rules: local practice that workflows read (the welfare and poster follow-ups and
#: a flag's review periods take the amount as a number of days). They keep the table's counting.
WORKFLOW_PREFIXES = ("local.",)
#: Rules that workflows read as a number of days, with the most days their workflow accepts
#: (enforcement.welfare.visits.MAX_FOLLOW_UP_DAYS; the flag review periods' 1 to 365 in
#: enforcement.intelligence.flags.ReviewRules). Packages beside this one, so kept here as
#: numbers; tests/unit/test_statutory_rules.py checks they agree.
WORKFLOW_MAX_DAYS: dict[str, int] = {"local.welfare.follow_up": 90}
INTEL_REVIEW_PREFIX = "local.intel.review."
INTEL_REVIEW_MAX_DAYS = 365


def unit_choices(rule: Rule) -> tuple[Counting, ...]:
    """Return the ways a rule (as the table has it) may be counted by an override, on the local
    rules page and in the overrides file alike: a `local.` rule keeps its counting (a workflow
    reads its amount as days); a chained rule counts in days (calendar or working); any other
    may change among the countings of its direction (forwards, or back for a 'before' rule)."""
    if rule.id.startswith(WORKFLOW_PREFIXES):
        return (rule.counting,)
    return tuple(
        c
        for c in Counting
        if c.is_before == rule.counting.is_before and (rule.anchor_rule is None or c.is_days)
    )


def max_amount(rule: Rule, counting: Counting) -> int:
    """Return the largest amount a rule may be given when counted as `counting`."""
    if rule.id in WORKFLOW_MAX_DAYS:
        return WORKFLOW_MAX_DAYS[rule.id]
    if rule.id.startswith(INTEL_REVIEW_PREFIX):
        return INTEL_REVIEW_MAX_DAYS
    return MAX_AMOUNT[counting.unit]


def _counting_refused(table_rule: Rule, counting: Counting) -> str:
    allowed = unit_choices(table_rule)
    if table_rule.id.startswith(WORKFLOW_PREFIXES):
        why = (
            f"a workflow reads it as a number of {table_rule.unit}, so its counting stays"
            f" {table_rule.counting.value}"
        )
    elif table_rule.anchor_rule is not None:
        why = "a chained rule must count in days; it may take " + ", ".join(
            c.value for c in allowed
        )
    else:
        why = "it may take " + ", ".join(c.value for c in allowed)
    return f"{table_rule.id}: counting {counting.value!r} is not allowed: {why}"


def _apply_override(rule: Rule, changes: Mapping[str, Any], table_rule: Rule | None = None) -> Rule:
    """Return `rule` with `changes` applied, refusing what the rule (as `table_rule`, the
    table has it) cannot take: the same checks as the local rules page."""
    table_rule = table_rule or rule
    unknown = set(changes) - _OVERRIDABLE
    if unknown:
        raise RuleOverrideError(
            f"{rule.id}: cannot override {', '.join(sorted(unknown))};"
            f" allowed: {', '.join(sorted(_OVERRIDABLE))}"
        )
    if "unit" in changes and "counting" in changes:
        raise RuleOverrideError(f"{rule.id}: give counting or unit, not both")
    values: dict[str, Any] = {}
    for key, value in changes.items():
        name = "counting" if key == "unit" else key
        if name == "counting":
            try:
                values[name] = Counting(value)
            except ValueError:
                raise RuleOverrideError(
                    f"{rule.id}: {key} {value!r} is not one of {', '.join(c.value for c in Counting)}"
                ) from None
        elif name == "amount":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise RuleOverrideError(f"{rule.id}: amount must be a whole number of 1 or more")
            values[name] = value
        elif name in ("confirmed", "end_of_day"):
            if not isinstance(value, bool):
                raise RuleOverrideError(f"{rule.id}: {name} must be true or false")
            values[name] = value
        else:
            if not isinstance(value, str) or (name != "note" and not value.strip()):
                raise RuleOverrideError(f"{rule.id}: {name} must be text")
            values[name] = value
    if "counting" in values and values["counting"] not in unit_choices(table_rule):
        raise RuleOverrideError(_counting_refused(table_rule, values["counting"]))
    if "amount" in values or "counting" in values:
        counting = values.get("counting", rule.counting)
        most = max_amount(table_rule, counting)
        if values.get("amount", rule.amount) > most:
            raise RuleOverrideError(f"{rule.id}: amount must be at most {most} {counting.unit}")
    try:
        return replace(rule, **values)
    except RuleDefinitionError as exc:
        raise RuleOverrideError(str(exc)) from exc


# ---------------------------------------------------------------------------------------------
# The engine


def _require_aware(moment: datetime, what: str) -> None:
    if moment.tzinfo is UTC:  # the common case, answered without asking for the offset
        return
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime")


@dataclass(frozen=True)
class Event:
    """Something that happened in a case, at an aware instant.

    `scheduled_for` carries a time the event sets: the hearing time on hearing_listed, the
    end an order or notice specifies, the return date set on a visit.
    """

    kind: EventKind
    at: datetime
    id: int | None = None
    scheduled_for: datetime | None = None

    def __post_init__(self) -> None:
        if type(self.kind) is not EventKind:
            object.__setattr__(self, "kind", EventKind(self.kind))
        _require_aware(self.at, "Event.at")
        if self.scheduled_for is not None:
            _require_aware(self.scheduled_for, "Event.scheduled_for")


@dataclass(frozen=True)
class Deadline:
    """A deadline derived from one rule and the events of a case.

    `due_at` is aware UTC: the moment the period ends or, for a 'before' rule, the latest
    instant the act is still in time. `last_day` is the London date of the last day for
    date-based rules (None for hour-based ones).
    """

    rule: Rule
    due_at: datetime
    anchor: Event
    status: Status
    met_by: Event | None
    counting_explanation: str
    last_day: date | None = None

    @property
    def confirmed(self) -> bool:
        return self.rule.confirmed

    def time_left(self, now: datetime) -> timedelta:
        """Return how long remains until due_at (negative once it has passed)."""
        _require_aware(now, "now")
        return self.due_at - now


class UnknownToolError(ValueError):
    """The tool code is not in the toolkit."""


def _tool_code(tool: str) -> ToolCode:
    try:
        return ToolCode(tool)
    except ValueError:
        raise UnknownToolError(f"unknown enforcement tool {tool!r}") from None


def derive_deadlines(
    tool: str,
    events: Sequence[Event],
    calendar: WorkingCalendar,
    rulebook: RuleBook,
    now: datetime,
) -> list[Deadline]:
    """Derive every deadline of a case of `tool` from its recorded events, as at `now`.

    Each rule counts from the latest event of its anchor kinds, so a re-served notice
    restarts the clock. Rules whose anchor has not happened yet yield nothing. Arithmetic is
    in Europe/London; every due_at is aware UTC. Raises UnknownToolError for an unknown tool
    and ValueError for a naive `now`.
    """
    code = _tool_code(tool)
    _require_aware(now, "now")
    # Oldest first, once: every rule below reads the events in this order.
    ordered = sorted(events, key=_event_order)
    derived: dict[str, Deadline | None] = {}
    for rule in rulebook.for_tool(code):
        if rule.derived:
            derived[rule.id] = _derive(rule, ordered, calendar, derived, now)
    return [deadline for deadline in derived.values() if deadline is not None]


def _event_order(event: Event) -> tuple[datetime, int]:
    return event.at, event.id or 0


def _latest(ordered: Sequence[Event], kinds: tuple[EventKind, ...]) -> Event | None:
    """Return the latest event of the kinds, from events already in _event_order."""
    for event in reversed(ordered):
        if event.kind in kinds:
            return event
    return None


def _derive(
    rule: Rule,
    events: Sequence[Event],
    calendar: WorkingCalendar,
    derived: Mapping[str, Deadline | None],
    now: datetime,
) -> Deadline | None:
    if rule.anchor_rule is not None:
        parent = derived.get(rule.anchor_rule)
        if parent is None:
            return None
        anchor = parent.anchor
        start = parent.due_at
        start_day = parent.last_day or to_london(parent.due_at).date()
        subject = f"the last day of the {parent.rule.title.lower().removesuffix(' ends')}"
    else:
        found = _latest(events, rule.anchors)
        if found is None:
            return None
        anchor = found
        begin = anchor.scheduled_for if rule.direction is Direction.BEFORE else anchor.at
        if begin is None:
            return None
        start = begin
        start_day = to_london(start).date()
        subject = _phrase(anchor.kind)
    if rule.requires and not any(e.kind in rule.requires and e.at >= anchor.at for e in events):
        return None
    due_at, last_day, explanation = _count(rule, start, start_day, subject, calendar)
    sched = anchor.scheduled_for if rule.anchor_rule is None else None
    if sched is not None and rule.scheduled is ScheduledUse.REPLACE:
        due_at, last_day = sched.astimezone(UTC), None
        explanation = f"date set on the record: {_moment(sched)} (default {explanation})"
    elif sched is not None and rule.scheduled is ScheduledUse.CAP and sched < due_at:
        due_at, last_day = sched.astimezone(UTC), None
        explanation = f"end set on the record, {_moment(sched)}, within the limit of {explanation}"
    ended = (
        [e.at for e in events if e.kind in rule.ends_with and anchor.at <= e.at < due_at]
        if rule.ends_with
        else None
    )
    if ended:
        due_at, last_day = min(ended).astimezone(UTC), None
        explanation = f"ended on the record at {_moment(due_at)}; the limit was {explanation}"
    status, met = _status(rule, anchor, events, due_at, now)
    return Deadline(rule, due_at, anchor, status, met, explanation, last_day)


def _status(
    rule: Rule, anchor: Event, ordered: Sequence[Event], due_at: datetime, now: datetime
) -> tuple[Status, Event | None]:
    # The first event after the anchor (oldest first) that meets the rule, and the first that
    # closes it; an event of the anchor's kind at the anchor's instant is the anchor itself.
    met: Event | None = None
    closing: Event | None = None
    for e in ordered:
        if e.at < anchor.at or (e.at == anchor.at and e.kind is anchor.kind):
            continue
        if met is None and e.kind in rule.met_by:
            met = e
        if closing is None and e.kind in rule.closed_by:
            closing = e
    closed_in_time = closing is not None and closing.at <= due_at
    if met is not None and met.at <= due_at:
        return Status.MET, met
    if closed_in_time:
        return Status.CLOSED, None
    if met is not None:
        # Done, but late: an appeal out of time, a notice of hearing given too late.
        return Status.MISSED, met
    if now <= due_at:
        return Status.PENDING, None
    if rule.direction in (Direction.BY, Direction.BEFORE):
        return Status.MISSED, None
    return Status.LAPSED, None


_HOURS_EXCLUSION = {
    Counting.HOURS_AFTER_NO_XMAS: ", with Christmas Day not counted",
    Counting.WORKING_HOURS_AFTER: ", with time on non-working days not counted",
}


def _count(
    rule: Rule, start: datetime, start_day: date, subject: str, calendar: WorkingCalendar
) -> tuple[datetime, date | None, str]:
    """Return the due instant, the London last day (date rules) and the words that explain it."""
    n, counting = rule.amount, rule.counting
    if counting.is_hours:
        due = _count_hours(start, n, counting, calendar)
        exclusion = _HOURS_EXCLUSION.get(counting, "")
        return (
            due,
            None,
            f"{n} hours from {subject} at {_moment(start)}{exclusion}: by {_moment(due)}",
        )
    last = _last_day(counting, n, start_day, calendar)
    if rule.end_of_day:
        due = end_of_london_day(last)
        ends = f"end of {_day(last)}"
    else:
        local = to_london(start)
        due = datetime.combine(last, local.time(), tzinfo=LONDON).astimezone(UTC)
        ends = _moment(due)
    return due, last, f"{_describe(counting, n)} {subject} ({_day(start_day)}): {ends}"


@functools.lru_cache(maxsize=256)
def _describe(counting: Counting, n: int) -> str:
    unit = counting.unit if n != 1 else counting.unit.removesuffix("s")
    return {
        Counting.BEGINNING_WITH: f"{n} {unit} beginning with the day of",
        Counting.STARTING_DAY_AFTER: f"{n} consecutive {unit} starting the day after",
        Counting.WORKING_DAYS_AFTER: f"{n} {unit} beginning with the day after",
        Counting.WORKING_DAYS_BEGINNING_WITH: f"{n} {unit} beginning with the day of",
        Counting.WORKING_DAYS_BEFORE: f"at least {n} {unit} before",
        Counting.DAYS_BEFORE: f"at least {n} {unit} before",
        Counting.MONTHS_AFTER: f"{n} {unit} after",
        Counting.MONTHS_BEGINNING_WITH: f"{n} {unit} starting with the day of",
        Counting.YEARS_BEGINNING_WITH: f"{n} {unit} beginning with the day of",
    }[counting]


def _last_day(counting: Counting, n: int, start: date, calendar: WorkingCalendar) -> date:
    match counting:
        case Counting.BEGINNING_WITH:
            return start + timedelta(days=n - 1)
        case Counting.STARTING_DAY_AFTER:
            return start + timedelta(days=n)
        case Counting.WORKING_DAYS_AFTER:
            return calendar.add_working_days(start, n)
        case Counting.WORKING_DAYS_BEGINNING_WITH:
            # The day of the hearing is day 1 only if it is itself a working day.
            return calendar.add_working_days(start, n - 1 if calendar.is_working_day(start) else n)
        case Counting.WORKING_DAYS_BEFORE:
            return calendar.subtract_working_days(start, n)
        case Counting.DAYS_BEFORE:
            return start - timedelta(days=n)
        case Counting.MONTHS_AFTER:
            return add_months(start, n)
        case Counting.MONTHS_BEGINNING_WITH:
            return months_beginning_with(start, n)
        case Counting.YEARS_BEGINNING_WITH:
            return months_beginning_with(start, 12 * n)
    raise RuleDefinitionError(f"{counting} is not a date-based counting")


def months_beginning_with(start: date, months: int) -> date:
    """Return the last day of a period of `months` months beginning with the day `start`.

    The period ends the day before the corresponding date that many months on (3 months
    beginning with 1 October end on 31 December; 2 years beginning with 1 March 2026, on 29
    February 2028), or, where that month has no corresponding date, on its last day (a month
    beginning with 31 January ends on the last day of February): docs/statutory-clock.md.
    Counting from the day before instead ends a day short whenever `start` is a month's first.
    """
    corresponding = add_months(start, months)
    if corresponding.day == start.day:
        return corresponding - timedelta(days=1)
    return corresponding


def _count_hours(
    start: datetime, hours: int, counting: Counting, calendar: WorkingCalendar
) -> datetime:
    """Add clock hours to an instant, leaving out London days that do not count.

    Real elapsed time is added in UTC, so a period across a clock change is still that many
    real hours. Christmas Day (HOURS_AFTER_NO_XMAS) or non-working days (WORKING_HOURS_AFTER)
    are stepped over whole, from London midnight to London midnight: a period that starts on
    Christmas Day starts counting at midnight on 26 December.
    """
    begin = start.astimezone(UTC)
    if counting is Counting.HOURS_AFTER:
        return begin + timedelta(hours=hours)
    skip: Callable[[date], bool] = (
        _is_christmas_day if counting is Counting.HOURS_AFTER_NO_XMAS else _not_working(calendar)
    )
    remaining, cursor = timedelta(hours=hours), begin
    while True:
        day = to_london(cursor).date()
        day_end = london_midnight_utc(day + timedelta(days=1))
        if not skip(day):
            available = day_end - cursor
            if remaining <= available:
                return cursor + remaining
            remaining -= available
        cursor = day_end


def _is_christmas_day(day: date) -> bool:
    return (day.month, day.day) == (12, 25)


def _not_working(calendar: WorkingCalendar) -> Callable[[date], bool]:
    return lambda day: not calendar.is_working_day(day)


@functools.lru_cache(maxsize=8192)
def _day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def _moment(moment: datetime) -> str:
    local = to_london(moment)
    return f"{local.hour:02d}:{local.minute:02d} {local.tzname()} on {_day(local.date())}"


# ---------------------------------------------------------------------------------------------
# Checking a new event against the case so far


class SequenceError(ValidationFailed, ValueError):
    """A new event cannot follow the events already recorded; `errors` maps field to message."""


#: How far ahead of `now` an event may be stamped before it counts as "in the future".
CLOCK_SKEW = timedelta(minutes=1)


def validate_event_sequence(
    tool: str, existing: Sequence[Event], new: Event, now: datetime
) -> None:
    """Check that `new` may be recorded after `existing` in a case of `tool`.

    Raises SequenceError (a ValidationFailed and a ValueError, with a message per field) when
    the event is not one this tool records, lies in the future, duplicates an event of the same
    kind at the same instant, lacks a date the event must set, or comes before the event it
    depends on (a service before the issue, an order before the notice was served, a decided
    appeal with none lodged). Raises UnknownToolError for an unknown tool.

    A message that begins in lower case ("cannot be in the future") is the end of a sentence
    whose subject the caller gives, as its form names the field; every other message is whole.
    """
    code = _tool_code(tool)
    _require_aware(now, "now")
    spec = TOOLS[code]
    errors: dict[str, str] = {}
    if new.kind not in spec.events:
        errors["kind"] = f"'{new.kind.label}' is not an event of a {code.label.lower()} case"
    if new.at > now + CLOCK_SKEW:
        errors["at"] = "cannot be in the future"
    elif any(e.kind is new.kind and e.at == new.at for e in existing):
        errors["at"] = f"'{new.kind.label}' is already recorded at {_moment(new.at)}"
    if new.kind is EventKind.HEARING_LISTED and new.scheduled_for is None:
        errors["scheduled_for"] = "Enter the date and time of the hearing"
    elif new.scheduled_for is not None and new.scheduled_for < new.at:
        errors["scheduled_for"] = (
            "must be after the time it was listed"
            if new.kind is EventKind.HEARING_LISTED
            else "must be after the time it happened"
        )
    needed = spec.prerequisites.get(new.kind, ())
    if needed and "kind" not in errors:
        earlier = [e for e in existing if e.kind in needed]
        names = " or ".join(f"'{k.label.lower()}'" for k in needed)
        if not earlier:
            errors["kind"] = f"'{new.kind.label}' needs {names} recorded first"
        elif all(e.at > new.at for e in earlier) and "at" not in errors:
            first = min(e.at for e in earlier)
            errors["at"] = f"'{new.kind.label}' cannot come before {names} ({_moment(first)})"
    if errors:
        raise SequenceError(errors)
