"""A vocabulary's labels: by code, the code itself when no longer listed, read-only."""

from __future__ import annotations

import pytest

from enforcement.vocab import LicenceStatus, PremisesType


def test_label_of_gives_the_label_the_code_itself_when_unlisted_and_nothing_for_none() -> None:
    assert PremisesType.label_of("pub_bar") == "Pub or bar"
    assert PremisesType.label_of(PremisesType.PUB_BAR) == "Pub or bar"
    assert PremisesType.label_of("no_longer_listed") == "no_longer_listed"
    assert PremisesType.label_of(None) == ""


def test_labels_are_every_members_label_by_code_one_mapping_per_vocabulary() -> None:
    assert dict(LicenceStatus.labels()) == {m.value: m.label for m in LicenceStatus}
    assert PremisesType.labels()["pub_bar"] == "Pub or bar"
    assert "active" not in PremisesType.labels()  # another vocabulary's code
    with pytest.raises(TypeError):
        PremisesType.labels()["pub_bar"] = "Changed"  # type: ignore[index]
