"""The audit hash chain as pure functions: hashing, verifying, every break, signed checkpoints."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enforcement.audit_chain import (
    GENESIS,
    ChainRow,
    Checkpoint,
    CheckpointError,
    append_checkpoint,
    checkpoint_line,
    event_hash,
    last_checkpoint_at,
    read_checkpoint,
    read_checkpoints,
    verify_rows,
)
from enforcement.clock import LONDON

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 3, 2, 10, 30, 0, 123456, tzinfo=UTC)


def chain(n: int) -> list[ChainRow]:
    rows: list[ChainRow] = []
    prev = GENESIS
    for i in range(1, n + 1):
        row = ChainRow(
            id=i * 3,  # ids need not be contiguous: the links carry the order
            at=T0 + timedelta(seconds=i),
            actor_id=i % 4 or None,
            actor_label=f"user{i}@example.gov.uk",
            action="intel_flag.view",
            entity_type="intel_flag",
            entity_id=str(i),
            summary=f"Opened intelligence flag {i}",
            before_json=None,
            after_json='{"shown": [1, 2]}' if i % 2 else None,
            ip_address="127.0.0.1",
            prev_hash=prev,
            hash=None,
        )
        row = row._replace(hash=event_hash(prev, row))
        prev = row.hash or ""
        rows.append(row)
    return rows


def test_an_intact_chain_verifies_and_reports_its_head() -> None:
    rows = chain(10)
    verdict = verify_rows(rows)
    assert verdict.ok and verdict.checked == 10 and verdict.last_id == 30
    assert verdict.head == rows[-1].hash


def test_an_empty_trail_is_intact() -> None:
    verdict = verify_rows([])
    assert verdict.ok and verdict.checked == 0 and verdict.head == GENESIS


def test_a_changed_summary_is_caught_at_that_event() -> None:
    rows = chain(6)
    rows[3] = rows[3]._replace(summary="Opened nothing")
    verdict = verify_rows(rows)
    assert not verdict.ok and verdict.broken_id == rows[3].id and verdict.checked == 6
    assert verdict.problem == "its content was changed" and len(verdict.breaks) == 1


def test_a_deleted_event_is_caught_at_the_next_one() -> None:
    rows = chain(6)
    del rows[2]
    verdict = verify_rows(rows)
    assert verdict.broken_id == rows[2].id and "deleted" in (verdict.problem or "")


def test_a_recomputed_hash_still_breaks_the_following_link() -> None:
    rows = chain(5)
    forged = rows[1]._replace(summary="Forged")
    rows[1] = forged._replace(hash=event_hash(forged.prev_hash or "", forged))
    assert verify_rows(rows).broken_id == rows[2].id


def test_time_is_hashed_in_utc_whatever_zone_it_comes_in() -> None:
    row = chain(1)[0]
    in_london = row._replace(at=row.at.astimezone(LONDON))
    naive = row._replace(at=row.at.replace(tzinfo=None))
    assert event_hash(GENESIS, row) == event_hash(GENESIS, in_london) == event_hash(GENESIS, naive)
    later = row._replace(at=row.at + timedelta(microseconds=1))
    assert event_hash(GENESIS, later) != event_hash(GENESIS, row)


@settings(deadline=None, max_examples=40)
@given(n=st.integers(min_value=1, max_value=12), data=st.data())
def test_any_single_change_to_any_field_is_detected(n: int, data: st.DataObject) -> None:
    rows = chain(n)
    i = data.draw(st.integers(min_value=0, max_value=n - 1))
    fields = ["actor_label", "action", "entity_type", "entity_id", "summary", "ip_address"]
    name = data.draw(st.sampled_from(fields))
    rows[i] = rows[i]._replace(**{name: "tampered"})
    assert verify_rows(rows).broken_id == rows[i].id


def test_the_migration_hashes_exactly_as_the_application_does() -> None:
    path = next((ROOT / "migrations" / "versions").glob("*_intel_flags_and_audit_chain.py"))
    spec = importlib.util.spec_from_file_location("chain_migration", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.GENESIS == GENESIS
    for row in chain(5):
        assert module.chain_hash(row.prev_hash, row) == row.hash
        as_sqlite = row._replace(at=row.at.replace(tzinfo=None))
        assert module.chain_hash(row.prev_hash, as_sqlite) == row.hash


KEY = b"k" * 40
LATER = T0 + timedelta(hours=1)


def rebuild(rows: list[ChainRow], start: int) -> list[ChainRow]:
    """Recompute every hash from `start` on with the app's own event_hash, as an attacker can."""
    out = rows[:start]
    prev = out[-1].hash if out else GENESIS
    for row in rows[start:]:
        fixed = row._replace(prev_hash=prev)
        fixed = fixed._replace(hash=event_hash(prev or "", fixed))
        prev = fixed.hash
        out.append(fixed)
    return out


def checkpoint_of(rows: list[ChainRow], key: bytes = KEY) -> tuple[Checkpoint, str]:
    cp = Checkpoint(LATER, len(rows), rows[-1].id, rows[-1].hash or "")
    return read_checkpoint(checkpoint_line(cp, key), key), "line 1 of checkpoints"


def test_two_separate_breaks_are_both_reported() -> None:
    rows = chain(10)
    rows[2] = rows[2]._replace(summary="Opened nothing")
    del rows[6]  # the event after it no longer follows the one before
    verdict = verify_rows(rows)
    assert [(b.first_id, b.problem) for b in verdict.breaks] == [
        (rows[2].id, "its content was changed"),
        (rows[6].id, verdict.breaks[1].problem),
    ]
    assert "deleted" in verdict.breaks[1].problem and verdict.checked == 9


def test_a_run_of_changed_events_is_one_range() -> None:
    rows = chain(8)
    for i in (2, 3, 4):
        rows[i] = rows[i]._replace(summary="Redacted")
    (only,) = verify_rows(rows).breaks
    assert (only.first_id, only.last_id, only.events) == (rows[2].id, rows[4].id, 3)
    assert (
        only.describe()
        == f"Events {rows[2].id} to {rows[4].id} (3 events): its content was changed"
    )


def test_a_rebuilt_chain_passes_alone_but_not_against_a_checkpoint() -> None:
    rows = chain(12)
    checkpoint = checkpoint_of(rows)
    edited = rows[:]
    edited[3] = edited[3]._replace(summary="Opened nothing")
    rebuilt = rebuild(edited, 3)
    assert verify_rows(rebuilt).ok  # the attack: the chain alone cannot see it
    verdict = verify_rows(rebuilt, [checkpoint])
    (found,) = verdict.breaks
    assert found.source == "line 1 of checkpoints" and "recorded a different hash" in found.problem
    assert verdict.checkpoints == 1 and verify_rows(rows, [checkpoint]).ok


def test_deleting_the_newest_events_is_caught_by_a_checkpoint() -> None:
    rows = chain(10)
    checkpoint = checkpoint_of(rows)
    shortened = rows[:7]
    assert verify_rows(shortened).ok  # a shorter chain is still a valid chain
    (found,) = verify_rows(shortened, [checkpoint]).breaks
    assert "newest events were deleted" in found.problem
    assert (
        f"up to event {rows[-1].id}" in found.problem
        and f"ends at event {rows[6].id}" in found.problem
    )
    (emptied,) = verify_rows([], [checkpoint]).breaks
    assert "now ends at no events" in emptied.problem


def test_a_deleted_checkpointed_event_and_a_shrunk_count_are_reported() -> None:
    rows = chain(10)
    at_five = checkpoint_of(rows[:5])
    missing = rows[:4] + rows[5:]  # the checkpoint's own event is gone
    problems = [b.problem for b in verify_rows(missing, [at_five]).breaks]
    assert any("does not follow" in p for p in problems)
    assert any(f"event {rows[4].id}, the last event" in p and "missing" in p for p in problems)
    earlier_gone = rebuild(rows[:1] + rows[2:], 1)  # deleted early, every later hash rebuilt
    problems = [b.problem for b in verify_rows(earlier_gone, [at_five]).breaks]
    assert problems == [problems[0]] and "different hash" in problems[0]
    counted = rows[:2] + rows[3:]  # deleted, hashes left alone: the count shrank too
    cp_all = checkpoint_of(rows)
    problems = [b.problem for b in verify_rows(counted, [cp_all]).breaks]
    assert any("recorded 10 events" in p and "there are now 9" in p for p in problems)


def test_checkpoint_lines_are_signed_and_forgeries_are_named() -> None:
    rows = chain(4)
    cp = Checkpoint(LATER, 4, rows[-1].id, rows[-1].hash or "")
    line = checkpoint_line(cp, KEY)
    assert read_checkpoint(line, KEY) == Checkpoint(LATER, 4, rows[-1].id, rows[-1].hash or "")
    with pytest.raises(CheckpointError, match="signature does not match"):
        read_checkpoint(line, b"another key entirely, long enough")
    shrunk = line.replace('"count":4', '"count":3')
    with pytest.raises(CheckpointError, match="signature does not match"):
        read_checkpoint(shrunk, KEY)
    forged = checkpoint_line(Checkpoint(LATER, 3, rows[2].id, rows[2].hash or ""), b"guessed")
    found, bad = read_checkpoints(
        ["# kept from the auditors' mail", "", line, forged, "not json", shrunk], KEY, "saved.txt"
    )
    assert [s for _cp, s in found] == ["line 3 of saved.txt"]
    assert [(b.source, b.problem.split(":")[0]) for b in bad] == [
        ("line 4 of saved.txt", "its signature does not match"),
        ("line 5 of saved.txt", "it is not a checkpoint (not JSON)"),
        ("line 6 of saved.txt", "its signature does not match"),
    ]
    with pytest.raises(ValueError, match="AUDIT_CHECKPOINT_KEY"):
        checkpoint_line(cp, b"")


def test_hostile_checkpoint_lines_are_refused_not_crashed_on() -> None:
    rows = chain(2)
    line = checkpoint_line(Checkpoint(LATER, 2, rows[-1].id, rows[-1].hash or ""), KEY)
    non_ascii = line[: line.index('"mac":"') + 7] + "é" * 64 + '"}'
    deep = "[" * 100_000 + "]" * 100_000
    _found, bad = read_checkpoints([non_ascii, deep, "[]", '"text"'], KEY, "f")
    assert [b.source for b in bad] == ["line 1 of f", "line 2 of f", "line 3 of f", "line 4 of f"]


def test_the_time_of_the_last_checkpoint_is_read_from_the_end_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "checkpoints.jsonl"
    assert last_checkpoint_at(path) is None
    rows = chain(2)
    append_checkpoint(path, checkpoint_line(Checkpoint(T0, 1, rows[0].id, rows[0].hash or ""), KEY))
    append_checkpoint(
        path, checkpoint_line(Checkpoint(LATER, 2, rows[1].id, rows[1].hash or ""), KEY)
    )
    assert last_checkpoint_at(path) == LATER
    with path.open("a") as fh:
        fh.write('{"taken_at": "2026-03-02T12:00:00"}\nnot json\n')  # no zone, then rubbish
    assert last_checkpoint_at(path) == datetime(2026, 3, 2, 12, tzinfo=UTC)
    assert last_checkpoint_at(tmp_path) is None  # a directory, not a file: unreadable
