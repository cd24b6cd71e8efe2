"""The public register's settings and its pure rules: the status shown, the CSV's cells."""

from __future__ import annotations

from datetime import date

import pytest

from config import ConfigError, Settings
from enforcement.register.public import PublicLicence, esd_row, true_status


def test_the_public_register_is_off_unless_switched_on() -> None:
    assert Settings.from_env({}).public_register is False
    on = Settings.from_env({"PUBLIC_REGISTER": "true", "PUBLIC_REGISTER_RATE_PER_MINUTE": "5"})
    assert (on.public_register, on.public_register_rate_per_minute) == (True, 5)
    with pytest.raises(ConfigError, match="PUBLIC_REGISTER_RATE_PER_MINUTE"):
        Settings.from_env({"PUBLIC_REGISTER_RATE_PER_MINUTE": "0"})


TODAY = date(2026, 12, 6)


@pytest.mark.parametrize(
    ("stored", "ends", "decided", "shown"),
    [
        ("active", None, None, "active"),
        ("active", date(2026, 12, 5), None, "expired"),  # past its end date
        ("active", date(2026, 12, 6), None, "active"),  # ends today: still in force
        ("suspended", date(2026, 1, 1), None, "expired"),
        ("active", None, "revoked", "revoked"),  # a decision in effect, not applied yet
        ("active", None, "suspended", "suspended"),
        ("surrendered", None, "revoked", "surrendered"),  # already ended: left as it was
        ("revoked", date(2020, 1, 1), None, "revoked"),
        ("applied", date(2020, 1, 1), None, "applied"),
    ],
)
def test_the_status_shown_is_true_today(
    stored: str, ends: date | None, decided: str | None, shown: str
) -> None:
    assert true_status(stored, ends, TODAY, decided) == shown


def test_csv_cells_never_start_a_formula() -> None:
    lic = PublicLicence(
        id=1,
        reference="-1+1",
        regime="premises_licence",
        status="active",
        granted_on=None,
        starts_on=date(2024, 2, 1),
        expires_on=None,
        opening_hours="@SUM(A1)",
        premises_name="+44 Bar",
        trading_name=None,
        address="1 High Street",
        postcode="W6 9JU",
        uprn=None,
        ward_name="Addison",
        conditions=("=cmd|' /C calc'!A0",),
    )
    row = esd_row(lic, TODAY, "Council")
    assert row[2] == "'-1+1" and row[4] == "'+44 Bar" and row[7] == "'@SUM(A1)"
    assert row[11] == "'=cmd/' /C calc'!A0"
    assert row[9] == "01/02/2024" and row[0] == "06/12/2026"
