"""Alembic environment: runs on SQLite and PostgreSQL, never through the Flask app."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, text

from config import ConfigError, Settings
from enforcement.db import make_engine
from enforcement.models import Base

target_metadata = Base.metadata
# One number for every server running migrations at once: only one proceeds at a time.
ADVISORY_LOCK_ID = 727_001


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode copies and drops tables; with foreign keys on that would fire ON DELETE
        # CASCADE and delete child rows. Switch them off outside the migration transaction.
        if connection.in_transaction():
            connection.commit()
        # Outside any transaction, where SQLite honours the pragma (inside one it is a no-op).
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": ADVISORY_LOCK_ID})
        context.run_migrations()
    if sqlite:
        if connection.in_transaction():
            connection.commit()
        raw = connection.connection.driver_connection
        problems = raw.execute("PRAGMA foreign_key_check").fetchall()
        raw.execute("PRAGMA foreign_keys=ON")
        if problems:
            raise RuntimeError(f"foreign key check failed after migration: {problems[:5]}")


def _settings() -> Settings:
    """The settings, or one line naming the setting that cannot work and why (no traceback)."""
    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise SystemExit(f"Error: {exc}. Nothing was migrated.") from exc


def run_migrations_online() -> None:
    given = context.config.attributes.get("connection")
    if given is not None:
        _run(given)
        return
    url = context.config.get_main_option("sqlalchemy.url") or _settings().database_url
    engine = make_engine(url)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=_settings().database_url, target_metadata=target_metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
