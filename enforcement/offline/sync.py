"""A record sent back from a device: its envelope, whether it was accepted already, and conflicts.

The record itself is checked and saved by the same form and the same use case as online (the
web layer runs them); this module decides everything around that: whether the body is a record
at all (`parse`), whether this user's record with this key is already on the server
(`accepted_already`), and whether what it was recorded against has changed since the premises
was taken offline (`conflict`), with the changes said in words and London times.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from enforcement.access import Actor
from enforcement.models import Inspection
from enforcement.models.welfare import WelfareVisit
from enforcement.numbers import MAX_DB_ID
from enforcement.offline.package import Current, Parts, read_current, short_time


class Kind(StrEnum):
    INSPECTION = "inspection"
    WELFARE_VISIT = "welfare_visit"


#: Limits on an envelope (the request's own size limit bounds the whole body).
MAX_FIELDS = 400
MAX_FIELD_NAME = 100
MAX_VALUES = 200
MAX_VERSION = 100
_KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")
_FIELD_NAME = re.compile(r"[A-Za-z0-9_-]+")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
#: Fields an envelope may not set: the key comes from the envelope, the token from the header.
_NOT_FROM_DEVICE = frozenset({"csrf_token", "idempotency_key", "photo", "submit"})


@dataclass(frozen=True)
class Envelope:
    kind: Kind
    premises_id: int
    idempotency_key: str
    taken_version: str
    acknowledge_conflict: bool
    fields: Mapping[str, tuple[str, ...]]


class BadEnvelope(ValueError):
    """The body is not a record in the agreed shape (400)."""


class NoSuchPremises(ValueError):
    """The premises id cannot be one (404, the same answer as a premises not found)."""


def parse(body: object) -> Envelope:
    """Check a decoded JSON body's shape; raise BadEnvelope or NoSuchPremises."""
    if not isinstance(body, dict):
        raise BadEnvelope("The body is not a JSON object.")
    kind = body.get("kind")
    if not isinstance(kind, str) or kind not in {k.value for k in Kind}:
        raise BadEnvelope("kind")
    premises_id = body.get("premises_id")
    if not isinstance(premises_id, int) or isinstance(premises_id, bool):
        raise BadEnvelope("premises_id")
    if not 1 <= premises_id <= MAX_DB_ID:
        raise NoSuchPremises(str(premises_id))
    key = body.get("idempotency_key")
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise BadEnvelope("idempotency_key")
    version = body.get("taken_version")
    if not isinstance(version, str) or not 0 < len(version) <= MAX_VERSION:
        raise BadEnvelope("taken_version")
    acknowledge = body.get("acknowledge_conflict", False)
    if not isinstance(acknowledge, bool):
        raise BadEnvelope("acknowledge_conflict")
    return Envelope(
        kind=Kind(kind),
        premises_id=premises_id,
        idempotency_key=key,
        taken_version=version,
        acknowledge_conflict=acknowledge,
        fields=_fields(body.get("fields")),
    )


def _fields(raw: object) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict) or len(raw) > MAX_FIELDS:
        raise BadEnvelope("fields")
    fields: dict[str, tuple[str, ...]] = {}
    for name, value in raw.items():
        if not (isinstance(name, str) and len(name) <= MAX_FIELD_NAME):
            raise BadEnvelope("fields")
        if not _FIELD_NAME.fullmatch(name) or name in _NOT_FROM_DEVICE:
            continue  # never a field of either form: ignored, as a browser's extra field is
        if isinstance(value, str):
            values: tuple[str, ...] = (value,)
        elif (
            isinstance(value, list)
            and len(value) <= MAX_VALUES
            and all(isinstance(v, str) for v in value)
        ):
            values = tuple(value)
        else:
            raise BadEnvelope("fields")
        # JSON may escape half of a character ("\ud800"), which no text can hold: it could be
        # neither stored nor shown, and no form ever sends one.
        if any(_LONE_SURROGATE.search(v) for v in values):
            raise BadEnvelope("fields")
        fields[name] = values
    return fields


@dataclass(frozen=True)
class Accepted:
    """A record already on the server under this user's key."""

    kind: Kind
    record_id: int


@dataclass(frozen=True)
class KeyTaken:
    """The key belongs to a record of another user or another premises: the device must not reuse it."""


def accepted_already(
    session: Session, actor: Actor, envelope: Envelope
) -> Accepted | KeyTaken | None:
    """Return this user's record already saved with the envelope's key, if there is one."""
    model: type[Inspection] | type[WelfareVisit] = (
        Inspection if envelope.kind is Kind.INSPECTION else WelfareVisit
    )
    found = session.execute(
        select(model.id, model.author_id, model.premises_id).where(
            model.idempotency_key == envelope.idempotency_key
        )
    ).first()
    if found is None:
        return None
    record_id, author_id, premises_id = found
    if author_id != actor.user_id or premises_id != envelope.premises_id:
        return KeyTaken()
    return Accepted(envelope.kind, record_id)


@dataclass(frozen=True)
class Conflict:
    """What changed on the server since the premises was taken offline, and its version now."""

    changes: tuple[str, ...]
    version: str


def conflict(session: Session, envelope: Envelope) -> Conflict | None:
    """Compare the version the record was made against with the premises as it stands now.

    None when nothing changed. NotFound (from reading it) when the premises is gone.
    """
    current = read_current(session, envelope.premises_id)
    if current.parts.text() == envelope.taken_version:
        return None
    return Conflict(changes(current, Parts.parse(envelope.taken_version)), current.parts.text())


def changes(current: Current, taken: Parts | None) -> tuple[str, ...]:
    """Say in words what differs between the version taken and the record as it stands now."""
    now = current.parts
    licences_changed = _latest_licence_change(current)
    lines: list[str] = []
    if taken is None or taken.premises != now.premises:
        lines.append(f"The premises details changed on {short_time(current.premises.updated_at)}")
    if taken is None or taken.licences != now.licences:
        lines.append(_line("The licences changed", licences_changed))
    if taken is None or taken.conditions != now.conditions:
        lines.append(_line("The licence conditions changed", licences_changed))
    return tuple(lines)


def _latest_licence_change(current: Current) -> datetime | None:
    times = [lic.updated_at for lic in current.licences if lic.updated_at is not None]
    return max(times) if times else None


def _line(what: str, when: datetime | None) -> str:
    # A licence removed leaves no time behind: the line then says only what changed.
    return (
        f"{what} on {short_time(when)}"
        if when is not None
        else f"{what} since it was taken offline"
    )
