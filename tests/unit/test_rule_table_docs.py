"""docs/statutory-clock.md lists the rule table as the code holds it, so the page cannot drift."""

from __future__ import annotations

from pathlib import Path

from enforcement.cases.rules import RULES

PAGE = Path(__file__).resolve().parents[2] / "docs" / "statutory-clock.md"


def test_every_rule_is_on_the_page_with_its_amount_counting_and_status() -> None:
    text = PAGE.read_text(encoding="utf-8")
    missing = [
        r.id
        for r in RULES
        if f"| `{r.id}` | {r.title} | {r.amount} `{r.counting.value}` | {r.citation} | "
        f"{'yes' if r.confirmed else 'to confirm'} |" not in text
    ]
    assert not missing, f"docs/statutory-clock.md is out of date for: {missing}"
