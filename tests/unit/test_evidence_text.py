"""Typed text inside an evidence label ends with one full stop, never two."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from enforcement.referrals.evidence import _visit_item, property_phrase, sentence
from enforcement.welfare.vocab import PropertyDescribed


def test_typed_text_ends_with_one_full_stop() -> None:
    typed = "Handling code C: not to be shared with the licence holder."
    assert sentence(typed) == typed  # not "licence holder.."
    assert sentence("Handling code C: police only") == "Handling code C: police only."
    assert sentence("Other officers present: PC 123 ") == "Other officers present: PC 123."
    assert sentence("Is the manager the holder?") == "Is the manager the holder?"


def test_a_released_visit_describes_its_property_and_counts_people_in_words() -> None:
    """The paper names the property as the officer chose it, never "a other" (their own words
    for another kind stay on the visit), and one person is "1 person present"."""
    assert [property_phrase(p.value) for p in PropertyDescribed] == [
        "a residential flat",
        "a massage parlour",
        "a hotel room",
        "a walk-up flat",
        "a property of another kind",
    ]
    visit = SimpleNamespace(
        id=7,
        property_described=PropertyDescribed.OTHER.value,
        people_present=1,
        indicator_rows=[],
        interpreter_used=False,
        support_info_left=False,
        released_by_id=None,
        released_at=datetime(2026, 3, 2, 10, tzinfo=UTC),
        visited_at=datetime(2026, 3, 1, 10, tzinfo=UTC),
        release_reason="Needed for the review",
    )
    text = _visit_item(visit, {}, {}, []).exempt_text or ""  # type: ignore[arg-type]
    assert text.splitlines()[0] == (
        "Operation Moontwist welfare visit to a property of another kind; 1 person present."
    )
