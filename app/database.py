"""One SQLAlchemy session per request, opened on first use and closed at teardown."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from enforcement.db import make_engine, session_factory, writer

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SessionMaker = Callable[[bool], Session]


def init_app(app: Flask, database_url: str, *, echo: bool, factory: SessionMaker | None) -> None:
    """Set up the engine (or use a given session factory, as the tests do) and the teardown."""
    if factory is None:
        engine = make_engine(database_url, echo=echo)
        readers = session_factory(engine)
        writers = session_factory(writer(engine))
        app.extensions["engine"] = engine

        def factory(for_write: bool) -> Session:
            return (writers if for_write else readers)()

    app.extensions["session_maker"] = factory
    app.teardown_appcontext(_close)


def get_engine() -> Engine:
    return current_app.extensions["engine"]  # type: ignore[no-any-return]


def db() -> Session:
    """Return this request's session; a write request's takes the write lock at once on SQLite."""
    if "db" not in g:
        for_write = has_request_context() and request.method in WRITE_METHODS
        g.db = current_app.extensions["session_maker"](for_write)
    return g.db  # type: ignore[no-any-return]


def commit() -> None:
    """Commit the request's unit of work: the one place a web request commits."""
    db().commit()


def _close(exc: BaseException | None) -> None:
    session: Session | None = g.pop("db", None)
    if session is not None:
        try:
            if exc is not None or session.in_transaction():
                session.rollback()
        finally:
            session.close()
