"""How the dashboard words a share, and which charts it folds away as having nothing to show."""

from __future__ import annotations

from fractions import Fraction

import enforcement.measures  # noqa: F401 - registers the measures
from app.dashboard.charts import bar_chart, headline, percent
from enforcement.measures.dashboard import FigureView
from enforcement.measures.registry import get


def _poster(compliant: int, licensed: int, never: int = 0) -> FigureView:
    values = {
        "compliant": compliant,
        "not_compliant": licensed - compliant - never,
        "never_checked": never,
        "licensed": licensed,
    }
    share = Fraction(compliant, licensed) if licensed else None
    return FigureView(get("poster_compliance"), values, share, None)


def test_a_share_is_never_rounded_to_none_or_all() -> None:
    assert percent(Fraction(1, 279)) == "less than 1%"
    assert percent(Fraction(278, 279)) == "more than 99%"
    assert percent(Fraction(0)) == "0%"
    assert percent(Fraction(1)) == "100%"
    assert percent(Fraction(1, 3)) == "33%"
    assert percent(Fraction(1, 200)) == "1%"
    assert percent(None) == "not available"


def test_the_headline_reads_as_counts_first() -> None:
    assert headline(_poster(1, 279)) == "1 of 279 (less than 1%)"
    assert headline(_poster(1, 3)) == "1 of 3 (33%)"


def test_a_chart_of_zeros_has_nothing_to_show() -> None:
    assert bar_chart(_poster(0, 0), "Q1").empty
    # A bar of never-checked premises, or a share above zero, is something to show.
    assert not bar_chart(_poster(0, 274, never=274), "Q1").empty
    assert not bar_chart(_poster(2, 2), "Q1").empty
    # A withheld count ("fewer than 5") is drawn as a stub: not empty either.
    withheld = FigureView(
        get("poster_compliance"),
        {"compliant": 0, "not_compliant": "fewer than 5", "never_checked": 0, "licensed": 0},
        None,
        None,
    )
    assert not bar_chart(withheld, "Q1").empty
