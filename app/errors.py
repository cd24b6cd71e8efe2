"""Error pages: every failure gets a clear message and the right status, and nothing half-saved."""

from __future__ import annotations

import logging

from flask import Flask, current_app, g, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import BadRequest, HTTPException

from app.uploads import IMPORT_PAGES
from enforcement import audit, policy
from enforcement.clock import utcnow
from enforcement.errors import DomainError
from enforcement.schema import schema_state

log = logging.getLogger(__name__)

MESSAGES = {
    400: (
        "There is a problem with the request",
        "The page could not understand what was sent. Go back and try again.",
    ),
    403: (
        "You do not have access to this page",
        "Your roles do not allow this. If you need access, ask your supervisor or a system administrator.",
    ),
    404: (
        "Page not found",
        "Check the address, or go back to the list and find the record again. It may have been removed.",
    ),
    405: ("That action is not allowed here", "Use the buttons and links on the page."),
    409: (
        "Someone else changed this record",
        "Your changes have not been saved. Open the record again to see the current version.",
    ),
    413: ("The file is too large", "Choose a smaller file and try again."),
    429: ("Too many attempts", "Wait a few minutes and try again."),
    500: (
        "Sorry, there is a problem with the service",
        "Nothing was saved. Try again later; if it keeps happening, tell the system administrators.",
    ),
    503: (
        "Sorry, the service is unavailable",
        "The database cannot be reached just now. Nothing was saved. Try again in a few minutes.",
    ),
}


class RefusedInput(BadRequest):
    """A request refused for what it holds, with a message saying what to change (400)."""


def _too_large() -> str:
    """What the 413 page says: the limit that applied, and for an import, the way round it."""
    limit = request.max_content_length or current_app.config.get("MAX_CONTENT_LENGTH") or 0
    says = f"Choose a file of {limit / (1024 * 1024):.0f} MB or less and try again."
    page = IMPORT_PAGES.get(request.endpoint or "")
    if page is not None:
        says += (
            " A larger file can be imported from the command line by a system administrator "
            f"({page.command})."
        )
    return says


def _schema_problem() -> str | None:
    """When a statement failed because nobody migrated the database (or not far enough), what to
    do about it, for the log; None when the schema is right or cannot be read."""
    engine = current_app.extensions.get("engine")
    if engine is None:  # the tests' own session factory
        return None
    try:
        return schema_state(engine).problem()
    except Exception:  # unreadable: the failure's own answer stands
        return None


def _discard_failed_work() -> None:
    # The page header reads the database (who is signed in, their task count): a session whose
    # flush or query failed must be rolled back first, or drawing the error page fails too.
    session = g.get("db")
    if session is not None:
        try:
            session.rollback()
        except Exception:
            log.warning("could not roll back before the error page", exc_info=True)


def _page(status: int, detail: str | None = None) -> tuple[str, int]:
    _discard_failed_work()
    title, body = MESSAGES.get(status, MESSAGES[500])
    # A server-side failure may mean the database is gone: render without touching it.
    minimal = status >= 500
    return (
        render_template(
            "errors/error.html", title=title, body=detail or body, status=status, minimal=minimal
        ),
        status,
    )


#: The need-to-know records a page is about, by the name of its URL's id: a refused request
#: for one (403 or 404) is audited, whichever layer refused it.
REFUSAL_SUBJECTS = {
    "referral_id": "committee_referral",
    "visit_id": policy.WELFARE_VISIT.record_type,
    "file_id": "evidence_file",
    "flag_id": policy.INTEL_FLAG.record_type,
    "case_id": "enforcement_case",
    "inspection_id": "inspection",
}


def _audit_refusal(status: int, error: BaseException) -> None:
    """Record a refused request for a need-to-know record, in its own committed transaction.

    Whatever the request had done is rolled back first (the request's session stays open for
    the error page), and the refusal is written by a session of its own. A refusal
    the domain already audited (error.audited) is not recorded twice.
    """
    if status not in (403, 404) or getattr(error, "audited", False):
        return
    args = request.view_args or {}
    found = next(((name, args[name]) for name in REFUSAL_SUBJECTS if name in args), None)
    if found is None or not current_user.is_authenticated:
        return
    from app.auth.current import current_actor

    actor = current_actor()
    request_session = g.get("db")
    if request_session is not None:
        request_session.rollback()
    session = current_app.extensions["session_maker"](True)
    try:
        audit.record_refusal(
            session,
            actor,
            utcnow(),
            entity_type=REFUSAL_SUBJECTS[found[0]],
            entity_id=found[1],
            what=f"{request.method} {request.path}",
        )
        session.commit()
    except Exception:  # the refusal still answers; the failure is logged for the operators
        log.exception("could not audit a refused request")
        session.rollback()
    finally:
        session.close()


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(_e: CSRFError) -> tuple[str, int]:
        return _page(
            400,
            "The form had expired or came from somewhere else, so nothing was saved. "
            "Go back, reload the page and submit the form again.",
        )

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException) -> tuple[str, int]:
        _audit_refusal(e.code or 500, e)
        if e.code == 413:
            return _page(413, _too_large())
        return _page(e.code or 500, e.description if isinstance(e, RefusedInput) else None)

    @app.errorhandler(DomainError)
    def _domain(e: DomainError) -> tuple[str, int]:
        _audit_refusal(e.status, e)
        return _page(e.status, e.message)

    @app.errorhandler(StaleDataError)
    def _race(_e: StaleDataError) -> tuple[str, int]:
        # Two saves crossed between our version check and the UPDATE: the second loses cleanly.
        return _page(409)

    @app.errorhandler(OverflowError)
    def _overflow(e: OverflowError) -> tuple[str, int]:
        # A number too big for the database (SQLite refuses past 2**63) that slipped past the
        # id converter and id fields: the request's fault, so a 400, but logged to be fixed.
        log.warning("number out of range reached the database: %s", e)
        return _page(400)

    @app.errorhandler(DataError)
    def _data(e: DataError) -> tuple[str, int]:
        # PostgreSQL's refusal of a value (out of range, NUL in text) that slipped past the forms.
        log.warning("value refused by the database: %s", e)
        return _page(400)

    @app.errorhandler(OperationalError)
    def _db_down(e: OperationalError) -> tuple[str, int]:
        log.error("database unavailable: %s", _schema_problem() or e)
        return _page(503)

    @app.errorhandler(DBAPIError)
    def _db_error(e: DBAPIError) -> tuple[str, int]:
        if e.connection_invalidated:
            return _page(503)
        problem = _schema_problem()  # PostgreSQL's "relation does not exist" on a new database
        if problem:
            log.error("database not migrated: %s", problem)
            return _page(503)
        log.exception("database error")
        return _page(500)

    @app.errorhandler(Exception)
    def _unexpected(e: Exception) -> tuple[str, int]:
        log.exception("unexpected error")
        return _page(500)
