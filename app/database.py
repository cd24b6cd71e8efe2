"""One SQLAlchemy session per request, opened on first use and closed at teardown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from enforcement.db import make_engine, session_factory, writer

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SessionMaker = Callable[[bool], Session]
F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")
#: The session's info key saying it serves a read-only request (a GET whose view is not marked).
READ_ONLY = "read_only_request"


def writes_on_read(view: F) -> F:
    """Mark a view that writes even on GET, because it audits what it shows or exports.

    Its session then takes SQLite's write lock when the transaction begins, as a POST's does:
    a read transaction that writes later fails with "database is locked" if another writer
    committed in between. Put it under the route decorator (it must be on the function the
    route registers, or on the one it wraps).
    """
    view.writes_on_read = True  # type: ignore[attr-defined]
    return view


class UnmarkedWrite(RuntimeError):
    """A GET view wrote to the database without being marked with @writes_on_read."""


def _refuse_unmarked_write(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get(READ_ONLY) and (session.new or session.dirty or session.deleted):
        message = (
            f"{request.endpoint} wrote to the database while answering a GET: mark the view"
            " with @app.database.writes_on_read so its transaction takes the write lock"
        )
        if current_app.config.get("REFUSE_UNMARKED_WRITES", True):
            raise UnmarkedWrite(message)
        current_app.logger.error(message)


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
    if not event.contains(Session, "before_flush", _refuse_unmarked_write):
        event.listen(Session, "before_flush", _refuse_unmarked_write)


def db() -> Session:
    """Return this request's session; a write request's takes the write lock at once on SQLite."""
    if "db" not in g:
        for_write = _request_writes()
        g.db = current_app.extensions["session_maker"](for_write)
        g.db.info[READ_ONLY] = has_request_context() and not for_write
    return g.db  # type: ignore[no-any-return]


def _request_writes() -> bool:
    if not has_request_context():
        return False
    if request.method in WRITE_METHODS:
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "writes_on_read", False))


def commit() -> None:
    """Commit the request's unit of work: the one place a web request commits."""
    db().commit()


def bookkeeping(action: Callable[[Session], T]) -> T:
    """Run `action` in a short unit of work of its own, beside the request's, and commit it.

    For bookkeeping a read must do first (the public register's rate limit counter): the
    request's own session then stays a reader, so on SQLite a long read (a CSV streamed for
    seconds) never holds the write lock that staff saving a form are waiting for.
    """
    session: Session = current_app.extensions["session_maker"](True)
    try:
        value = action(session)
        session.commit()
        return value
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _close(exc: BaseException | None) -> None:
    session: Session | None = g.pop("db", None)
    if session is not None:
        try:
            if exc is not None or session.in_transaction():
                session.rollback()
        finally:
            session.close()
