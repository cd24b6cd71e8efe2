"""Time a register import of a 50,000-row esd licence file: preview and confirm, then again.

    python -m benchmarks.register_import                     # SQLite and PostgreSQL (if reachable)
    python -m benchmarks.register_import --database sqlite --rows 10000

Targets (the issue's): previewing and confirming a 50,000-row esd file (every row new) under
30 s; importing the same file again, nothing changing, under 15 s. Each run builds a fresh
database with the real migrations and times the code `flask register import` and the upload
page run (enforcement.registerio.runs.preview, then importing.apply_plan and one commit).
Writes benchmarks/results/register_import.md; exits non-zero if a target is missed.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import random
import sqlite3
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import create_engine, func, select, text

from enforcement.access import Actor
from enforcement.db import make_engine, session_factory, writer
from enforcement.models import Licence, Reminder
from enforcement.register.importers.licence_csv import KNOWN_COLUMNS
from enforcement.registerio import importing, runs

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "register_import.md"
SQLITE_DB = ROOT / "benchmarks" / "results" / "register_import.db"
PG_ADMIN_URL = os.environ.get(
    "TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PG_NAME = "tracker_bench_register_import"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TARGET_FIRST_S = 30.0
TARGET_AGAIN_S = 15.0
AREA = runs.Area(council_name="London Borough of Hammersmith & Fulham")
STREETS = ("King Street", "Fulham Road", "Uxbridge Road", "Askew Road", "Goldhawk Road")
CONDITIONS = (
    "CCTV shall be installed and kept working",
    "A Challenge 25 policy shall operate",
    "No drinks shall be taken outside after 22:00",
    "The anti-trafficking poster shall be displayed in the staff area",
    "Door supervisors shall be employed from 21:00 on Fridays and Saturdays",
)


def esd_file(rows: int, seed: int = 2026) -> bytes:
    """A made-up register of `rows` premises licences in the esd schema."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer_ = csv.DictWriter(out, fieldnames=KNOWN_COLUMNS, lineterminator="\r\n")
    writer_.writeheader()
    for i in range(rows):
        start = date(2010, 1, 1) + timedelta(days=rng.randint(0, 5000))
        end = start + timedelta(days=365 * 5) if rng.random() < 0.4 else None
        writer_.writerow(
            {
                "CaseReference": f"LN/{i:06d}",
                "CaseDate": f"{start:%d/%m/%Y}",
                "ServiceTypeLabel": "Premises licence",
                "PremisesName": f"Premises {i}",
                "LocationText": f"{rng.randint(1, 400)} {rng.choice(STREETS)}, London",
                "Postcode": f"W{rng.choice((6, 12, 14))} {rng.randint(0, 9)}{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRSTU')}",
                "EntertainmentTypeLabel": "Live music|Recorded music" if i % 3 == 0 else "",
                "LateNightRefreshment": rng.choice(("Yes", "No", "")),
                "OnPremisesAlcoholSale": rng.choice(("Yes", "No")),
                "OffPremisesAlcoholSale": rng.choice(("Yes", "No")),
                "OpeningHours": "Mo-Su 10:00-23:00",
                "StatusLabel": rng.choice(
                    ("Current", "Approved", "Subject to review", "Surrendered")
                ),
                "LicenceStartDate": f"{start:%d/%m/%Y}",
                "LicenceEndDate": f"{end:%d/%m/%Y}" if end else "",
                "LicenceHolder": f"Holder {i} Ltd",
                "DesignatedPremisesSupervisor": f"Supervisor {i}",
                "SupervisorLicenceNo": f"PA/{i:06d}",
                "Conditions": "|".join(rng.sample(CONDITIONS, k=rng.randint(1, 5))),
                "UPRN": str(100_000_000_000 + i),
            }
        )
    return out.getvalue().encode("utf-8")


def _upgrade(url: str) -> None:
    cfg = AlembicConfig(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    engine = create_engine(url)
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        if conn.in_transaction():
            conn.commit()
    engine.dispose()


def sqlite_url() -> str:
    SQLITE_DB.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{SQLITE_DB}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{SQLITE_DB}"


def pg_url() -> str | None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{PG_NAME}"'))
    except sqlalchemy.exc.OperationalError:
        return None
    finally:
        admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_NAME}"


@dataclass
class Timing:
    database: str
    step: str
    preview_s: float
    apply_s: float
    counts: dict[str, int]

    @property
    def total(self) -> float:
        return self.preview_s + self.apply_s


def _import(url: str, data: bytes, database: str, step: str) -> Timing:
    engine = make_engine(url)
    sessions = session_factory(writer(engine))
    actor = Actor.system("benchmark")
    with sessions() as session:
        started = time.perf_counter()
        plan = runs.preview(session, NOW, "esd", data, importing.Options(), AREA)
        previewed = time.perf_counter()
        importing.apply_plan(session, actor, NOW, plan, importing.Options(), source="bench")
        session.commit()
        applied = time.perf_counter()
        licences = session.scalar(select(func.count()).select_from(Licence)) or 0
        reminders = session.scalar(select(func.count()).select_from(Reminder)) or 0
    engine.dispose()
    counts = {**plan.counts(), "licences": licences, "reminders": reminders}
    return Timing(database, step, previewed - started, applied - previewed, counts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args(argv)
    data = esd_file(args.rows)
    targets: list[tuple[str, str]] = []
    if args.database in ("sqlite", "both"):
        targets.append(("SQLite", sqlite_url()))
    if args.database in ("postgresql", "both"):
        url = pg_url()
        if url is None:
            print("PostgreSQL is not reachable: measured on SQLite only.")
        else:
            targets.append(("PostgreSQL", url))
    timings: list[Timing] = []
    for name, url in targets:
        _upgrade(url)
        first = _import(url, data, name, "first import (every row new)")
        again = _import(url, data, name, "the same file again (nothing changes)")
        timings += [first, again]
        for t in (first, again):
            print(
                f"{name}: {t.step}: preview {t.preview_s:.1f} s + confirm {t.apply_s:.1f} s = {t.total:.1f} s; {t.counts}"
            )
    missed = [
        t
        for t in timings
        if t.total >= (TARGET_FIRST_S if t.step.startswith("first") else TARGET_AGAIN_S)
    ]
    lines = [
        "# Register import benchmark",
        "",
        f"{args.rows:,} esd rows; Python {platform.python_version()}, SQLite {sqlite3.sqlite_version},"
        f" load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.",
        "",
        "| database | step | preview s | confirm s | total s | target s |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for t in timings:
        target = TARGET_FIRST_S if t.step.startswith("first") else TARGET_AGAIN_S
        lines.append(
            f"| {t.database} | {t.step} | {t.preview_s:.1f} | {t.apply_s:.1f} | {t.total:.1f} | {target:.0f} |"
        )
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"Wrote {RESULTS}")
    for t in missed:
        print(f"MISSED: {t.database} {t.step}: {t.total:.1f} s", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
