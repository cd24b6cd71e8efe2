"""Rules about licensing that do not depend on the clock."""

from __future__ import annotations

from enforcement.vocab import LicenceRegime, LicenceStatus, PremisesType

# Which licence a premises of each type is expected to hold to trade lawfully in London.
# Residential and walk-up flats hold none: they are recorded because of concerns, not trade.
EXPECTED_REGIMES: dict[str, frozenset[str]] = {
    PremisesType.NAIL_BAR: frozenset({LicenceRegime.SPECIAL_TREATMENT}),
    PremisesType.MASSAGE: frozenset({LicenceRegime.SPECIAL_TREATMENT}),
    PremisesType.PUB_BAR: frozenset({LicenceRegime.PREMISES_LICENCE}),
    PremisesType.OFF_LICENCE: frozenset({LicenceRegime.PREMISES_LICENCE}),
    PremisesType.LATE_NIGHT_REFRESHMENT: frozenset({LicenceRegime.PREMISES_LICENCE}),
    PremisesType.SEXUAL_ENTERTAINMENT: frozenset({LicenceRegime.SEV}),
}

# A licence in one of these states lets the premises trade under it.
TRADING_STATUSES: frozenset[str] = frozenset({LicenceStatus.ACTIVE})


def expected_regimes(premises_type: str) -> frozenset[str]:
    """Return the licence regimes a premises of this type needs (empty if none)."""
    return EXPECTED_REGIMES.get(premises_type, frozenset())


def is_trading_unlicensed(premises_type: str, licences: list[tuple[str, str]]) -> bool:
    """Say whether a premises lacks an active licence of a regime its type needs.

    ``licences`` is a list of (regime, status) pairs held for the premises.
    """
    needed = expected_regimes(premises_type)
    if not needed:
        return False
    held = {regime for regime, status in licences if status in TRADING_STATUSES}
    return not (needed & held)
