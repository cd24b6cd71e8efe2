"""The audit hash chain as pure functions: hashing, verifying, finding the first broken link."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from enforcement.audit_chain import GENESIS, ChainRow, event_hash, verify_rows
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
    assert not verdict.ok and verdict.broken_id == rows[3].id and verdict.checked == 3
    assert verdict.problem == "its content was changed"


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
