"""The audit trail's hash chain: each event's hash covers its content and the previous hash.

An event's `hash` is SHA-256 over the previous event's hash and a canonical JSON list of the
event's stored fields (its id is left out: ids are given by the database after the hash is
computed, and the order is carried by `prev_hash`). Changing an event breaks its own hash;
deleting or inserting one breaks the next event's `prev_hash`. The first event chains from
GENESIS. Deleting events from the end leaves a valid but shorter chain, so `verify` reports
the head hash, count and last id for the operator to note somewhere outside the database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

GENESIS = "0" * 64
# One encoder for every event: json.dumps builds a new one per call when given options.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
SCHEME = 1  # bump (and migrate) if the canonical form ever changes


class ChainRow(NamedTuple):
    """The stored fields of one audit event, in the order `stream` reads them."""

    id: int
    at: datetime | str
    actor_id: int | None
    actor_label: str
    action: str
    entity_type: str
    entity_id: str | None
    summary: str
    before_json: str | None
    after_json: str | None
    ip_address: str | None
    prev_hash: str | None
    hash: str | None


def _stamp(at: datetime | str) -> str:
    """Return a time as UTC ISO 8601 to the microsecond, e.g. '2026-03-02T10:30:00.000000Z'.

    Accepts what drivers hand back on a raw read: an aware or naive (UTC) datetime, or
    SQLite's stored text 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC, as UTCDateTime writes it).
    """
    if isinstance(at, str):
        if len(at) == 26 and at[10] == " ":
            return f"{at[:10]}T{at[11:]}Z"
        at = datetime.fromisoformat(at)
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds") + "Z"


def canonical(
    at: datetime | str,
    actor_id: int | None,
    actor_label: str,
    action: str,
    entity_type: str,
    entity_id: str | None,
    summary: str,
    before_json: str | None,
    after_json: str | None,
    ip_address: str | None,
) -> str:
    """Return the canonical text of an event's fields (UTC time to the microsecond)."""
    return _ENCODER.encode(
        [
            _stamp(at),
            actor_id,
            actor_label,
            action,
            entity_type,
            entity_id,
            summary,
            before_json,
            after_json,
            ip_address,
        ]
    )


def link(prev_hash: str, body: str) -> str:
    """Return the hash of an event whose canonical text is `body`, following `prev_hash`."""
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def event_hash(prev_hash: str, row: Any) -> str:
    """Return the hash an event (any object with the stored fields) should carry."""
    return link(
        prev_hash,
        canonical(
            row.at,
            row.actor_id,
            row.actor_label,
            row.action,
            row.entity_type,
            row.entity_id,
            row.summary,
            row.before_json,
            row.after_json,
            row.ip_address,
        ),
    )


@dataclass(frozen=True)
class Verdict:
    """What checking the chain found: how many events, the head, and the first broken link."""

    checked: int
    head: str
    last_id: int | None
    broken_id: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def verify_rows(rows: Iterable[Any]) -> Verdict:
    """Check events given in id order (ChainRow-shaped tuples); stop at the first broken link."""
    prev = GENESIS
    checked = 0
    last_id: int | None = None
    encode, sha256 = _ENCODER.encode, hashlib.sha256
    for row in rows:
        (rid, at, actor_id, label, action, etype, eid, summary, before, after, ip, back, own) = row
        if back != prev:
            problem = (
                "it does not follow the event before it: an event was deleted, inserted "
                "or reordered before it"
                if back
                else "it has no link to the event before it"
            )
            return Verdict(checked, prev, last_id, rid, problem)
        body = encode([_stamp(at), actor_id, label, action, etype, eid, summary, before, after, ip])
        expected = sha256(f"{prev}\n{body}".encode()).hexdigest()
        if own != expected:
            return Verdict(checked, prev, last_id, rid, "its content was changed")
        prev = expected
        checked += 1
        last_id = rid
    return Verdict(checked, prev, last_id)


# Read through the driver's own cursor: building SQLAlchemy rows and processing types would
# otherwise take most of the time of checking a million events.
_COLUMNS = (
    "SELECT id, at, actor_id, actor_label, action, entity_type, entity_id, summary, "
    "before_json, after_json, ip_address, prev_hash, hash FROM audit_events "
)
_BATCH = {
    "qmark": _COLUMNS + "WHERE id > ? ORDER BY id LIMIT ?",
    "format": _COLUMNS + "WHERE id > %s ORDER BY id LIMIT %s",
}


def stream(session: Session, batch: int = 20_000) -> Iterator[Any]:
    """Yield every audit event (ChainRow-shaped tuples) in id order, in keyset batches."""
    connection = session.connection()
    style = "qmark" if connection.dialect.paramstyle in ("qmark", "numeric") else "format"
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    after = 0
    try:
        while True:
            cursor.execute(_BATCH[style], (after, batch))
            rows = cursor.fetchall()
            if not rows:
                return
            yield from rows
            after = rows[-1][0]
    finally:
        cursor.close()


def verify(session: Session) -> Verdict:
    """Check the whole audit trail, reporting the first broken link (read-only)."""
    return verify_rows(stream(session))
