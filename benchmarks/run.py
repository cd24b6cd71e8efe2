"""Time the premises list and detail pages on the generated database through the Flask test client."""

from __future__ import annotations

import argparse
import os
import platform
import re
import sqlite3
import statistics
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import sqlalchemy
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, event

from app import create_app
from benchmarks.generate import BENCH_EMAIL, BENCH_PASSWORD, DEFAULT_DB, generate
from config import Settings
from enforcement.paging import COUNT_CAP

RESULTS = Path(__file__).resolve().parent / "results" / "latest.md"
SECRET = "benchmark-only-secret-key-0123456789abcdef"  # noqa: S105 - a throwaway test app
TARGET_MEDIAN_MS = 50.0
TARGET_P95_MS = 150.0
# Every list page, whatever it shows, runs at most this many statements (sign-in check included).
QUERY_CEILING = 12
WARM_UP = 10
PAGE_SIZE = 50

# A street word most of the borough shares, narrowed by two licence filters: about 15,000
# premises on the default data, so page 100 is deep in the result, not past its end.
SEARCH = {"q": "road", "regime": "premises_licence", "licence_status": "active"}

ROW_LINK = re.compile(r'class="govuk-link" href="/premises/(\d+)"')
TOTAL = re.compile(r"of (more than )?([\d,]+) premises")
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    url: str
    expect_rows: int | None  # exact number of rows the page must show, when known
    min_total: int = 0
    targeted: bool = False  # the targets apply (a failure makes the run fail)


@dataclass(frozen=True)
class Result:
    scenario: Scenario
    median_ms: float
    p95_ms: float
    max_ms: float
    statements: int
    rows: int
    total: int | None
    capped: bool = False


class StatementCounter:
    """Counts the SQL statements an engine runs, leaving out transaction control."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            self.count += 1


def list_url(params: Mapping[str, str] | None = None, page: int = 1) -> str:
    query = {k: v for k, v in (params or {}).items() if v} | (
        {"page": str(page)} if page > 1 else {}
    )
    return "/premises" + (f"?{urlencode(query)}" if query else "")


def sign_in(client: FlaskClient) -> None:
    """Sign in through the real form, CSRF token and all, as the benchmark's licensing officer."""
    page = client.get("/sign-in")
    token = CSRF.search(page.get_data(as_text=True))
    if page.status_code != 200 or token is None:
        raise SystemExit(f"sign-in page failed: {page.status_code}")
    response = client.post(
        "/sign-in",
        data={"email": BENCH_EMAIL, "password": BENCH_PASSWORD, "csrf_token": token.group(1)},
    )
    if response.status_code != 302:
        raise SystemExit(
            f"sign-in failed ({response.status_code}): was the database made by benchmarks.generate?"
        )


def percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(
    client: FlaskClient, counter: StatementCounter, scenario: Scenario, repeat: int
) -> Result:
    timings: list[float] = []
    statements: set[int] = set()
    body = ""
    for i in range(WARM_UP + repeat):
        counter.count = 0
        started = time.perf_counter()
        response = client.get(scenario.url)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"{scenario.key}: {scenario.url} answered {response.status_code}")
        if i >= WARM_UP:
            timings.append(elapsed * 1000)
            statements.add(counter.count)
        body = response.get_data(as_text=True)
    rows = len(ROW_LINK.findall(body))
    total_match = TOTAL.search(body)
    # "of more than 1,000 premises": the count stops at the cap (paging.CappedPage).
    total = int(total_match.group(2).replace(",", "")) if total_match else None
    capped = bool(total_match and total_match.group(1))
    if scenario.expect_rows is not None and rows != scenario.expect_rows:
        raise SystemExit(f"{scenario.key}: expected {scenario.expect_rows} rows, got {rows}")
    if scenario.min_total and (total or 0) < scenario.min_total:
        raise SystemExit(f"{scenario.key}: expected at least {scenario.min_total} results")
    if len(statements) != 1:
        # The same page must cost the same number of statements every time.
        raise SystemExit(f"{scenario.key}: statement count varied: {sorted(statements)}")
    return Result(
        scenario=scenario,
        median_ms=statistics.median(timings),
        p95_ms=percentile(timings, 0.95),
        max_ms=max(timings),
        statements=statements.pop(),
        rows=rows,
        total=total,
        capped=capped,
    )


def scenarios(client: FlaskClient) -> list[Scenario]:
    first = client.get(list_url(SEARCH)).get_data(as_text=True)
    found = ROW_LINK.search(first)
    if found is None:
        raise SystemExit(f"no premises match {SEARCH}: regenerate the database")
    # The list counts to COUNT_CAP (1,000) and pages that far: page 20 is the last it offers.
    last_page = COUNT_CAP // PAGE_SIZE
    return [
        Scenario(
            "a",
            "Search + 2 filters, page 1",
            list_url(SEARCH),
            PAGE_SIZE,
            COUNT_CAP,
            targeted=True,
        ),
        Scenario(
            "b",
            f"Search + 2 filters, page {last_page} (the last the count reaches)",
            list_url(SEARCH, last_page),
            PAGE_SIZE,
            COUNT_CAP,
            targeted=True,
        ),
        Scenario(
            "f",
            "Search + 2 filters, page 100 (past the first 1,000: says how to narrow it down)",
            list_url(SEARCH, 100),
            0,
            targeted=True,
        ),
        Scenario("c", "No filters, page 1", list_url(), PAGE_SIZE),
        Scenario("d", "Selective name search, page 1", list_url({"q": "lotus"}), None, 1),
        Scenario("e", "Premises detail", f"/premises/{found.group(1)}", None),
    ]


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        # What `nproc` reports: the CPUs this process may run on, not all the machine has.
        "CPUs (nproc)": str(
            len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        ),
        "CPU": cpu,
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
        "SQLAlchemy": sqlalchemy.__version__,
        "OS": platform.platform(),
    }


def dataset(db_path: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        return {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
            for table in ("premises", "licences", "licence_conditions", "audit_events", "users")
        }


def table(results: list[Result]) -> str:
    lines = [
        "| Scenario | URL | Rows shown (of) | Median ms | p95 ms | Max ms | SQL statements |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for r in results:
        s = r.scenario
        more = "more than " if r.capped else ""
        shown = f"{r.rows} (of {more}{r.total:,})" if r.total is not None else "-"
        lines.append(
            f"| ({s.key}) {s.title} | `{s.url}` | {shown} | {r.median_ms:.1f} | "
            f"{r.p95_ms:.1f} | {r.max_ms:.1f} | {r.statements} |"
        )
    return "\n".join(lines)


def failures(results: list[Result]) -> list[str]:
    problems: list[str] = []
    for r in results:
        s = r.scenario
        if s.targeted and r.median_ms >= TARGET_MEDIAN_MS:
            problems.append(f"({s.key}) median {r.median_ms:.1f} ms >= {TARGET_MEDIAN_MS:.0f} ms")
        if s.targeted and r.p95_ms >= TARGET_P95_MS:
            problems.append(f"({s.key}) p95 {r.p95_ms:.1f} ms >= {TARGET_P95_MS:.0f} ms")
        if s.key in "abcdf" and r.statements > QUERY_CEILING:
            problems.append(f"({s.key}) {r.statements} statements > {QUERY_CEILING}")
    return problems


def report(db_path: Path, repeat: int, results: list[Result], problems: list[str]) -> str:
    info = machine()
    counts = dataset(db_path)
    verdict = "**met**" if not problems else "**missed**: " + "; ".join(problems)
    return "\n".join(
        [
            "# Premises register benchmark: latest figures",
            "",
            f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `python -m benchmarks.run "
            f"--repeat {repeat}` ({WARM_UP} warm-up requests, then {repeat} timed GET requests "
            "per scenario through the Flask test client, signed in as a licensing officer; "
            "SQL statements are per request, transaction control left out).",
            "",
            "Data: " + ", ".join(f"{n:,} {t.replace('_', ' ')}" for t, n in counts.items()) + ".",
            "",
            table(results),
            "",
            f"Targets for (a), (b) and (f): median under {TARGET_MEDIAN_MS:.0f} ms and p95 under "
            f"{TARGET_P95_MS:.0f} ms; every list page at most {QUERY_CEILING} statements. "
            f"Result: {verdict}.",
            "",
            "Machine: " + "; ".join(f"{k} {v}" for k, v in info.items()) + ".",
            "",
        ]
    )


def build_app(db_path: Path) -> tuple[Flask, StatementCounter]:
    app = create_app(Settings(database_url=f"sqlite:///{db_path}", secret_key=SECRET, testing=True))
    counter = StatementCounter()
    engine: Engine = app.extensions["engine"]
    event.listen(engine, "before_cursor_execute", counter)
    return app, counter


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help="generated SQLite database")
    parser.add_argument("--repeat", type=int, default=200, help="timed requests per scenario")
    parser.add_argument(
        "--regenerate", action="store_true", help="rebuild the database with default sizes first"
    )
    args = parser.parse_args(argv)
    db_path: Path = args.db.resolve()
    if args.regenerate or not db_path.is_file():
        generate(db_path)

    app, counter = build_app(db_path)
    client = app.test_client()
    sign_in(client)
    results: list[Result] = []
    for scenario in scenarios(client):
        result = measure(client, counter, scenario, args.repeat)
        print(
            f"({scenario.key}) {scenario.title}: median {result.median_ms:.1f} ms, "
            f"p95 {result.p95_ms:.1f} ms, {result.statements} statements",
            flush=True,
        )
        results.append(result)
    app.extensions["engine"].dispose()

    problems = failures(results)
    text = report(db_path, args.repeat, results, problems)
    print()
    print(table(results))
    RESULTS.write_text(text)
    print(f"\nwritten to {RESULTS}")
    if problems:
        print("TARGETS MISSED: " + "; ".join(problems), file=sys.stderr)
        return 1
    print("targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
