"""What a WSGI server loads in production: `gunicorn 'app.wsgi:serve()'` (docs/operations.md).

Each worker builds the app, then settles Python's garbage collector for serving
(docs/operations.md, "The worker's garbage collector").
"""

from __future__ import annotations

import gc

from flask import Flask

from app import create_app

#: Allocations (less deallocations) between two collections of the youngest generation. Python's
#: default, 700, runs two or three young collections in every page and pushes short-lived rows
#: and template pieces into the older generations, which are then walked again.
YOUNG_COLLECTION_AFTER = 10_000


def settle_garbage_collection() -> None:
    """Move everything made at start-up (modules, models, compiled templates and statements:
    some 200,000 objects) out of the collector's reach, and collect the young less often.

    The start-up objects live as long as the process, so walking them finds nothing; left in
    place, each full collection walks them all (about 120 ms on the benchmark's machine, every
    200 requests or so). Reference counting still frees everything as before: the collector
    only looks for cycles.
    """
    gc.collect()
    gc.freeze()
    _young, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_AFTER, older, oldest)


def serve() -> Flask:
    """Build the app from the environment's settings for a WSGI server's worker."""
    app = create_app()
    settle_garbage_collection()
    return app
