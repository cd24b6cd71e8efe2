"""What a register file's words mean: the kind of licence a ServiceTypeLabel names; an upload's name."""

from __future__ import annotations

import pytest

from enforcement.registerio.runs import upload_name
from enforcement.registerio.sources import regime_of_service
from enforcement.vocab import LicenceRegime


@pytest.mark.parametrize(
    ("label", "regime"),
    [
        # this service's own labels, as its exports write them
        *((r.label, r) for r in LicenceRegime),
        # no label: the schema is the Licensing Act's
        ("", LicenceRegime.PREMISES_LICENCE),
        (None, LicenceRegime.PREMISES_LICENCE),
        ("Premises  licence", LicenceRegime.PREMISES_LICENCE),
        ("Club Premises Certificate", LicenceRegime.PREMISES_LICENCE),
        ("Provisional statement", LicenceRegime.PREMISES_LICENCE),
        # councils' words for the kinds this service tracks apart
        ("Special Treatment Licence", LicenceRegime.SPECIAL_TREATMENT),
        ("Massage and Special Treatment", LicenceRegime.SPECIAL_TREATMENT),
        ("Nail bar licence", LicenceRegime.SPECIAL_TREATMENT),
        ("Tattooing and cosmetic piercing", LicenceRegime.SPECIAL_TREATMENT),
        ("Sexual Entertainment Venue", LicenceRegime.SEV),
        ("Gambling premises licence", LicenceRegime.GAMBLING),
        # the Gambling Commission's activities, as the register's own export writes them
        ("Betting Shop", LicenceRegime.GAMBLING),
        ("Adult Gaming Centre", LicenceRegime.GAMBLING),
        ("Bingo", LicenceRegime.GAMBLING),
        ("Family Entertainment Centre", LicenceRegime.GAMBLING),
        ("Casino 2005", LicenceRegime.GAMBLING),
        # a service that is none of them is another licence, never a premises licence
        ("Street trading licence", LicenceRegime.OTHER),
        ("Scrap metal dealer", LicenceRegime.OTHER),
        # the register's own export of a service that alone would name another kind
        ("Other licence: Massage", LicenceRegime.OTHER),
        ("Premises licence (Licensing Act 2003): Nail bar", LicenceRegime.PREMISES_LICENCE),
    ],
)
def test_a_service_label_names_its_kind_of_licence(
    label: str | None, regime: LicenceRegime
) -> None:
    assert regime_of_service(label) == regime.value


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("C:\\Users\\me\\Desktop\\licences.csv", "licences.csv"),
        ("/home/me/licences.csv", "licences.csv"),
        ("  two   spaces .csv ", "two spaces .csv"),
        ("x" * 300 + ".csv", "x" * 200),
        (None, "upload"),
        ("\u200b", "upload"),
    ],
)
def test_an_uploads_name_is_its_last_part_tidied(sent: str | None, kept: str) -> None:
    assert upload_name(sent) == kept
