"""Locate the shared real-data directory for tests, and skip (or in CI fail) when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_REPO_ROOT = Path(__file__).resolve().parents[2]


def _find_shared_data() -> Path | None:
    configured = os.environ.get("SHARED_DATA_DIR")
    candidate = Path(configured) if configured else _REPO_ROOT.parent / "shared" / "data"
    return candidate if candidate.is_dir() else None


#: The read-only directory of real public data (wards, FHRS, licence CSV), or None if absent.
SHARED_DATA: Path | None = _find_shared_data()


def require_shared_data() -> Path:
    """Return the shared data directory; skip the test without it, or fail when CI=true."""
    if SHARED_DATA is not None:
        return SHARED_DATA
    message = "shared real data not found: set SHARED_DATA_DIR or place it at ../shared/data"
    # CI always has the data, so there a missing directory is a broken pipeline, not a skip.
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)
