"""The poster rule: displayed, visible to public and workers, in every language the premises needs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enforcement.inspections.poster import PosterCheck, assess_poster, poster_phrase

NAMES = {"en": "English", "vi": "Vietnamese", "ro": "Romanian", "th": "Thai"}


def test_compliant_when_displayed_to_both_in_every_language() -> None:
    r = assess_poster(PosterCheck(True, True, True, frozenset({"en", "vi"})), {"en", "vi"}, NAMES)
    assert r.compliant and r.summary == "compliant" and r.missing_languages == ()


def test_says_exactly_what_is_missing() -> None:
    r = assess_poster(PosterCheck(True, True, False, frozenset({"en"})), {"en", "vi"}, NAMES)
    assert not r.compliant
    assert r.summary == "not visible to workers; missing Vietnamese"
    assert r.missing_languages == ("vi",)


def test_not_displayed_misses_every_language() -> None:
    r = assess_poster(PosterCheck(False, False, False, frozenset()), {"ro", "en"}, NAMES)
    assert r.summary == "no poster displayed" and r.missing_languages == ("en", "ro")


def test_visible_to_neither() -> None:
    r = assess_poster(PosterCheck(True, False, False, frozenset({"en"})), {"en"}, NAMES)
    assert r.summary == "not visible to the public or to workers"


langs = st.frozensets(st.sampled_from(sorted(NAMES)))


@settings(deadline=None)
@given(
    displayed=st.booleans(), public=st.booleans(), workers=st.booleans(), shown=langs, needed=langs
)
def test_compliance_is_exactly_the_three_conditions(
    displayed: bool, public: bool, workers: bool, shown: frozenset[str], needed: frozenset[str]
) -> None:
    r = assess_poster(PosterCheck(displayed, public, workers, shown), needed, NAMES)
    assert r.compliant == (displayed and public and workers and needed <= shown)
    assert r.compliant == (not r.problems)
    if displayed:
        assert set(r.missing_languages) == needed - shown


@pytest.mark.parametrize(
    ("compliant", "shortfall", "phrase"),
    [
        (True, None, "poster compliant"),
        (False, "no poster displayed", "no poster displayed"),
        (
            False,
            "not visible to workers; missing Thai",
            "poster not visible to workers; missing Thai",
        ),
        (False, None, "poster not compliant"),
    ],
)
def test_a_check_reads_as_a_phrase_after_a_colon(
    compliant: bool, shortfall: str | None, phrase: str
) -> None:
    """Never 'poster no poster displayed' on the timeline, the referral's evidence or the trail."""
    assert poster_phrase(compliant, shortfall) == phrase
