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
from typing import Protocol

from PIL import Image, ImageOps
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from enforcement import audit
from enforcement.access import Actor, Permission, require
from enforcement.errors import ValidationFailed
from enforcement.models.inspections import EvidenceBlob, EvidenceFile

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
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)


# ---------------------------------------------------------------------------------------------
# Where the bytes are kept: one interface, two backends (docs/inspections.md)


class EvidenceStore(Protocol):
    """Keeps the bytes of photos by their SHA-256; the evidence_files rows say what they are.

    Every method takes the caller's session: the database backend writes in its transaction
    (a photo and the row naming it are kept together or not at all); the folder ignores it.
    """

    @property
    def name(self) -> str: ...

    def put(self, session: Session, sha256: str, data: bytes, now: datetime) -> None: ...

    def get(self, session: Session, sha256: str) -> bytes | None: ...

    def has(self, session: Session, sha256: str) -> bool: ...

    def discard(self, session: Session, sha256: str) -> None: ...


@dataclass(frozen=True)
class FolderStore:
    """Photos as files under a folder (EVIDENCE_DIR), two hex digits of the hash per subfolder.

    A file is written whole before the row that names it: if the transaction then fails, an
    unused file named by its own hash remains, harmless and reused by a later upload.
    """

    root: Path
    name: str = "folder"

    def put(self, session: Session, sha256: str, data: bytes, now: datetime) -> None:
        _write(path_for(self.root, sha256), data)

    def get(self, session: Session, sha256: str) -> bytes | None:
        path = path_for(self.root, sha256)
        return path.read_bytes() if path.is_file() else None

    def has(self, session: Session, sha256: str) -> bool:
        return path_for(self.root, sha256).is_file()

    def discard(self, session: Session, sha256: str) -> None:
        path_for(self.root, sha256).unlink(missing_ok=True)


@dataclass(frozen=True)
class DatabaseStore:
    """Photos in the evidence_blobs table (bytea on PostgreSQL, a BLOB on SQLite), so every
    web server on the database sees every photo and a backup of the database holds them."""

    name: str = "database"

    def put(self, session: Session, sha256: str, data: bytes, now: datetime) -> None:
        if not self.has(session, sha256):
            session.add(EvidenceBlob(sha256=sha256, data=data, stored_at=now))
            session.flush()

    def get(self, session: Session, sha256: str) -> bytes | None:
        return session.scalar(select(EvidenceBlob.data).where(EvidenceBlob.sha256 == sha256))

    def has(self, session: Session, sha256: str) -> bool:
        return (
            session.scalar(select(EvidenceBlob.sha256).where(EvidenceBlob.sha256 == sha256))
            is not None
        )

    def discard(self, session: Session, sha256: str) -> None:
        session.execute(delete(EvidenceBlob).where(EvidenceBlob.sha256 == sha256))


STORES = ("folder", "database")


def store_for(kind: str, folder: Path) -> EvidenceStore:
    """Return the backend a setting names (EVIDENCE_STORE): "folder" or "database"."""
    if kind == "database":
        return DatabaseStore()
    if kind == "folder":
        return FolderStore(folder)
    raise ValueError(f"unknown evidence store {kind!r}: use one of {', '.join(STORES)}")


def _store(storage: Path | EvidenceStore) -> EvidenceStore:
    return FolderStore(storage) if isinstance(storage, Path) else storage


def read_image(session: Session, storage: Path | EvidenceStore, row: EvidenceFile) -> bytes | None:
    """Return the bytes of a stored photo, or None when its backend does not hold them."""
    return _store(storage).get(session, row.sha256)


def download_name(sha256: str, content_type: str) -> str:
    """Return the name a stored photo is served under: from its hash and type, never uploaded."""
    return f"evidence-{sha256[:16]}.{EXTENSIONS.get(content_type, 'bin')}"


def store_image(
    session: Session,
    actor: Actor,
    now: datetime,
    data: bytes,
    storage: Path | EvidenceStore,
    *,
    max_bytes: int,
    field: str = "photo",
) -> EvidenceFile:
    """Check, clean and keep an uploaded photo; the same picture uploaded twice is kept once.

    The uploaded file name is not kept: it can name a person or a place. `storage` is the
    backend (a folder given as a Path is the folder backend).
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
    _store(storage).put(session, digest, cleaned, now)
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
    superseded: list[str] = field(default_factory=list)


def clean_stored(
    session: Session, actor: Actor, now: datetime, storage: Path | EvidenceStore
) -> CleanReport:
    """Re-encode every stored photo as an upload is today, each change audited (flushes only).

    For photos kept as they were uploaded, before uploads were decoded and cleaned: each keeps
    its id (so every inspection still shows it) and takes the hash and name of its clean copy.
    A file that does not decode is listed, never deleted: it is evidence, for a person to judge.
    The caller commits, then discards the `superseded` hashes from the store.
    """
    require(actor, Permission.EVIDENCE_VIEW)
    store = _store(storage)
    report = CleanReport()
    for row in session.scalars(select(EvidenceFile).order_by(EvidenceFile.id)):
        data = store.get(session, row.sha256)
        if data is None:
            report.missing.append(row.id)
            continue
        try:
            cleaned, kind = clean_image(data)
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
        old = row.sha256
        store.put(session, digest, cleaned, now)
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
        report.superseded.append(old)
    session.flush()
    return report


@dataclass
class MoveReport:
    """What moving the photos did: copied, found already there, and named but in neither
    backend or not matching their hash (left for a person to look into). `to_discard` are the
    source's copies to remove once the copies are committed."""

    moved: int = 0
    already: int = 0
    missing: list[int] = field(default_factory=list)
    damaged: list[int] = field(default_factory=list)
    to_discard: list[str] = field(default_factory=list)


def move_evidence(
    session: Session,
    actor: Actor,
    now: datetime,
    source: EvidenceStore,
    target: EvidenceStore,
) -> MoveReport:
    """Copy every stored photo from one backend to the other, each checked against its hash.

    Safe to run again: a photo the target holds already is not copied twice. Audited once
    with the counts. The caller commits, then discards `to_discard` from the source and
    commits again, so a photo is in one backend or both, never in neither.
    """
    require(actor, Permission.EVIDENCE_VIEW)
    report = MoveReport()
    for row in session.scalars(select(EvidenceFile).order_by(EvidenceFile.id)):
        if target.has(session, row.sha256):
            report.already += 1
            if source.has(session, row.sha256):
                report.to_discard.append(row.sha256)
            continue
        data = source.get(session, row.sha256)
        if data is None:
            report.missing.append(row.id)
            continue
        if hashlib.sha256(data).hexdigest() != row.sha256:
            report.damaged.append(row.id)
            continue
        target.put(session, row.sha256, data, now)
        report.moved += 1
        report.to_discard.append(row.sha256)
    audit.record(
        session,
        actor,
        now,
        action="evidence.move",
        entity_type="evidence_file",
        entity_id=None,
        summary=(
            f"Moved {report.moved} evidence photos from the {source.name} to the {target.name}"
            f" ({report.already} there already, {len(report.missing)} missing,"
            f" {len(report.damaged)} not matching their hash)"
        ),
        after={
            "from": source.name,
            "to": target.name,
            "moved": report.moved,
            "already": report.already,
            "missing": report.missing,
            "damaged": report.damaged,
        },
    )
    session.flush()
    return report
