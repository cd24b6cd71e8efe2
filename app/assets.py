"""Serve the front-end packages installed by `npm ci` (no CDN: councils run closed networks)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory
from werkzeug.wrappers import Response

bp = Blueprint("vendor", __name__)

PACKAGES = {
    "govuk": Path("govuk-frontend/dist/govuk"),
    "moj": Path("@ministryofjustice/frontend/moj"),
    "leaflet": Path("leaflet/dist"),
}
ALLOWED_SUFFIXES = frozenset(
    {".js", ".mjs", ".css", ".woff", ".woff2", ".svg", ".png", ".ico", ".json"}
)


@bp.route("/vendor/<package>/<path:filename>")
def asset(package: str, filename: str) -> Response:
    base = PACKAGES.get(package)
    if base is None or Path(filename).suffix not in ALLOWED_SUFFIXES:
        abort(404)
    root = current_app.config["SETTINGS"].assets_dir / base
    return send_from_directory(root, filename, max_age=3600)
