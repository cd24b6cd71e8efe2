"""Photos stored before uploads were cleaned are re-encoded in place by `flask evidence clean`."""

from __future__ import annotations

import hashlib
from pathlib import Path

from builders import NOW, SYSTEM, make_user
from conftest import upgrade
from image_helpers import PNG_THEN_PHP, has_gps, jpeg_with_gps, png
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import create_app
from config import Settings
from enforcement.db import make_engine, session_factory, writer
from enforcement.inspections import evidence
from enforcement.models import AuditEvent
from enforcement.models.inspections import EvidenceFile


def _stored_raw(session: Session, storage: Path, data: bytes, kind: str) -> EvidenceFile:
    """Keep a file the way uploads were kept before: as uploaded, under its own hash."""
    digest = hashlib.sha256(data).hexdigest()
    path = evidence.path_for(storage, digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    row = EvidenceFile(
        sha256=digest,
        content_type=kind,
        size_bytes=len(data),
        original_name="IMG_flat_3.jpg",
        uploaded_at=NOW,
        uploaded_by_id=None,
    )
    session.add(row)
    session.flush()
    return row


def test_old_photos_lose_their_metadata_and_keep_their_ids(
    session: Session, tmp_path: Path
) -> None:
    make_user(session, "licensing_officer")
    with_gps = _stored_raw(session, tmp_path, jpeg_with_gps(), "image/jpeg")
    old_sha = with_gps.sha256
    attack = _stored_raw(session, tmp_path, PNG_THEN_PHP, "image/png")
    clean_png, _kind = evidence.clean_image(png())
    already = _stored_raw(session, tmp_path, clean_png, "image/png")
    gone = _stored_raw(session, tmp_path, png(8, 8), "image/png")
    evidence.path_for(tmp_path, gone.sha256).unlink()
    session.commit()

    report = evidence.clean_stored(session, SYSTEM, NOW, tmp_path)
    session.commit()
    assert report.cleaned == [with_gps.id] and report.already_clean == 1
    assert [i for i, _why in report.refused] == [attack.id] and report.missing == [gone.id]
    assert report.superseded == [old_sha]
    row = session.get(EvidenceFile, with_gps.id)
    assert row is not None and row.original_name == f"evidence-{row.sha256[:16]}.jpg"
    kept = evidence.path_for(tmp_path, row.sha256).read_bytes()
    assert hashlib.sha256(kept).hexdigest() == row.sha256 and not has_gps(kept)
    assert session.get(EvidenceFile, already.id).sha256 == already.sha256  # type: ignore[union-attr]
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "evidence.clean"))
    assert event is not None and event.entity_id == str(with_gps.id)
    again = evidence.clean_stored(session, SYSTEM, NOW, tmp_path)
    assert again.cleaned == [] and again.already_clean == 2


def test_the_command_removes_the_old_file_after_the_commit(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/clean.db"
    engine = make_engine(url)
    storage = tmp_path / "evidence"
    try:
        upgrade(engine)
        with session_factory(writer(engine))() as s:
            row = _stored_raw(s, storage, jpeg_with_gps(), "image/jpeg")
            old = evidence.path_for(storage, row.sha256)
            s.commit()
        app = create_app(
            Settings(database_url=url, secret_key="x" * 40, testing=True, evidence_dir=storage)
        )
        result = app.test_cli_runner().invoke(args=["evidence", "clean"])
        assert result.exit_code == 0 and "1 photo re-encoded" in result.output
        assert not old.exists()
        (kept,) = [p for p in storage.rglob("*") if p.is_file()]
        assert not has_gps(kept.read_bytes())
    finally:
        engine.dispose()
