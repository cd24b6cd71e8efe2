"""Reminder notifications: lead times, the outbox, escalation, digests and the task-list workflows.

The scheduler only ticks; everything it decides is decided here, from rows and a given `now`:

* A reminder's **lead times** (``"now"``, ``"12h"``, ``"14d"``, ``"on_day"``) come from the
  rules for its kind (configurable) and are fixed on the row the first time a tick plans it.
* ``Reminder.next_send_at`` is when a tick must next look at a reminder, so "what is due" is a
  range on one index. A tick claims due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; the
  whole write lock with ``BEGIN IMMEDIATE`` on SQLite), records each lead it deals with in
  ``reminder_sends`` (unique per reminder and lead: the backstop) and writes one outbox mail per
  recipient (unique dedupe key) in the same transaction, then moves ``next_send_at`` on.
* When several leads have fallen due together (the scheduler was down, or the reminder was
  made late) only the latest is mailed; the earlier ones are recorded as superseded.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any, NamedTuple

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from enforcement import audit
from enforcement.access import Actor
from enforcement.clock import LONDON, is_end_of_london_day, to_london, when_text
from enforcement.db import chunks
from enforcement.models import EnforcementCase, User, UserRole, Ward
from enforcement.models.mail import OutboxMail, ReminderEscalation, ReminderSend
from enforcement.models.reminders import Reminder
from enforcement.reminders.reminders import OPEN
from enforcement.reminders.routing import (
    CASE_SUBJECT,
    TEAM_LABELS,
    TEAM_PHRASES,
    members,
    ward_of,
)
from enforcement.reminders.vocab import MailKind, MailStatus, ReminderKind, kind_label
from enforcement.vocab import Role

# Lead times per kind: "now" is when the reminder is made; "<n>m", "<n>h" are minutes or hours
# before it is due; "<n>d" is ON_DAY_HOUR in London n calendar days before the London day it is
# due; "on_day" is ON_DAY_HOUR in London on the day it is due (or when it is due, if earlier).
# REMINDER_LEADS overrides these.
DEFAULT_LEADS: dict[str, tuple[str, ...]] = {
    ReminderKind.HEARING: ("now", "12h"),
    ReminderKind.LICENCE_EXPIRY: ("60d", "14d"),
    ReminderKind.FOLLOW_UP_VISIT: ("2d", "on_day"),
    ReminderKind.FOLLOW_UP_INSPECTION: ("2d", "on_day"),
    ReminderKind.STATUTORY_DEADLINE: ("now", "2d", "on_day"),
    ReminderKind.FLAG_REVIEW: ("14d", "on_day"),
    ReminderKind.IMMIGRATION_DECISION: ("now", "on_day"),
    # A referral handed on: told at once, and again on the day it is due.
    ReminderKind.REFERRAL_SIGN_OFF: ("now", "on_day"),
    ReminderKind.REFERRAL_SIGNED_OFF: ("now", "on_day"),
    ReminderKind.REFERRAL_RETURNED: ("now", "on_day"),
}
FALLBACK_LEADS: tuple[str, ...] = ("2d", "on_day")
# Never held for a digest: a closure hearing or a statutory deadline cannot wait for the morning.
URGENT_KINDS = frozenset({ReminderKind.HEARING, ReminderKind.STATUTORY_DEADLINE})
ON_DAY_HOUR = 8
DIGEST_PREFERENCES = {
    "immediate": "Email each reminder as it falls due",
    "daily": "One email a day listing what is due (urgent and statutory reminders still come at once)",
}
ESCALATION_REASONS = {
    "unacknowledged": "not acknowledged in time",
    "overdue": "overdue",
}
#: What has become of a statutory reminder that escalates, said of the reminder in a sentence.
ESCALATION_SENTENCES = {
    "unacknowledged": "has not been acknowledged in time",
    "overdue": "is overdue",
}

PENDING = MailStatus.PENDING
HELD = MailStatus.HELD
SENT = MailStatus.SENT
DIGESTED = MailStatus.DIGESTED
CANCELLED = MailStatus.CANCELLED
FAILED = MailStatus.FAILED

SCHEDULER = Actor.system("reminder scheduler")
TEMPLATES = Path(__file__).parent / "templates"
_LEAD_RE = re.compile(r"^(?:now|on_day|(\d{1,4})([mhd]))$")
_UNIT = {"m": "minute", "h": "hour", "d": "day"}


class LeadError(ValueError):
    """A lead time is not written the way the rules expect."""


@dataclass(frozen=True, order=True)
class Lead:
    """One lead time of a reminder, by its label."""

    label: str

    def __post_init__(self) -> None:
        if not _LEAD_RE.match(self.label):
            raise LeadError(
                f"{self.label!r} is not a lead time: use now, on_day, or a number with m, h or d"
            )

    def send_time(self, created_at: datetime, due_at: datetime) -> datetime:
        """Return the instant (UTC) at which this lead falls due for a reminder.

        A lead that would fall before the first moment a datetime holds (a record dated in year
        1) is due when the reminder is made: it has long passed, and the arithmetic's overflow
        would otherwise stop the reminders step for every reminder at every tick."""
        try:
            return self._send_time(created_at, due_at)
        except OverflowError:
            return created_at

    def _send_time(self, created_at: datetime, due_at: datetime) -> datetime:
        if self.label == "now":
            return created_at
        if self.label == "on_day":
            return _morning(due_at, 0)
        found = _LEAD_RE.match(self.label)
        assert found is not None
        amount, unit = int(found.group(1)), found.group(2)
        if unit == "d":
            # London calendar days, in the morning: a deadline at the end of a day (23:59:59 in
            # London) is not mailed "2 days before" at 23:59:59 two days earlier, but at 8am
            # London that day, in GMT or BST as the day is.
            return _morning(due_at, amount)
        return due_at - (timedelta(hours=amount) if unit == "h" else timedelta(minutes=amount))

    def describe(self) -> str:
        """Say the lead in words, e.g. '12 hours before', 'on the day'."""
        if self.label == "now":
            return "when it is set"
        if self.label == "on_day":
            return "on the day"
        found = _LEAD_RE.match(self.label)
        assert found is not None
        amount = int(found.group(1))
        unit = _UNIT[found.group(2)]
        return f"{amount} {unit}{'' if amount == 1 else 's'} before"


def _morning(due_at: datetime, days_before: int) -> datetime:
    """Return ON_DAY_HOUR in London on the London day `days_before` days before the day
    `due_at` falls on (UTC), or `due_at` itself if that is earlier."""
    day = to_london(due_at).date() - timedelta(days=days_before)
    morning = datetime.combine(day, time(ON_DAY_HOUR), tzinfo=LONDON).astimezone(UTC)
    return min(morning, due_at)


#: Where each reminder keeps its kind's leads (`reminders.leads`, a column of this length).
LEADS_MAX_CHARS = 120


def parse_leads(labels: Iterable[str]) -> tuple[Lead, ...]:
    """Parse lead labels, refusing a malformed or repeated one."""
    leads = tuple(Lead(label.strip()) for label in labels)
    if len({lead.label for lead in leads}) != len(leads):
        raise LeadError("a lead time is listed twice")
    if not leads:
        raise LeadError("a kind needs at least one lead time")
    if len(",".join(lead.label for lead in leads)) > LEADS_MAX_CHARS:
        raise LeadError(
            f"a kind's lead times, written with commas between them, must fit in {LEADS_MAX_CHARS} "
            "characters: list fewer"
        )
    return leads


def lead_rules(overrides: Iterable[tuple[str, Sequence[str]]] = ()) -> dict[str, tuple[str, ...]]:
    """Return the lead times per kind: the defaults with configured overrides, all checked."""
    rules = dict(DEFAULT_LEADS)
    for kind, labels in overrides:
        if kind not in rules:  # a mistyped kind would otherwise change nothing, silently
            raise LeadError(
                f"{kind!r} is not a kind of reminder: the kinds are {', '.join(sorted(rules))}"
            )
        rules[kind] = tuple(lead.label for lead in parse_leads(labels))
    for labels in rules.values():
        parse_leads(labels)
    return rules


@dataclass(frozen=True)
class NotifyConfig:
    """What the notification rules need from the settings, decided once per scheduler."""

    base_url: str = "http://127.0.0.1:5000"
    mail_from: str = "no-reply@localhost"
    service_name: str = "Licensing and premises enforcement"
    council_name: str = ""
    leads: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_LEADS))
    escalate_after: timedelta = timedelta(hours=24)
    digest_hour: int = 7
    max_attempts: int = 12
    retry_base: timedelta = timedelta(seconds=60)
    retry_cap: timedelta = timedelta(hours=6)
    lease: timedelta = timedelta(minutes=10)

    @classmethod
    def from_settings(cls, settings: Any) -> NotifyConfig:
        """Build the configuration from the app's Settings (any object with its attributes)."""
        return cls(
            base_url=settings.base_url.rstrip("/"),
            mail_from=settings.mail_from,
            service_name=settings.service_name,
            council_name=settings.council_name,
            leads=lead_rules(settings.reminder_leads),
            escalate_after=timedelta(hours=settings.escalate_after_hours),
            digest_hour=settings.digest_hour,
            max_attempts=settings.mail_max_attempts,
            retry_base=timedelta(seconds=settings.mail_retry_seconds),
        )

    def leads_for(self, kind: str) -> tuple[str, ...]:
        return self.leads.get(kind, FALLBACK_LEADS)

    @property
    def mail_domain(self) -> str:
        address = parseaddr(self.mail_from)[1]
        return address.rsplit("@", 1)[-1] if "@" in address else "localhost"

    def task_url(self, reminder_id: int) -> str:
        return f"{self.base_url}/tasks/{reminder_id}"


# ---------------------------------------------------------------------------------------------
# Pure rules: which leads are due, back-off, wording
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeadPlan:
    """What a tick does with one reminder: mail `send`, record `superseded`, look again at `next_at`."""

    send: Lead | None
    superseded: tuple[Lead, ...]
    next_at: datetime | None


def plan_leads(
    leads: Sequence[Lead],
    *,
    created_at: datetime,
    due_at: datetime,
    now: datetime,
    done: Iterable[str] = (),
    snoozed_until: datetime | None = None,
) -> LeadPlan:
    """Decide which lead to mail now, which are superseded, and when to look again.

    A lead is due once its send time has come and it has not been dealt with. Several due
    together are one mail (the latest); a snooze holds every mail until it ends.
    """
    dealt = set(done)
    pending = sorted(
        ((lead.send_time(created_at, due_at), lead) for lead in leads if lead.label not in dealt),
        key=lambda pair: (pair[0], pair[1].label),
    )
    if snoozed_until is not None and snoozed_until > now:
        later = [at for at, _lead in pending]
        return LeadPlan(None, (), max(snoozed_until, min(later)) if later else None)
    due = [lead for at, lead in pending if at <= now]
    later = [at for at, _lead in pending if at > now]
    return LeadPlan(
        send=due[-1] if due else None,
        superseded=tuple(due[:-1]),
        next_at=min(later) if later else None,
    )


def retry_delay(attempts: int, base: timedelta, cap: timedelta) -> timedelta:
    """Return how long to wait after the given number of failed attempts: doubling, capped."""
    exponent = max(0, min(attempts - 1, 30))
    return min(base * (1 << exponent), cap)


def is_urgent(kind: str, statutory: bool) -> bool:
    """Say whether a reminder is always mailed at once (never held for a digest)."""
    return statutory or kind in URGENT_KINDS


def relative_due(due_at: datetime, now: datetime) -> str:
    """Say when something is due relative to now, without the word "due": 'overdue', 'today at
    1:30pm GMT', 'by the end of tomorrow', 'in 3 days'."""
    if due_at <= now:
        return "overdue"
    today = to_london(now).date()
    day = to_london(due_at).date()
    local_due = to_london(due_at)
    clock = local_due.strftime("%-I:%M%p").replace("AM", "am").replace("PM", "pm")
    clock += f" {local_due.tzname()}"
    names = {today: "today", today + timedelta(days=1): "tomorrow"}
    if day in names:
        if is_end_of_london_day(due_at):
            return f"by the end of {names[day]}"
        return f"{names[day]} at {clock}"
    return f"in {(day - today).days} days"


def due_phrase(due_at: datetime, now: datetime) -> str:
    """Say when something is due relative to now: 'overdue', 'due today', 'due in 3 days'."""
    relative = relative_due(due_at, now)
    return relative if relative == "overdue" else f"due {relative}"


def titled_due(title: str, due_at: datetime, now: datetime) -> str:
    """Say a task's title with when it is due, saying "due" once: 'Follow-up visit due by the
    end of tomorrow' (a title that ends in "due"), 'Licence PL/1 expires, due in 14 days'."""
    phrase = due_phrase(due_at, now)
    stem, _space, last = title.rstrip().rpartition(" ")
    if stem and last.lower() in {"due", "overdue"}:
        return f"{stem} {phrase}"
    return f"{title}, {phrase}"


def next_digest_at(now: datetime, hour: int) -> datetime:
    """Return the next daily digest time (London `hour`:00) at or after now."""
    today = to_london(now).date()
    for day in (today, today + timedelta(days=1)):
        at = datetime.combine(day, time(hour), tzinfo=LONDON).astimezone(UTC)
        if at >= now:
            return at
    raise AssertionError("unreachable: tomorrow's digest is always after now")  # pragma: no cover


class TeamNoun(NamedTuple):
    """A team as people read it: on its own (`label`), and in a sentence (`phrase`, with the
    verb's number): "Committee clerks", "the committee clerks have"; "Wormholt ward team",
    "the Wormholt ward team has"."""

    label: str
    phrase: str
    plural: bool = False

    @property
    def as_member(self) -> str:
        """'one of the committee clerks', 'a member of the Wormholt ward team'."""
        return f"one of {self.phrase}" if self.plural else f"a member of {self.phrase}"

    def verb(self, singular: str, plural: str) -> str:
        """Return the form of a verb that agrees with the team ('has' or 'have')."""
        return plural if self.plural else singular


def team_noun(team: str | None, ward_names: Mapping[str, str] | None = None) -> TeamNoun | None:
    """Name a team for people (None for no team): a ward team by its ward's name (from
    `ward_names`, by code: see `ward_names_of`; a ward no longer listed reads as its code), a
    role team by its role's people."""
    if not team:
        return None
    code = ward_of(team)
    if code is not None:
        name = (ward_names or {}).get(code)
        label = f"{name} ward team" if name else f"ward team ({code})"
        return TeamNoun(label, f"the {label}")
    if team in TEAM_PHRASES:
        phrase, plural = TEAM_PHRASES[team]
        return TeamNoun(TEAM_LABELS.get(team, team), phrase, plural)
    return TeamNoun(team, f"the {team} team")


def team_label(team: str | None, ward_names: Mapping[str, str] | None = None) -> str:
    """Name a team for people: 'Wormholt ward team', 'Licensing team' ('' for no team)."""
    noun = team_noun(team, ward_names)
    return noun.label if noun is not None else ""


def _named(person_name: str | None, team: TeamNoun | None) -> tuple[str, bool]:
    """Return who a task is for, in a sentence, and whether the verb is plural: the person,
    else the team, else no one in particular."""
    if person_name:
        return person_name, False
    if team is not None:
        return team.phrase, team.plural
    return "no one in particular", False


def not_acted(person_name: str | None, team: TeamNoun | None) -> str:
    """Say who has not acted on an escalated task: 'the committee clerks have not acted on it'."""
    who, plural = _named(person_name, team)
    return f"{who} {'have' if plural else 'has'} not acted on it"


def ward_names_of(session: Session, teams: Iterable[str | None]) -> dict[str, str]:
    """Return the names of the wards of the ward teams given, by ward code (one query).

    A code whose boundary changed keeps the name of its latest version.
    """
    codes = sorted({t.removeprefix("ward:") for t in teams if t and t.startswith("ward:")})
    if not codes:
        return {}
    names: dict[str, str] = {}
    for code, name in session.execute(
        select(Ward.code, Ward.name).where(Ward.code.in_(codes)).order_by(Ward.valid_from, Ward.id)
    ):
        names[code] = name
    return names


# ---------------------------------------------------------------------------------------------
# Mail bodies: they say what is due and link to the task; the access policy guards the record.
# ---------------------------------------------------------------------------------------------


class MailFacts(NamedTuple):
    reminder_id: int
    kind: str
    title: str
    due_at: datetime
    statutory: bool
    team: str | None
    #: The team as people read it (a ward team by its ward's name); None: from `team` alone.
    team_noun: TeamNoun | None = None


class Rendered(NamedTuple):
    subject: str
    text: str
    html: str


def _kind_text(facts: MailFacts) -> str:
    label = kind_label(facts.kind)
    return f"{label} (statutory)" if facts.statutory else label


@functools.cache
def mail_templates() -> Environment:
    """Return the Jinja environment of the mail templates (HTML autoescaped, text as written)."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        # Text bodies are laid out line for line: tags take no line of their own.
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _bodies(template: str, config: NotifyConfig, **values: object) -> tuple[str, str]:
    """Render the text and HTML versions of one mail from its pair of templates."""
    env = mail_templates()
    org = f", {config.council_name}" if config.council_name else ""
    text = env.get_template(f"{template}.txt").render(config=config, org=org, **values)
    markup = env.get_template(f"{template}.html").render(config=config, org=org, **values)
    return text, markup


def render_reminder(
    facts: MailFacts, name: str, *, as_team: bool, now: datetime, config: NotifyConfig
) -> Rendered:
    """Write the mail for one reminder to one person."""
    team = facts.team_noun or team_noun(facts.team)
    why = (
        f"You are receiving this as {team.as_member}."
        if as_team and team is not None
        else "You are responsible for this."
    )
    text, markup = _bodies(
        "reminder",
        config,
        name=name,
        kind_text=_kind_text(facts),
        title=facts.title,
        due=when_text(facts.due_at),
        phrase=relative_due(facts.due_at, now),
        why=why,
        url=config.task_url(facts.reminder_id),
    )
    subject = f"Reminder: {titled_due(facts.title, facts.due_at, now)}"
    return Rendered(subject[:300], text, markup)


def render_escalation(
    facts: MailFacts,
    name: str,
    owner_name: str | None,
    reason: str,
    *,
    now: datetime,
    config: NotifyConfig,
) -> Rendered:
    """Write the mail that passes a statutory reminder to a supervisor.

    `owner_name` is the person it is for; without one, it is for the reminder's team."""
    why = ESCALATION_REASONS.get(reason, reason)
    whom, _plural = _named(owner_name, facts.team_noun or team_noun(facts.team))
    text, markup = _bodies(
        "escalation",
        config,
        name=name,
        owner_name=whom,
        what=ESCALATION_SENTENCES.get(reason, f"is {why}"),
        kind_text=_kind_text(facts),
        title=facts.title,
        due=when_text(facts.due_at),
        phrase=relative_due(facts.due_at, now),
        url=config.task_url(facts.reminder_id),
    )
    return Rendered(f"Escalated to you: {facts.title}, {why}"[:300], text, markup)


class _DigestItem(NamedTuple):
    kind_text: str
    title: str  # with when it is due (`titled_due`)
    due: str
    url: str


def render_digest(
    items: Sequence[MailFacts], name: str, *, now: datetime, config: NotifyConfig
) -> Rendered:
    """Write one person's daily digest: every held reminder, soonest first."""
    ordered = sorted(items, key=lambda f: (f.due_at, f.reminder_id))
    count = len(ordered)
    text, markup = _bodies(
        "digest",
        config,
        name=name,
        items=[
            _DigestItem(
                _kind_text(f),
                titled_due(f.title, f.due_at, now),
                when_text(f.due_at),
                config.task_url(f.reminder_id),
            )
            for f in ordered
        ],
    )
    return Rendered(f"Your reminders: {count} item{'' if count == 1 else 's'} due", text, markup)


# ---------------------------------------------------------------------------------------------
# Recipients
# ---------------------------------------------------------------------------------------------


class Person(NamedTuple):
    id: int
    email: str
    display_name: str
    digest_preference: str
    supervisor_id: int | None


_PERSON_COLUMNS = (
    User.id,
    User.email,
    User.display_name,
    User.digest_preference,
    User.supervisor_id,
)


def _people(session: Session, ids: Iterable[int]) -> dict[int, Person]:
    wanted = sorted(set(ids))
    found: dict[int, Person] = {}
    for start in range(0, len(wanted), 500):
        for row in session.execute(
            select(*_PERSON_COLUMNS).where(
                User.id.in_(wanted[start : start + 500]), User.is_active.is_(True)
            )
        ):
            found[row.id] = Person(*row)
    return found


def team_members(session: Session, team: str) -> list[Person]:
    """Return the active people who make up a team: those who hold the control its tasks need
    (`routing.members`: a role's holders; those who can log a welfare visit in a ward)."""
    who = members(team)
    if who is None:
        return []
    return [
        Person(*row)
        for row in session.execute(
            select(*_PERSON_COLUMNS)
            .where(User.id.in_(who), User.is_active.is_(True))
            .order_by(User.id)
        )
    ]


class _Directory:
    """People looked up once per batch: owners by id, teams by name."""

    def __init__(self, session: Session, owner_ids: Iterable[int]) -> None:
        self.session = session
        self.people = _people(session, owner_ids)
        self.teams: dict[str, list[Person]] = {}
        self.ward_names: dict[str, str] = {}

    def team_noun(self, team: str | None) -> TeamNoun | None:
        """Name a team for its mail (a ward team by its ward's name, looked up once)."""
        code = ward_of(team)
        if code is not None and code not in self.ward_names:
            self.ward_names[code] = ward_names_of(self.session, [team]).get(code, "")
        return team_noun(team, {c: n for c, n in self.ward_names.items() if n})

    def team(self, team: str) -> list[Person]:
        if team not in self.teams:
            self.teams[team] = team_members(self.session, team)
        return self.teams[team]

    def recipients(self, reminder: Reminder) -> list[tuple[Person, bool]]:
        """Return who a reminder goes to: its owner, then its team's members (as_team=True)."""
        out: list[tuple[Person, bool]] = []
        seen: set[int] = set()
        owner = self.people.get(reminder.owner_user_id or 0)
        if owner is not None:
            out.append((owner, False))
            seen.add(owner.id)
        if reminder.team:
            for person in self.team(reminder.team):
                if person.id not in seen:
                    out.append((person, True))
                    seen.add(person.id)
        return out


def _facts(r: Reminder, directory: _Directory | None = None) -> MailFacts:
    noun = directory.team_noun(r.team) if directory is not None else team_noun(r.team)
    return MailFacts(r.id, r.kind, r.title, r.due_at, r.statutory, r.team, noun)


def message_id(dedupe_key: str, config: NotifyConfig) -> str:
    """Return the Message-ID a mail always carries, however often it is handed to the server."""
    return f"<{dedupe_key}@{config.mail_domain}>"


# ---------------------------------------------------------------------------------------------
# What a tick does (each function is one batch in the caller's transaction)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Batch:
    """What one batch did: reminders looked at, leads mailed, outbox rows written."""

    looked_at: int = 0
    leads_sent: int = 0
    mails: int = 0


def _leads_done(session: Session, ids: Sequence[int]) -> dict[int, set[str]]:
    """Return the leads already dealt with (sent or superseded) for each reminder."""
    done: dict[int, set[str]] = defaultdict(set)
    for rid, label in session.execute(
        select(ReminderSend.reminder_id, ReminderSend.lead).where(ReminderSend.reminder_id.in_(ids))
    ):
        done[rid].add(label)
    return done


def _reminder_mails(
    r: Reminder,
    lead: str,
    directory: _Directory,
    now: datetime,
    config: NotifyConfig,
    digest_at: datetime,
) -> list[dict[str, object]]:
    """Return one outbox row per recipient of a reminder's lead: sent now, or held for a digest."""
    facts = _facts(r, directory)
    urgent = is_urgent(r.kind, r.statutory)
    mails: list[dict[str, object]] = []
    for person, as_team in directory.recipients(r):
        held = not urgent and person.digest_preference == "daily"
        body = render_reminder(facts, person.display_name, as_team=as_team, now=now, config=config)
        mails.append(
            {
                "dedupe_key": f"reminder-{r.id}-{lead}-u{person.id}",
                "kind": MailKind.DIGEST_ITEM if held else MailKind.REMINDER,
                "status": HELD if held else PENDING,
                "reminder_id": r.id,
                "lead": lead,
                "recipient_user_id": person.id,
                "recipient": person.email,
                "subject": body.subject,
                "text_body": body.text,
                "html_body": body.html,
                "created_at": now,
                "attempts": 0,
                "next_attempt_at": digest_at if held else now,
            }
        )
    return mails


def enqueue_due(
    session: Session, now: datetime, config: NotifyConfig, *, limit: int = 500
) -> Batch:
    """Claim reminders whose next look has come, write their mail to the outbox and stamp them.

    Everything happens in the caller's transaction: committed together or not at all.
    """
    claimed = list(
        session.scalars(
            select(Reminder)
            .where(Reminder.next_send_at <= now)
            .order_by(Reminder.next_send_at, Reminder.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not claimed:
        return Batch()
    done = _leads_done(session, [r.id for r in claimed])
    directory = _Directory(session, (r.owner_user_id for r in claimed if r.owner_user_id))
    sends: list[dict[str, object]] = []
    mails: list[dict[str, object]] = []
    digest_at = next_digest_at(now, config.digest_hour)
    leads_sent = 0
    for r in claimed:
        if r.status != OPEN:
            r.next_send_at = None
            r.escalate_at = None
            continue
        if r.leads is None:
            r.leads = ",".join(config.leads_for(r.kind))
            if r.statutory and r.escalate_at is None:
                r.escalate_at = r.due_at  # an overdue statutory reminder always escalates
        plan = plan_leads(
            parse_leads(r.leads.split(",")),
            created_at=r.created_at,
            due_at=r.due_at,
            now=now,
            done=done[r.id],
            snoozed_until=r.snoozed_until,
        )
        r.next_send_at = plan.next_at
        for lead in plan.superseded:
            sends.append(
                {"reminder_id": r.id, "lead": lead.label, "sent_at": now, "superseded": True}
            )
        if plan.send is None:
            continue
        first = not done[r.id]
        sends.append(
            {"reminder_id": r.id, "lead": plan.send.label, "sent_at": now, "superseded": False}
        )
        leads_sent += 1
        if r.statutory and first and r.acknowledged_at is None:
            r.escalate_at = min(r.escalate_at or r.due_at, now + config.escalate_after)
        mails += _reminder_mails(r, plan.send.label, directory, now, config, digest_at)
    session.flush()
    if sends:
        session.execute(insert(ReminderSend), sends)
    mails = _not_yet_kept(session, mails)
    if mails:
        session.execute(insert(OutboxMail), mails)
    return Batch(looked_at=len(claimed), leads_sent=leads_sent, mails=len(mails))


def _not_yet_kept(session: Session, mails: list[dict[str, object]]) -> list[dict[str, object]]:
    """Leave out the mails the outbox already holds: a reminder handed back to someone it was
    mailed to before (`reminders.forget_leads`) is not mailed to them again for the same lead."""
    keys = [str(m["dedupe_key"]) for m in mails]
    kept: set[str] = set()
    for chunk in chunks(keys):
        kept.update(
            session.scalars(
                select(OutboxMail.dedupe_key)
                .where(OutboxMail.dedupe_key.in_(chunk))
                .order_by(OutboxMail.dedupe_key)
            )
        )
    return [m for m in mails if m["dedupe_key"] not in kept]


#: Why a statutory reminder escalated to the organisation's supervisor rather than one recorded.
NONE_RECORDED = "none is recorded"
RECORDED_ELSEWHERE = "the one recorded is in another organisation, which cannot act on it"
RECORDED_INACTIVE = "the one recorded is no longer an active supervisor"


def _acting_organisations(session: Session, r: Reminder, people: Sequence[Person]) -> list[int]:
    """The organisations whose supervisors can act on a statutory reminder: the one that owns
    its case (only it may change the case: `access.can_for_organisation`); for any other, the
    organisations of its owner (or of its team's members)."""
    if r.subject_type == CASE_SUBJECT:
        owner = session.scalar(
            select(EnforcementCase.owner_organisation_id).where(EnforcementCase.id == r.subject_id)
        )
        if owner is not None:
            return [owner]
    if not people:
        return []
    return sorted(
        set(
            session.scalars(
                select(User.organisation_id).where(User.id.in_(sorted(p.id for p in people)))
            )
        )
    )


def _supervisor_for(
    session: Session, directory: _Directory, r: Reminder
) -> tuple[Person | None, str | None]:
    """Who a statutory reminder escalates to, and why not to one recorded (None: it is one).

    The owner's supervisor (for a team's reminder, its members' supervisor) if they can act on
    it: an active supervisor of the organisation that owns the case (or of the owner's, or the
    team's); otherwise the longest-standing supervisor of that organisation, so a deadline
    never escalates to someone who cannot act on it, nor to no one while the organisation has
    a supervisor (docs/reminders.md). A police case's deadline never goes to a council
    supervisor recorded for a police officer."""
    owner = directory.people.get(r.owner_user_id or 0)
    people = [owner] if owner is not None else directory.team(r.team) if r.team else []
    organisations = _acting_organisations(session, r, people)
    candidates: list[int] = []
    if owner is not None and owner.supervisor_id is not None:
        candidates.append(owner.supervisor_id)
    elif owner is None and r.team:
        candidates.extend(sorted({p.supervisor_id for p in people if p.supervisor_id}))
    why = NONE_RECORDED
    if candidates:
        found = _supervisors(session, candidates, organisations)
        for sid in candidates:
            if sid in found:
                return found[sid], None
        elsewhere = _supervisors(session, candidates, None)
        why = RECORDED_ELSEWHERE if elsewhere else RECORDED_INACTIVE
    fallback = _organisation_supervisor(session, organisations, [p.id for p in people])
    return fallback, why


def _supervisors(
    session: Session, ids: Sequence[int], organisations: Sequence[int] | None
) -> dict[int, Person]:
    """The active supervisors among these people (of these organisations, unless None)."""
    clauses = [
        User.id.in_(sorted(set(ids))),
        User.is_active.is_(True),
        User.id.in_(select(UserRole.user_id).where(UserRole.role == Role.SUPERVISOR)),
    ]
    if organisations is not None:
        clauses.append(User.organisation_id.in_(sorted(organisations)))
    return {
        row.id: Person(*row) for row in session.execute(select(*_PERSON_COLUMNS).where(*clauses))
    }


def _organisation_supervisor(
    session: Session, organisations: Sequence[int], people: Sequence[int]
) -> Person | None:
    """The active supervisor, other than these people, of these organisations,
    longest-standing (lowest id) first."""
    if not organisations:
        return None
    row = session.execute(
        select(*_PERSON_COLUMNS)
        .where(
            User.is_active.is_(True),
            User.id.not_in(sorted(people)),
            User.id.in_(select(UserRole.user_id).where(UserRole.role == Role.SUPERVISOR)),
            User.organisation_id.in_(sorted(organisations)),
        )
        .order_by(User.id)
        .limit(1)
    ).first()
    return Person(*row) if row is not None else None


def _escalated_to(supervisor: Person | None, why: str | None) -> str:
    """Say whom a statutory reminder escalated to, and why, for its audit event."""
    if supervisor is None:
        recorded = "no supervisor is recorded" if why == NONE_RECORDED else why
        return f"no one: {recorded}, and the organisation has none"
    if why is None:
        return supervisor.email
    return f"{supervisor.email}, the organisation's supervisor: {why}"


def _escalation_reason(r: Reminder, now: datetime) -> str | None:
    """Say why a claimed reminder escalates now (None if it does not), moving its next look on."""
    if r.status != OPEN or not r.statutory:
        r.escalate_at = None
        return None
    if now >= r.due_at:
        r.escalate_at = None
        return "overdue"
    r.escalate_at = r.due_at
    return "unacknowledged" if r.acknowledged_at is None else None


def _escalation_mail(
    r: Reminder,
    reason: str,
    supervisor: Person,
    directory: _Directory,
    now: datetime,
    config: NotifyConfig,
) -> OutboxMail:
    owner = directory.people.get(r.owner_user_id or 0)
    body = render_escalation(
        _facts(r, directory),
        supervisor.display_name,
        owner.display_name if owner else None,
        reason,
        now=now,
        config=config,
    )
    return OutboxMail(
        dedupe_key=f"escalation-{r.id}-{reason}-u{supervisor.id}",
        kind=MailKind.ESCALATION,
        status=PENDING,
        reminder_id=r.id,
        lead=None,
        recipient_user_id=supervisor.id,
        recipient=supervisor.email,
        subject=body.subject,
        text_body=body.text,
        html_body=body.html,
        created_at=now,
        attempts=0,
        next_attempt_at=now,
    )


def escalate_due(
    session: Session, now: datetime, config: NotifyConfig, *, limit: int = 200
) -> Batch:
    """Pass statutory reminders that were not acknowledged in time, or are overdue, to supervisors."""
    claimed = list(
        session.scalars(
            select(Reminder)
            .where(Reminder.escalate_at <= now)
            .order_by(Reminder.escalate_at, Reminder.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not claimed:
        return Batch()
    existing = set(
        session.execute(
            select(ReminderEscalation.reminder_id, ReminderEscalation.reason).where(
                ReminderEscalation.reminder_id.in_([r.id for r in claimed])
            )
        )
    )
    directory = _Directory(session, (r.owner_user_id for r in claimed if r.owner_user_id))
    mails = 0
    escalated = 0
    for r in claimed:
        reason = _escalation_reason(r, now)
        if reason is None or (r.id, reason) in existing:
            continue
        supervisor, why = _supervisor_for(session, directory, r)
        session.add(
            ReminderEscalation(
                reminder_id=r.id,
                reason=reason,
                supervisor_id=supervisor.id if supervisor else None,
                escalated_at=now,
            )
        )
        escalated += 1
        audit.record(
            session,
            SCHEDULER,
            now,
            action="reminder.escalate",
            entity_type="reminder",
            entity_id=r.id,
            summary=(
                f"Escalated a statutory reminder ({ESCALATION_REASONS[reason]}) to "
                + _escalated_to(supervisor, why)
            ),
            after={"reason": reason, "supervisor_id": supervisor.id if supervisor else None},
        )
        if supervisor is None:
            continue
        session.add(_escalation_mail(r, reason, supervisor, directory, now, config))
        mails += 1
    session.flush()
    return Batch(looked_at=len(claimed), leads_sent=escalated, mails=mails)


def assemble_digests(
    session: Session, now: datetime, config: NotifyConfig, *, limit: int = 2000
) -> Batch:
    """Fold each person's held reminders whose digest time has come into one digest mail."""
    rows = session.execute(
        select(OutboxMail, Reminder)
        .join(Reminder, Reminder.id == OutboxMail.reminder_id)
        .where(OutboxMail.status == HELD, OutboxMail.next_attempt_at <= now)
        .order_by(OutboxMail.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=OutboxMail)
    ).all()
    if not rows:
        return Batch()
    by_person: dict[int, list[tuple[OutboxMail, Reminder]]] = defaultdict(list)
    for item, reminder in rows:
        if reminder.status != OPEN:
            item.status = CANCELLED
            continue
        by_person[item.recipient_user_id or 0].append((item, reminder))
    people = _people(session, by_person)
    digests = 0
    for uid, entries in by_person.items():
        person = people.get(uid)
        if person is None:  # deactivated since: nothing to send them
            for item, _r in entries:
                item.status = CANCELLED
            continue
        body = render_digest(
            [_facts(r) for _item, r in entries], person.display_name, now=now, config=config
        )
        first = min(item.id for item, _r in entries)
        digest = OutboxMail(
            dedupe_key=f"digest-u{uid}-{to_london(now).date().isoformat()}-{first}",
            kind=MailKind.DIGEST,
            status=PENDING,
            reminder_id=None,
            recipient_user_id=uid,
            recipient=person.email,
            subject=body.subject,
            text_body=body.text,
            html_body=body.html,
            created_at=now,
            attempts=0,
            next_attempt_at=now,
        )
        session.add(digest)
        session.flush()
        for item, _r in entries:
            item.status = DIGESTED
            item.digest_id = digest.id
        digests += 1
    session.flush()
    return Batch(looked_at=len(rows), leads_sent=0, mails=digests)
