"""Fixtures shared by the suite: databases (SQLite and PostgreSQL), sessions, the app, clients."""

from __future__ import annotations

import os
import queue
import re
import shutil
import sqlite3
import sys
import tempfile
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jinja_cache import share_compiled_templates  # noqa: E402
from support import BROWSER_TESTS, CHEAP_HASHING, skip_or_fail  # noqa: E402
from total_order import LooseOrders  # noqa: E402
from url_builders import reuse_url_builders  # noqa: E402

from app import create_app  # noqa: E402
from app.wsgi import settle_garbage_collection  # noqa: E402
from config import Settings  # noqa: E402
from enforcement.accounts import users  # noqa: E402
from enforcement.db import make_engine  # noqa: E402

PG_ADMIN_URL = os.environ.get(
    "TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# Apps made apart from the lent one (`app` below): tests that call create_app themselves, or are
# marked own_app, compile each URL builder and each template once per process.
reuse_url_builders()
share_compiled_templates()
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


def alembic_config() -> AlembicConfig:
    cfg = AlembicConfig(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = alembic_config()
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        if conn.in_transaction():
            conn.commit()


def downgrade(engine: Engine, revision: str = "base") -> None:
    cfg = alembic_config()
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
        if conn.in_transaction():
            conn.commit()


class PostgresDatabase:
    """A throwaway database on the local PostgreSQL server, dropped at the end.

    `migrated=True` copies the process's own database built by the migrations (PostgreSQL's
    CREATE DATABASE ... TEMPLATE), which is quicker than running them again. `drop()` hands the
    database to a background thread: PostgreSQL waits for a checkpoint on every DROP DATABASE,
    and the tests need not wait with it (the session waits for the last drop at its end).
    """

    def __init__(self, prefix: str = "tracker_test", *, migrated: bool = False) -> None:
        self.name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        template = f' TEMPLATE "{_migrated_template()}"' if migrated else ""
        try:
            with self.admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.name}"{template}'))
        except OperationalError as exc:
            self.admin.dispose()
            skip_or_fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc.orig}")
        self.url = re.sub(r"/[^/]+$", f"/{self.name}", PG_ADMIN_URL)

    def drop(self) -> None:
        _drops.put(self)

    def drop_now(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


_template: list[PostgresDatabase] = []


def _migrated_template() -> str:
    """The name of this process's database built by the migrations, made on first use."""
    if not _template:
        pg = PostgresDatabase("tracker_template")
        engine = make_engine(pg.url)
        upgrade(engine)
        engine.dispose()  # a template must have no connections while it is copied
        _template.append(pg)
    return _template[0].name


_sqlite_template: list[Path] = []


def migrated_sqlite_url(path: Path) -> str:
    """The URL of a new SQLite database at `path` as the migrations build it: a copy (SQLite's
    own backup) of this process's database built by the migrations, made on first use."""
    if not _sqlite_template:
        built = Path(tempfile.mkdtemp(prefix="tracker-template-")) / "migrated.db"
        engine = make_engine(f"sqlite:///{built}")
        upgrade(engine)
        engine.dispose()
        _sqlite_template.append(built)
    source, target = sqlite3.connect(_sqlite_template[0]), sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return f"sqlite:///{path}"


_drops: queue.Queue[PostgresDatabase] = queue.Queue()
_drop_failures: list[str] = []


def _drop_in_turn() -> None:
    while True:
        pg = _drops.get()
        try:
            pg.drop_now()
        except Exception as exc:  # reported at the end of the session
            _drop_failures.append(f"{pg.name}: {exc}")
        finally:
            _drops.task_done()


threading.Thread(target=_drop_in_turn, name="drop-test-databases", daemon=True).start()


def pytest_configure(config: pytest.Config) -> None:
    """Settle the garbage collector as a server's worker does (`app/wsgi.py`): the objects made
    at start-up frozen out of its reach, the young collected less often. Each test process (each
    xdist worker runs its own pytest) makes many short-lived objects, and at Python's default
    thresholds the collector walked the long-lived ones again and again: about 5% of the web and
    integration tests' time (docs/architecture.md)."""
    settle_garbage_collection()


@pytest.hookimpl(trylast=True)  # after the session's fixtures are torn down (their drops queued)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Wait for every throwaway database to be dropped, the templates last."""
    for pg in _template:
        pg.drop()
    _drops.join()
    for built in _sqlite_template:
        shutil.rmtree(built.parent, ignore_errors=True)
    if _drop_failures:
        sys.stderr.write("Test databases not dropped:\n" + "\n".join(_drop_failures) + "\n")


# The longest tests, started first so that the workers finish together (see below).
LONGEST_FIRST = (ROOT / "tests" / "web" / "test_route_walk.py", BROWSER_TESTS)
# Browser modules whose tests share no steps: each test may go to any worker.
INDEPENDENT_BROWSER_TESTS = frozenset({"test_layout_per_role"})


def _start_rank(item: pytest.Item) -> int:
    for rank, path in enumerate(LONGEST_FIRST):
        if item.path == path or path in item.path.parents:
            return rank
    return len(LONGEST_FIRST)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep each browser module on one worker, in order: its steps share the live server's data.

    Under pytest-xdist (`--dist loadgroup --no-loadscope-reorder`, pyproject.toml) each group is
    handed out whole, in the order of the collection, to the next worker with little left to
    do; so the longest tests (the route walk, then the browser journeys) come first and the
    many short ones fill the gaps at the end. Each worker starts its own live server.
    """
    items.sort(key=_start_rank)  # stable: each module keeps its own order
    for item in items:
        if BROWSER_TESTS in item.path.parents:
            group = f"browser-{item.path.stem}"
            if item.path.stem in INDEPENDENT_BROWSER_TESTS:
                group += f"-{item.name}"
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(autouse=True)
def cheap_password_hashing() -> None:
    """Every test starts with the cheap hasher: an app made with the production settings (some
    tests do) sets the process's hasher, and a worker runs many tests in an order of its own."""
    users.configure_password_hashing(CHEAP_HASHING)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Yield the URL of a fresh database of each kind (every database test runs on both)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    pg = PostgresDatabase()
    try:
        yield pg.url
    finally:
        pg.drop()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a database built by the real migrations, once per database kind."""
    eng = make_engine(database_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside an outer transaction that is rolled back after the test.

    Every statement the service's code runs on it must list its rows in a total order (a unique
    key last in its ORDER BY: docs/architecture.md); the test fails at its teardown otherwise."""
    conn = engine.connect()
    loose = LooseOrders()
    event.listen(conn, "before_cursor_execute", loose)
    outer = conn.begin()
    yield conn
    if outer.is_active:
        outer.rollback()
    conn.close()
    if loose.loose:
        pytest.fail(loose.report())


def savepoint_session(conn: Connection) -> Session:
    return Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    """A session whose commits are savepoints inside the test's rolled-back transaction."""
    s = savepoint_session(connection)
    yield s
    s.close()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=TEST_SECRET,
        testing=True,
        assets_dir=ROOT / "node_modules",
        password_hash_time_cost=CHEAP_HASHING.time_cost,
        password_hash_memory_kib=CHEAP_HASHING.memory_kib,
        password_hash_parallelism=CHEAP_HASHING.parallelism,
    )


class JoinedSessions:
    """The session maker of an app lent to one test at a time: each request's session is a
    savepoint session on the connection of the test holding the app (see `app`)."""

    def __init__(self) -> None:
        self.connection: Connection | None = None

    def __call__(self, _for_write: bool) -> Session:
        assert self.connection is not None, "the app is used outside the test it was lent to"
        return savepoint_session(self.connection)


@dataclass
class LentApp:
    app: Flask
    sessions: JoinedSessions


_lent_apps: dict[Settings, LentApp] = {}


@pytest.fixture
def app(
    request: pytest.FixtureRequest, settings: Settings, connection: Connection
) -> Iterator[Flask]:
    """The real app, its request sessions joined to the test's transaction.

    Making an app registers every blueprint's rules, a tenth of a short web test's time, so each
    process makes one per settings and lends it to each test in turn: its config and views are
    put back afterwards, and its requests' sessions join the current test's connection. A test
    marked `own_app` (it adds routes, which Flask refuses once an app has served) gets a new one.
    """
    if request.node.get_closest_marker("own_app"):
        yield create_app(settings, session_maker=lambda _for_write: savepoint_session(connection))
        return
    lent = _lent_apps.get(settings)
    if lent is None:
        sessions = JoinedSessions()
        lent = _lent_apps[settings] = LentApp(
            create_app(settings, session_maker=sessions), sessions
        )
    config, views = dict(lent.app.config), dict(lent.app.view_functions)
    lent.sessions.connection = connection
    try:
        yield lent.app
    finally:
        lent.sessions.connection = None
        lent.app.config.clear()
        lent.app.config.update(config)
        lent.app.view_functions.clear()
        lent.app.view_functions.update(views)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN")):
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(connection: Connection) -> Iterator[QueryCounter]:
    """Count the SQL statements the test's connection runs (savepoints excluded)."""
    counter = QueryCounter()
    event.listen(connection, "before_cursor_execute", counter)
    yield counter
    event.remove(connection, "before_cursor_execute", counter)
