"""A bare Flask app that runs a page's captured SQL and returns the rows as a page.

The comparator of issue #19's own target ("within 1.5x of a bare Flask app running the same
SQL on the same database"): no sign-in, no session, no CSRF, no blueprints, no ORM. One route
per scenario, `/<key>`, runs exactly the statements the real page ran (captured in-process by
`benchmarks.pgscale.capture`), on one psycopg connection per worker process, fetches every
row, rolls back, and renders every row's values into an HTML table with one Jinja template
compiled once. `benchmarks.pgscale run` serves it with gunicorn (2 workers, as the app) and
times it with the same clients as the app.

The statements reach the workers through a pickle file named by `BAREFLASK_STATEMENTS` (the
captured parameters include lists and dates, which JSON would not keep); `BAREFLASK_DSN` is
the database. Benchmark use only: the file is written by `pgscale run` under the temporary
directory and read back by its own gunicorn.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import psycopg
from flask import Flask, abort

STATEMENTS_ENV = "BAREFLASK_STATEMENTS"
DSN_ENV = "BAREFLASK_DSN"

#: Every statement's rows as a table of their values; a minimal page around them.
PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ key }}</title></head>
<body><main>
{% for rows in results %}
<table>
{% for row in rows %}<tr>{% for value in row %}<td>{{ value }}</td>{% endfor %}</tr>
{% endfor %}
</table>
{% endfor %}
</main></body></html>
"""


def write_statements(path: Path, statements: dict[str, list[tuple[str, Any]]]) -> None:
    """Write the captured statements (scenario key to (SQL, parameters)) for the workers."""
    path.write_bytes(pickle.dumps(statements))


def create_app() -> Flask:
    """The bare app: reads the statements file and the DSN from the environment."""
    path = Path(os.environ[STATEMENTS_ENV])
    # The file is this benchmark's own, written by `pgscale run` a moment before.
    statements: dict[str, list[tuple[str, Any]]] = pickle.loads(path.read_bytes())  # noqa: S301
    dsn = os.environ[DSN_ENV]
    app = Flask(__name__)
    page = app.jinja_env.from_string(PAGE)
    # One connection per worker process, opened on its first request (gunicorn forks the
    # workers after importing this module, and a connection must not cross a fork). The same
    # connection option as the app's engine (enforcement/db.py: no JIT).
    held: list[psycopg.Connection[Any]] = []

    def connection() -> psycopg.Connection[Any]:
        if not held:
            held.append(psycopg.connect(dsn, options="-c jit=off"))
        return held[0]

    @app.route("/health")
    def health() -> str:
        return "ok"

    @app.route("/<key>")
    def scenario(key: str) -> str:
        found = statements.get(key)
        if found is None:
            abort(404)
        conn = connection()
        results: list[list[tuple[Any, ...]]] = []
        try:
            with conn.cursor() as cur:
                for sql, params in found:
                    cur.execute(sql, params or None)
                    if cur.description is not None:
                        results.append(cur.fetchall())
        finally:
            conn.rollback()
        return page.render(key=key, results=results)

    return app
