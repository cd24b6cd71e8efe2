"""A backup is only as good as its restore: pg_dump a database, pg_restore it into an empty one,
and the audit trail (hash chain and checkpoints), the photos and the schema all come back.

Follows the steps docs/operations.md gives an operator. Needs pg_dump and pg_restore: under
CI=true their absence fails the run rather than skipping.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from builders import NOW, SYSTEM, make_premises, make_user, make_wards
from conftest import PostgresDatabase, alembic_config, upgrade
from image_helpers import png
from sqlalchemy import func, select, text
from support import skip_or_fail

from app import create_app
from config import Settings
from enforcement import audit
from enforcement.db import make_engine, session_factory, writer
from enforcement.inspections import evidence
from enforcement.models import AuditEvent, EvidenceBlob, Premises

pytestmark = pytest.mark.postgres

KEY = "k" * 40


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as the PostgreSQL tools take it (no driver name)."""
    return re.sub(r"^postgresql\+\w+://", "postgresql://", url)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        skip_or_fail(f"{name} is not installed (apt-get install postgresql-client)")
    assert found is not None
    return found


@pytest.fixture
def databases() -> Iterator[tuple[str, str]]:
    source, target = PostgresDatabase("tracker_backup"), PostgresDatabase("tracker_restore")
    try:
        yield source.url, target.url
    finally:
        source.drop()
        target.drop()


def _settings(url: str, checkpoints: Path) -> Settings:
    return Settings(
        database_url=url,
        secret_key="x" * 40,
        testing=True,
        audit_checkpoint_key=KEY,
        audit_checkpoint_file=checkpoints,
    )


def test_a_dump_restored_into_an_empty_database_passes_audit_verify(
    databases: tuple[str, str], tmp_path: Path
) -> None:
    pg_dump, pg_restore = _tool("pg_dump"), _tool("pg_restore")
    source_url, target_url = databases
    checkpoints = tmp_path / "audit-checkpoints.jsonl"
    photo, _kind = evidence.clean_image(png(12, 9))
    engine = make_engine(source_url)
    try:
        upgrade(engine)
        with session_factory(writer(engine))() as s:
            make_wards(s)
            make_user(s, "licensing_officer")
            make_premises(s, name="The Crown")
            for n in range(5):
                audit.record(
                    s, SYSTEM, NOW, action="test.note", entity_type="t", entity_id=n, summary="n"
                )
            stored = evidence.store_image(
                s, SYSTEM, NOW, photo, evidence.DatabaseStore(), max_bytes=100_000
            )
            s.commit()
            events = s.scalar(select(func.count()).select_from(AuditEvent))
            digest = stored.sha256
    finally:
        engine.dispose()
    source_app = create_app(_settings(source_url, checkpoints))
    taken = source_app.test_cli_runner().invoke(args=["audit", "checkpoint"])
    assert taken.exit_code == 0, taken.output
    assert checkpoints.read_text(encoding="utf-8").strip()

    # The backup, as docs/operations.md gives it: custom format, no owner or grants baked in.
    dump = tmp_path / "tracker.dump"
    subprocess.run(
        [
            pg_dump,
            "--format=custom",
            "--no-owner",
            "--no-acl",
            "--file",
            str(dump),
            _libpq(source_url),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert dump.stat().st_size > 0
    # The restore, into an empty database; --exit-on-error: a restore that half works fails.
    subprocess.run(
        [
            pg_restore,
            "--no-owner",
            "--no-acl",
            "--exit-on-error",
            "--dbname",
            _libpq(target_url),
            str(dump),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )

    restored = create_app(_settings(target_url, checkpoints))
    verified = restored.test_cli_runner().invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "1 checkpoint checked" in verified.output

    engine = make_engine(target_url)
    try:
        with session_factory(engine)() as s:
            assert s.scalar(select(func.count()).select_from(AuditEvent)) == events
            assert s.scalar(select(Premises.name)) == "The Crown"
            kept = s.scalar(select(EvidenceBlob.data).where(EvidenceBlob.sha256 == digest))
            assert kept == photo
            head = s.scalar(text("SELECT version_num FROM alembic_version"))
            assert head == ScriptDirectory.from_config(alembic_config()).get_current_head()
        # The chain still guards the restored copy: an event removed behind the app's back
        # (as the database owner could) is found by verify.
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
            conn.execute(
                text("DELETE FROM audit_events WHERE id = (SELECT min(id) + 2 FROM audit_events)")
            )
            conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
    finally:
        engine.dispose()
    broken = restored.test_cli_runner().invoke(args=["audit", "verify"])
    assert broken.exit_code != 0
