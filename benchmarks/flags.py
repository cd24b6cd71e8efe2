"""Time the analyst's flag list over 100,000 flags, and `flask audit verify` over 2,000,000 events.

    python -m benchmarks.flags                        # the issue's sizes
    python -m benchmarks.flags --flags 20000 --events 200000

Targets (the issue's): the intelligence flag list for an analyst (filters plus the access
policy, audited as in the app) answers in under 100 ms at the median; verifying the audit
chain runs at under 30 seconds per million events. The database is its own SQLite file under
benchmarks/results/, built by the real migrations, filled by bulk inserts with a valid hash
chain. Writes benchmarks/results/flags.md; exits non-zero if a target is missed.
"""

from __future__ import annotations

import argparse
import platform
import random
import sqlite3
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy.orm import Session

from enforcement import audit_chain
from enforcement.access import Actor
from enforcement.db import make_engine, session_factory, writer
from enforcement.intelligence import flags

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "flags.md"
DB = ROOT / "benchmarks" / "results" / "flags.db"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TARGET_LIST_MS = 100.0
TARGET_VERIFY_S_PER_MILLION = 30.0
RUNS = 30
WARDS = [f"E0500{n:04d}" for n in range(1, 22)]
FORMS = ["sexual", "forced_labour", "criminal", "domestic_servitude", "cuckooing", "county_lines"]


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


def build(n_flags: int, n_events: int, rng: random.Random) -> None:
    """Create the database with the migrations, then bulk-insert flags and a chained trail."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{DB}")
    cfg = AlembicConfig(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()
    engine.dispose()
    db = sqlite3.connect(DB)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    created = _stamp(NOW - timedelta(days=1000))
    db.executemany(
        "INSERT INTO organisations (id, name, kind, created_at) VALUES (?, ?, ?, ?)",
        [(1, "Police", "police", created), (2, "Council", "council", created)],
    )
    db.execute(
        "INSERT INTO users (id, email, display_name, password_hash, organisation_id, is_active, "
        "must_change_password, created_at, version, digest_preference) "
        "VALUES (1, 'analyst@bench.invalid', 'Analyst', 'x', 1, 1, 0, ?, 1, 'immediate')",
        (created,),
    )
    db.execute("INSERT INTO user_roles (user_id, role) VALUES (1, 'intel_analyst')")
    statuses = ["open", "under_assessment", "actioned", "closed"]
    flag_rows, forms_rows, audience = [], [], []
    for fid in range(1, n_flags + 1):
        reported = NOW - timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))
        graded = rng.random() < 0.7
        conditional = graded and rng.random() < 0.2
        status = rng.choice(statuses)
        flag_rows.append(
            (
                fid,
                f"Location {fid}",
                rng.choice(WARDS),
                _stamp(reported),
                rng.choice(["police", "council", "charity", "helpline", "resident"]),
                "A report of concern at the location, kept deliberately generic for benchmarks.",
                status,
                "3x5x2" if graded else None,
                rng.choice("ABC") if graded else None,
                rng.choice("12345") if graded else None,
                ("C" if conditional else "P") if graded else None,
                "Police only" if conditional else None,
                1 if conditional else 0,
                None if status == "closed" else _stamp(reported + timedelta(days=90)),
                _stamp(reported),
                _stamp(reported),
            )
        )
        for form in rng.sample(FORMS, rng.choice((1, 1, 2))):
            forms_rows.append((fid, form))
        if conditional:
            audience.append((fid, 1 if rng.random() < 0.8 else 2))
    db.executemany(
        "INSERT INTO intel_flags (id, location_text, ward_code, reported_at, source_type, "
        "report_text, status, grade_scheme, source_grade, intelligence_grade, handling_code, "
        "handling_conditions, conditional, review_due_at, created_at, updated_at, version) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
        flag_rows,
    )
    db.executemany("INSERT INTO intel_flag_exploitation (flag_id, form) VALUES (?, ?)", forms_rows)
    db.executemany(
        "INSERT INTO intel_flag_organisations (flag_id, organisation_id) VALUES (?, ?)", audience
    )
    db.commit()
    prev = audit_chain.GENESIS
    start = NOW - timedelta(days=900)
    chunk: list[tuple[object, ...]] = []
    actions = ["intel_flag.view", "premises.update", "session.sign_in", "intel_flag.list"]
    for i in range(1, n_events + 1):
        at = start + timedelta(seconds=i * 30, microseconds=i % 1000)
        row = audit_chain.ChainRow(
            id=i,
            at=at,
            actor_id=1,
            actor_label="analyst@bench.invalid",
            action=actions[i % 4],
            entity_type="intel_flag",
            entity_id=str(i % max(1, n_flags) + 1),
            summary=f"Event {i}",
            before_json=None,
            after_json='{"shown": [1, 2, 3]}' if i % 4 == 3 else None,
            ip_address="10.0.0.1",
            prev_hash=prev,
            hash=None,
        )
        digest = audit_chain.event_hash(prev, row)
        chunk.append(
            (
                i,
                _stamp(at),
                1,
                row.actor_label,
                row.action,
                row.entity_type,
                row.entity_id,
                row.summary,
                None,
                row.after_json,
                "10.0.0.1",
                prev,
                digest,
            )
        )
        prev = digest
        if len(chunk) >= 50_000 or i == n_events:
            db.executemany(
                "INSERT INTO audit_events (id, at, actor_id, actor_label, action, entity_type, "
                "entity_id, summary, before_json, after_json, ip_address, prev_hash, hash) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                chunk,
            )
            db.commit()
            chunk = []
    db.execute("ANALYZE")
    db.commit()
    db.close()


QUERIES = {
    "no filters": flags.FlagQuery(),
    "status open": flags.FlagQuery(status="open"),
    "open, sexual exploitation": flags.FlagQuery(status="open", exploitation="sexual"),
    "one ward, review overdue": flags.FlagQuery(ward=WARDS[3], review_overdue=True),
    # The list pages only through the first COUNT_CAP (1,000) flags: page 20 is its last.
    "page 20": flags.FlagQuery(page=flags.COUNT_CAP // 50),
}


def measure_list() -> dict[str, float]:
    """Return the median milliseconds of each list query, run as the app runs it (audited)."""
    engine = make_engine(f"sqlite:///{DB}")
    sessions = session_factory(writer(engine))
    analyst = Actor(
        user_id=1,
        label="analyst@bench.invalid",
        roles=frozenset({"intel_analyst"}),
        organisation_id=1,
    )
    out: dict[str, float] = {}
    try:
        for label, q in QUERIES.items():
            times = []
            for _ in range(RUNS):
                with sessions() as session:
                    started = time.perf_counter()
                    page = flags.search_flags(session, analyst, NOW, q)
                    session.flush()
                    times.append((time.perf_counter() - started) * 1000)
                    assert page.rows, label
                    session.rollback()
            out[label] = statistics.median(times)
    finally:
        engine.dispose()
    return out


def measure_verify() -> tuple[float, int, bool]:
    engine = make_engine(f"sqlite:///{DB}")
    try:
        with Session(engine) as session:
            started = time.perf_counter()
            verdict = audit_chain.verify(session)
            took = time.perf_counter() - started
    finally:
        engine.dispose()
    return took, verdict.checked, verdict.ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flags", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep an existing database")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if not (args.reuse and DB.exists()):
        build(args.flags, args.events, random.Random(2026))
    built = time.perf_counter() - started
    lists = measure_list()
    verify_s, checked, ok = measure_verify()
    per_million = verify_s / max(checked, 1) * 1_000_000
    worst = max(lists.values())
    passed = ok and worst < TARGET_LIST_MS and per_million < TARGET_VERIFY_S_PER_MILLION
    lines = [
        "# Intelligence flags and the audit trail",
        "",
        f"{args.flags:,} flags and {args.events:,} chained audit events on SQLite "
        f"(built by the migrations in {built:.0f}s); Python {platform.python_version()}, "
        f"{platform.machine()}. Produced by `python -m benchmarks.flags`.",
        "",
        f"## Analyst's flag list (median of {RUNS} runs, policy and audit event included)",
        "",
        "| filters | median ms | target |",
        "| --- | ---: | ---: |",
        *[f"| {label} | {ms:.1f} | < {TARGET_LIST_MS:.0f} |" for label, ms in lists.items()],
        "",
        "## `flask audit verify`",
        "",
        f"Checked {checked:,} events in {verify_s:.1f}s ({per_million:.1f}s per million; "
        f"target < {TARGET_VERIFY_S_PER_MILLION:.0f}s per million); chain intact: {ok}.",
        "",
        f"Result: {'all targets met' if passed else 'TARGET MISSED'}.",
        "",
    ]
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
