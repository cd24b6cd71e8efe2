"""The shared indicator checklist: every group, stored codes kept, the order by premises type."""

from __future__ import annotations

import pytest

from enforcement.safeguarding.vocab import INDICATOR_GROUPS, INDICATORS, Observed, groups_for
from enforcement.vocab import PremisesType

# Codes stored on visits before the checklist was shared: they must keep their meaning.
CODES_BEFORE = {
    "fear_of_authorities", "malnourished", "trauma", "injuries", "controller_present",
    "unfamiliar_language", "address_unknown", "rehearsed_story", "debt", "no_id_documents",
    "no_time_off", "isolated", "threats", "appears_under_18", "sleeps_on_premises",
    "advertised_by_ethnicity", "ownership_marks", "moved_between_locations",
    "no_control_of_advert", "money_taken", "fortified", "visitors_screened", "viewing_room",
    "external_locks", "many_phones", "living_where_working", "frequent_visits", "no_poster",
    "missing_episodes",
}  # fmt: skip


def test_every_form_of_exploitation_has_its_group() -> None:
    assert [g.code for g in INDICATOR_GROUPS] == [
        "general",
        "sexual_exploitation",
        "labour",
        "domestic_servitude",
        "criminal",
        "premises",
        "children",
    ]
    for group in INDICATOR_GROUPS:
        assert len(group.indicators) >= 4
        assert {i.observed for i in group.indicators} <= set(Observed)


def test_stored_codes_stay_valid_and_no_code_is_listed_twice() -> None:
    assert INDICATORS.keys() >= CODES_BEFORE
    codes = [i.code for g in INDICATOR_GROUPS for i in g.indicators]
    assert len(codes) == len(set(codes))
    assert all(len(c) <= 40 for c in codes)  # the stored column's width


@pytest.mark.parametrize(
    ("premises_type", "first"),
    [
        (PremisesType.NAIL_BAR, "labour"),
        (PremisesType.CAR_WASH, "labour"),
        (PremisesType.RESTAURANT_TAKEAWAY, "labour"),
        (PremisesType.MASSAGE, "sexual_exploitation"),
        (PremisesType.WALK_UP_FLAT, "sexual_exploitation"),
        (PremisesType.OTHER, "general"),
        (None, "general"),
        ("not a type", "general"),
    ],
)
def test_the_groups_that_fit_the_premises_come_first_and_none_is_left_out(
    premises_type: str | None, first: str
) -> None:
    groups = groups_for(premises_type)
    assert groups[0].code == first
    assert sorted(g.code for g in groups) == sorted(g.code for g in INDICATOR_GROUPS)
