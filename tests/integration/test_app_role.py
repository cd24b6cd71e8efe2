"""On PostgreSQL the app runs as a role that can use its tables but not undo the audit trail."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from builders import NOW, SYSTEM, make_premises, make_user
from conftest import PG_ADMIN_URL, PostgresDatabase, upgrade
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

from app import create_app
from app.cli import app_role_sql
from config import Settings
from enforcement import audit, audit_chain
from enforcement.db import make_engine, session_factory, writer
from enforcement.models import AuditEvent, Premises

pytestmark = pytest.mark.postgres


@dataclass
class Granted:
    owner_url: str
    app_url: str
    role: str
    output: str


@pytest.fixture(scope="module")
def granted() -> Iterator[Granted]:
    """A migrated database, and a restricted role made by `flask db grant-app-role`."""
    pg = PostgresDatabase("tracker_role", migrated=True)
    role = f"tracker_app_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    owner = make_engine(pg.url)
    try:
        upgrade(owner)
        with session_factory(writer(owner))() as s:
            audit.record(
                s, SYSTEM, NOW, action="test.note", entity_type="test", entity_id=1, summary="1"
            )
            s.commit()
        app = create_app(Settings(database_url=pg.url, secret_key="x" * 40, testing=True))
        result = app.test_cli_runner().invoke(args=["db", "grant-app-role", role])
        assert result.exit_code == 0, result.output
        # Running it again (as after every upgrade) is harmless.
        again = app.test_cli_runner().invoke(args=["db", "grant-app-role", role])
        assert again.exit_code == 0, again.output
        app_url = re.sub(r"//[^@/]+@", f"//{role}@", pg.url)
        yield Granted(pg.url, app_url, role, result.output)
    finally:
        owner.dispose()
        pg.drop_now()  # the role can be dropped only once nothing of it is left
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


REFUSED = (
    "DROP TRIGGER audit_events_no_change ON audit_events",
    "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change",
    "ALTER TABLE audit_events ADD COLUMN note text",
    "TRUNCATE audit_events",
    "UPDATE audit_events SET summary = 'changed'",
    "DELETE FROM audit_events",
    "DROP TABLE premises",
    "UPDATE alembic_version SET version_num = '0001'",
    "CREATE TABLE shadow (id int)",
)


@pytest.mark.parametrize("statement", REFUSED)
def test_the_app_role_is_refused_what_would_undo_the_trail(
    granted: Granted, statement: str
) -> None:
    engine = make_engine(granted.app_url)
    try:
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT current_user")) == granted.role
            with pytest.raises(ProgrammingError, match=r"permission denied|must be owner"):
                conn.execute(text(statement))
            conn.rollback()
    finally:
        engine.dispose()


def test_the_app_role_does_its_normal_work(granted: Granted) -> None:
    engine = make_engine(granted.app_url)
    try:
        with session_factory(writer(engine))() as s:
            officer = make_user(s, "licensing_officer")
            premises = make_premises(s, name="Role Test Nails")
            audit.record(
                s,
                SYSTEM,
                NOW,
                action="test.note",
                entity_type="premises",
                entity_id=premises.id,
                summary="Written by the app's role",
            )
            s.commit()
            premises.name = "Role Test Nails and Spa"  # updates of ordinary tables still work
            s.commit()
            assert s.get(Premises, premises.id) is not None and officer.id
            last = s.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
            assert last is not None and last.summary == "Written by the app's role"
            assert audit_chain.verify(s).ok
    finally:
        engine.dispose()


def test_the_statements_can_be_printed_for_a_dba(granted: Granted) -> None:
    app = create_app(Settings(database_url=granted.owner_url, secret_key="x" * 40, testing=True))
    result = app.test_cli_runner().invoke(
        args=["db", "grant-app-role", "tracker_app", "--print-sql"]
    )
    assert result.exit_code == 0
    assert 'REVOKE UPDATE, DELETE ON "public".audit_events FROM "tracker_app";' in result.output
    assert "cannot drop triggers" in granted.output


def test_names_that_are_not_plain_identifiers_are_refused(granted: Granted) -> None:
    with pytest.raises(ValueError, match="role name"):
        app_role_sql('x"; DROP TABLE premises; --', "db", "postgres")
    app = create_app(Settings(database_url=granted.owner_url, secret_key="x" * 40, testing=True))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "grant-app-role", "Robert'); --"]).exit_code != 0
    owner = runner.invoke(args=["db", "grant-app-role", "postgres"])
    assert owner.exit_code != 0 and "owns the tables" in owner.output


def test_sqlite_has_no_roles(tmp_path: object) -> None:
    app = create_app(
        Settings(database_url=f"sqlite:///{tmp_path}/x.db", secret_key="x" * 40, testing=True)
    )
    result = app.test_cli_runner().invoke(args=["db", "grant-app-role", "tracker_app"])
    assert result.exit_code != 0 and "PostgreSQL databases only" in result.output


def test_the_role_owns_nothing_and_may_only_add_to_the_trail(granted: Granted) -> None:
    """The role holds no more than it was given: it owns nothing and is no member of the owner."""
    admin = make_engine(granted.owner_url)
    try:
        with Session(admin) as s:
            owns = s.scalar(
                text("SELECT count(*) FROM pg_tables WHERE tableowner = :r"), {"r": granted.role}
            )
            member = s.scalar(
                text("SELECT pg_has_role(:r, current_user, 'MEMBER')"), {"r": granted.role}
            )
            audit_rights = s.scalar(
                text(
                    "SELECT string_agg(privilege_type, ',' ORDER BY privilege_type) "
                    "FROM information_schema.role_table_grants "
                    "WHERE grantee = :r AND table_name = 'audit_events'"
                ),
                {"r": granted.role},
            )
        assert owns == 0 and member is False and audit_rights == "INSERT,SELECT"
    finally:
        admin.dispose()


def test_an_existing_role_with_more_rights_is_refused_not_altered(granted: Granted) -> None:
    suffix = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"
    superuser, member = f"tracker_su_{suffix}", f"tracker_member_{suffix}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    app = create_app(Settings(database_url=granted.owner_url, secret_key="x" * 40, testing=True))
    runner = app.test_cli_runner()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE ROLE "{superuser}" SUPERUSER'))
            conn.execute(text(f'CREATE ROLE "{member}" IN ROLE postgres'))
        refused = runner.invoke(args=["db", "grant-app-role", superuser])
        assert refused.exit_code != 0 and "is a superuser" in refused.output
        refused = runner.invoke(args=["db", "grant-app-role", member])
        assert refused.exit_code != 0 and "is a member of postgres" in refused.output
        with admin.connect() as conn:
            still = conn.scalar(
                text("SELECT rolsuper FROM pg_roles WHERE rolname = :r"), {"r": superuser}
            )
        assert still is True
    finally:
        with admin.connect() as conn:
            for role in (superuser, member):
                conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


@dataclass
class NotSuperuser:
    owner: str
    owner_url: str
    database: str


@pytest.fixture
def owned_by_a_createrole_owner() -> Iterator[NotSuperuser]:
    """A database migrated by its owner, a role with CREATEROLE that is not a superuser: the
    set-up every documentation page describes (PostgreSQL 15 refuses such a role to change a
    role's SUPERUSER, REPLICATION or BYPASSRLS attributes)."""
    owner = f"tracker_owner_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    database = f"tracker_owned_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    owner_url = re.sub(r"//[^@/]+@", f"//{owner}@", PG_ADMIN_URL)
    owner_url = re.sub(r"/[^/]+$", f"/{database}", owner_url)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE ROLE "{owner}" LOGIN CREATEROLE'))
            conn.execute(text(f'CREATE DATABASE "{database}" OWNER "{owner}"'))
        engine = make_engine(owner_url)
        try:
            upgrade(engine)
        finally:
            engine.dispose()
        yield NotSuperuser(owner, owner_url, database)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            made = conn.scalars(
                text("SELECT rolname FROM pg_roles WHERE rolname LIKE :p"),
                {"p": f"tracker_app_{owner}%"},
            ).all()
            for role in (*made, owner):
                conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


def test_the_owner_with_createrole_makes_the_app_role_without_being_a_superuser(
    owned_by_a_createrole_owner: NotSuperuser,
) -> None:
    setup = owned_by_a_createrole_owner
    role = f"tracker_app_{setup.owner}"
    app = create_app(Settings(database_url=setup.owner_url, secret_key="x" * 40, testing=True))
    runner = app.test_cli_runner()
    made = runner.invoke(args=["db", "grant-app-role", role])
    assert made.exit_code == 0, made.output
    again = runner.invoke(args=["db", "grant-app-role", role])  # after an upgrade
    assert again.exit_code == 0, again.output
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            attributes = conn.execute(
                text(
                    "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication,"
                    " rolbypassrls FROM pg_roles WHERE rolname = :r"
                ),
                {"r": role},
            ).one()
        assert tuple(attributes) == (True, False, False, False, False, False)
    finally:
        admin.dispose()
    app_url = re.sub(r"//[^@/]+@", f"//{role}@", setup.owner_url)
    engine = make_engine(app_url)
    try:
        with session_factory(writer(engine))() as s:
            premises = make_premises(s, name="Owner Test Nails")
            s.commit()
            assert premises.id
            with pytest.raises(ProgrammingError, match=r"permission denied|must be owner"):
                s.execute(text("DELETE FROM audit_events"))
            s.rollback()
    finally:
        engine.dispose()


def test_an_owner_lacking_a_privilege_is_told_which_in_one_line(
    owned_by_a_createrole_owner: NotSuperuser,
) -> None:
    setup = owned_by_a_createrole_owner
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER ROLE "{setup.owner}" NOCREATEROLE'))
    finally:
        admin.dispose()
    app = create_app(Settings(database_url=setup.owner_url, secret_key="x" * 40, testing=True))
    result = app.test_cli_runner().invoke(
        args=["db", "grant-app-role", f"tracker_app_{setup.owner}"]
    )
    assert result.exit_code == 1
    # A message, not a traceback: the error was handled (an exit), not raised out of the command.
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "lacks the CREATEROLE privilege" in lines[0], result.output
    # A role a superuser made that may not log in: enabling it needs CREATEROLE too, and
    # PostgreSQL's refusal is reported in one line naming what is missing.
    role = f"tracker_app_{setup.owner}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE ROLE "{role}" NOLOGIN'))
    finally:
        admin.dispose()
    result = app.test_cli_runner().invoke(args=["db", "grant-app-role", role])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and f"{setup.owner} lacks a privilege" in lines[0], result.output
    assert "permission denied" in lines[0]
