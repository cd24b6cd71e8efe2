"""Time the poster compliance view on 50,000 premises and 200,000 inspections, SQLite and PostgreSQL."""

from __future__ import annotations

import argparse
import csv
import io
import math
import os
import random
import re
import secrets
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from flask.testing import FlaskClient
from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    Table,
    create_engine,
    event,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app import create_app
from benchmarks import generate as gen
from benchmarks.run import CSRF, SECRET, StatementCounter, machine, percentile
from config import Settings
from enforcement import audit_chain
from enforcement.accounts.users import hash_password
from enforcement.db import make_engine
from enforcement.inspections import inspections as inspections_domain
from enforcement.inspections.poster import PosterCheck, assess_poster
from enforcement.models import (
    AuditEvent,
    Base,
    Inspection,
    InspectionLanguage,
    InspectionOfficer,
    Language,
    Licence,
    PremisesCompliance,
    PremisesLanguage,
    User,
    UserRole,
)
from enforcement.register.rules import TRADING_STATUSES
from enforcement.vocab import InspectionReason, Role

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = ROOT / "benchmarks" / "results" / "compliance.db"
RESULTS = ROOT / "benchmarks" / "results" / "compliance.md"
DEFAULT_PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TARGET_MEDIAN_MS = 200.0
WARM_UP = 10
N_INSPECTIONS = 200_000
# The share of premises with an active licence that have never been inspected.
NEVER_INSPECTED = 0.10

# The supervisor the benchmark signs in as; the database is throwaway, so the password is too.
SUPERVISOR_EMAIL = "bench.supervisor@bench.invalid"
SUPERVISOR_PASSWORD = "bench-supervisor-2026"  # noqa: S105 - a throwaway benchmark account

# Inspections fall where the risk is: special treatment and sexual entertainment premises more.
TYPE_RATE = {
    "nail_bar": 3.0,
    "massage": 3.0,
    "sexual_entertainment": 3.0,
    "late_night_refreshment": 1.5,
    "car_wash": 1.5,
}
REASONS = (
    (InspectionReason.ROUTINE.value, 70),
    (InspectionReason.COMPLAINT.value, 20),
    (InspectionReason.JOINT_OPERATION.value, 10),
)
PAGES = (
    ("compliance", "Ward compliance view", "/compliance"),
    ("csv", "Compliance CSV export", "/compliance.csv"),
)


# --- the data ----------------------------------------------------------------------------------


def _head_revision() -> str:
    cfg = AlembicConfig(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


def ready(db_path: Path) -> bool:
    """Say whether db_path already holds this benchmark's data at the current migration head."""
    if not db_path.is_file():
        return False
    engine = create_engine(f"sqlite:///{db_path}")
    try:
        with engine.connect() as conn:
            names = set(inspect(conn).get_table_names())
            if not {"alembic_version", "inspections", "users"} <= names:
                return False
            version = conn.scalar(text("SELECT version_num FROM alembic_version"))
            count = conn.scalar(select(func.count()).select_from(Inspection))
            supervisor = conn.scalar(select(User.id).where(User.email == SUPERVISOR_EMAIL))
            return version == _head_revision() and count == N_INSPECTIONS and supervisor is not None
    finally:
        engine.dispose()


def _inspection_times(rng: random.Random, k: int) -> list[datetime]:
    """k visit times, oldest first, in the 3 years of the generated data, in working hours."""
    days = (gen.END - gen.START).days
    out = []
    for _ in range(k):
        day = gen.START + timedelta(days=rng.randrange(days))
        # 08:00 to 20:00 UTC: a working day in London, whatever the season.
        out.append(
            day.replace(hour=8, minute=0, second=0, microsecond=0)
            + timedelta(minutes=rng.randrange(12 * 60))
        )
    return sorted(out)


def plan_inspections(
    conn: Connection, rng: random.Random, n: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Plan n inspections of licensed premises, their officers and languages, and compliance rows.

    Each poster check is judged by enforcement.inspections.poster.assess_poster, and the compliance rows are
    worked out as enforcement.inspections.inspections._refresh_compliance does: the latest inspection by
    (inspected_at, id), with the needed languages the poster was not displayed in.
    """
    licensed: dict[int, int] = dict(
        conn.execute(
            select(Licence.premises_id, func.min(Licence.id))
            .where(Licence.status.in_(TRADING_STATUSES))
            .group_by(Licence.premises_id)
            .order_by(Licence.premises_id)
        ).all()
    )
    types: dict[int, str] = dict(
        (r[0], r[1]) for r in conn.execute(text("SELECT id, premises_type FROM premises"))
    )
    needed: dict[int, frozenset[str]] = {}
    for pid, code in conn.execute(
        select(PremisesLanguage.premises_id, PremisesLanguage.language_code)
    ):
        needed[pid] = needed.get(pid, frozenset()) | {code}
    names = {code: name for code, name in conn.execute(select(Language.code, Language.name))}
    officers = sorted(
        conn.scalars(
            select(UserRole.user_id)
            .join(User, User.id == UserRole.user_id)
            .where(
                UserRole.role.in_([Role.LICENSING_OFFICER.value, Role.SUPERVISOR.value]),
                User.is_active.is_(True),
            )
            .distinct()
        )
    )
    # Every inspected premises gets one visit; the rest go where the risk (and chance) is.
    ids = sorted(licensed)
    inspected = sorted(rng.sample(ids, round(len(ids) * (1 - NEVER_INSPECTED))))
    weights = [TYPE_RATE.get(types[p], 1.0) * rng.lognormvariate(0, 0.6) for p in inspected]
    visits = dict.fromkeys(inspected, 1)
    for p in rng.choices(inspected, weights=weights, k=n - len(inspected)):
        visits[p] += 1

    planned: list[tuple[datetime, int, dict[str, Any], list[tuple[str, str]]]] = []
    for pid in inspected:
        need = needed.get(pid, frozenset())
        failed_before = False
        for at in _inspection_times(rng, visits[pid]):
            reason = (
                InspectionReason.FOLLOW_UP.value
                if failed_before and rng.random() < 0.6
                else str(gen.weighted(rng, REASONS))
            )
            displayed = rng.random() < 0.8
            public = displayed and rng.random() < 0.9
            workers = displayed and rng.random() < 0.75
            shown = (
                frozenset(c for c in sorted(need) if rng.random() < 0.8)
                | ({"en"} if rng.random() < 0.5 and "en" in names else set())
                if displayed
                else frozenset()
            )
            result = assess_poster(PosterCheck(displayed, public, workers, shown), need, names)
            created = min(at + timedelta(minutes=rng.randint(5, 2880)), gen.END)
            author = rng.choice(officers)
            row = {
                "premises_id": pid,
                "licence_id": licensed[pid],
                "inspected_at": at,
                "reason": reason,
                "joint_with_police": reason == InspectionReason.JOINT_OPERATION
                or rng.random() < 0.05,
                "other_officers": None,
                "observations": None,
                "poster_displayed": displayed,
                "poster_visible_public": public,
                "poster_visible_workers": workers,
                "poster_compliant": result.compliant,
                "poster_shortfall": None if result.compliant else result.summary[:400],
                "poster_photo_id": None,
                "follow_up_needed": not result.compliant,
                "author_id": author,
                "idempotency_key": f"{rng.getrandbits(128):032x}",
                "created_at": created,
                "updated_at": created,
                "version": 1,
            }
            languages = [(c, "displayed") for c in sorted(shown)] + [
                (c, "needed") for c in sorted(need)
            ]
            planned.append((at, pid, row, languages))
            failed_before = not result.compliant
    # Ids follow the time of the visit, as they would in a live register.
    planned.sort(key=lambda item: (item[0], item[1]))

    rows: list[dict[str, Any]] = []
    officer_rows: list[dict[str, Any]] = []
    language_rows: list[dict[str, Any]] = []
    latest: dict[int, tuple[datetime, int, dict[str, Any], list[tuple[str, str]]]] = {}
    for number, (at, pid, row, languages) in enumerate(planned, start=1):
        row["id"] = number
        rows.append(row)
        officer_rows.append({"inspection_id": number, "user_id": row["author_id"]})
        language_rows.extend(
            {"inspection_id": number, "language_code": c, "role": role} for c, role in languages
        )
        current = latest.get(pid)
        if current is None or (at, number) > (current[0], current[1]):
            latest[pid] = (at, number, row, languages)
    compliance = []
    for pid, (at, number, row, languages) in sorted(latest.items()):
        needed_then = {c for c, role in languages if role == "needed"}
        shown_then = {c for c, role in languages if role == "displayed"}
        missing = (
            sorted(needed_then - shown_then) if row["poster_displayed"] else sorted(needed_then)
        )
        compliance.append(
            {
                "premises_id": pid,
                "latest_inspection_id": number,
                "last_inspected_at": at,
                "poster_compliant": row["poster_compliant"],
                "missing_languages": ",".join(missing)[:400] or None,
            }
        )
    return rows, officer_rows, language_rows, compliance


def add_supervisor(conn: Connection) -> None:
    next_id = (conn.scalar(select(func.max(User.id))) or 0) + 1
    conn.execute(
        insert(cast(Table, User.__table__)),
        {
            "id": next_id,
            "email": SUPERVISOR_EMAIL,
            "display_name": "Bench Supervisor",
            "password_hash": hash_password(SUPERVISOR_PASSWORD),
            "organisation_id": 1,
            "is_active": True,
            "must_change_password": False,
            "created_at": gen.START - timedelta(days=60),
            "last_sign_in_at": None,
            "version": 1,
        },
    )
    conn.execute(
        insert(cast(Table, UserRole.__table__)),
        {"user_id": next_id, "role": Role.SUPERVISOR.value},
    )


def check_compliance_rows(engine: Engine, rng: random.Random, sample: int = 500) -> None:
    """Recompute a sample of compliance rows with the domain's own function; they must agree."""
    with Session(engine) as session:
        pids = list(session.scalars(select(PremisesCompliance.premises_id)))
        chosen = rng.sample(pids, min(sample, len(pids)))
        stored = {
            r.premises_id: (
                r.latest_inspection_id,
                r.last_inspected_at,
                r.poster_compliant,
                r.missing_languages,
            )
            for r in session.scalars(
                select(PremisesCompliance).where(PremisesCompliance.premises_id.in_(chosen))
            )
        }
        session.expunge_all()
        for pid in chosen:
            inspections_domain._refresh_compliance(session, pid)
        session.flush()
        for pid in chosen:
            r = session.get(PremisesCompliance, pid)
            assert r is not None
            again = (
                r.latest_inspection_id,
                r.last_inspected_at,
                r.poster_compliant,
                r.missing_languages,
            )
            if again != stored[pid]:
                raise SystemExit(
                    f"compliance row of premises {pid}: stored {stored[pid]}, domain {again}"
                )
        session.rollback()


def build(db_path: Path, started: float, seed: int = 1, scale: float = 1.0) -> None:
    """Build the foundation's borough with benchmarks.generate, then add inspections to it.

    scale multiplies every size (premises, licences, audit events, inspections); 1 is the
    default borough the figures in benchmarks/README.md are measured on.
    """
    gen.generate(
        db_path,
        n_premises=round(50_000 * scale),
        n_licences=round(60_000 * scale),
        n_audit=round(500_000 * scale),
        seed=seed,
    )
    rng = random.Random(seed + 1000)
    engine = make_engine(f"sqlite:///{db_path}")
    gen._fast_sqlite(engine)
    with engine.begin() as conn:
        add_supervisor(conn)
        rows, officers, languages, compliance = plan_inspections(
            conn, rng, round(N_INSPECTIONS * scale)
        )
        gen.log(f"planned {len(rows):,} inspections of {len(compliance):,} premises", started)
        gen.write(conn, Inspection, rows, "inspections", started)
        gen.write(conn, InspectionOfficer, officers, "inspection officers", started)
        gen.write(conn, InspectionLanguage, languages, "inspection languages", started)
        gen.write(conn, PremisesCompliance, compliance, "premises compliance", started)
    check_compliance_rows(engine, rng)
    if "hash" in cast(Table, AuditEvent.__table__).c:
        with Session(engine) as session:
            verdict = audit_chain.verify(session)
        if not verdict.ok:
            raise SystemExit(f"audit chain broken at event {verdict.broken_id}: {verdict.problem}")
        gen.log(f"audit chain verified over {verdict.checked:,} events", started)
    gen.log(
        "compliance rows agree with enforcement.inspections.inspections._refresh_compliance",
        started,
    )
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()


# --- PostgreSQL: a throwaway copy of the same data --------------------------------------------


def copy_to_postgres(sqlite: Engine, pg: Engine, started: float) -> None:
    """Copy every table's rows from the SQLite database into the migrated PostgreSQL one."""
    with sqlite.connect() as src, pg.connect() as dst:
        present = set(inspect(src).get_table_names())
        raw = dst.connection.driver_connection
        assert raw is not None
        for table in Base.metadata.sorted_tables:
            if table.name not in present:
                continue
            if dst.scalar(select(func.count()).select_from(table)):
                continue  # seeded by a migration (the languages), identical on both
            # Only the columns both databases have: another change's model may be ahead of
            # its migration while this runs.
            theirs = {c["name"] for c in inspect(dst).get_columns(table.name)}
            ours = {c["name"] for c in inspect(src).get_columns(table.name)}
            columns = [c.name for c in table.columns if c.name in theirs & ours]
            quoted = ", ".join(f'"{c}"' for c in columns)
            total = 0
            with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as cp:
                for row in src.execute(select(*(table.c[c] for c in columns))).yield_per(20_000):
                    cp.write_row(tuple(row))
                    total += 1
            if total:
                gen.log(f"  copied {table.name}: {total:,} rows", started)
        raw.commit()
        # Explicit ids were copied: move each id sequence past them, or inserts would collide.
        for table in Base.metadata.sorted_tables:
            pk = list(table.primary_key.columns)
            if table.name in present and len(pk) == 1 and isinstance(pk[0].type, Integer):
                dst.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "  # noqa: S608
                        f'COALESCE((SELECT MAX("{pk[0].name}") FROM "{table.name}"), 0) + 1, false) '
                        f"WHERE pg_get_serial_sequence('{table.name}', '{pk[0].name}') IS NOT NULL"
                    )
                )
        dst.commit()
    # Statistics for the planner, and the visibility map a settled database has (autovacuum
    # would build it soon after a bulk load; without it index-only scans visit the heap).
    with pg.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE)")


class ThrowawayPostgres:
    """A database made for one run on the local server, dropped at the end whatever happens."""

    def __init__(self, admin_url: str) -> None:
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.name = f"bench_compliance_{secrets.token_hex(4)}"
        self.url = re.sub(r"/[^/]*$", f"/{self.name}", admin_url)

    def __enter__(self) -> ThrowawayPostgres:
        try:
            with self.admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{self.name}"')
        except OperationalError as exc:
            self.admin.dispose()
            raise SystemExit(
                f"PostgreSQL is not reachable ({exc.orig}): start it, or pass --skip-postgres"
            ) from exc
        return self

    def __exit__(self, *_exc: object) -> None:
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.admin.dispose()


# --- timing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    database: str
    key: str
    title: str
    url: str
    median_ms: float
    p95_ms: float
    max_ms: float
    statements: int


def sign_in(client: FlaskClient) -> None:
    """Sign in through the real form as the benchmark's supervisor."""
    page = client.get("/sign-in")
    token = CSRF.search(page.get_data(as_text=True))
    if page.status_code != 200 or token is None:
        raise SystemExit(f"sign-in page failed: {page.status_code}")
    response = client.post(
        "/sign-in",
        data={
            "email": SUPERVISOR_EMAIL,
            "password": SUPERVISOR_PASSWORD,
            "csrf_token": token.group(1),
        },
    )
    if response.status_code != 302:
        raise SystemExit(f"sign-in as {SUPERVISOR_EMAIL} failed ({response.status_code})")


def measure(
    client: FlaskClient, counter: StatementCounter, url: str, repeat: int
) -> tuple[list[float], int, str]:
    timings: list[float] = []
    statements: set[int] = set()
    body = ""
    for i in range(WARM_UP + repeat):
        counter.count = 0
        began = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - began
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        if i >= WARM_UP:
            timings.append(elapsed * 1000)
            statements.add(counter.count)
        body = response.get_data(as_text=True)
    if len(statements) != 1:
        raise SystemExit(f"{url}: the statement count varied: {sorted(statements)}")
    return timings, statements.pop(), body


def time_pages(database: str, url: str, repeat: int) -> tuple[list[Timing], str]:
    """Time each page on one database; return the timings and the CSV the export gave."""
    app = create_app(Settings(database_url=url, secret_key=SECRET, testing=True))
    engine: Engine = app.extensions["engine"]
    counter = StatementCounter()
    event.listen(engine, "before_cursor_execute", counter)
    client = app.test_client()
    sign_in(client)
    out: list[Timing] = []
    csv_text = ""
    try:
        for key, title, path in PAGES:
            samples, statements, body = measure(client, counter, path, repeat)
            if key == "compliance" and "All wards" not in body:
                raise SystemExit("the compliance page has no All wards row")
            if key == "csv":
                csv_text = body
            timing = Timing(
                database,
                key,
                title,
                path,
                statistics.median(samples),
                percentile(samples, 0.95),
                max(samples),
                statements,
            )
            print(
                f"{database}: {title}: median {timing.median_ms:.1f} ms, "
                f"p95 {timing.p95_ms:.1f} ms, max {timing.max_ms:.1f} ms, "
                f"{statements} statements",
                flush=True,
            )
            out.append(timing)
    finally:
        engine.dispose()
    return out, csv_text


def expected_totals(engine: Engine) -> dict[str, int]:
    """Count the overall figures straight from the tables, to check the page's sums against."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                """
                SELECT COUNT(*), COUNT(c.premises_id),
                       SUM(CASE WHEN c.poster_compliant THEN 1 ELSE 0 END)
                FROM premises p LEFT JOIN premises_compliance c ON c.premises_id = p.id
                WHERE p.id IN (SELECT premises_id FROM licences WHERE status = 'active')
                """
            )
        ).one()
    return {"licensed": row[0], "checked": row[1], "compliant": int(row[2] or 0)}


def _csv_rows(text_: str) -> list[tuple[str, ...]]:
    """The CSV's ward rows without the 12-month column (it moves with the clock), sorted."""
    rows = list(csv.reader(io.StringIO(text_)))[1:]
    return sorted(tuple(r[:7]) for r in rows)


def check_csv(text_: str, totals: dict[str, int]) -> None:
    overall = [r for r in csv.reader(io.StringIO(text_)) if len(r) > 1 and r[1] == "All wards"]
    if len(overall) != 1:
        raise SystemExit("the CSV has no All wards row")
    got = {
        "licensed": int(overall[0][2]),
        "checked": int(overall[0][3]),
        "compliant": int(overall[0][4]),
    }
    if got != totals:
        raise SystemExit(f"the CSV's totals {got} differ from the tables' {totals}")


# --- the report --------------------------------------------------------------------------------


def dataset(engine: Engine) -> dict[str, int]:
    tables = (
        "premises",
        "licences",
        "inspections",
        "inspection_languages",
        "premises_compliance",
        "audit_events",
    )
    with engine.connect() as conn:
        return {
            t: int(conn.scalar(text(f"SELECT COUNT(*) FROM {t}")) or 0)  # noqa: S608
            for t in tables
        }


def table(timings: list[Timing]) -> str:
    lines = [
        "| Database | Page | URL | Median ms | p95 ms | Max ms | SQL statements |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for t in timings:
        lines.append(
            f"| {t.database} | {t.title} | `{t.url}` | {t.median_ms:.1f} | {t.p95_ms:.1f} | "
            f"{t.max_ms:.1f} | {t.statements} |"
        )
    return "\n".join(lines)


def failures(timings: list[Timing]) -> list[str]:
    return [
        f"{t.database} {t.title}: median {t.median_ms:.1f} ms >= {TARGET_MEDIAN_MS:.0f} ms"
        for t in timings
        if t.median_ms >= TARGET_MEDIAN_MS
    ]


def report(
    repeat: int,
    counts: dict[str, int],
    totals: dict[str, int],
    timings: list[Timing],
    problems: list[str],
    notes: list[str],
    pg_version: str | None,
) -> str:
    info = machine() | ({"PostgreSQL": pg_version} if pg_version else {})
    # Other work on the machine moves these figures: say how busy it was at the end of the run.
    info["load average (1, 5, 15 min) at the end"] = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    verdict = "**met**" if not problems else "**missed**: " + "; ".join(problems)
    share = totals["compliant"] / totals["licensed"] if totals["licensed"] else math.nan
    return "\n".join(
        [
            "# Poster compliance benchmark: latest figures",
            "",
            f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `python -m benchmarks.compliance "
            f"--repeat {repeat}`: {WARM_UP} warm-up requests, then {repeat} timed GET requests "
            "per page through the Flask test client, signed in as a supervisor; SQL statements "
            "are per request (sign-in check included, transaction control left out). The CSV "
            "export also writes its audit event and commits on every request.",
            "",
            "Data: " + ", ".join(f"{n:,} {t.replace('_', ' ')}" for t, n in counts.items()) + ".",
            f"Premises with an active licence: {totals['licensed']:,}, of which "
            f"{totals['checked']:,} inspected and {totals['compliant']:,} "
            f"({share:.1%}) compliant at their latest poster check.",
            "",
            table(timings),
            "",
            f"Target: median under {TARGET_MEDIAN_MS:.0f} ms on each database. Result: {verdict}.",
            *(["", *notes] if notes else []),
            "",
            "Machine: " + "; ".join(f"{k} {v}" for k, v in info.items()) + ".",
            "",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help="SQLite file to (re)use")
    parser.add_argument("--repeat", type=int, default=50, help="timed requests per page")
    parser.add_argument(
        "--regenerate", action="store_true", help="rebuild the SQLite data even if it is there"
    )
    parser.add_argument("--skip-postgres", action="store_true", help="time SQLite only")
    parser.add_argument(
        "--pg-admin-url",
        default=os.environ.get("TEST_PG_ADMIN_URL", DEFAULT_PG_ADMIN),
        help="a PostgreSQL database to connect to while creating and dropping the throwaway one "
        "(default: $TEST_PG_ADMIN_URL, or postgres@127.0.0.1:5432/test)",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    db_path: Path = args.db.resolve()
    if args.regenerate or not ready(db_path):
        build(db_path, started)
    else:
        gen.log(f"reusing {db_path} (--regenerate rebuilds it)", started)

    sqlite_engine = make_engine(f"sqlite:///{db_path}")
    counts = dataset(sqlite_engine)
    totals = expected_totals(sqlite_engine)
    timings, sqlite_csv = time_pages("SQLite", f"sqlite:///{db_path}", args.repeat)
    check_csv(sqlite_csv, totals)
    notes: list[str] = []
    pg_version: str | None = None
    if not args.skip_postgres:
        with ThrowawayPostgres(args.pg_admin_url) as pg:
            gen.log(f"PostgreSQL: created {pg.name}", started)
            pg_engine = make_engine(pg.url)
            try:
                gen.migrate(pg_engine)
                copy_to_postgres(sqlite_engine, pg_engine, started)
                gen.log("PostgreSQL: data copied, vacuumed and analysed", started)
                with pg_engine.connect() as conn:
                    pg_version = str(conn.scalar(text("SHOW server_version")))
                pg_timings, pg_csv = time_pages("PostgreSQL", pg.url, args.repeat)
                check_csv(pg_csv, expected_totals(pg_engine))
                if _csv_rows(pg_csv) != _csv_rows(sqlite_csv):
                    raise SystemExit("the CSV differs between SQLite and PostgreSQL")
                timings += pg_timings
            finally:
                pg_engine.dispose()
        gen.log(f"PostgreSQL: dropped {pg.name}", started)
        notes.append(
            "PostgreSQL: a throwaway database on the local server, built by the real "
            "migrations, loaded with the same rows by COPY, then VACUUM (ANALYZE); dropped at "
            "the end. "
            "Both databases' CSV exports gave the same figures."
        )
    sqlite_engine.dispose()

    problems = failures(timings)
    RESULTS.write_text(report(args.repeat, counts, totals, timings, problems, notes, pg_version))
    print()
    print(table(timings))
    print(f"\nwritten to {RESULTS}")
    if problems:
        print("TARGET MISSED: " + "; ".join(problems), file=sys.stderr)
        return 1
    print("target met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
