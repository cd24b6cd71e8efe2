"""Which requests take SQLite's write lock at once, and the guard against unmarked GET writes.

A GET runs in a read transaction; one that writes later (an audit event of what it showed) can
fail with "database is locked" if another writer committed meanwhile. Views that write on GET
are marked with @writes_on_read so their transaction takes the write lock when it begins, and
outside production a GET that writes unmarked fails loudly instead of now and then.
"""

from __future__ import annotations

import pytest
from builders import NOW, make_user, sign_in
from conftest import savepoint_session
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from app import create_app
from app.database import db, writes_on_read
from config import Settings
from enforcement import audit
from enforcement.access import Actor
from enforcement.models import AuditEvent


def _app(settings: Settings, connection: Connection, asked: list[bool]) -> Flask:
    def factory(for_write: bool) -> Session:
        asked.append(for_write)
        return savepoint_session(connection)

    app = create_app(settings, session_maker=factory)

    def write_an_event() -> str:
        return _write()

    def write_marked() -> str:
        return _write()

    def _write() -> str:
        audit.record(
            db(),
            Actor.system("test"),
            NOW,
            action="test.view",
            entity_type="test",
            entity_id=None,
            summary="A view that audits",
        )
        db().commit()
        return "written"

    app.add_url_rule("/unmarked", "unmarked", write_an_event)
    app.add_url_rule("/marked", "marked", writes_on_read(write_marked))
    return app


@pytest.fixture
def signed_in(
    settings: Settings, connection: Connection, session: Session
) -> tuple[FlaskClient, list[bool], Flask]:
    user = make_user(session, "supervisor", email="lead@example.gov.uk")
    session.commit()
    asked: list[bool] = []
    app = _app(settings, connection, asked)
    client = app.test_client()
    sign_in(client, user.email)
    return client, asked, app


def _events(session: Session) -> int:
    return int(session.scalar(select(func.count()).where(AuditEvent.action == "test.view")) or 0)


def test_a_marked_get_takes_the_write_lock_and_a_plain_get_does_not(
    signed_in: tuple[FlaskClient, list[bool], Flask], session: Session
) -> None:
    client, asked, _app = signed_in
    assert asked[-1] is True  # signing in is a POST
    assert client.get("/premises").status_code == 200
    assert asked[-1] is False
    assert client.get("/marked").get_data(as_text=True) == "written"
    assert asked[-1] is True and _events(session) == 1


def test_an_unmarked_get_that_writes_fails_loudly_and_saves_nothing(
    signed_in: tuple[FlaskClient, list[bool], Flask], session: Session
) -> None:
    client, asked, _app = signed_in
    resp = client.get("/unmarked")
    assert resp.status_code == 500 and asked[-1] is False
    assert _events(session) == 0


def test_in_production_an_unmarked_write_is_logged_not_refused(
    signed_in: tuple[FlaskClient, list[bool], Flask],
    session: Session,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, _asked, app = signed_in
    app.config["REFUSE_UNMARKED_WRITES"] = False
    assert client.get("/unmarked").get_data(as_text=True) == "written"
    assert _events(session) == 1
    assert "unmarked wrote to the database while answering a GET" in caplog.text
