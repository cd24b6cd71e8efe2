"""The migrations build the schema the models describe, and go down and up again, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from builders import IN_WEST, OUTSIDE, WEST
from builders.register import make_premises, make_wards
from builders.welfare import make_world
from conftest import PostgresDatabase, alembic_config, downgrade, upgrade
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session

from enforcement import schema
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


def test_0020_will_not_downgrade_while_photos_are_kept_in_the_database(
    fresh_engine: Engine,
) -> None:
    upgrade(fresh_engine, "0020")
    with fresh_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO evidence_blobs (sha256, data, stored_at)"
                " VALUES (:h, :d, CURRENT_TIMESTAMP)"
            ),
            {"h": "a" * 64, "d": b"\x89PNG"},
        )
    with pytest.raises(RuntimeError, match="flask evidence move --to folder"):
        downgrade(fresh_engine, "-1")
    with fresh_engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM evidence_blobs")) == 1
        conn.execute(text("DELETE FROM evidence_blobs"))
        conn.commit()
    downgrade(fresh_engine, "-1")
    assert "evidence_blobs" not in inspect(fresh_engine).get_table_names()


def test_visits_keep_their_data_across_the_visit_record_migration(fresh_engine: Engine) -> None:
    """0019 adds the whole visit record: a visit logged before keeps everything it had, with
    its new parts "not recorded" and handling code P."""
    from builders.welfare import make_world
    from sqlalchemy.orm import Session

    upgrade(fresh_engine)
    with Session(fresh_engine) as session:
        world = make_world(session)
        visit_id = world.log(session).id
        session.commit()
    before_0019 = ScriptDirectory.from_config(alembic_config()).get_revision("0019").down_revision
    assert isinstance(before_0019, str)
    downgrade(fresh_engine, before_0019)
    with fresh_engine.begin() as conn:
        conn.execute(
            text("UPDATE welfare_visits SET people_present = 4 WHERE id = :id"), {"id": visit_id}
        )
    upgrade(fresh_engine)
    with fresh_engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT people_present, handling_code, dress, consent_to_talk, "
                "immigration_status, interpreter_language FROM welfare_visits WHERE id = :id"
            ),
            {"id": visit_id},
        ).one()
        indicators = conn.execute(
            text("SELECT count(*) FROM welfare_visit_indicators WHERE visit_id = :id"),
            {"id": visit_id},
        ).scalar()
        outcomes = conn.execute(
            text("SELECT count(*) FROM welfare_visit_outcomes WHERE visit_id = :id"),
            {"id": visit_id},
        ).scalar()
    assert tuple(row) == (4, "P", None, None, None, "th")
    assert indicators == 2 and outcomes == 0


def test_0026_moves_each_premises_ward_to_premises_wards_and_back(fresh_engine: Engine) -> None:
    """Down to 0025 the ward is a column of premises again; up, one row per premises in a
    ward and none for a premises outside every ward, the ids unchanged both ways."""
    upgrade(fresh_engine)
    with Session(fresh_engine) as session:
        make_wards(session)
        inside = make_premises(session, longitude=IN_WEST[0], latitude=IN_WEST[1])
        outside = make_premises(session, longitude=OUTSIDE[0], latitude=OUTSIDE[1])
        session.commit()
        placed = {inside.id: inside.ward_id, outside.id: outside.ward_id}
    assert placed[inside.id] is not None and placed[outside.id] is None
    downgrade(fresh_engine, "0025")
    with fresh_engine.connect() as conn:
        rows = conn.execute(text("SELECT id, ward_id FROM premises ORDER BY id")).all()
    assert dict(tuple(r) for r in rows) == placed
    upgrade(fresh_engine)
    assert _diff(fresh_engine) == []
    with fresh_engine.connect() as conn:
        rows = conn.execute(
            text("SELECT premises_id, ward_id FROM premises_wards ORDER BY premises_id")
        ).all()
    assert [tuple(r) for r in rows] == [(inside.id, placed[inside.id])]


def test_the_schema_check_says_what_to_do_at_each_revision(fresh_engine: Engine) -> None:
    head = schema.code_heads()
    before_head = ScriptDirectory.from_config(alembic_config()).get_revision(next(iter(head)))
    assert before_head is not None and isinstance(before_head.down_revision, str)

    state = schema.schema_state(fresh_engine)  # nobody migrated it
    assert state.found == frozenset() and state.needed == head and not state.current
    assert "none of this service's tables" in (state.problem() or "")

    upgrade(fresh_engine)
    state = schema.schema_state(fresh_engine)
    assert state.current and state.found == head and state.problem() is None

    downgrade(fresh_engine, "-1")  # the code upgraded, the database not yet
    problem = schema.schema_state(fresh_engine).problem() or ""
    assert f"at revision {before_head.down_revision}, older" in problem
    assert "alembic upgrade head" in problem

    upgrade(fresh_engine)
    with fresh_engine.begin() as conn:  # migrated by a newer version, then this one started
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00dfeedbeef'"))
    problem = schema.schema_state(fresh_engine).problem() or ""
    assert "revision f00dfeedbeef, which this version of the service does not know" in problem
