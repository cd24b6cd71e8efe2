"""Serve the front-end files: the app's own (app/static), each under an address that names its
content so that browsers keep it, and the packages installed by `npm ci` (no CDN: councils run
closed networks). How long each is kept: docs/operations.md, "Static files"."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import stat
from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, g, request, send_from_directory, url_for
from flask import Response as FlaskResponse
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from markupsafe import Markup
from werkzeug.security import safe_join
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
# The endpoints that answer with a file, the same for everyone.
ASSET_ENDPOINTS = frozenset({"static", "vendor.asset"})
# A versioned address never changes what it holds, so it is kept for a year and never asked for
# again (RFC 8246's `immutable`); a new version of the file gets a new address.
YEAR_SECONDS = 365 * 24 * 60 * 60
VENDOR_SECONDS = 60 * 60


@bp.route("/vendor/<package>/<path:filename>")
def asset(package: str, filename: str) -> Response:
    base = PACKAGES.get(package)
    if base is None or Path(filename).suffix not in ALLOWED_SUFFIXES:
        abort(404)
    root = current_app.config["SETTINGS"].assets_dir / base
    return send_from_directory(root, filename, max_age=VENDOR_SECONDS)


@functools.lru_cache(maxsize=256)
def _digest(path: str, _mtime_ns: int, _size: int) -> str:
    """The start of the file's SHA-256 (read again only when its time or size changes)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def fingerprint(filename: str) -> str | None:
    """The version of a file in the app's static folder, or None for no such file."""
    folder = current_app.static_folder
    path = safe_join(folder, filename) if folder else None
    if path is None:
        return None
    try:
        found = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(found.st_mode):  # a folder has no version
        return None
    return _digest(path, found.st_mtime_ns, found.st_size)


def static_url(filename: str) -> str:
    """The address of a file in app/static, with its version (`?v=`) when the file exists."""
    version = fingerprint(filename)
    if version is None:
        return url_for("static", filename=filename)
    return url_for("static", filename=filename, v=version)


# The folder of the scripts that import one another by relative address (`./db.js`).
MODULES_FOLDER = "offline"


def _module_versions() -> tuple[tuple[str, str], ...]:
    """(file name under static, version) of each script of MODULES_FOLDER."""
    folder = current_app.static_folder
    if folder is None:
        return ()
    try:
        names = sorted(e.name for e in os.scandir(Path(folder) / MODULES_FOLDER) if e.is_file())
    except OSError:
        return ()
    found = ((f"{MODULES_FOLDER}/{n}", fingerprint(f"{MODULES_FOLDER}/{n}")) for n in names)
    return tuple((name, v) for name, v in found if v is not None and name.endswith(".js"))


@functools.lru_cache(maxsize=16)
def _import_map(prefix: str, versions: tuple[tuple[str, str], ...]) -> tuple[str, str]:
    """The import map's text and its Content-Security-Policy source ('sha256-...')."""
    imports = {f"{prefix}/{name}": f"{prefix}/{name}?v={v}" for name, v in versions}
    text = json.dumps({"imports": imports}, separators=(",", ":"), sort_keys=True)
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    return text, f"'sha256-{digest}'"


def _current_import_map() -> tuple[str, str]:
    """The request's import map, worked out once for the page and its policy header."""
    found: tuple[str, str] | None = g.get("import_map")
    if found is None:
        # The static route's own address (what url_for gives), whatever the folder is called.
        found = _import_map(url_for("static", filename="").rstrip("/"), _module_versions())
        g.import_map = found
    return found


def import_map() -> Markup:
    """The page's import map: a script that a script imports by its plain address is fetched
    at its versioned address instead, so the browser keeps it as it keeps the scripts the page
    names (an inline script: its hash is in the Content-Security-Policy, `import_map_source`)."""
    return Markup(_current_import_map()[0])  # noqa: S704 - our own JSON of our own addresses


def import_map_source() -> str:
    """The Content-Security-Policy source that lets the page's import map run."""
    return _current_import_map()[1]


def keep_versioned_static_file(response: Response) -> Response:
    """A static file asked for by its current version is kept for a year; any other address of
    it (no version, or an old or made-up one) is checked with the server each time it is used,
    so a page of an older or newer release never keeps the wrong file under its address."""
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    version = request.args.get("v")
    filename = (request.view_args or {}).get("filename")
    if version and isinstance(filename, str) and version == fingerprint(filename):
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = YEAR_SECONDS
        response.cache_control.immutable = True
    return response


class SessionInterface(SecureCookieSessionInterface):
    """The signed cookie session, which a file's answer leaves alone: no cookie is set on it and
    it does not vary by cookie (Flask-Login looks at the session after every request, which
    would otherwise mark every file as different for each visitor and each sign-in)."""

    def save_session(self, app: Flask, session: SessionMixin, response: FlaskResponse) -> None:
        if request.endpoint in ASSET_ENDPOINTS:
            return
        super().save_session(app, session, response)
