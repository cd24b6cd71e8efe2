"""The migrations build the schema the models describe, and go down and up again, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from builders import WEST
from builders.welfare import make_world
from conftest import PostgresDatabase, alembic_config, downgrade, upgrade
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session

from enforcement.clock import to_london
from enforcement.db import make_engine
from enforcement.models import Base, Language, ReferralRecord, ReferralRecordType


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
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
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


def test_0018_keeps_referral_counts_as_anonymous_records_both_ways(fresh_engine: Engine) -> None:
    """Down to 0013 the records become counts by route; up again, one record per count."""
    upgrade(fresh_engine)
    with Session(fresh_engine) as session:
        world = make_world(session)
        visit = world.log(session)  # an adult's NRM referral and two to a specialist charity
        visit_id, visited_on = visit.id, to_london(visit.visited_at).date()
        session.commit()
    downgrade(fresh_engine, "0013")
    with fresh_engine.connect() as conn:
        counts = conn.execute(
            text("SELECT visit_id, route, count FROM welfare_referral_counts ORDER BY route")
        ).all()
    assert [tuple(c) for c in counts] == [
        (visit_id, "nrm", 1),
        (visit_id, "specialist_charity", 2),
    ]
    upgrade(fresh_engine)
    assert _diff(fresh_engine) == []
    with Session(fresh_engine) as session:
        rows = session.scalars(
            select(ReferralRecord).order_by(ReferralRecord.route, ReferralRecord.id)
        ).all()
        assert [(r.welfare_visit_id, r.route, r.age_group) for r in rows] == [
            (visit_id, "nrm", "not_known"),
            (visit_id, "specialist_charity", "not_known"),
            (visit_id, "specialist_charity", "not_known"),
        ]
        assert {(r.ward_code, r.submitted_on, r.gender, r.consent_given) for r in rows} == {
            (WEST.code, visited_on, "not_recorded", None)
        }
        types = session.scalars(select(ReferralRecordType.exploitation_type)).all()
        assert types == ["not_known"] * 3
