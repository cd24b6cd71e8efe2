"""The guard: every route, as every role, with junk in every field and parameter, never gives a 5xx.

Each route in the app's URL map is requested as each role (and signed out) with real ids from a
small world and with junk ids. Form fields are found on the pages themselves (every form a role
is shown, with the values it is shown) and in the form classes (for forms only some states
show). Every request keeps most fields as the page drew them and puts junk in others: date
fields with missing or extra parts, NUL and other control characters, 10,000 characters, huge,
negative and non-numeric ids, wrong types, mixed scripts. A named pass sends each kind of junk
to every field it fits; a seeded random pass adds a request per route and role, each field
either as drawn or junk. Any 5xx fails, and so does any 4xx that changed a row count or a version.
Every statement the requests run must also list its rows in a total order, as in every database
test (tests/total_order.py, checked by the `connection` fixture).
"""

from __future__ import annotations

import functools
import io
import random
import re
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from builders import BOOK, NOW, SYSTEM, full_draft, make_user, next_number, sign_in
from builders import make_referral_world as make_world
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from image_helpers import png
from sqlalchemy import Select, TextClause, column, event, func, or_, select, table, text
from sqlalchemy.orm import Session
from werkzeug.routing import Map, Rule
from wtforms import DateField, Field, IntegerField, SelectFieldBase
from wtforms.fields.core import UnboundField

from enforcement.cases import casework as cases
from enforcement.cases import overrides
from enforcement.inspections import evidence
from enforcement.measures import data_share
from enforcement.measures.quarters import Quarter
from enforcement.models import Base, ReferralRecord
from enforcement.referrals import drafting as referrals
from enforcement.register import support
from enforcement.registerio import importing as import_options
from enforcement.registerio import runs as import_runs
from enforcement.reminders import reminders
from enforcement.reminders.vocab import ReminderKind

ROOT = Path(__file__).resolve().parents[2]
# In this order: each kind of named junk goes to a route once, as the first role it lets in.
WALKERS = {
    "supervisor": "supervisor@example.gov.uk",
    "admin": "admin@example.gov.uk",
    "licensing_officer": "officer@example.gov.uk",
    "intel_analyst": "analyst@example.gov.uk",
    "ward_officer": "ward@example.gov.uk",
    "committee_clerk": "clerk@example.gov.uk",
    "partner": "partner@example.gov.uk",
    None: None,  # signed out
}
# Signing out would end the walk; it has its own tests.
SKIPPED_ENDPOINTS = frozenset({"auth.sign_out", "static"})
# Sign-in bookkeeping is written on a refused sign-in by design (it is what throttles guessing).
# So is the public register's per-address request counter (it is what answers 429).
BOOKKEEPING_TABLES = frozenset({"sign_in_attempts", "user_sessions", "public_register_hits"})
# Reads of restricted records, and refused attempts at them, are audited whatever the status.
READ_AUDITS = (
    "%.view",
    "%.list",
    "%.list_hearing",
    "%.open_process",
    "%.refused",
    "audit.read",
)
EXAMPLES_PER_ROUTE = 1

CONTROL = [chr(c) for c in range(32) if chr(c) not in "\t\n\r"] + ["\x7f"]
JUNK_IDS = [
    "0",
    "-1",
    "2147483648",
    "9223372036854775808",
    "99999999999999999999999",
    "1e3",
    "1.5",
    "\u00b2",
    "abc",
    " 7 ",
    "",
]
JUNK_TEXT = [
    "\x00",
    "a\x00b",
    "".join(CONTROL),
    "x" * 10_000,
    "Ωμέγα мир 中文 عربي \u202e😀",
    "\ufeff<script>alert(1)</script>",
    "' OR 1=1 --",
    "%s%n{0}",
    "   ",
]
# Parts of a day-month-year date: fewer and more than three, and nonsense in each.
JUNK_DATES: list[list[str]] = [
    [],
    ["1"],
    ["1", "2"],
    ["1", "2", "2026", "4"],
    ["31", "2", "2026"],
    ["x", "y", "z"],
    ["99999999999999", "1", "2026"],
    ["1", "1", "0"],
    ["1", "1", "99999"],
    ["\x00", "1", "2026"],
    # Real dates at the ends of what a date can hold: a day before or after either is not one.
    ["1", "1", "1"],
    ["31", "12", "9999"],
]


# --- the world the walk runs in ---------------------------------------------------------------


@dataclass
class World:
    ids: dict[str, int]
    strings: dict[str, str]


def build_world(session: Session, evidence_dir: Path) -> World:
    world = make_world(session)
    make_user(session, "partner", email="partner@example.gov.uk")
    # Someone no walker is: admin pages that reset or deactivate an account act on them.
    bystander = make_user(session, "licensing_officer", email="bystander@example.gov.uk")
    officer = world.actors["officer"]
    case = cases.open_case(
        session,
        world.actors["ward"],
        NOW,
        cases.CaseInput(
            world.premises.id,
            "asbcpa_closure",
            world.police_id,
            world.actors["ward"].user_id,
            "Police case",
        ),
    )
    # A service in the support directory, chosen by the referral so it can never be deleted.
    service = support.create_service(
        session,
        SYSTEM,
        NOW,
        support.ServiceInput(
            "A helpline", "national_helpline", "Advice", "Call it", "Always", True
        ),
    )
    referral = referrals.create_draft(
        session,
        officer,
        NOW,
        world.premises.id,
        full_draft(world, support_providers=frozenset({service.id})),
    )
    reminder = reminders.schedule(
        session,
        reminders.ReminderSpec(
            kind=ReminderKind.FOLLOW_UP_INSPECTION,
            subject_type="inspection",
            subject_id=world.inspections[0].id,
            title="Follow up",
            due_at=NOW + timedelta(days=3),
            owner_user_id=officer.user_id,
        ),
        NOW - timedelta(days=1),
    )
    photo = evidence.store_image(session, officer, NOW, png(), evidence_dir, max_bytes=1_000_000)
    share = data_share.produce_share(session, world.actors["analyst"], NOW, Quarter(2025, 4))
    # The anonymous referral record the visit was logged with (an adult's NRM referral).
    record = session.scalars(
        select(ReferralRecord.id)
        .where(ReferralRecord.welfare_visit_id == world.visit.id)
        .order_by(ReferralRecord.id)
        .limit(1)
    ).one()
    local_rule = overrides.add_override(
        session,
        SYSTEM,
        NOW,
        overrides.OverrideInput(
            "local.poster.follow_up", 21, "starting_day_after", NOW.date(), "Walk"
        ),
        BOOK,
    )
    upload = import_runs.start_run(
        session,
        officer,
        NOW,
        kind="esd",
        filename="register.csv",
        data=b"CaseReference,CaseDate,PremisesName\r\nA/1,01/01/2020,The Bar\r\n",
        options=import_options.Options(),
    )
    session.commit()
    return World(
        ids={
            "premises_id": world.premises.id,
            "licence_id": world.licence.id,
            "condition_id": world.condition_id(2),
            "inspection_id": world.inspections[0].id,
            "flag_id": world.c_flag.id,
            "visit_id": world.visit.id,
            "case_id": case.id,
            "referral_id": referral.id,
            "reminder_id": reminder.id,
            "user_id": bystander.id,
            "file_id": photo.id,
            "share_id": share.id,
            "record_id": record,
            "override_id": local_rule.id,
            "service_id": service.id,
            "run_id": upload.id,
        },
        strings={"code": "E05999901", "action": "withdraw", "fmt": "pdf", "version": "1"},
    )


# --- finding forms -----------------------------------------------------------------------------


@dataclass
class FormField:
    name: str
    kind: str  # text, date, choice, multi, check
    baseline: list[str]
    options: list[str] = field(default_factory=list)


@dataclass
class FoundForm:
    method: str
    action: str
    fields: dict[str, FormField]


class FormParser(HTMLParser):
    """Collect each form on a page, its fields and the values the page drew in them."""

    def __init__(self, page_path: str) -> None:
        super().__init__()
        self.page_path = page_path
        self.forms: list[FoundForm] = []
        self._form: FoundForm | None = None
        self._select: FormField | None = None
        self._textarea: FormField | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = FoundForm(
                a.get("method", "get").upper(), a.get("action") or self.page_path, {}
            )
            self.forms.append(self._form)
            return
        if self._form is None or not a.get("name") or a["name"] == "csrf_token":
            return
        name, fields = a["name"], self._form.fields
        if tag == "input":
            kind = a.get("type", "text")
            if kind in {"submit", "button", "file", "image", "reset"}:
                if kind == "submit" and name not in fields:
                    fields[name] = FormField(name, "text", [a.get("value", "")])
                return
            if kind in {"checkbox", "radio"}:
                f = fields.setdefault(name, FormField(name, "check", []))
                f.options.append(a.get("value", "on"))
                if "checked" in a:
                    f.baseline.append(a.get("value", "on"))
                return
            if name in fields and fields[name].kind in {"text", "date"}:
                f = fields[name]  # govuk date inputs: three inputs of one name
                f.kind = "date"
                f.baseline.append(a.get("value", ""))
                return
            fields[name] = FormField(name, "text", [a.get("value", "")])
        elif tag == "select":
            self._select = fields[name] = FormField(
                name, "multi" if "multiple" in a else "choice", []
            )
        elif tag == "option" and self._select is not None:
            self._select.options.append(a.get("value", ""))
            if "selected" in a:
                self._select.baseline.append(a.get("value", ""))
        elif tag == "textarea":
            self._textarea = fields[name] = FormField(name, "text", [""])

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.baseline[0] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            if self._select is not None and not self._select.baseline and self._select.options:
                self._select.baseline.append(self._select.options[0])
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms_on(page: str, path: str) -> list[FoundForm]:
    parser = FormParser(path)
    parser.feed(page)
    return parser.forms


def class_fields() -> dict[str, FormField]:
    """Every field any form class declares, for forms no page of the world happens to show."""
    from flask_wtf import FlaskForm

    found: dict[str, FormField] = {}

    def walk(cls: type) -> Iterator[type]:
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    for cls in walk(FlaskForm):
        if not cls.__module__.startswith("app."):
            continue
        for name in dir(cls):
            unbound = getattr(cls, name, None)
            if not isinstance(unbound, UnboundField):
                continue
            fc: type[Field] = unbound.field_class
            if issubclass(fc, DateField):
                kind = "date"
            elif issubclass(fc, SelectFieldBase):
                kind = "multi" if "Multiple" in fc.__name__ else "choice"
            elif issubclass(fc, IntegerField):
                kind = "choice"
            else:
                kind = "text"
            found.setdefault(name, FormField(name, kind, []))
    return found


def query_names() -> set[str]:
    """Query parameters the views read directly, found in their source."""
    names: set[str] = set()
    pattern = re.compile(r"request\.(?:args|values)(?:\.get\(|\[)\s*\"(\w+)\"")
    for path in (ROOT / "app").rglob("*.py"):
        names.update(pattern.findall(path.read_text(encoding="utf-8")))
    return names


# --- junk ---------------------------------------------------------------------------------------

Values = list[str]

# The random pass: each field keeps the value the page drew, or gets junk of its own kind, or junk
# of any kind, drawn from a generator seeded by the role and the route (so a failure repeats).
# Code points for random text: every plane that holds characters, surrogates left out (a form
# cannot carry them in UTF-8).
TEXT_RANGES = (
    (0x20, 0x7E),
    (0x80, 0x24F),
    (0x370, 0x6FF),
    (0x2000, 0x2BFF),
    (0x4E00, 0x9FFF),
    (0xE000, 0xFFFD),
    (0x1F300, 0x1FAFF),
    (0x0, 0x1F),
)


def random_text(rng: random.Random) -> str:
    """Junk text of up to 300 characters (10,000 go to every text field in the named pass: a
    form of a few hundred fields each that long only makes the request slow to build)."""
    kind = rng.randrange(4)
    if kind == 0:
        return rng.choice(JUNK_TEXT)[:300]
    if kind == 1:
        return f"Name{rng.choice(CONTROL)}"
    if kind == 2:
        return "".join(
            chr(rng.randint(*rng.choice(TEXT_RANGES))) for _ in range(rng.randint(0, 12))
        )
    return chr(rng.randint(*rng.choice(TEXT_RANGES))) * rng.randint(13, 300)


def random_id(rng: random.Random) -> str:
    kind = rng.randrange(3)
    if kind == 0:
        return rng.choice(JUNK_IDS)
    if kind == 1:
        return str(rng.randint(-(2**64), 2**64))
    return str(rng.randint(2**31 - 2, 2**70))


def random_date(rng: random.Random) -> Values:
    if rng.randrange(2) == 0:
        return list(rng.choice(JUNK_DATES))
    return [
        str(rng.randint(-(2**40), 2**40)) if rng.randrange(2) else random_text(rng)
        for _ in range(rng.randint(0, 5))
    ]


def random_any(rng: random.Random) -> Values:
    kind = rng.randrange(4)
    if kind == 0:
        return [random_text(rng)]
    if kind == 1:
        return [random_id(rng)]
    if kind == 2:
        return random_date(rng)
    return [random_text(rng) for _ in range(rng.randint(2, 3))]  # a list where one is expected


def random_value(f: FormField, rng: random.Random) -> Values:
    """The value the page drew (a third of the time), junk of the field's own kind, or any junk."""
    pick = rng.randrange(3)
    if pick == 0:
        return f.baseline
    if pick == 2:
        return random_any(rng)
    if f.kind == "date":
        return random_date(rng)
    if f.kind in {"choice", "multi", "check"}:
        return [random_id(rng) for _ in range(rng.randint(0 if f.kind != "choice" else 1, 3))]
    return [random_text(rng)]


def named_junk(f: FormField, kind: str) -> Values | None:
    """The named pass: one mix of junk, in every field it fits (None: leave the field alone)."""
    base = f.baseline[0] if f.baseline else ""
    choice = f.kind in {"choice", "multi", "check"} or f.name in {"version", "page"}
    if kind == "nul":  # alone, so the rest of the form is valid and the text reaches the database
        return [base + "\x00"] if f.kind == "text" and not choice else None
    if kind == "short":
        if f.kind == "date":
            return ["1"]
        return ["9999999999999999999999"] if choice else [base + "\x1b\x7f"]
    if kind == "long":
        if f.kind == "date":
            return ["1", "2", "2026", "4"]
        return ["-1"] if choice else [base + "x" * 10_000]
    if kind == "words":
        if f.kind == "date":
            return ["x", "\x00", "Ωм"]
        return ["abc"] if choice else [base + "Ωμέγα мир 中文 عربي"]
    if kind == "digits":  # digits to str.isdigit() that int() refuses, and more than int() reads
        if f.kind == "date":
            return ["\u00b2", "1\u0661", "2026"]
        return ["\u00b2"] if choice else (["9" * 5_000] if f.kind == "text" else None)
    raise AssertionError(kind)


NAMED_KINDS = ("nul", "short", "long", "words", "digits")


# --- the walk ------------------------------------------------------------------------------------


def state_query() -> Select[Any]:
    """Row counts of every table and the sum of every version: what a refused request must not move."""
    parts = []
    for t in Base.metadata.sorted_tables:
        if t.name in BOOKKEEPING_TABLES:
            continue
        counted = select(func.count()).select_from(table(t.name))
        if t.name == "audit_events":
            # Reading restricted records is audited even when the page is redrawn with errors.
            counted = counted.where(
                ~or_(*(column("action").like(pattern) for pattern in READ_AUDITS))
            )
        parts.append(counted.scalar_subquery().label(t.name))
        if "version" in t.c:
            parts.append(
                select(func.coalesce(func.sum(column("version")), 0))
                .select_from(table(t.name))
                .scalar_subquery()
                .label(f"{t.name}.version")
            )
    return select(*parts)


def state(session: Session, compiled: dict[str, TextClause] = {}) -> dict[str, int]:  # noqa: B006 - a cache
    dialect = session.get_bind().dialect
    if dialect.name not in compiled:  # compiled once: it runs around every request
        sql = state_query().compile(dialect=dialect, compile_kwargs={"literal_binds": True})
        compiled[dialect.name] = text(str(sql))
    return dict(session.execute(compiled[dialect.name]).one()._mapping)


def fill(rule: Rule, world: World, junk_id: str | None) -> list[str]:
    """The rule's paths: with real ids, or with a junk id in every int slot."""
    paths = [rule.rule]
    for name, conv in re.findall(r"<(?:([^:>]+):)?([^>]+)>", rule.rule):
        conv_name = name or "default"
        slot = f"<{name + ':' if name else ''}{conv}>"
        arg = conv.split("(")[0] if "(" in conv else conv
        if conv_name == "id":
            value = junk_id if junk_id is not None else str(world.ids[arg])
            values = [value]
        elif conv_name == "any":
            values = [re.findall(r"\w+", conv.split("(", 1)[1])[0]]
            arg = conv.split(")")[-1].lstrip(":")
        elif conv_name == "path":
            values = ["govuk-frontend/dist/govuk/all.bundle.js", "../../etc/passwd"]
        else:
            values = [world.strings.get(arg, "x")]
            if junk_id is not None:
                values = ["\x00", "Ωм", "x" * 300]
        paths = [p.replace(slot, urllib.parse.quote(v, safe="/"), 1) for p in paths for v in values]
    return paths


# Any statement that could add, remove or change a row (a CTE may hide one: counted too).
WRITING = re.compile(
    r"\s*(INSERT|UPDATE|DELETE|WITH|MERGE|REPLACE|CREATE|DROP|ALTER|TRUNCATE)\b", re.I
)


class WriteCounter:
    """Counts the statements on the test's connection that could write (the app's included)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, _conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if WRITING.match(statement):
            self.count += 1


@dataclass
class Counts:
    """What a refused request must not move (`state`), counted again only after a request that
    ran a statement able to change it: counting every table costs more than most requests."""

    session: Session
    writes: WriteCounter
    last: dict[str, int] = field(default_factory=dict)

    def before(self) -> tuple[dict[str, int], int]:
        """The counts before a request, and the writing statements run so far."""
        return self.last or state(self.session), self.writes.count

    def after(self, writes_before: int) -> dict[str, int]:
        """The counts after the request (taken again only if it ran a writing statement)."""
        if self.writes.count != writes_before or not self.last:
            self.last = state(self.session)
        return self.last


@dataclass
class Walk:
    client: FlaskClient
    role: str | None
    token: str
    counts: Counts
    failures: list[str] = field(default_factory=list)
    requests: int = 0
    status: int = 0

    def send(
        self, method: str, path: str, data: dict[str, Values] | None = None, shape: str = "form"
    ) -> str:
        """Send the request; a POST's fields go as a form, or (`shape`) each as an uploaded
        file ("files"), or as JSON numbers ("json"): Flask-WTF reads both into a form's data."""
        before, writes_before = self.counts.before()
        if method == "GET":
            resp = self.client.get(path, query_string=data or {})
        elif shape == "files":
            files = {name: (io.BytesIO(b"junk"), "junk.txt") for name in data or {}}
            resp = self.client.post(path, data={**files, "csrf_token": self.token})
        elif shape == "json":
            numbers: dict[str, object] = dict.fromkeys(data or {}, 5)
            resp = self.client.post(path, json={**numbers, "csrf_token": self.token})
        else:
            resp = self.client.post(path, data={**(data or {}), "csrf_token": self.token})
        self.requests += 1
        html = resp.mimetype == "text/html"
        body = resp.get_data(as_text=True) if html else ""
        what = f"{self.role or 'signed out'} {method} {path[:120]} {_short(data)}"
        if resp.status_code >= 500:
            self.failures.append(f"{resp.status_code}: {what} {_error(body)}")
        self.status = resp.status_code
        after = self.counts.after(writes_before)
        if 400 <= resp.status_code < 500 and after != before:
            moved = sorted(k for k, v in after.items() if before.get(k) != v)
            self.failures.append(f"{resp.status_code} wrote {moved}: {what}")
        return body if resp.status_code == 200 else ""


def _error(body: str) -> str:
    title = re.search(r"<h1[^>]*>(.*?)</h1>", body, re.S)
    return title.group(1).strip()[:80] if title else body[:80]


def _short(data: dict[str, Values] | None) -> str:
    if not data:
        return ""
    return repr({k: [v[:20] for v in vs] for k, vs in data.items()})[:300]


def _routes(url_map: Map) -> list[tuple[Rule, str]]:
    found = []
    for rule in sorted(url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            found.append((rule, method))
    return found


def _endpoint(app: Flask, action: str, method: str) -> str | None:
    parts = urllib.parse.urlsplit(action)
    try:
        endpoint, _ = app.url_map.bind("localhost").match(parts.path, method=method)
    except Exception:
        return None
    return str(endpoint)


def _with(
    fields: dict[str, FormField], pick: Callable[[FormField], Values | None]
) -> dict[str, Values]:
    data = {}
    for name, f in fields.items():
        chosen = pick(f)
        data[name] = f.baseline if chosen is None else chosen
    return data


def random_junk(
    walk: Walk, method: str, rule: Rule, path: str, fields: dict[str, FormField]
) -> None:
    """A few seeded random requests: each field as the page drew it, or junk (random_value).

    Seeded by the role and the route's rule, not its address: the world's ids depend on what
    ran before on the same database (PostgreSQL's sequences move on a rolled-back insert), and
    the same run must send the same junk whatever the order."""
    rng = random.Random(f"{walk.role} {method} {rule.rule}")
    for _ in range(EXAMPLES_PER_ROUTE):
        walk.send(method, path, {n: random_value(f, rng) for n, f in fields.items()})


def test_no_route_gives_5xx_or_writes_on_4xx(app: Flask, session: Session, tmp_path: Path) -> None:
    app.config["SETTINGS"] = app.config["SETTINGS"].with_overrides(
        evidence_dir=tmp_path, public_register=True, public_register_rate_per_minute=100_000
    )
    world = build_world(session, tmp_path)
    routes = _routes(app.url_map)
    unbounded = [rule.rule for rule, _ in routes if "<int:" in rule.rule]
    assert not unbounded, f"record ids in addresses use <id:...> (1 to 2**31-1): {unbounded}"
    id_slots = {m for rule, _ in routes for m in re.findall(r"<id:(\w+)>", rule.rule)}
    assert id_slots <= set(world.ids), f"give the walk a real id for {id_slots - set(world.ids)}"
    from_classes = class_fields()
    queries = {n: FormField(n, "choice" if n == "page" else "text", []) for n in query_names()}
    found: dict[str, dict[str, FormField]] = {}  # forms seen so far, by method and endpoint
    named_done: set[tuple[str, str]] = set()
    ids_done: set[tuple[str, str, bool]] = set()  # junk record ids sent: signed in, signed out
    failures: list[str] = []
    sent = 0

    writes = WriteCounter()  # the app's sessions are joined to this connection (tests/conftest.py)
    event.listen(session.connection(), "before_cursor_execute", writes)
    for role, email in WALKERS.items():
        client = app.test_client()
        if email:
            assert sign_in(client, email).status_code == 302
        page = client.get("/sign-in" if role is None else "/").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        walk = Walk(client, role, token.group(1) if token else "", Counts(session, writes))

        # Real ids first: every page drawn, and the forms it shows (with their values) kept.
        status: dict[str, int] = {}
        for rule, method in routes:
            if method == "GET":
                for path in fill(rule, world, None):
                    body = walk.send("GET", path)
                    status.setdefault(rule.rule, walk.status)
                    for form in forms_on(body, path):
                        endpoint = _endpoint(app, form.action, form.method)
                        if endpoint is not None:
                            found.setdefault(f"{form.method} {endpoint}", {}).update(form.fields)

        for rule, method in routes:
            known = found.get(f"{method} {rule.endpoint}")
            fields = {**queries, **(known or {})} if method == "GET" else known or from_classes
            path = fill(rule, world, None)[0]
            if method == "POST":
                walk.send(method, path, _with(fields, lambda _f: None))
            answer = walk.status if method == "POST" else status[rule.rule]
            refused = answer == 403 or (answer == 302 and role is None)
            # Junk in an address's record id fails in its converter, before any view or
            # permission runs, so every signed-in role meets the same 404: an address whose only
            # slots are record ids gets its junk once signed in and once signed out. Other
            # slots reach the views: their junk goes to every role.
            ids_only = not re.sub(r"<id:\w+>", "", rule.rule).count("<")
            signed_in = role is not None
            if "<" in rule.rule and not (
                ids_only and (method, rule.endpoint, signed_in) in ids_done
            ):
                ids_done.add((method, rule.endpoint, signed_in))
                for junk_id in ("2147483648", "99999999999999999999999"):
                    for each in fill(rule, world, junk_id):
                        walk.send(method, each, _with(fields, lambda _f: None))
            if refused:
                continue  # a role the route refuses gets its ids checked: the rest is refused too
            # Each kind of junk once per route (by the first role allowed it), a seeded random
            # request per route and role.
            if (method, rule.endpoint) not in named_done:
                named_done.add((method, rule.endpoint))
                for kind in NAMED_KINDS:
                    walk.send(method, path, _with(fields, lambda f, k=kind: named_junk(f, k)))
                if method == "POST":
                    for shape in ("files", "json"):
                        walk.send(method, path, _with(fields, lambda _f: None), shape=shape)
            random_junk(walk, method, rule, path, fields)
        failures += walk.failures
        sent += walk.requests

    assert not failures, f"{len(failures)} of {sent} requests failed:\n" + "\n".join(failures[:60])


# --- the JSON API (app/offline/views.py): bodies a form walk cannot send -------------------------

# Each is sent as every role, with the session's token: the envelope wrong in every way, and a
# well-formed envelope with junk in its fields. None may give a 5xx or write on a refusal.
JSON_ENDPOINTS = {"offline.api_records": "/offline/api/records"}


def json_junk(premises_id: int, version: str) -> list[object]:
    def envelope(**changes: object) -> dict[str, object]:
        body: dict[str, object] = {
            "kind": "inspection",
            "premises_id": premises_id,
            "idempotency_key": f"walk-{next_number()}-key",
            "taken_version": version,
            "acknowledge_conflict": True,
            "fields": {"inspected_on": ["1", "3", "2026"], "inspected_time": "10:00"},
        }
        body.update(changes)
        return body

    bodies: list[object] = [None, [], "inspection", 12, {}, {"kind": "inspection"}]
    # Texts no JSON encoder writes: nested past Python's recursion limit, numbers past the
    # float's range and an int's digit limit, NaN, broken UTF-8, cut short, not JSON at all.
    bodies += [b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000]
    bodies += [b"1e999", b"9" * 5_000, b"NaN", b'{"kind": "\xff\xfe"}', b'{"kind": ', b"\x00"]
    bodies += [envelope(kind=k) for k in ("photo", "", None, ["inspection"], "welfare_visit")]
    bodies += [envelope(premises_id=int(i)) for i in ("0", "-1", "2147483648")]
    bodies += [envelope(premises_id=v) for v in ("1", 1.5, True, None, [premises_id])]
    bodies += [envelope(idempotency_key=k) for k in ("", "x" * 10_000, "a\x00bcdefgh", 5)]
    bodies += [envelope(taken_version=v) for v in ("", "x" * 10_000, "v1.a.b.c", 3)]
    bodies += [envelope(acknowledge_conflict=v) for v in ("true", 1, None)]
    bodies += [envelope(fields=v) for v in (None, [], "x", {"reason": 1}, {"reason": [None]})]
    for text_value in JUNK_TEXT:
        bodies.append(envelope(fields={"other_officers": text_value, "observations": text_value}))
    # Half of a character, as JSON may escape it, in a record otherwise complete (so it would
    # reach the database were it let through).
    complete = {"reason": "routine", "poster_displayed": "no", "referrals_made": "no"}
    for half in ("\ud800", "a\udfffb"):
        fields = {"inspected_on": ["1", "3", "2026"], "inspected_time": "10:00", **complete}
        bodies.append(envelope(fields={**fields, "observations": half}))
    for day in JUNK_DATES:
        bodies.append(envelope(fields={"inspected_on": day, "reason": "routine"}))
    # "²" is a digit to isdigit() but not to int() (the licence choice once fell for it).
    for id_value in [*JUNK_IDS, "\u00b2"]:
        bodies.append(
            envelope(
                fields={"officer_ids": [id_value], "services": [id_value], "licence_id": id_value}
            )
        )
    return bodies


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30) | st.sampled_from(JUNK_TEXT),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=10,
)


def random_json(send: Callable[[object], None]) -> None:
    """A few seeded random JSON bodies, of any shape."""

    @settings(
        max_examples=5,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(json_values)
    def body(value: object) -> None:
        send(value)

    body()


@dataclass
class JsonWalk:
    client: FlaskClient
    role: str | None
    token: str
    failures: list[str]
    counts: Counts

    def send(self, path: str, body: object) -> None:
        """Send the body as JSON; bytes are sent as they are, as a JSON body's text."""
        before, writes_before = self.counts.before()
        headers = {"X-CSRFToken": self.token}
        if isinstance(body, bytes):
            resp = self.client.post(
                path, data=body, content_type="application/json", headers=headers
            )
        else:
            resp = self.client.post(path, json=body, headers=headers)
        what = f"{self.role or 'signed out'} POST {path} {repr(body)[:200]}"
        if resp.status_code >= 500 or resp.mimetype != "application/json":
            self.failures.append(f"{resp.status_code} {resp.mimetype}: {what}")
        if 400 <= resp.status_code < 500 and self.counts.after(writes_before) != before:
            self.failures.append(f"{resp.status_code} wrote: {what}")


def test_the_json_api_takes_junk_bodies_without_5xx_or_writes(
    app: Flask, session: Session, tmp_path: Path
) -> None:
    world = build_world(session, tmp_path)
    premises_id = world.ids["premises_id"]
    failures: list[str] = []
    writes = WriteCounter()  # the app's sessions are joined to this connection (tests/conftest.py)
    event.listen(session.connection(), "before_cursor_execute", writes)
    for role, email in WALKERS.items():
        client = app.test_client()
        if email:
            assert sign_in(client, email).status_code == 302
        key = client.get("/offline/api/session")
        token = key.get_json()["csrf_token"] if key.status_code == 200 else ""
        taken = client.get(f"/offline/api/premises/{premises_id}")
        version = taken.get_json()["version"] if taken.status_code == 200 else "v1.a.b.c"
        walk = JsonWalk(client, role, token, failures, Counts(session, writes))
        for path in JSON_ENDPOINTS.values():
            for body in json_junk(premises_id, version):
                walk.send(path, body)
            random_json(functools.partial(walk.send, path))
    assert not failures, f"{len(failures)} failed:\n" + "\n".join(failures[:40])
