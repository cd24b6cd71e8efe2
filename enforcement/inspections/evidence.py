"""Evidence files: checked by their content, stored outside the web root under their hash."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from enforcement.access import Actor
from enforcement.errors import ValidationFailed
from enforcement.models.inspections import EvidenceFile

# Image types we accept, recognised by their first bytes (never by the file name).
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"WEBP", 8, "image/webp"),
)


def sniff_image(data: bytes) -> str | None:
    """Return the image type the bytes really are, or None if they are not an accepted image."""
    for magic, offset, kind in _SIGNATURES:
        if data[offset : offset + len(magic)] == magic:
            if kind == "image/webp" and not data.startswith(b"RIFF"):
                continue
            return kind
    return None


def path_for(storage: Path, sha256: str) -> Path:
    return storage / sha256[:2] / sha256


def store_image(
    session: Session,
    actor: Actor,
    now: datetime,
    data: bytes,
    original_name: str,
    storage: Path,
    *,
    max_bytes: int,
    field: str = "photo",
) -> EvidenceFile:
    """Check and keep an uploaded photo; the same content uploaded twice is kept once.

    The file is written before the database row: if the transaction then fails, an unused
    file named by its own hash remains, which is harmless and reused by a later upload.
    """
    if not data:
        raise ValidationFailed({field: "The selected file is empty"})
    if len(data) > max_bytes:
        raise ValidationFailed(
            {field: f"The photo must be smaller than {max_bytes // (1024 * 1024)} MB"}
        )
    kind = sniff_image(data)
    if kind is None:
        raise ValidationFailed({field: "The photo must be a JPG, PNG or WebP image"})
    digest = hashlib.sha256(data).hexdigest()
    existing = session.scalar(select(EvidenceFile).where(EvidenceFile.sha256 == digest))
    if existing is not None:
        return existing
    target = path_for(storage, digest)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    safe_name = (
        re.sub(r"[^A-Za-z0-9._ -]", "_", Path(original_name or "photo").name)[:200] or "photo"
    )
    row = EvidenceFile(
        sha256=digest,
        content_type=kind,
        size_bytes=len(data),
        original_name=safe_name,
        uploaded_at=now,
        uploaded_by_id=actor.user_id,
    )
    session.add(row)
    session.flush()
    return row
