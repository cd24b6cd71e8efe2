"""Evidence in the database: two app servers sharing nothing but PostgreSQL, and moving photos.

The first test starts two real gunicorn servers (separate processes, separate evidence folders)
on one PostgreSQL database, uploads a poster photo through one and reads it through the other.
"""

from __future__ import annotations

import hashlib
import http.cookiejar
import os
import re
import secrets
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from builders import NOW, SYSTEM, make_licence, make_premises, make_user, make_wards
from builders.web import PASSWORD
from conftest import ROOT, PostgresDatabase, upgrade
from image_helpers import png
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from support import CHEAP_HASHING

from app import create_app
from config import Settings
from enforcement.db import make_engine, session_factory, writer
from enforcement.inspections import evidence
from enforcement.models import AuditEvent, EvidenceBlob, EvidenceFile
from enforcement.vocab import PremisesType

EMAIL = "officer@example.gov.uk"


# --- two servers --------------------------------------------------------------------------------


class Browser:
    """A signed-in user agent: one cookie jar, used against any server (cookies ignore ports)."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, url: str) -> tuple[int, bytes, str]:
        try:
            with self.opener.open(url, timeout=20) as r:
                return r.status, r.read(), r.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(), ""

    def post(self, url: str, body: bytes, content_type: str) -> tuple[int, str]:
        req = urllib.request.Request(  # noqa: S310 - a local test server
            url, data=body, headers={"Content-Type": content_type}, method="POST"
        )
        try:
            with self.opener.open(req, timeout=20) as r:
                return r.status, r.geturl()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")[:3000]


def _token(page: bytes) -> str:
    found = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert found, page[:2000]
    return found.group(1).decode()


def _multipart(
    fields: list[tuple[str, str]], files: list[tuple[str, str, bytes]]
) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = b""
    for name, value in fields:
        out += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        ).encode()
    for name, filename, data in files:
        out += (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
            ).encode()
            + data
            + b"\r\n"
        )
    out += f"--{boundary}--\r\n".encode()
    return out, f"multipart/form-data; boundary={boundary}"


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _gunicorn(env: dict[str, str], log: Path) -> Iterator[str]:
    """Serve the app with gunicorn as `make run` does; yield its address; stop it after."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "app.wsgi:serve()",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as r:  # noqa: S310
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


@pytest.fixture
def shared_pg() -> Iterator[str]:
    pg = PostgresDatabase("tracker_shared", migrated=True)
    try:
        yield pg.url
    finally:
        pg.drop()


def test_a_photo_uploaded_through_one_server_is_read_through_another(
    shared_pg: str, tmp_path: Path
) -> None:
    engine = make_engine(shared_pg)
    try:
        upgrade(engine)
        with session_factory(writer(engine))() as s:
            make_wards(s)
            make_user(s, "licensing_officer", email=EMAIL)
            premises = make_premises(s, name="Gloss Nails", premises_type=PremisesType.NAIL_BAR)
            make_licence(s, premises.id, regime="special_treatment")
            s.commit()
            premises_id = premises.id
    finally:
        engine.dispose()
    env = {
        **os.environ,
        "DATABASE_URL": shared_pg,
        "SECRET_KEY": secrets.token_hex(24),  # the same key on both, as behind a load balancer
        "APP_ENV": "development",
        "EVIDENCE_STORE": "database",
        "PASSWORD_HASH_TIME_COST": str(CHEAP_HASHING.time_cost),
        "PASSWORD_HASH_MEMORY_KIB": str(CHEAP_HASHING.memory_kib),
        "PASSWORD_HASH_PARALLELISM": str(CHEAP_HASHING.parallelism),
    }
    env.pop("FLASK_APP", None)
    first_dir, second_dir = tmp_path / "first", tmp_path / "second"
    first = _gunicorn({**env, "EVIDENCE_DIR": str(first_dir)}, tmp_path / "first.log")
    second = _gunicorn({**env, "EVIDENCE_DIR": str(second_dir)}, tmp_path / "second.log")
    try:
        a, b = next(first), next(second)
        user = Browser()
        _, page, _ = user.get(f"{a}/sign-in")
        body = urllib.parse.urlencode(
            {"email": EMAIL, "password": PASSWORD, "csrf_token": _token(page)}
        ).encode()
        status, _ = user.post(f"{a}/sign-in", body, "application/x-www-form-urlencoded")
        assert status == 200

        form_path = f"/premises/{premises_id}/inspections/new"
        _, page, _ = user.get(a + form_path)
        key = re.search(rb'name="idempotency_key" type="hidden" value="([0-9a-f]+)"', page)
        licence = re.search(rb'name="licence_id" type="hidden" value="(\d*)"', page)
        assert key and licence, page[:2000]
        photo = png(24, 16)
        body, kind = _multipart(
            [
                ("csrf_token", _token(page)),
                ("idempotency_key", key.group(1).decode()),
                ("licence_id", licence.group(1).decode()),
                ("inspected_on", "2"),
                ("inspected_on", "3"),
                ("inspected_on", "2026"),
                ("inspected_time", "10:00"),
                ("reason", "routine"),
                ("poster_displayed", "no"),
            ],
            [("photo", "poster.png", photo)],
        )
        status, landed = user.post(a + form_path, body, kind)
        assert status == 200 and "/inspections/" in landed, landed

        # The inspection page on the second server links the photo; the second server serves it.
        _, detail, _ = user.get(landed.replace(a, b))
        link = re.search(rb'src="(/evidence/\d+)"', detail)
        assert link, detail[:3000]
        status, served, served_type = user.get(b + link.group(1).decode())
        assert status == 200 and served_type == "image/png"
        assert user.get(a + link.group(1).decode())[1] == served
        # Nothing was written to either server's disk: the photo is only in PostgreSQL.
        assert not any(p.is_file() for p in tmp_path.rglob("*") if p.parent != tmp_path)
    finally:
        first.close()
        second.close()
    assert not first_dir.exists() and not second_dir.exists()


# --- moving photos between backends -------------------------------------------------------------


@pytest.fixture
def file_db(tmp_path: Path, database_url: str) -> Iterator[str]:
    """A database of its own kind (not the test's transaction): the command commits."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/move.db"
        return
    pg = PostgresDatabase("tracker_move")
    try:
        yield pg.url
    finally:
        pg.drop()


def test_photos_move_between_the_folder_and_the_database_and_back(
    file_db: str, tmp_path: Path
) -> None:
    folder = tmp_path / "evidence"
    engine = make_engine(file_db)
    try:
        upgrade(engine)
        sessions = session_factory(writer(engine))
        with sessions() as s:
            officer = make_user(s, "licensing_officer")
            assert officer.id
            rows = [
                evidence.store_image(s, SYSTEM, NOW, png(8 + i, 8), folder, max_bytes=100_000)
                for i in range(3)
            ]
            s.commit()
            digests = {r.id: r.sha256 for r in rows}

        def run(*args: str, store: str = "folder") -> str:
            app = create_app(
                Settings(
                    database_url=file_db,
                    secret_key="x" * 40,
                    testing=True,
                    evidence_dir=folder,
                    evidence_store=store,
                )
            )
            result = app.test_cli_runner().invoke(args=["evidence", "move", *args])
            assert result.exit_code == 0, result.output
            return result.output

        def in_folder() -> int:
            return sum(1 for p in folder.rglob("*") if p.is_file())

        def in_database(s: Session) -> int:
            return s.scalar(select(func.count()).select_from(EvidenceBlob)) or 0

        assert "3 photos moved to the database" in run("--to", "database")
        with sessions() as s:
            assert in_database(s) == 3 and in_folder() == 0
            for file_id, digest in digests.items():
                row = s.get(EvidenceFile, file_id)
                data = evidence.read_image(s, evidence.DatabaseStore(), row)  # type: ignore[arg-type]
                assert data is not None and hashlib.sha256(data).hexdigest() == digest
        # Again: nothing left to move, nothing lost.
        assert "0 photos moved to the database; 3 there already" in run("--to", "database")
        with sessions() as s:
            assert in_database(s) == 3 and in_folder() == 0

        # The app set to the database serves them from there.
        app = create_app(
            Settings(
                database_url=file_db,
                secret_key="x" * 40,
                testing=True,
                evidence_dir=tmp_path / "elsewhere",
                evidence_store="database",
            )
        )
        with sessions() as s:
            store = evidence.store_for(app.config["SETTINGS"].evidence_store, folder)
            assert store.get(s, digests[rows[0].id]) is not None

        assert "3 photos moved to the folder" in run("--to", "folder", store="database")
        assert "0 photos moved to the folder; 3 there already" in run("--to", "folder")
        with sessions() as s:
            assert in_database(s) == 0 and in_folder() == 3
            moves = s.scalars(
                select(AuditEvent.summary).where(AuditEvent.action == "evidence.move")
            ).all()
            assert len(moves) == 4
    finally:
        engine.dispose()
