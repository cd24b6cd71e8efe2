"""What both conftest files share: whether this is CI, skipping or failing, the cheap hash cost,
where the browser tests live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from enforcement.accounts import users

IN_CI = os.environ.get("CI", "").lower() == "true"
BROWSER_TESTS = Path(__file__).resolve().parent / "browser"

# Real argon2id at a cost that takes a millisecond: sign-in in the tests verifies real hashes,
# and only the tests of hashing itself pay the production cost (users.PRODUCTION_COST).
CHEAP_HASHING = users.HashingCost(time_cost=1, memory_kib=1024, parallelism=1)


def skip_or_fail(reason: str) -> None:
    """Skip a test whose service is missing; under CI a missing service fails the run instead."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a skipped database or browser test is a failure)")
    pytest.skip(reason)
