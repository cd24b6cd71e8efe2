"""Time the public register (signed out) on the generated 50,000-premises database.

Uses `benchmarks.generate`'s borough (built first if missing) and the real app with
PUBLIC_REGISTER on, through the Flask test client: each request passes the rate limit's
counter, reads the ward choices, counts and reads one page (with each licence's status by a
decision in effect). Fails (non-zero exit) when a targeted page's median reaches 50 ms, or a page runs
more statements than `STATEMENT_CEILING`. Writes benchmarks/results/publicregister.md.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from flask.testing import FlaskClient
from sqlalchemy import Engine, event

from app import create_app
from benchmarks.generate import DEFAULT_DB, generate
from benchmarks.run import SECRET, StatementCounter, dataset, machine, percentile, sign_in
from config import Settings

RESULTS = Path(__file__).resolve().parent / "results" / "publicregister.md"
TARGET_MEDIAN_MS = 50.0
#: The rate limit's upsert, the ward choices, the count and the page.
STATEMENT_CEILING = 4
WARM_UP = 10
ROW_LINK = re.compile(r'href="/register/licences/(\d+)"')
TOTAL = re.compile(r"of ((?:more than )?[\d,]+) licences")


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    url: str
    targeted: bool = True


@dataclass(frozen=True)
class Timing:
    scenario: Scenario
    median_ms: float
    p95_ms: float
    statements: int
    total: str


def url(**params: str | int) -> str:
    query = {k: str(v) for k, v in params.items() if v}
    return "/register" + (f"?{urlencode(query)}" if query else "")


def scenarios(client: FlaskClient) -> list[Scenario]:
    first = client.get(url(q="road")).get_data(as_text=True)
    found = ROW_LINK.search(first)
    if found is None:
        raise SystemExit("no licence matches 'road': regenerate the database")
    return [
        Scenario("a", "No search, page 1", url()),
        Scenario("b", 'Search "road", page 1', url(q="road")),
        Scenario(
            "c", 'Search "road", page 20 (the last the count reaches)', url(q="road", page=20)
        ),
        Scenario("c2", 'Search "road", page 100 (past the count)', url(q="road", page=100), False),
        Scenario("d", "Postcode search without the space", url(q="w69")),
        Scenario("h", 'Name search "lotus", page 1', url(q="lotus")),
        Scenario(
            "e", "Licence type + sort by postcode", url(regime="special_treatment", sort="postcode")
        ),
        Scenario("f", "A licence with its conditions", f"/register/licences/{found.group(1)}"),
        Scenario("r", 'For reference: the staff premises list, "road"', "/premises?q=road", False),
        Scenario(
            "g",
            'CSV of search "lotus" (every match)',
            "/register/download.csv?" + urlencode({"q": "lotus"}),
            targeted=False,
        ),
    ]


def measure(client: FlaskClient, counter: StatementCounter, s: Scenario, repeat: int) -> Timing:
    timings: list[float] = []
    statements: set[int] = set()
    body = ""
    for i in range(WARM_UP + repeat):
        counter.count = 0
        started = time.perf_counter()
        response = client.get(s.url)
        body = response.get_data(as_text=True)
        response.close()  # a streamed answer holds its request (and connection) until closed
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"{s.key}: {s.url} answered {response.status_code}")
        if i >= WARM_UP:
            timings.append(elapsed * 1000)
            statements.add(counter.count)
    total = TOTAL.search(body)
    return Timing(
        scenario=s,
        median_ms=statistics.median(timings),
        p95_ms=percentile(timings, 0.95),
        statements=max(statements),
        total=total.group(1)
        if total
        else f"{body.count(chr(10)) - 1:,} rows"
        if s.key == "g"
        else "-",
    )


def table(timings: list[Timing]) -> str:
    lines = [
        "| Scenario | URL | Matches | Median ms | p95 ms | SQL statements |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for t in timings:
        s = t.scenario
        lines.append(
            f"| ({s.key}) {s.title} | `{s.url}` | {t.total} | {t.median_ms:.1f} | "
            f"{t.p95_ms:.1f} | {t.statements} |"
        )
    return "\n".join(lines)


def failures(timings: list[Timing]) -> list[str]:
    problems = []
    for t in timings:
        if t.scenario.targeted and t.median_ms >= TARGET_MEDIAN_MS:
            problems.append(f"({t.scenario.key}) median {t.median_ms:.1f} ms")
        if t.scenario.targeted and t.statements > STATEMENT_CEILING + 1:  # +1: a purge
            problems.append(f"({t.scenario.key}) {t.statements} statements")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help="generated SQLite database")
    parser.add_argument("--repeat", type=int, default=100, help="timed requests per scenario")
    args = parser.parse_args(argv)
    db_path: Path = args.db.resolve()
    if not db_path.is_file():
        generate(db_path)
    app = create_app(
        Settings(
            database_url=f"sqlite:///{db_path}",
            secret_key=SECRET,
            testing=True,
            public_register=True,
            public_register_rate_per_minute=100_000,
        )
    )
    counter = StatementCounter()
    engine: Engine = app.extensions["engine"]
    event.listen(engine, "before_cursor_execute", counter)
    client = app.test_client()
    staff = app.test_client()  # signed in, for the reference scenario only
    sign_in(staff)
    timings = []
    for s in scenarios(client):
        t = measure(staff if s.key == "r" else client, counter, s, args.repeat)
        print(f"({s.key}) {s.title}: median {t.median_ms:.1f} ms, {t.statements} statements")
        timings.append(t)
    engine.dispose()
    problems = failures(timings)
    verdict = "**met**" if not problems else "**missed**: " + "; ".join(problems)
    text = "\n".join(
        [
            "# Public register benchmark: latest figures",
            "",
            f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `python -m benchmarks.publicregister "
            f"--repeat {args.repeat}` ({WARM_UP} warm-up requests, then {args.repeat} timed GET "
            "requests per scenario through the Flask test client, signed out).",
            "",
            "Data: "
            + ", ".join(f"{n:,} {t.replace('_', ' ')}" for t, n in dataset(db_path).items())
            + ".",
            "",
            table(timings),
            "",
            f"Target for every page but the CSV: median under {TARGET_MEDIAN_MS:.0f} ms, at most "
            f"{STATEMENT_CEILING} statements. Result: {verdict}.",
            "",
            "Machine: " + "; ".join(f"{k} {v}" for k, v in machine().items()) + ".",
            "",
        ]
    )
    print()
    print(table(timings))
    RESULTS.write_text(text)
    print(f"\nwritten to {RESULTS}")
    if problems:
        print("TARGETS MISSED: " + "; ".join(problems), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
