"""Time the reminder scheduler's tick over a million reminders, sending to a local SMTP sink.

    python -m benchmarks.reminders                       # SQLite and PostgreSQL (if reachable)
    python -m benchmarks.reminders --database sqlite --rows 200000 --due 2000

Targets (the issue's): a tick over 1,000,000 reminder rows of which 10,000 are due sends
every due mail to a real SMTP server (aiosmtpd in its own process, on loopback) and stamps
it in under 60 seconds; a tick with nothing due takes under 50 ms (an index range, not a scan
of the table). Writes benchmarks/results/reminders.md; exits non-zero if a target is missed.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, insert, text

from config import Settings
from enforcement.accounts.users import hash_password
from enforcement.db import session_factory, writer
from enforcement.models import Organisation, Reminder, User, UserRole
from enforcement.reminders.notify import NotifyConfig
from enforcement.reminders.outbox import SmtpConfig, SmtpMailer
from enforcement.scheduler import scheduler_engine, tick

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "reminders.md"
SQLITE_DB = ROOT / "benchmarks" / "results" / "reminders.db"
PG_ADMIN_URL = os.environ.get(
    "TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PG_NAME = "tracker_bench_reminders"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TARGET_TICK_S = 60.0
TARGET_EMPTY_MS = 50.0
CHUNK = 20_000
USERS = 200
EMPTY_RUNS = 30


# --- the SMTP sink, run as its own process so it does not share the sender's interpreter ------


def run_sink(port: int, out: Path) -> None:
    """Accept mail on 127.0.0.1:port until SIGTERM, then write every Message-ID to `out`."""
    from aiosmtpd.controller import Controller

    ids: list[str] = []
    pattern = re.compile(rb"^Message-ID:\s*(\S+)", re.MULTILINE | re.IGNORECASE)

    class Handler:
        async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
            found = pattern.search(envelope.content)
            ids.append(found.group(1).decode() if found else "<none>")
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    stopped = False

    def _stop(_signum: int, _frame: Any) -> None:
        nonlocal stopped
        stopped = True

    signal.signal(signal.SIGTERM, _stop)
    print("ready", flush=True)
    while not stopped:
        time.sleep(0.05)
    controller.stop()
    out.write_text("\n".join(ids) + ("\n" if ids else ""))


class Sink:
    def __init__(self, workdir: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.out = workdir / f"sink-{self.port}.txt"
        self.proc = subprocess.Popen(  # noqa: S603 - our own module, by the running interpreter
            [sys.executable, "-m", "benchmarks.reminders", "--sink", str(self.port), str(self.out)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        if self.proc.stdout.readline().strip() != "ready":
            raise SystemExit("the SMTP sink did not start")

    def received(self) -> list[str]:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)
        ids = [line for line in self.out.read_text().splitlines() if line]
        self.out.unlink(missing_ok=True)
        return ids


# --- data ---------------------------------------------------------------------------------


def migrate(url: str) -> None:
    cfg = AlembicConfig(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    engine = create_engine(url)
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        if conn.in_transaction():
            conn.commit()
    engine.dispose()


def fill(engine: Engine, rows: int, due: int) -> dict[str, int]:
    """Insert users and `rows` reminders: `due` due now, the rest done or due later."""
    password = hash_password("benchmark-user-password")
    with engine.begin() as conn:
        org_id = conn.execute(
            insert(Organisation).returning(Organisation.id),
            {"name": "Benchmark Council", "kind": "council", "created_at": NOW},
        ).scalar_one()
        users = [
            {
                "email": f"officer{i}@bench.invalid",
                "display_name": f"Officer {i}",
                "password_hash": password,
                "organisation_id": org_id,
                "is_active": True,
                "must_change_password": False,
                "created_at": NOW,
                "version": 1,
                "digest_preference": "immediate",
            }
            for i in range(USERS)
        ]
        user_ids = list(conn.execute(insert(User).returning(User.id), users).scalars())
        conn.execute(
            insert(UserRole), [{"user_id": uid, "role": "licensing_officer"} for uid in user_ids]
        )
    later = rows - due
    open_later = later // 10
    counts = {"due": 0, "open later": 0, "done": 0}
    for start in range(0, rows, CHUNK):
        batch = []
        for i in range(start, min(rows, start + CHUNK)):
            owner = user_ids[i % USERS]
            row: dict[str, object] = {
                "subject_type": "enforcement_case",
                "subject_id": i + 1,
                "title": f"Closure order hearing for case BEN-{i + 1:07d}",
                "owner_user_id": owner,
                "statutory": False,
                "rule_id": None,
                "team": None,
                "premises_id": None,
            }
            if i < due:  # never planned yet: its first lead ("at once") is due now
                row.update(
                    kind="hearing",
                    due_at=NOW + timedelta(days=2, minutes=i % 600),
                    status="open",
                    created_at=NOW - timedelta(minutes=1 + i % 50),
                    next_send_at=NOW - timedelta(minutes=1 + i % 50),
                    leads=None,
                )
                counts["due"] += 1
            elif i < due + open_later:  # planned, its next lead weeks away
                row.update(
                    kind="licence_expiry",
                    due_at=NOW + timedelta(days=70 + i % 200),
                    status="open",
                    created_at=NOW - timedelta(days=30),
                    next_send_at=NOW + timedelta(days=10 + i % 200),
                    leads="60d,14d",
                )
                counts["open later"] += 1
            else:  # done long ago: nothing left to send
                row.update(
                    kind="follow_up_inspection",
                    due_at=NOW - timedelta(days=1 + i % 900),
                    status="done",
                    created_at=NOW - timedelta(days=20 + i % 900),
                    closed_at=NOW - timedelta(days=i % 900),
                    next_send_at=None,
                    leads="2d,on_day",
                )
                counts["done"] += 1
            batch.append(row)
        with engine.begin() as conn:
            conn.execute(insert(Reminder), batch)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return counts


# --- measuring ----------------------------------------------------------------------------


DUE_QUERY = (
    "SELECT id FROM reminders WHERE next_send_at <= :now ORDER BY next_send_at, id LIMIT 500"
)


def plan_of(engine: Engine) -> str:
    """Return the database's plan for the tick's "what is due" query."""
    now = NOW if engine.dialect.name == "postgresql" else NOW.replace(tzinfo=None)
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.execute(text("EXPLAIN QUERY PLAN " + DUE_QUERY), {"now": now}).all()
            return "; ".join(str(r[-1]) for r in rows)
        rows = conn.execute(text("EXPLAIN " + DUE_QUERY), {"now": now}).all()
        return "; ".join(str(r[0]).strip() for r in rows)


@dataclass
class Outcome:
    database: str
    rows: int
    due: int
    fill_s: float
    tick_s: float
    sent: int
    received: int
    distinct: int
    duplicates: int
    empty_median_ms: float
    empty_p95_ms: float
    plan: str

    @property
    def uses_index(self) -> bool:
        return "ix_reminders_next_send_at" in self.plan

    @property
    def ok(self) -> bool:
        return (
            self.tick_s < TARGET_TICK_S
            and self.empty_median_ms < TARGET_EMPTY_MS
            and self.sent == self.due == self.distinct == self.received
            and self.duplicates == 0
            and self.uses_index
        )


def measure(database: str, url: str, rows: int, due: int, workdir: Path) -> Outcome:
    print(f"[{database}] migrating and filling {rows:,} reminders ({due:,} due)...", flush=True)
    migrate(url)
    engine = scheduler_engine(url)
    started = time.perf_counter()
    counts = fill(engine, rows, due)
    fill_s = time.perf_counter() - started
    print(f"[{database}] filled in {fill_s:.1f} s: {counts}", flush=True)
    plan = plan_of(engine)
    sessions = session_factory(writer(engine))
    settings = Settings(database_url=url, mail_from="Bench <reminders@bench.invalid>")
    config = NotifyConfig.from_settings(settings)
    sink = Sink(workdir)
    mailer = SmtpMailer(SmtpConfig(host="127.0.0.1", port=sink.port, starttls=False))
    try:
        started = time.perf_counter()
        report = tick(sessions, NOW, mailer, settings, config=config)
        tick_s = time.perf_counter() - started
        print(f"[{database}] tick with {due:,} due: {tick_s:.1f} s; {report.summary()}", flush=True)
        empties = []
        for i in range(EMPTY_RUNS):
            started = time.perf_counter()
            empty = tick(sessions, NOW + timedelta(seconds=1 + i), mailer, settings, config=config)
            empties.append((time.perf_counter() - started) * 1000)
            assert empty.looked_at == 0 and empty.delivery.claimed == 0, empty.summary()
    finally:
        received = sink.received()
    engine.dispose()
    counted = Counter(received)
    empties.sort()
    return Outcome(
        database=database,
        rows=rows,
        due=due,
        fill_s=fill_s,
        tick_s=tick_s,
        sent=report.delivery.sent,
        received=len(received),
        distinct=len(counted),
        duplicates=sum(n - 1 for n in counted.values()),
        empty_median_ms=statistics.median(empties),
        empty_p95_ms=empties[int(len(empties) * 0.95) - 1],
        plan=plan,
    )


def sqlite_url() -> str:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{SQLITE_DB}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{SQLITE_DB}"


def postgres_url() -> tuple[str, Engine] | None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{PG_NAME}"'))
    except sqlalchemy.exc.OperationalError as exc:
        print(f"[postgresql] skipped: not reachable ({exc.orig})", flush=True)
        admin.dispose()
        return None
    return re.sub(r"/[^/]+$", f"/{PG_NAME}", PG_ADMIN_URL), admin


def write_results(outcomes: list[Outcome], args: argparse.Namespace) -> None:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Reminder scheduler benchmark: latest figures",
        "",
        f"Run {when} with `python -m benchmarks.reminders --rows {args.rows} --due {args.due}`: "
        "one tick at a fixed time over the whole table, sending every due mail over SMTP to an "
        "aiosmtpd sink in its own process on 127.0.0.1 and stamping each; then "
        f"{EMPTY_RUNS} ticks with nothing due.",
        "",
        "| Database | Reminder rows | Due | Tick with all due (s) | Mails sent / received / distinct | "
        "Duplicates | Empty tick median (ms) | Empty tick p95 (ms) | Due query uses the index |",
        "|---|---:|---:|---:|---|---:|---:|---:|---|",
    ]
    for o in outcomes:
        lines.append(
            f"| {o.database} | {o.rows:,} | {o.due:,} | {o.tick_s:.1f} | "
            f"{o.sent:,} / {o.received:,} / {o.distinct:,} | {o.duplicates} | "
            f"{o.empty_median_ms:.1f} | {o.empty_p95_ms:.1f} | {'yes' if o.uses_index else 'NO'} |"
        )
    lines += [
        "",
        f"Targets: the tick with {args.due:,} due under {TARGET_TICK_S:.0f} s, every due mail "
        f"received exactly once; a tick with nothing due under {TARGET_EMPTY_MS:.0f} ms "
        "(median), its due query an index range. Result: "
        + ("**met**." if all(o.ok for o in outcomes) else "**MISSED**."),
        "",
        "Plans of the due query:",
        "",
    ]
    lines += [f"- {o.database}: `{o.plan}`" for o in outcomes]
    lines += [
        "",
        "Data: of the rows, the due ones are hearings not yet planned (their 'at once' lead is "
        "due); a tenth of the rest are open licence expiries whose next lead is weeks away; the "
        f"others are done. {USERS} officers, one mail per due reminder. Filling took "
        + ", ".join(f"{o.fill_s:.0f} s on {o.database}" for o in outcomes)
        + " (not timed against any target).",
        "",
        f"Machine: CPUs (nproc) {os.cpu_count()}; Python {platform.python_version()}; "
        f"SQLite {sqlite3.sqlite_version}; SQLAlchemy {sqlalchemy.__version__}; "
        f"OS {platform.platform()}.",
        "",
    ]
    RESULTS.write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--sink", nargs=2, metavar=("PORT", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.sink:
        run_sink(int(args.sink[0]), Path(args.sink[1]))
        return 0
    if not 0 < args.due <= args.rows:
        parser.error("--due must be between 1 and --rows")
    workdir = RESULTS.parent
    outcomes: list[Outcome] = []
    if args.database in ("sqlite", "both"):
        outcomes.append(measure("SQLite", sqlite_url(), args.rows, args.due, workdir))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_DB}{suffix}").unlink(missing_ok=True)
    if args.database in ("postgresql", "both"):
        found = postgres_url()
        if found is not None:
            url, admin = found
            try:
                outcomes.append(measure("PostgreSQL", url, args.rows, args.due, workdir))
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)'))
                admin.dispose()
        elif args.database == "postgresql":
            return 2
    write_results(outcomes, args)
    print(RESULTS.read_text())
    return 0 if outcomes and all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
