"""Offline working without a database: the session key, the record envelope, versions, changes."""

from __future__ import annotations

import base64
import contextlib
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enforcement.models import Licence, LicenceCondition, Premises
from enforcement.offline import keys, package, sync

SECRET = "a-test-secret-key-of-more-than-thirty-two-characters"


# -- the offline key --------------------------------------------------------------------------


def test_the_key_is_32_bytes_of_base64url_and_the_same_for_the_same_grant() -> None:
    key = keys.derive_key(SECRET, 7, "ab" * 32)
    assert key == keys.derive_key(SECRET, 7, "ab" * 32)
    assert len(base64.urlsafe_b64decode(key + "=")) == 32
    assert "=" not in key and "+" not in key and "/" not in key


def test_another_grant_user_or_secret_gives_another_key() -> None:
    key = keys.derive_key(SECRET, 7, "ab" * 32)
    assert key != keys.derive_key(SECRET, 8, "ab" * 32)
    assert key != keys.derive_key(SECRET, 7, "cd" * 32)
    assert key != keys.derive_key(SECRET + "x", 7, "ab" * 32)
    # The user id and the nonce are kept apart: moving a digit between them changes the key.
    assert keys.derive_key(SECRET, 1, "1" + "a" * 63) != keys.derive_key(SECRET, 11, "a" * 63)


# -- the envelope ------------------------------------------------------------------------------


def _body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "inspection",
        "premises_id": 12,
        "idempotency_key": "0b7e5d2c-4d6f-4b1e-9d1e-3f1c2a6b7c8d",
        "taken_version": "v1.a.b.c",
        "acknowledge_conflict": False,
        "fields": {"reason": "routine", "inspected_on": ["6", "12", "2026"]},
    }
    body.update(changes)
    return body


def test_a_well_formed_envelope_is_read() -> None:
    envelope = sync.parse(_body())
    assert envelope.kind is sync.Kind.INSPECTION and envelope.premises_id == 12
    assert envelope.fields == {"reason": ("routine",), "inspected_on": ("6", "12", "2026")}
    assert not envelope.acknowledge_conflict
    assert sync.parse(_body(kind="welfare_visit")).kind is sync.Kind.WELFARE_VISIT
    without = _body()
    del without["acknowledge_conflict"]
    assert sync.parse(without).acknowledge_conflict is False


def test_fields_the_device_may_not_set_are_dropped() -> None:
    fields = {
        "csrf_token": "x",
        "idempotency_key": "other",
        "photo": "x",
        "submit": "Save",
        "odd name!": "x",
        "reason": "routine",
    }
    assert sync.parse(_body(fields=fields)).fields == {"reason": ("routine",)}


@pytest.mark.parametrize(
    "changes",
    [
        {"kind": "photo"},
        {"kind": None},
        {"kind": ["inspection"]},
        {"premises_id": "12"},
        {"premises_id": True},
        {"premises_id": 12.0},
        {"premises_id": None},
        {"idempotency_key": ""},
        {"idempotency_key": "short"},
        {"idempotency_key": "k" * 65},
        {"idempotency_key": "has space in it"},
        {"idempotency_key": 12345678},
        {"taken_version": ""},
        {"taken_version": "v" * 101},
        {"taken_version": None},
        {"acknowledge_conflict": "true"},
        {"acknowledge_conflict": 1},
        {"fields": None},
        {"fields": []},
        {"fields": {"reason": 1}},
        {"fields": {"reason": None}},
        {"fields": {"reason": ["a", 2]}},
        {"fields": {"reason": ["a"] * 201}},
        {"fields": {f"f{i}": "x" for i in range(401)}},
        {"fields": {"x" * 101: "x"}},
    ],
)
def test_an_envelope_of_the_wrong_shape_is_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(sync.BadEnvelope):
        sync.parse(_body(**changes))


@pytest.mark.parametrize("body", [None, [], "inspection", 12, True])
def test_a_body_that_is_not_an_object_is_refused(body: object) -> None:
    with pytest.raises(sync.BadEnvelope):
        sync.parse(body)


@pytest.mark.parametrize("premises_id", [0, -1, 2**31, 2**63, -(2**70)])
def test_an_id_no_record_can_have_is_no_such_premises(premises_id: int) -> None:
    with pytest.raises(sync.NoSuchPremises):
        sync.parse(_body(premises_id=premises_id))


@settings(max_examples=200, derandomize=True, database=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=12,
    )
)
def test_any_json_either_reads_or_is_refused_cleanly(body: object) -> None:
    """Any other exception (a KeyError, a TypeError) would fail this: the API would answer 500."""
    with contextlib.suppress(sync.BadEnvelope, sync.NoSuchPremises):
        sync.parse(body)


# -- versions and what changed -------------------------------------------------------------------


def _premises(version: int = 3, updated: datetime | None = None) -> Premises:
    return Premises(id=5, version=version, updated_at=updated or datetime(2026, 3, 1, tzinfo=UTC))


def _licence(updated: datetime, *texts: str, status: str = "active") -> Licence:
    lic = Licence(
        id=9,
        premises_id=5,
        regime="special_treatment",
        reference="ST/1",
        status=status,
        expires_on=date(2027, 1, 1),
        updated_at=updated,
        version=1,
    )
    lic.conditions = [
        LicenceCondition(id=20 + i, licence_id=9, number=i + 1, text=t, is_active=True)
        for i, t in enumerate(texts)
    ]
    return lic


def _current(p: Premises, *licences: Licence) -> package.Current:
    return package.Current(p, list(licences), package.parts_of(p, licences))


WINTER = datetime(2026, 12, 6, 9, 12, tzinfo=UTC)
SUMMER = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)


def test_a_version_reads_back_into_its_parts() -> None:
    current = _current(_premises(), _licence(WINTER, "Doors unlocked"))
    text = current.parts.text()
    assert text.startswith("v1.") and len(text) <= sync.MAX_VERSION
    assert package.Parts.parse(text) == current.parts
    for junk in ("", "v1", "v2.a.b.c", "v1.a.b", "v1.a.b.c.d", "nonsense"):
        assert package.Parts.parse(junk) is None


def test_the_same_record_gives_the_same_version() -> None:
    one = _current(_premises(), _licence(WINTER, "Doors unlocked")).parts
    assert one == _current(_premises(), _licence(SUMMER, "Doors unlocked")).parts


def test_a_condition_changed_says_so_with_the_time_in_gmt() -> None:
    taken = _current(_premises(), _licence(WINTER, "Doors unlocked")).parts
    now = _current(_premises(), _licence(WINTER, "Doors unlocked", "Register kept"))
    assert sync.changes(now, taken) == (
        "The licence conditions changed on 6 Dec 2026 at 09:12 GMT",
    )


def test_a_licence_status_changed_and_the_premises_edited_say_so_in_bst() -> None:
    taken = _current(_premises(), _licence(SUMMER, "Doors unlocked")).parts
    now = _current(
        _premises(version=4, updated=SUMMER),
        _licence(SUMMER, "Doors unlocked", status="suspended"),
    )
    assert sync.changes(now, taken) == (
        "The premises details changed on 1 Jul 2026 at 09:00 BST",
        "The licences changed on 1 Jul 2026 at 09:00 BST",
    )


def test_a_licence_removed_leaves_no_time_and_a_version_unread_says_everything() -> None:
    taken = _current(_premises(), _licence(WINTER, "Doors unlocked")).parts
    assert sync.changes(_current(_premises()), taken) == (
        "The licences changed since it was taken offline",
        "The licence conditions changed since it was taken offline",
    )
    assert len(sync.changes(_current(_premises(), _licence(WINTER, "x")), None)) == 3


def test_times_are_written_in_london_time() -> None:
    assert package.short_time(WINTER) == "6 Dec 2026 at 09:12 GMT"
    assert package.short_time(SUMMER) == "1 Jul 2026 at 09:00 BST"
