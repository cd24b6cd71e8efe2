"""Offline working: the API a tablet uses to take premises offline and send records back.

The blueprint lives here so both halves can add to it: `views.py` (the JSON API) and
`pages.py` (the pages and the service worker that render the client's templates).
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("offline", __name__, url_prefix="/offline")

#: The API's endpoints start so: they answer JSON (401 when signed out), never a redirect.
API_ENDPOINT_PREFIX = "offline.api_"


def is_api_endpoint(endpoint: str | None) -> bool:
    return endpoint is not None and endpoint.startswith(API_ENDPOINT_PREFIX)


from app.offline import pages as _pages  # noqa: E402,F401 - adds the pages to the blueprint
from app.offline import views as _views  # noqa: E402,F401 - adds the API to the blueprint
