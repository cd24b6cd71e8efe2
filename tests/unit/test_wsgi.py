"""The production entry point settles the garbage collector after building the app."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from app import wsgi

# CPython 3.11's thresholds (gc.get_threshold() in a new interpreter).
DEFAULT_THRESHOLDS = (700, 10, 10)


@pytest.fixture
def before() -> Iterator[tuple[int, int, int]]:
    """Python's default thresholds, as a server's worker starts with (the test processes set
    their own: tests/conftest.py); afterwards the test process's thresholds and frozen objects
    are put back."""
    threshold = gc.get_threshold()
    gc.unfreeze()
    gc.set_threshold(*DEFAULT_THRESHOLDS)
    yield DEFAULT_THRESHOLDS
    gc.collect()
    gc.freeze()
    gc.set_threshold(*threshold)


def test_start_up_objects_are_frozen_and_the_young_collected_less_often(
    before: tuple[int, int, int],
) -> None:
    made_at_start = [{"kept": i} for i in range(1_000)]  # each dict tracked by the collector
    assert gc.get_freeze_count() == 0
    wsgi.settle_garbage_collection()
    assert gc.get_freeze_count() >= len(made_at_start)
    assert gc.get_threshold() == (wsgi.YOUNG_COLLECTION_AFTER, *before[1:])
    assert before[0] < wsgi.YOUNG_COLLECTION_AFTER
