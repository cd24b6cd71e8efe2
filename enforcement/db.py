"""Engines and sessions built from a URL, with the settings each database needs to be safe."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    CursorResult,
    Engine,
    Executable,
    Integer,
    any_,
    bindparam,
    create_engine,
    event,
)
from sqlalchemy.orm import QueryableAttribute, Session, sessionmaker

IMMEDIATE = "tracker_begin_immediate"
#: A column of ids, or a mapped attribute of one (see ids_in).
_HasIds = (
    ColumnElement[int]
    | ColumnElement[int | None]
    | QueryableAttribute[int]
    | QueryableAttribute[int | None]
)

K = TypeVar("K")


def make_engine(url: str, *, echo: bool = False, **kwargs: Any) -> Engine:
    """Create an engine; on SQLite switch on foreign keys and WAL and take control of BEGIN.

    pysqlite's own transaction handling defers BEGIN and loses updates under concurrent
    writers, so we emit BEGIN ourselves: BEGIN IMMEDIATE on a connection marked for
    writing (see :func:`writer`), a plain BEGIN otherwise.
    """
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {})
        kwargs["connect_args"].setdefault("timeout", 30)
        kwargs["connect_args"].setdefault("check_same_thread", False)
        engine = create_engine(url, echo=echo, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if url.startswith("postgresql"):
        # No JIT compilation: it pays off for long analytical queries, but here it costs more
        # than it saves (a dashboard query of 60 ms spent 780 ms compiling at five times the
        # benchmark's size; docs/operations.md). Sessions in UTC whatever the server's or the
        # database's time zone: times are stored and read in UTC as on SQLite, and a server set
        # east of UTC would write 23:30 UTC on 31 December 9999 as a time the driver cannot read.
        args = kwargs.setdefault("connect_args", {})
        args["options"] = " ".join(
            filter(None, [args.get("options"), "-c jit=off", "-c TimeZone=UTC"])
        )
    return create_engine(url, echo=echo, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def writer(engine: Engine) -> Engine:
    """Return a view of the engine whose transactions take the write lock at once on SQLite."""
    return engine.execution_options(**{IMMEDIATE: True})


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory that keeps loaded values after commit (views render after it)."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


def read_columns(
    session: Session, statement: Executable, params: Mapping[str, Any] | None = None
) -> CursorResult[*tuple[Any, ...]]:
    """Run a select of columns (no ORM entities) on the session's connection, in its transaction.

    The rows are the driver's, without the ORM's result processing, which over a list page's
    rows (a thousand ids, say) costs more than the statement; pending changes are flushed first,
    as the session's own execute would. Take the rows with `.all()` (or `.scalars().all()`):
    iterating the result fetches one row a call.
    """
    if session.autoflush:
        session.flush()
    return session.connection().execute(statement, params)


def read_ids(
    session: Session, statement: Executable, params: Mapping[str, Any] | None = None
) -> list[Any]:
    """Run a select of one column (ids, in a list's order) and return its values as the driver
    fetched them, in the session's transaction.

    For the long id lists of a capped list (up to 1,001): even read_columns' rows cost about
    three times the driver's own fetch over that many (0.6 ms of CPU a page), so the values
    are taken from the driver's cursor in one fetch.
    """
    result = read_columns(session, statement, params)
    try:
        return [row[0] for row in result.cursor.fetchall()]
    finally:
        result.close()


def ids_in(column: _HasIds, name: str, dialect: str) -> ColumnElement[bool]:
    """`column IN (...)` for a bound list of ids named `name`, for a statement built once.

    On PostgreSQL `column = ANY(:name)` with the list as one array parameter, so the statement's
    text is the same for every list and nothing is rendered per execution (an expanding IN
    renders a placeholder per id each time); elsewhere an expanding IN.
    """
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(Integer)))
    return column.in_(bindparam(name, expanding=True))


def chunks(ids: Sequence[K], size: int = 500) -> Iterable[Sequence[K]]:
    """Split a long list of ids into runs short enough for one IN (...) each: both databases
    cap a statement's parameters (SQLite at 32,766, PostgreSQL at 65,535)."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
