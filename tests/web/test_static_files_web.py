"""Static files: linked by their version, kept for a year under it, and never tied to a visitor.

A page names each of the app's own files with `?v=` and the start of the file's SHA-256, so a
browser keeps it and asks for it again only once it changes (docs/operations.md, "Static
files"). Any other address of a file is checked with the server on every use. A file's answer,
like a front-end package's, sets no cookie and does not vary by cookie, whoever asks.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from pathlib import Path

from builders import make_user, sign_in
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.assets import fingerprint, import_map, import_map_source

STATIC = Path(__file__).resolve().parents[2] / "app" / "static"
YEAR = "max-age=31536000"


def _version(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def _signed_in(client: FlaskClient, session: Session) -> str:
    make_user(session, "licensing_officer", email="static@example.gov.uk")
    assert sign_in(client, "static@example.gov.uk").status_code == 302
    return client.get("/").get_data(as_text=True)


def test_a_page_links_each_static_file_by_its_version(
    client: FlaskClient, session: Session
) -> None:
    page = _signed_in(client, session)
    linked = re.findall(r'(?:href|src)="/static/([^"?]+)\?v=([0-9a-f]+)"', page)
    names = {name for name, _ in linked}
    assert {"dist/app.css", "app.js", "offline/device.js", "favicon.svg"} <= names, linked
    for name, version in linked:
        assert version == _version(STATIC / name), name
    assert not re.search(r'(?:href|src)="/static/[^"?]+"', page), "a static file without version"


def test_a_versioned_file_is_kept_for_a_year_and_sets_no_cookie(
    client: FlaskClient, session: Session
) -> None:
    _signed_in(client, session)
    resp = client.get(f"/static/app.js?v={_version(STATIC / 'app.js')}")
    assert resp.status_code == 200 and b"initGovuk" in resp.data
    cache = resp.headers["Cache-Control"]
    assert "public" in cache and YEAR in cache and "immutable" in cache
    assert "no-cache" not in cache
    assert "Vary" not in resp.headers and "Set-Cookie" not in resp.headers
    # Asked again with its validator (a browser whose copy is cleared by a reload): the same.
    again = client.get(
        f"/static/app.js?v={_version(STATIC / 'app.js')}",
        headers={"If-None-Match": resp.headers["ETag"]},
    )
    assert again.status_code == 304 and "immutable" in again.headers["Cache-Control"]


def test_a_file_asked_for_without_its_current_version_is_checked_each_time(
    client: FlaskClient, session: Session
) -> None:
    _signed_in(client, session)
    for address in (
        "/static/app.js",
        "/static/app.js?v=000000000000",  # an older release's page, or made up
        f"/static/app.js?v={_version(STATIC / 'app.js')}x",
        f"/static/app.css?v={_version(STATIC / 'app.js')}",  # another file's version; no file
    ):
        resp = client.get(address)
        cache = resp.headers.get("Cache-Control", "")
        assert "immutable" not in cache and YEAR not in cache, address
        assert "Vary" not in resp.headers and "Set-Cookie" not in resp.headers, address
    assert client.get("/static/app.js").headers["Cache-Control"] == "no-cache"
    assert client.get("/static/../config.py?v=1").status_code == 404


def test_a_front_end_package_file_is_the_same_for_everyone(
    client: FlaskClient, session: Session
) -> None:
    _signed_in(client, session)
    resp = client.get("/vendor/govuk/govuk-frontend.min.js")
    assert resp.status_code == 200
    assert "max-age=3600" in resp.headers["Cache-Control"]
    assert "Vary" not in resp.headers and "Set-Cookie" not in resp.headers


def test_a_page_still_varies_by_cookie_and_is_never_stored(
    client: FlaskClient, session: Session
) -> None:
    _signed_in(client, session)
    resp = client.get("/")
    assert resp.headers["Cache-Control"] == "no-store"
    assert "Cookie" in resp.headers.get("Vary", "")


def test_a_changed_file_gets_a_new_version(app: Flask, tmp_path: Path) -> None:
    style = tmp_path / "style.css"
    style.write_text("body { color: black; }")
    kept = app.static_folder
    app.static_folder = str(tmp_path)
    try:
        with app.test_request_context():
            first = fingerprint("style.css")
            assert first == _version(style)
            # Same size, new content, a later time: as a deployment leaves it.
            style.write_text("body { color: white; }")
            later = os.stat(style).st_mtime_ns + 1_000_000_000
            os.utime(style, ns=(later, later))
            second = fingerprint("style.css")
            assert second == _version(style) and second != first
            assert fingerprint("missing.css") is None
            (tmp_path / "folder").mkdir()
            assert fingerprint("folder") is None
            assert fingerprint("../style.css") is None
    finally:
        app.static_folder = kept


def test_the_import_map_sends_each_imported_script_to_its_version_and_the_policy_allows_it(
    client: FlaskClient, session: Session
) -> None:
    page = _signed_in(client, session)
    found = re.search(r'<script type="importmap">(.*?)</script>', page)
    assert found, "no import map"
    assert page.index('type="importmap"') < page.index('type="module"'), "the map comes first"
    imports = json.loads(found.group(1))["imports"]
    for name in ("db.js", "ui.js", "sync.js"):  # what device.js and the offline pages import
        path = STATIC / "offline" / name
        assert imports[f"/static/offline/{name}"] == f"/static/offline/{name}?v={_version(path)}"
    # The page's policy lets exactly this inline script run, by its hash.
    digest = base64.b64encode(hashlib.sha256(found.group(1).encode()).digest()).decode()
    policy = client.get("/").headers["Content-Security-Policy"]
    script_src = next(p for p in policy.split(";") if p.strip().startswith("script-src"))
    assert f"'sha256-{digest}'" in script_src.split()
    assert "'unsafe-inline'" not in script_src


def test_a_changed_module_changes_the_import_map_and_its_hash(app: Flask, tmp_path: Path) -> None:
    (tmp_path / "offline").mkdir()
    module = tmp_path / "offline" / "db.js"
    module.write_text("export const a = 1;\n")
    kept = app.static_folder
    app.static_folder = str(tmp_path)
    try:
        with app.test_request_context():
            first, first_hash = str(import_map()), import_map_source()
            assert json.loads(first) == {
                "imports": {"/static/offline/db.js": f"/static/offline/db.js?v={_version(module)}"}
            }
        module.write_text("export const a = 2;\n")
        later = os.stat(module).st_mtime_ns + 1_000_000_000
        os.utime(module, ns=(later, later))
        with app.test_request_context():  # the next request sees the change
            assert str(import_map()) != first and import_map_source() != first_hash
    finally:
        app.static_folder = kept


def test_every_template_and_view_links_static_files_by_their_version() -> None:
    """One way to link the app's own files: `static_url`, never `url_for('static', ...)`."""
    app_dir = STATIC.parent
    unversioned = re.compile(r"""url_for\(\s*['"]static['"]""")
    found = [
        f"{path.relative_to(app_dir)}:{number}"
        for path in sorted([*app_dir.rglob("*.html"), *app_dir.rglob("*.py")])
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if unversioned.search(line) and path.name != "assets.py"
    ]
    assert not found, f"link these with static_url(): {found}"
