"""Fixtures shared by the suite: databases (SQLite and PostgreSQL), sessions, the app, clients."""

from __future__ import annotations

import os
import re
import sys
import uuid
from collections.abc import Iterator
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

from support import CHEAP_HASHING, skip_or_fail  # noqa: E402
from url_builders import reuse_url_builders  # noqa: E402

from app import create_app  # noqa: E402
from config import Settings  # noqa: E402
from enforcement.accounts import users  # noqa: E402
from enforcement.db import make_engine  # noqa: E402

PG_ADMIN_URL = os.environ.get(
    "TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BROWSER_TESTS = ROOT / "tests" / "browser"
reuse_url_builders()  # every test makes its own app: compile each URL builder once (see module)
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
    """A throwaway database on the local PostgreSQL server, dropped at the end."""

    def __init__(self, prefix: str = "tracker_test") -> None:
        self.name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        try:
            with self.admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        except OperationalError as exc:
            self.admin.dispose()
            skip_or_fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc.orig}")
        self.url = re.sub(r"/[^/]+$", f"/{self.name}", PG_ADMIN_URL)

    def drop(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep each browser module on one worker, in order: its steps share the live server's data.

    (Under pytest-xdist each worker starts its own live server; other tests spread one by one.)
    """
    for item in items:
        if BROWSER_TESTS in item.path.parents:
            item.add_marker(pytest.mark.xdist_group(f"browser-{item.path.stem}"))


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
    """A connection inside an outer transaction that is rolled back after the test."""
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    if outer.is_active:
        outer.rollback()
    conn.close()


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


@pytest.fixture
def app(settings: Settings, connection: Connection) -> Flask:
    """The real app, its request sessions joined to the test's transaction."""
    return create_app(settings, session_maker=lambda _for_write: savepoint_session(connection))


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
