"""The migrations build the schema the models describe, and go down and up again, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from conftest import PostgresDatabase, alembic_config, downgrade, upgrade
from sqlalchemy import Engine, inspect, select, text

from enforcement.db import make_engine
from enforcement.models import Base, Language


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'migrate.db'}")
        yield eng
        eng.dispose()
        return
    pg = PostgresDatabase("tracker_migrate")
    eng = make_engine(pg.url)
    try:
        yield eng
    finally:
        eng.dispose()
        pg.drop()


def _diff(engine: Engine) -> list[object]:
    def for_this_database(
        obj: object, _name: object, _kind: str, _reflected: bool, _to: object
    ) -> bool:
        # An index the model makes on one database only (`.ddl_if(dialect=...)`, such as the
        # PostgreSQL trigram index) is not expected on the others.
        only = getattr(getattr(obj, "_ddl_if", None), "dialect", None)
        return only is None or only == engine.dialect.name

    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": for_this_database}
        )
        return list(compare_metadata(ctx, Base.metadata))


def test_there_is_a_single_head() -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1


def test_upgrade_matches_models_then_down_and_up_again(fresh_engine: Engine) -> None:
    upgrade(fresh_engine)
    assert _diff(fresh_engine) == []
    with fresh_engine.connect() as conn:
        names = set(conn.scalars(select(Language.name)))
    assert {"English", "Vietnamese", "Chinese (Cantonese)", "Tagalog"} <= names
    downgrade(fresh_engine, "base")
    assert set(inspect(fresh_engine).get_table_names()) <= {"alembic_version"}
    upgrade(fresh_engine)
    assert _diff(fresh_engine) == []


def test_every_revision_steps_down_and_up(fresh_engine: Engine) -> None:
    script = ScriptDirectory.from_config(alembic_config())
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    for rev in revisions:
        upgrade(fresh_engine, rev)
    for rev in reversed(revisions):
        downgrade(fresh_engine, "-1")
        del rev
    with fresh_engine.connect() as conn:
        version = conn.execute(text("SELECT count(*) FROM alembic_version")).scalar()
    assert version == 0


def test_sqlite_foreign_keys_are_back_on_after_migrating(tmp_path: Path) -> None:
    eng = make_engine(f"sqlite:///{tmp_path / 'fk.db'}")
    upgrade(eng)
    with eng.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    eng.dispose()
