"""Time the action plan dashboard and the quarterly data share on a borough at scale (SQLite).

The data: `benchmarks.compliance`'s borough (benchmarks.generate's 50,000 premises, 60,000
licences and 500,000 audit events, plus 200,000 inspections), to which this module adds what
the measures read and the generator has none of: Moontwist training, welfare visits with their
indicators and referrals, intelligence flags, enforcement cases with their events and
deadlines, committee referrals and partners' submissions, spread over the same three years.

The timings: through the Flask test client, signed in through the real form, the dashboard of
the last complete quarter of the data (live, anonymised preview, print view, one ward) as a
supervisor; then, as an analyst, producing that quarter's data share (every measure run,
anonymised, stored) and, signed off, downloading it as CSV and JSON. Targets: the dashboard
under 300 ms (median; it was 1 second before the measure summaries), the export (producing plus
a download) under 10 seconds. Before timing, the measure summaries of every closed quarter are
computed, as the scheduler's tick keeps them (`summarise`).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from flask.testing import FlaskClient
from sqlalchemy import Connection, Table, create_engine, event, func, insert, inspect, select, text

from app import create_app
from benchmarks import compliance
from benchmarks import generate as gen
from benchmarks.geo import contended
from benchmarks.run import CSRF, SECRET, StatementCounter, machine, percentile
from config import Settings
from enforcement.accounts.users import hash_password
from enforcement.cases.listing import CASE_TOOLS
from enforcement.db import make_engine
from enforcement.measures import Quarter
from enforcement.measures.vocab import AGE_GROUPS, PartnerMeasure
from enforcement.models import (
    CaseDeadline,
    CaseEvent,
    EnforcementCase,
    IntelFlag,
    IntelFlagExploitation,
    MoontwistTraining,
    Organisation,
    PartnerSubmission,
    PartnerSubmissionRow,
    Premises,
    PremisesWard,
    Referral,
    ReferralRecord,
    ReferralRecordType,
    User,
    UserRole,
    Ward,
    WelfareVisit,
    WelfareVisitIndicator,
)
from enforcement.vocab import Role

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = ROOT / "benchmarks" / "results" / "dashboard.db"
RESULTS = ROOT / "benchmarks" / "results" / "dashboard.md"
TARGET_PAGE_MS = 300.0
TARGET_EXPORT_S = 10.0
WARM_UP = 5
#: The quarter timed: the last one the generated data covers completely.
QUARTER = Quarter.containing(gen.END).previous
N_VISITS = 30_000
N_FLAGS = 60_000
N_CASES = 20_000
N_REFERRALS = 2_000
DEADLINES_PER_CASE = 5
ANALYST_EMAIL = "bench.analyst@bench.invalid"
ANALYST_PASSWORD = "bench-analyst-2026"  # noqa: S105 - a throwaway benchmark account
SUPERVISOR2_EMAIL = "bench.supervisor2@bench.invalid"
INDICATORS = (
    "fear_of_authorities",
    "sleeps_on_premises",
    "appears_under_18",
    "external_locks",
    "money_taken",
    "visitors_screened",
)
FORMS = ("sexual", "forced_labour", "criminal", "domestic_servitude", "cuckooing")
SOURCES = ("police", "council", "charity", "las", "helpline", "resident", "anonymous")
OWED_DIRECTIONS = ("by", "before")


def log(message: str, started: float) -> None:
    gen.log(message, started)


def _moment(rng: random.Random) -> datetime:
    """A moment in the generated data's three years, in working hours."""
    days = (gen.END - gen.START).days
    day = gen.START + timedelta(days=rng.randrange(days))
    return day.replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(
        minutes=rng.randrange(12 * 60)
    )


@dataclass
class Context:
    ward_of: dict[int, str]  # premises id -> ward code (located premises only)
    premises: list[int]
    flats: list[int]
    ward_officers: list[int]
    licensing: list[int]
    council_id: int
    charities: list[int]
    licences: dict[int, int]  # premises id -> a licence id
    ward_codes: list[str]


def _context(conn: Connection, rng: random.Random) -> Context:
    ward_of = {
        pid: code
        for pid, code in conn.execute(
            select(Premises.id, Ward.code)
            .join(PremisesWard, PremisesWard.premises_id == Premises.id)
            .join(Ward, Ward.id == PremisesWard.ward_id)
        )
    }
    flats = [
        pid
        for pid, kind in conn.execute(select(Premises.id, Premises.premises_type))
        if kind in ("residential_flat", "walk_up_flat", "massage", "hotel") and pid in ward_of
    ]
    roles: dict[int, set[str]] = {}
    for uid, role in conn.execute(select(UserRole.user_id, UserRole.role)):
        roles.setdefault(uid, set()).add(role)
    council = conn.scalar(select(Organisation.id).where(Organisation.kind == "council"))
    charities = list(conn.scalars(select(Organisation.id).where(Organisation.kind != "council")))
    licences = dict(
        conn.execute(text("SELECT premises_id, MIN(id) FROM licences GROUP BY premises_id")).all()
    )
    codes = sorted(set(ward_of.values()))
    del rng
    return Context(
        ward_of=ward_of,
        premises=sorted(ward_of),
        flats=flats,
        ward_officers=sorted(u for u, r in roles.items() if Role.WARD_OFFICER.value in r),
        licensing=sorted(u for u, r in roles.items() if Role.LICENSING_OFFICER.value in r),
        council_id=int(council or 1),
        charities=charities,
        licences={int(k): int(v) for k, v in licences.items()},
        ward_codes=codes,
    )


def _accounts(conn: Connection) -> None:
    """An analyst who produces the share and a second supervisor, with known passwords."""
    police = conn.scalar(select(Organisation.id).where(Organisation.kind == "police")) or 1
    start = (conn.scalar(select(func.max(User.id))) or 0) + 1
    for offset, (email, name, role, org) in enumerate(
        (
            (ANALYST_EMAIL, "Bench Analyst", Role.INTEL_ANALYST, police),
            (SUPERVISOR2_EMAIL, "Bench Supervisor Two", Role.SUPERVISOR, 1),
        )
    ):
        conn.execute(
            insert(cast(Table, User.__table__)),
            {
                "id": start + offset,
                "email": email,
                "display_name": name,
                "password_hash": hash_password(ANALYST_PASSWORD),
                "organisation_id": org,
                "is_active": True,
                "must_change_password": False,
                "created_at": gen.START - timedelta(days=60),
                "last_sign_in_at": None,
                "version": 1,
            },
        )
        conn.execute(
            insert(cast(Table, UserRole.__table__)),
            {"user_id": start + offset, "role": role.value},
        )


def _training(ctx: Context, rng: random.Random) -> Iterator[dict[str, Any]]:
    for uid in ctx.ward_officers:
        if rng.random() < 0.4:
            yield {
                "user_id": uid,
                "completed_on": (_moment(rng)).date(),
                "course": "Operation Moontwist welfare visits",
                "recorded_by_id": None,
                "recorded_at": gen.END - timedelta(days=1),
            }


def _visits(
    ctx: Context, rng: random.Random, n: int = N_VISITS
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    visits, indicators, referrals, types = [], [], [], []
    planned = sorted((_moment(rng), rng.choice(ctx.flats)) for _ in range(n))
    for vid, (at, pid) in enumerate(planned, start=1):
        seen = rng.sample(INDICATORS, k=rng.choice((0, 0, 1, 2, 3)))
        returning = rng.random() < 0.1
        visits.append(
            {
                "id": vid,
                "premises_id": pid,
                "ward_code": ctx.ward_of[pid],
                "visited_at": at,
                "trigger": "proactive",
                "property_described": "residential_flat",
                "people_present": rng.randint(0, 6),
                "interpreter_used": False,
                "support_info_left": True,
                "guidance_met": rng.random() < 0.8,
                "return_requested": returning,
                "follow_up_days": 14,
                "follow_up_due_at": at + timedelta(days=14) if seen or returning else None,
                "no_identifiers_confirmed": True,
                "released": False,
                "author_id": rng.choice(ctx.ward_officers),
                "idempotency_key": f"bench-visit-{vid}",
                "created_at": at,
                "updated_at": at,
                "version": 1,
            }
        )
        indicators += [{"visit_id": vid, "code": c} for c in seen]
        if seen and rng.random() < 0.3:
            for _ in range(rng.randint(1, 3)):
                route = rng.choice(("nrm", "duty_to_notify", "specialist_charity"))
                age = "adult" if route == "duty_to_notify" else rng.choice(("adult", "child"))
                rid = len(referrals) + 1
                referrals.append(
                    {
                        "id": rid,
                        "welfare_visit_id": vid,
                        "inspection_id": None,
                        "ward_code": ctx.ward_of[pid],
                        "route": route,
                        "age_group": age,
                        "age_disputed": False,
                        "consent_given": (route == "nrm") if age == "adult" else None,
                        "gender": "female",
                        "exploitation_place": "uk",
                        "first_responder_org_id": None,
                        "first_responder_type": "police",
                        "submitted_on": at.date(),
                        "created_at": at,
                        "updated_at": at,
                        "version": 1,
                    }
                )
                types.append({"referral_id": rid, "exploitation_type": "sexual"})
    return visits, indicators, referrals, types


def _flags(
    ctx: Context, rng: random.Random, n: int = N_FLAGS
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    flags, forms = [], []
    for fid in range(1, n + 1):
        at = _moment(rng)
        pid = rng.choice(ctx.premises) if rng.random() < 0.85 else None
        ward = ctx.ward_of[pid] if pid else rng.choice(ctx.ward_codes)
        flags.append(
            {
                "id": fid,
                "premises_id": pid,
                "location_text": None if pid else "Above the shop",
                "ward_code": ward,
                "reported_at": at,
                "source_type": rng.choice(SOURCES),
                "report_text": "Concern reported about the premises",
                "status": rng.choice(("open", "under_assessment", "actioned", "closed")),
                "conditional": False,
                "created_at": at,
                "updated_at": at,
                "version": 1,
            }
        )
        forms.append({"flag_id": fid, "form": rng.choice(FORMS)})
    return flags, forms


def _cases(
    ctx: Context, rng: random.Random, n: int = N_CASES
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    cases, events, deadlines = [], [], []
    for cid in range(1, n + 1):
        opened = _moment(rng)
        tool = rng.choice(CASE_TOOLS)
        cases.append(
            {
                "id": cid,
                "reference": f"EC-BENCH-{cid:06d}",
                "premises_id": rng.choice(ctx.premises),
                "tool": tool.value,
                "status": "open" if rng.random() < 0.6 else "closed",
                "owner_organisation_id": ctx.council_id,
                "officer_id": rng.choice(ctx.licensing),
                "summary": "Benchmark case",
                "opened_at": opened,
                "created_at": opened,
                "updated_at": opened,
                "version": 1,
            }
        )
        events.append(
            {
                "id": cid,
                "case_id": cid,
                "kind": "notice_issued",
                "occurred_at": opened,
                "recorded_at": opened,
            }
        )
        for n in range(DEADLINES_PER_CASE):
            due = opened + timedelta(days=rng.randint(1, 90))
            deadlines.append(
                {
                    "case_id": cid,
                    "rule_id": f"bench.rule.{n}",
                    "due_at": due,
                    "status": rng.choice(("met", "met", "missed", "pending", "closed")),
                    "direction": rng.choice((*OWED_DIRECTIONS, "window")),
                    "anchor_event_id": cid,
                    "explanation": "Benchmark deadline",
                    "confirmed": True,
                    "computed_at": opened,
                }
            )
    return cases, events, deadlines


def _referrals(conn: Connection, ctx: Context, rng: random.Random) -> list[dict[str, Any]]:
    columns = {c["name"] for c in inspect(conn).get_columns("committee_referrals")}
    rows = []
    licensed = sorted(p for p in ctx.licences if p in ctx.ward_of)
    for rid in range(1, N_REFERRALS + 1):
        at = _moment(rng)
        pid = rng.choice(licensed)
        decided = at + timedelta(days=rng.randint(30, 90)) if rng.random() < 0.6 else None
        row = {
            "id": rid,
            "reference": f"CR-BENCH-{rid:05d}",
            "premises_id": pid,
            "licence_id": ctx.licences[pid],
            "tool": "premises_review",
            "status": "decided" if decided else "signed_off",
            "unlicensed_trading": False,
            "breach_of_conditions": True,
            "narrative": "Benchmark referral",
            "recommendation": rng.choice(("revoke", "suspend", "modify_conditions")),
            "signed_off_at": at,
            "decided_at": decided,
            "created_at": at,
            "updated_at": at,
            "version": 1,
        }
        rows.append({k: v for k, v in row.items() if k in columns})
    return rows


def _submissions(
    ctx: Context, rng: random.Random
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    subs, rows = [], []
    quarter = Quarter.containing(gen.START).next
    sid = 0
    while quarter.has_ended(gen.END):
        for org in ctx.charities:
            if rng.random() < 0.3:
                continue
            sid += 1
            subs.append(
                {
                    "id": sid,
                    "organisation_id": org,
                    "quarter": quarter.code,
                    "status": "current",
                    "imported_by_id": None,
                    "imported_at": quarter.end_utc + timedelta(days=5),
                    "file_sha256": "0" * 64,
                    "row_count": 0,
                }
            )
            for ward in [*ctx.ward_codes, ""]:
                for measure in PartnerMeasure:
                    for age in sorted(AGE_GROUPS[measure.value]):
                        if rng.random() < 0.3:
                            rows.append(
                                {
                                    "submission_id": sid,
                                    "ward_code": ward,
                                    "measure": measure.value,
                                    "age_group": age,
                                    "count": rng.randint(0, 12),
                                }
                            )
        quarter = quarter.next
    return subs, rows


MARKER = "dashboard_benchmark"


def ready(db_path: Path) -> bool:
    """Say whether db_path holds this benchmark's data at the current migration head."""
    if not compliance.ready(db_path):
        return False
    engine = create_engine(f"sqlite:///{db_path}")
    try:
        with engine.connect() as conn:
            visits = conn.scalar(select(func.count()).select_from(WelfareVisit))
            analyst = conn.scalar(select(User.id).where(User.email == ANALYST_EMAIL))
            return visits == N_VISITS and analyst is not None
    finally:
        engine.dispose()


def build(db_path: Path, started: float, seed: int = 1, scale: float = 1.0) -> None:
    """Build compliance's borough at scale (see compliance.build), then add what the measures read."""
    compliance.build(db_path, started, seed, scale)
    rng = random.Random(seed + 2000)
    engine = make_engine(f"sqlite:///{db_path}")
    gen._fast_sqlite(engine)
    with engine.begin() as conn:
        _accounts(conn)
        ctx = _context(conn, rng)
        gen.write(conn, MoontwistTraining, _training(ctx, rng), "Moontwist training", started)
        visits, indicators, referrals, referral_types = _visits(ctx, rng, round(N_VISITS * scale))
        gen.write(conn, WelfareVisit, visits, "welfare visits", started)
        gen.write(conn, WelfareVisitIndicator, indicators, "visit indicators", started)
        gen.write(conn, ReferralRecord, referrals, "anonymous referral records", started)
        gen.write(conn, ReferralRecordType, referral_types, "referral exploitation types", started)
        flags, forms = _flags(ctx, rng, round(N_FLAGS * scale))
        gen.write(conn, IntelFlag, flags, "intelligence flags", started)
        gen.write(conn, IntelFlagExploitation, forms, "flag forms of exploitation", started)
        cases, events, deadlines = _cases(ctx, rng, round(N_CASES * scale))
        gen.write(conn, EnforcementCase, cases, "enforcement cases", started)
        gen.write(conn, CaseEvent, events, "case events", started)
        gen.write(conn, CaseDeadline, deadlines, "case deadlines", started)
        gen.write(conn, Referral, _referrals(conn, ctx, rng), "committee referrals", started)
        subs, rows = _submissions(ctx, rng)
        gen.write(conn, PartnerSubmission, subs, "partner submissions", started)
        gen.write(conn, PartnerSubmissionRow, rows, "partner submission rows", started)
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()


# --- timing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    key: str
    title: str
    url: str
    samples: list[float]  # wall-clock milliseconds
    cpu: list[float]  # this process's CPU milliseconds (the app and SQLite run in it)
    statements: int
    target_ms: float | None

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)

    def judged(self, on_cpu: bool) -> float:
        return self.cpu_median if on_cpu else self.median


def sign_in(client: FlaskClient, email: str, password: str) -> None:
    page = client.get("/sign-in")
    token = CSRF.search(page.get_data(as_text=True))
    if token is None:
        raise SystemExit("no sign-in form")
    response = client.post(
        "/sign-in", data={"email": email, "password": password, "csrf_token": token.group(1)}
    )
    if response.status_code != 302:
        raise SystemExit(f"sign-in as {email} failed ({response.status_code})")


def sign_out(client: FlaskClient) -> None:
    home = client.get("/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', home.get_data(as_text=True))
    if token:
        client.post("/sign-out", data={"csrf_token": token.group(1)})


def timed(
    counter: StatementCounter, action: Callable[[], Any], repeat: int, warm_up: int = WARM_UP
) -> tuple[tuple[list[float], list[float]], int, Any]:
    """Run an action; return its (wall, CPU) milliseconds, its statements and its last result."""
    wall: list[float] = []
    cpu: list[float] = []
    counts: set[int] = set()
    result: Any = None
    for i in range(warm_up + repeat):
        counter.count = 0
        began, began_cpu = time.perf_counter(), time.process_time()
        result = action()
        elapsed = (time.perf_counter() - began) * 1000
        if i >= warm_up:
            wall.append(elapsed)
            cpu.append((time.process_time() - began_cpu) * 1000)
            counts.add(counter.count)
    return (wall, cpu), max(counts), result


def _get(client: FlaskClient, url: str, expect: str | None = None) -> Callable[[], str]:
    def go() -> str:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        body = response.get_data(as_text=True)
        if expect is not None and expect not in body:
            raise SystemExit(f"{url} does not say {expect!r}")
        return body

    return go


def run(db_path: Path, repeat: int) -> tuple[list[Timing], dict[str, Any]]:
    app = create_app(Settings(database_url=f"sqlite:///{db_path}", secret_key=SECRET, testing=True))
    counter = StatementCounter()
    event.listen(app.extensions["engine"], "before_cursor_execute", counter)
    client = app.test_client()
    q = QUARTER.code
    timings: list[Timing] = []
    facts: dict[str, Any] = {}

    sign_in(client, compliance.SUPERVISOR_EMAIL, compliance.SUPERVISOR_PASSWORD)
    with app.app_context():
        engine = app.extensions["engine"]
        with engine.connect() as conn:
            ward = conn.scalar(select(Ward.code).where(Ward.valid_to.is_(None)).order_by(Ward.name))
    pages = (
        ("live", "Dashboard, live figures, all wards", f"/dashboard?quarter={q}"),
        ("preview", "Dashboard, anonymised preview", f"/dashboard?quarter={q}&view=partners"),
        ("print", "Print view", f"/dashboard/print?quarter={q}"),
        ("ward", "Dashboard, one ward", f"/dashboard?quarter={q}&ward={ward}"),
    )
    for key, title, url in pages:
        (wall, cpu), statements, body = timed(counter, _get(client, url, "Action plan"), repeat)
        if key == "live":
            facts["page_kb"] = len(body.encode()) / 1024
        timings.append(Timing(key, title, url, wall, cpu, statements, TARGET_PAGE_MS))
        print(
            f"{title}: median {statistics.median(wall):.0f} ms "
            f"(CPU {statistics.median(cpu):.0f} ms), {statements} statements"
        )
    sign_out(client)

    # The export: produce (every measure, anonymised, stored), sign off, download.
    sign_in(client, ANALYST_EMAIL, ANALYST_PASSWORD)
    share_ids: list[int] = []

    def produce() -> int:
        page = client.get("/data-shares").get_data(as_text=True)
        token = CSRF.search(page)
        assert token is not None
        response = client.post("/data-shares", data={"quarter": q, "csrf_token": token.group(1)})
        if response.status_code != 302:
            raise SystemExit(f"producing the share answered {response.status_code}")
        share_ids.append(int(response.headers["Location"].rsplit("/", 1)[1]))
        return share_ids[-1]

    (wall, cpu), statements, share_id = timed(counter, produce, max(3, repeat // 4), warm_up=1)
    timings.append(
        Timing(
            "produce",
            "Produce the data share (every measure, anonymised, stored)",
            "POST /data-shares",
            wall,
            cpu,
            statements,
            TARGET_EXPORT_S * 1000,
        )
    )
    print(f"produce: median {statistics.median(wall):.0f} ms (CPU {statistics.median(cpu):.0f})")
    sign_out(client)
    sign_in(client, SUPERVISOR2_EMAIL, ANALYST_PASSWORD)
    page = client.get(f"/data-shares/{share_id}").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page)
    token = CSRF.search(page)
    assert version is not None and token is not None
    signed = client.post(
        f"/data-shares/{share_id}/sign-off",
        data={"version": version.group(1), "checked": "y", "csrf_token": token.group(1)},
    )
    if signed.status_code != 302:
        raise SystemExit(f"signing off answered {signed.status_code}")
    for fmt in ("csv", "json"):
        url = f"/data-shares/{share_id}.{fmt}"
        (wall, cpu), statements, body = timed(counter, _get(client, url), repeat)
        timings.append(
            Timing(
                fmt,
                f"Download the signed-off share as {fmt.upper()}",
                url,
                wall,
                cpu,
                statements,
                TARGET_EXPORT_S * 1000,
            )
        )
        if fmt == "json":
            document = json.loads(body)
            facts["rows"] = len(document["rows"])
            small = [
                r for r in document["rows"] if isinstance(r["value"], int) and 0 < r["value"] < 5
            ]
            if small:
                raise SystemExit(f"{len(small)} rows carry a count from 1 to 4")
            facts["withheld"] = sum(1 for r in document["rows"] if isinstance(r["value"], str))
        print(f"{fmt}: median {statistics.median(wall):.0f} ms")
    facts["editions"] = len(share_ids)
    return timings, facts


# --- the report --------------------------------------------------------------------------------


def dataset(db_path: Path) -> dict[str, int]:
    tables = (
        "premises",
        "licences",
        "audit_events",
        "inspections",
        "welfare_visits",
        "intel_flags",
        "enforcement_cases",
        "case_deadlines",
        "committee_referrals",
        "partner_submission_rows",
        "users",
    )
    engine = create_engine(f"sqlite:///{db_path}")
    try:
        with engine.connect() as conn:
            return {
                t: int(conn.scalar(text(f"SELECT COUNT(*) FROM {t}")) or 0)  # noqa: S608
                for t in tables
            }
    finally:
        engine.dispose()


def table(timings: Sequence[Timing]) -> str:
    lines = [
        "| Scenario | Median ms | p95 ms | Max ms | CPU median ms | SQL statements | Target |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for t in timings:
        target = "" if t.target_ms is None else f"under {t.target_ms:,.0f} ms"
        lines.append(
            f"| {t.title} (`{t.url}`) | {t.median:,.1f} | {percentile(t.samples, 0.95):,.1f} | "
            f"{max(t.samples):,.1f} | {t.cpu_median:,.1f} | {t.statements} | {target} |"
        )
    return "\n".join(lines)


def _export_ms(timings: Sequence[Timing], on_cpu: bool) -> float:
    produce = next(t for t in timings if t.key == "produce")
    slowest = max(next(t for t in timings if t.key == k).judged(on_cpu) for k in ("csv", "json"))
    return produce.judged(on_cpu) + slowest


def failures(timings: Sequence[Timing], on_cpu: bool) -> list[str]:
    """Targets missed, judged on CPU time when the machine was busier than its CPUs."""
    measure = "CPU median" if on_cpu else "median"
    problems = [
        f"{t.title}: {measure} {t.judged(on_cpu):,.0f} ms"
        for t in timings
        if t.key in ("live", "preview", "print", "ward") and t.judged(on_cpu) >= TARGET_PAGE_MS
    ]
    if _export_ms(timings, on_cpu) >= TARGET_EXPORT_S * 1000:
        problems.append(f"export: {_export_ms(timings, on_cpu):,.0f} ms")
    return problems


def report(
    repeat: int,
    counts: dict[str, int],
    timings: Sequence[Timing],
    facts: dict[str, Any],
    on_cpu: bool,
    load_at_start: float,
) -> str:
    info = machine()
    info["load average (1, 5, 15 min) at the end"] = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    problems = failures(timings, on_cpu)
    verdict = "**met**" if not problems else "**missed**: " + "; ".join(problems)
    judged = (
        f"The machine was busier than its CPUs when the run began (1-minute load average "
        f"{load_at_start:.1f}), so the targets are judged on the process's CPU time (the app "
        "and SQLite both run in it), as benchmarks/geo.py does; wall-clock times are beside it."
        if on_cpu
        else f"1-minute load average {load_at_start:.1f} when the run began: judged on "
        "wall-clock time."
    )
    return "\n".join(
        [
            "# Action plan dashboard and data share benchmark: latest figures",
            "",
            f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `python -m benchmarks.dashboard "
            f"--repeat {repeat}`: for each page {WARM_UP} warm-up requests, then {repeat} timed "
            "requests through the Flask test client, signed in through the real form (a "
            "supervisor for the pages, an analyst producing the share, a second supervisor "
            "signing it off and downloading it). SQL statements are per request (sign-in check "
            "included, transaction control left out). The quarter is "
            f"{QUARTER.label} ({QUARTER.code}), the last the data covers completely.",
            "",
            "Data: " + ", ".join(f"{n:,} {t.replace('_', ' ')}" for t, n in counts.items()) + ".",
            f"The dashboard page is {facts['page_kb']:,.0f} KB; the share has "
            f"{facts['rows']:,} rows, {facts['withheld']:,} of them withheld ('fewer than 5' or "
            "'suppressed'), and no count from 1 to 4.",
            "",
            table(timings),
            "",
            f"Targets: each dashboard page's median under {TARGET_PAGE_MS:,.0f} ms; the export "
            f"(producing the share plus its slower download: {_export_ms(timings, False):,.0f} "
            f"ms wall-clock, {_export_ms(timings, True):,.0f} ms CPU here) under "
            f"{TARGET_EXPORT_S:.0f} s. {judged} Result: {verdict}.",
            "",
            "Machine: " + "; ".join(f"{k} {v}" for k, v in info.items()) + ".",
            "",
        ]
    )


def summarise(db_path: Path) -> int:
    """Compute the missing measure summaries of every closed quarter, as the tick keeps them."""
    from sqlalchemy.orm import Session

    from enforcement.measures import summaries

    engine = make_engine(f"sqlite:///{db_path}")
    try:
        with Session(engine) as session:
            return summaries.refresh(session, datetime.now(UTC))
    finally:
        engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help="SQLite file to (re)use")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page")
    parser.add_argument(
        "--regenerate", action="store_true", help="rebuild the data even if it is there"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    db_path: Path = args.db.resolve()
    if args.regenerate or not ready(db_path):
        build(db_path, started)
        log(f"built {db_path}", started)
    else:
        log(f"reusing {db_path} (--regenerate rebuilds it)", started)
    summarised = time.perf_counter()
    kept = summarise(db_path)
    log(f"{kept} measure summaries computed in {time.perf_counter() - summarised:.1f} s", started)
    load_at_start = os.getloadavg()[0]
    on_cpu = contended()
    timings, facts = run(db_path, args.repeat)
    RESULTS.write_text(report(args.repeat, dataset(db_path), timings, facts, on_cpu, load_at_start))
    print()
    print(table(timings))
    print(f"\nwritten to {RESULTS}")
    problems = failures(timings, on_cpu)
    if problems:
        print("targets missed: " + "; ".join(problems), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
