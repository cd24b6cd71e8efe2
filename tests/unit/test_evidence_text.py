"""Typed text inside an evidence label ends with one full stop, never two."""

from __future__ import annotations

from enforcement.referrals.evidence import sentence


def test_typed_text_ends_with_one_full_stop() -> None:
    typed = "Handling code C: not to be shared with the licence holder."
    assert sentence(typed) == typed  # not "licence holder.."
    assert sentence("Handling code C: police only") == "Handling code C: police only."
    assert sentence("Other officers present: PC 123 ") == "Other officers present: PC 123."
    assert sentence("Is the manager the holder?") == "Is the manager the holder?"
