"""Evidence photos: decoded in full, re-encoded without metadata, stored under the new hash."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from PIL import Image, ImageOps
from sqlalchemy import select
from sqlalchemy.orm import Session

from enforcement import audit
from enforcement.access import Actor, Permission, require
from enforcement.errors import ValidationFailed
from enforcement.models.inspections import EvidenceFile

# Image types we accept, recognised by their first bytes (never by the file name).
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"WEBP", 8, "image/webp"),
)
# The only decoder each type may be opened with, and the name each is served under.
_PIL_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
# 40 megapixels is more than any phone camera takes and a few hundred MB decoded at most:
# anything larger is refused from its header, before a byte of it is decoded.
MAX_PIXELS = 40_000_000

NOT_AN_IMAGE = "The photo must be a JPG, PNG or WebP image"
DAMAGED = "The photo could not be read: it is damaged, or it is not really a JPG, PNG or WebP image"
TOO_MANY_PIXELS = "The photo is too large: take it at a lower resolution (at most 40 megapixels)"


def sniff_image(data: bytes) -> str | None:
    """Return the image type the bytes claim to be, or None if they are not an accepted image.

    Only a first sorting: `clean_image` decodes the whole file before anything is kept.
    """
    for magic, offset, kind in _SIGNATURES:
        if data[offset : offset + len(magic)] == magic:
            if kind == "image/webp" and not data.startswith(b"RIFF"):
                continue
            return kind
    return None


def clean_image(
    data: bytes, *, field: str = "photo", max_pixels: int = MAX_PIXELS
) -> tuple[bytes, str]:
    """Decode an uploaded photo in full and return it re-encoded with no metadata, and its type.

    What is kept is only the pixels, turned upright (its EXIF orientation applied) and written
    afresh: no EXIF (an officer's phone writes where it was), no XMP, comments, colour
    profiles or text chunks, and nothing that followed the image in the file. Raises
    ValidationFailed for anything that is not a whole JPG, PNG or WebP image, and for images
    over `max_pixels`.
    """
    kind = sniff_image(data)
    if kind is None:
        raise ValidationFailed({field: NOT_AN_IMAGE})
    fmt = _PIL_FORMATS[kind]
    try:
        with warnings.catch_warnings():
            # Pillow only warns below twice its own limit; ours is lower and always an error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[fmt]) as probe:
                if probe.width * probe.height > max_pixels:
                    raise ValidationFailed({field: TOO_MANY_PIXELS})
                probe.verify()  # checksums and structure, which decoding alone may skip
            with Image.open(io.BytesIO(data), formats=[fmt]) as image:
                image.load()
                _turn_upright(image)
                return _encode(_pixels_only(image, kind), kind), kind
    except ValidationFailed:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationFailed({field: TOO_MANY_PIXELS}) from exc
    except Exception as exc:
        # Decoders fail on hostile input in many ways (OSError, SyntaxError, struct.error,
        # ValueError...): whichever it is, the file is refused, never a server error.
        raise ValidationFailed({field: DAMAGED}) from exc


def _turn_upright(image: Image.Image) -> None:
    """Apply the EXIF orientation, since the EXIF that says it is about to go."""
    # An orientation that cannot be read is left as it is: the picture is still the picture.
    with contextlib.suppress(Exception):
        ImageOps.exif_transpose(image, in_place=True)


def _pixels_only(image: Image.Image, kind: str) -> Image.Image:
    """Copy the pixels into a new image, which carries none of the original's metadata."""
    alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    mode = "RGBA" if alpha and kind != "image/jpeg" else "RGB"
    converted = image if image.mode == mode else image.convert(mode)
    clean = Image.new(mode, converted.size)
    clean.paste(converted)
    return clean


def _encode(image: Image.Image, kind: str) -> bytes:
    out = io.BytesIO()
    if kind == "image/jpeg":
        image.save(out, "JPEG", quality=90, optimize=True)
    elif kind == "image/png":
        image.save(out, "PNG")
    else:
        image.save(out, "WEBP", quality=90)
    return out.getvalue()


def path_for(storage: Path, sha256: str) -> Path:
    return storage / sha256[:2] / sha256


def _write(target: Path, data: bytes) -> None:
    """Write a file whole or not at all (a temporary file renamed into place)."""
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, target)


def download_name(sha256: str, content_type: str) -> str:
    """Return the name a stored photo is served under: from its hash and type, never uploaded."""
    return f"evidence-{sha256[:16]}.{EXTENSIONS.get(content_type, 'bin')}"


def store_image(
    session: Session,
    actor: Actor,
    now: datetime,
    data: bytes,
    storage: Path,
    *,
    max_bytes: int,
    field: str = "photo",
) -> EvidenceFile:
    """Check, clean and keep an uploaded photo; the same picture uploaded twice is kept once.

    The uploaded file name is not kept: it can name a person or a place. The file is written
    before the database row: if the transaction then fails, an unused file named by its own
    hash remains, which is harmless and reused by a later upload.
    """
    if not data:
        raise ValidationFailed({field: "The selected file is empty"})
    if len(data) > max_bytes:
        raise ValidationFailed(
            {field: f"The photo must be smaller than {max_bytes // (1024 * 1024)} MB"}
        )
    cleaned, kind = clean_image(data, field=field)
    digest = hashlib.sha256(cleaned).hexdigest()
    existing = session.scalar(select(EvidenceFile).where(EvidenceFile.sha256 == digest))
    if existing is not None:
        return existing
    _write(path_for(storage, digest), cleaned)
    row = EvidenceFile(
        sha256=digest,
        content_type=kind,
        size_bytes=len(cleaned),
        original_name=download_name(digest, kind),
        uploaded_at=now,
        uploaded_by_id=actor.user_id,
    )
    session.add(row)
    session.flush()
    return row


@dataclass
class CleanReport:
    """What cleaning the stored photos did; `superseded` are files to remove after the commit."""

    cleaned: list[int] = field(default_factory=list)
    already_clean: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)
    duplicates: list[tuple[int, int]] = field(default_factory=list)
    superseded: list[Path] = field(default_factory=list)


def clean_stored(session: Session, actor: Actor, now: datetime, storage: Path) -> CleanReport:
    """Re-encode every stored photo as an upload is today, each change audited (flushes only).

    For photos kept as they were uploaded, before uploads were decoded and cleaned: each keeps
    its id (so every inspection still shows it) and takes the hash and name of its clean copy.
    A file that does not decode is listed, never deleted: it is evidence, for a person to judge.
    The caller commits, then removes the `superseded` files.
    """
    require(actor, Permission.EVIDENCE_VIEW)
    report = CleanReport()
    for row in session.scalars(select(EvidenceFile).order_by(EvidenceFile.id)):
        path = path_for(storage, row.sha256)
        if not path.is_file():
            report.missing.append(row.id)
            continue
        try:
            cleaned, kind = clean_image(path.read_bytes())
        except ValidationFailed as exc:
            report.refused.append((row.id, exc.errors["photo"]))
            continue
        digest = hashlib.sha256(cleaned).hexdigest()
        if digest == row.sha256:
            report.already_clean += 1
            continue
        twin = session.scalar(select(EvidenceFile.id).where(EvidenceFile.sha256 == digest))
        if twin is not None:
            report.duplicates.append((row.id, twin))
            continue
        _write(path_for(storage, digest), cleaned)
        before = {"sha256": row.sha256, "content_type": row.content_type, "size": row.size_bytes}
        row.sha256, row.content_type, row.size_bytes = digest, kind, len(cleaned)
        row.original_name = download_name(digest, kind)
        audit.record(
            session,
            actor,
            now,
            action="evidence.clean",
            entity_type="evidence_file",
            entity_id=row.id,
            summary=f"Re-encoded evidence photo {row.id} without its metadata",
            before=before,
            after={"sha256": digest, "content_type": kind, "size": len(cleaned)},
        )
        report.cleaned.append(row.id)
        report.superseded.append(path)
    session.flush()
    return report
