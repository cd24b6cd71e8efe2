"""The audit trail's hash chain, and checkpoints that anchor it outside the database.

An event's `hash` is SHA-256 over the previous event's hash and a canonical JSON list of the
event's stored fields (its id is left out: ids are given by the database after the hash is
computed, and the order is carried by `prev_hash`). Changing an event breaks its own hash;
deleting or inserting one breaks the next event's `prev_hash`. The first event chains from
GENESIS.

The chain alone proves nothing to someone who can write to the database: they can edit an
event and recompute every later hash with `event_hash`, or delete the newest events. So the
scheduler takes **checkpoints**: the head hash, the number of events and the last id, signed
with HMAC-SHA256 under a key the database never holds, appended to a file and mailed to the
auditors. `verify` checks the chain and every checkpoint, and reports every break it finds.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import text
from sqlalchemy.orm import Session

from enforcement.clock import stamp_text

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
class Break:
    """One place the trail is broken: a run of events with the same problem, or a checkpoint.

    Consecutive events with the same problem are reported as one range, so a million edited
    events make one line, not a million.
    """

    problem: str
    first_id: int | None = None
    last_id: int | None = None
    events: int = 0
    source: str = ""  # where a checkpoint came from ("line 4 of /path"), for checkpoint breaks

    def describe(self) -> str:
        """Return the break as one sentence for the operator."""
        if self.first_id is None:
            where = f"Checkpoint ({self.source})" if self.source else "The trail"
        elif self.events > 1:
            where = f"Events {self.first_id} to {self.last_id} ({self.events:,} events)"
        else:
            where = f"Event {self.first_id}"
        return f"{where}: {self.problem}"


@dataclass(frozen=True)
class Verdict:
    """What checking the trail found: how many events, the head, and every break."""

    checked: int
    head: str
    last_id: int | None
    breaks: tuple[Break, ...] = ()
    checkpoints: int = 0  # how many checkpoints were checked against the trail
    latest: Checkpoint | None = None  # the newest of them

    @property
    def ok(self) -> bool:
        return not self.breaks

    @property
    def broken_id(self) -> int | None:
        """The first event found broken (None if none, or only a checkpoint line is bad)."""
        return next((b.first_id for b in self.breaks if b.first_id is not None), None)

    @property
    def problem(self) -> str | None:
        return self.breaks[0].problem if self.breaks else None


NO_LINK = "it has no link to the event before it"
NOT_FOLLOWING = (
    "it does not follow the event before it: an event was deleted, inserted or reordered before it"
)
CHANGED = "its content was changed"
_NEVER = float("inf")


class _Breaks:
    """Collects breaks, folding consecutive events with the same problem into one range."""

    def __init__(self) -> None:
        self.found: list[Break] = []
        self._run: Break | None = None

    def event(self, rid: int, problem: str, previous_id: int | None) -> None:
        """Record a broken event; `previous_id` is the event read just before it."""
        run = self._run
        if run is not None and run.problem == problem and run.last_id == previous_id:
            self._run = replace(run, last_id=rid, events=run.events + 1)
            return
        self._close_run()
        self._run = Break(problem, rid, rid, 1)

    def other(self, found: Break) -> None:
        self._close_run()
        self.found.append(found)

    def _close_run(self) -> None:
        if self._run is not None:
            self.found.append(self._run)
            self._run = None

    def done(self) -> tuple[Break, ...]:
        self._close_run()
        return tuple(self.found)


def verify_rows(rows: Iterable[Any], checkpoints: Iterable[tuple[Checkpoint, str]] = ()) -> Verdict:
    """Check events given in id order (ChainRow-shaped tuples) and report every break.

    Each event is checked on its own: that its `prev_hash` is the stored hash of the event
    before it (else an event was deleted, inserted or reordered there) and that its `hash`
    covers its content and that `prev_hash` (else it was changed). So one edit is reported
    once, at the edited event, and the checks carry on past it. An edit whose later hashes
    were all recomputed passes both; only a checkpoint, kept outside the database, catches it:
    each `(checkpoint, source)` must find the event at its `last_id` still carrying its `head`,
    with exactly `count` events up to it.
    """
    pending = sorted(checkpoints, key=lambda c: (c[0].last_id or 0, c[0].taken_at))
    breaks = _Breaks()
    prev = GENESIS
    checked = 0
    last_id: int | None = None
    nxt = 0
    encode, sha256 = _ENCODER.encode, hashlib.sha256
    # Checkpoints of an empty trail (last_id None) hold nothing to compare.
    while nxt < len(pending) and pending[nxt][0].last_id is None:
        nxt += 1

    def upcoming() -> float:  # the id the next checkpoint is at (checked once per event)
        return (pending[nxt][0].last_id or 0) if nxt < len(pending) else _NEVER

    due = upcoming()
    for row in rows:
        (rid, at, actor_id, label, action, etype, eid, summary, before, after, ip, back, own) = row
        if due < rid:
            while nxt < len(pending) and (pending[nxt][0].last_id or 0) < rid:
                cp, source = pending[nxt]
                breaks.other(_missing(cp, source))
                nxt += 1
            due = upcoming()
        body = encode([_stamp(at), actor_id, label, action, etype, eid, summary, before, after, ip])
        changed = own != sha256(f"{back or prev}\n{body}".encode()).hexdigest()
        if back != prev:
            problem = NOT_FOLLOWING if back else NO_LINK
            breaks.event(rid, f"{problem}, and {CHANGED}" if changed else problem, last_id)
        elif changed:
            breaks.event(rid, CHANGED, last_id)
        prev = own or ""
        checked += 1
        last_id = rid
        if due == rid:
            while nxt < len(pending) and pending[nxt][0].last_id == rid:
                cp, source = pending[nxt]
                found = _against(cp, source, own or "", checked)
                if found is not None:
                    breaks.other(found)
                nxt += 1
            due = upcoming()
    for cp, source in pending[nxt:]:
        breaks.other(_shortened(cp, source, last_id, checked))
    return Verdict(
        checked,
        prev,
        last_id,
        breaks.done(),
        len(pending),
        max((c for c, _s in pending), key=lambda c: (c.taken_at, c.count), default=None),
    )


def _when(cp: Checkpoint) -> str:
    return f"taken at {stamp_text(cp.taken_at)}"  # for people: London time with its zone


def _against(cp: Checkpoint, source: str, stored: str, count: int) -> Break | None:
    """Compare the trail at a checkpoint's last event with what the checkpoint recorded."""
    if stored != cp.head:
        return Break(
            f"the checkpoint {_when(cp)} recorded a different hash for event {cp.last_id}: "
            f"an event up to it was changed and the hashes after it recomputed",
            source=source,
        )
    if count != cp.count:
        how = "deleted" if count < cp.count else "inserted"
        return Break(
            f"the checkpoint {_when(cp)} recorded {cp.count:,} events up to event "
            f"{cp.last_id}; there are now {count:,}: events were {how}",
            source=source,
        )
    return None


def _missing(cp: Checkpoint, source: str) -> Break:
    return Break(
        f"event {cp.last_id}, the last event when the checkpoint was {_when(cp)}, is missing: "
        "it was deleted",
        source=source,
    )


def _shortened(cp: Checkpoint, source: str, last_id: int | None, count: int) -> Break:
    now = f"event {last_id} ({count:,} events)" if last_id is not None else "no events"
    return Break(
        f"the checkpoint {_when(cp)} recorded {cp.count:,} events up to event {cp.last_id}, "
        f"but the trail now ends at {now}: the newest events were deleted",
        source=source,
    )


# ---------------------------------------------------------------------------------------------
# Checkpoints
# ---------------------------------------------------------------------------------------------

CHECKPOINT_VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint line that cannot be trusted: not a checkpoint, or its signature is wrong."""


@dataclass(frozen=True)
class Checkpoint:
    """The trail's head at one moment: how many events, the last id and its hash.

    `taken_at` is when it was taken (UTC); an empty trail has `last_id` None and GENESIS.
    """

    taken_at: datetime
    count: int
    last_id: int | None
    head: str

    def _fields(self) -> dict[str, Any]:
        return {
            "v": CHECKPOINT_VERSION,
            "taken_at": _stamp(self.taken_at),
            "count": self.count,
            "last_id": self.last_id,
            "head": self.head,
        }


def _mac(key: bytes, fields: dict[str, Any]) -> str:
    message = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _key(key: bytes | str) -> bytes:
    raw = key.encode() if isinstance(key, str) else key
    if not raw:
        raise ValueError("a checkpoint key is needed (AUDIT_CHECKPOINT_KEY)")
    return raw


def checkpoint_line(cp: Checkpoint, key: bytes | str) -> str:
    """Return a checkpoint as one signed JSON line (no line break)."""
    fields = cp._fields()
    signed = {**fields, "mac": _mac(_key(key), fields)}
    return json.dumps(signed, separators=(",", ":"))


def read_checkpoint(line: str, key: bytes | str) -> Checkpoint:
    """Return the checkpoint a signed line holds; raise CheckpointError if it is not genuine."""
    try:
        data = json.loads(line)
    except (ValueError, RecursionError) as exc:
        raise CheckpointError("it is not a checkpoint (not JSON)") from exc
    if not isinstance(data, dict) or set(data) != {
        "v",
        "taken_at",
        "count",
        "last_id",
        "head",
        "mac",
    }:
        raise CheckpointError("it is not a checkpoint (its fields are not a checkpoint's)")
    mac = data.pop("mac")
    # Checked before the values are trusted for anything: a forged line says nothing.
    expected = _mac(_key(key), data).encode()
    if not isinstance(mac, str) or not hmac.compare_digest(mac.encode(), expected):
        raise CheckpointError(
            "its signature does not match: it was not written with this checkpoint key, "
            "or it was changed since"
        )
    if data["v"] != CHECKPOINT_VERSION:
        raise CheckpointError(f"it is a version {data['v']} checkpoint, which this cannot read")
    count, last_id, head = data["count"], data["last_id"], data["head"]
    try:
        taken_at = _utc(datetime.fromisoformat(str(data["taken_at"])))
    except ValueError as exc:
        raise CheckpointError("its time cannot be read") from exc
    if (
        not isinstance(count, int)
        or count < 0
        or not (last_id is None or isinstance(last_id, int))
        or not isinstance(head, str)
    ):
        raise CheckpointError("its values are not a checkpoint's")
    return Checkpoint(taken_at, count, last_id, head)


def read_checkpoints(
    lines: Iterable[str], key: bytes | str, source: str
) -> tuple[list[tuple[Checkpoint, str]], list[Break]]:
    """Read checkpoint lines (blank lines and '#' comments skipped) from one source.

    Returns the genuine checkpoints, each with where it came from ("line 4 of <source>"),
    and a break for every line that is not a genuine checkpoint.
    """
    found: list[tuple[Checkpoint, str]] = []
    bad: list[Break] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"line {number} of {source}"
        try:
            found.append((read_checkpoint(line, key), where))
        except CheckpointError as exc:
            bad.append(Break(str(exc), source=where))
    return found, bad


# One statement, so the count and the last event come from the same snapshot.
_HEAD = (
    "SELECT id, hash, (SELECT count(*) FROM audit_events) FROM audit_events "
    "ORDER BY id DESC LIMIT 1"
)


def take_checkpoint(session: Session, now: datetime) -> Checkpoint:
    """Return the trail's head as it stands, as a checkpoint taken at `now` (read-only)."""
    row = session.execute(text(_HEAD)).first()
    if row is None:
        return Checkpoint(now, 0, None, GENESIS)
    return Checkpoint(now, int(row[2]), int(row[0]), str(row[1] or ""))


def append_checkpoint(path: Path, line: str) -> None:
    """Append a checkpoint line to the file, on disk before returning.

    The file is only ever opened to append: nothing in the application can rewrite what an
    earlier checkpoint said (and the operator can make the file append-only, see
    docs/operations-security.md).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def last_checkpoint_at(path: Path) -> datetime | None:
    """Return when the newest checkpoint in the file was taken, or None if there is none.

    Only the time is read, to decide when the next is due; `verify` checks the signatures.
    """
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 4096))
            tail = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return None  # missing or unreadable: the next checkpoint is due, and says why if it fails
    for line in reversed(tail.splitlines()):
        try:
            data = json.loads(line)
            return _utc(datetime.fromisoformat(str(data["taken_at"])))
        except (ValueError, KeyError, TypeError, RecursionError):
            continue
    return None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


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


def verify(session: Session, checkpoints: Iterable[tuple[Checkpoint, str]] = ()) -> Verdict:
    """Check the whole audit trail against its checkpoints, reporting every break (read-only)."""
    return verify_rows(stream(session), checkpoints)
