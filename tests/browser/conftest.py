"""Fixtures for the browser tests: the real server on a fresh database, and Debian's Chromium.

The server is started exactly as an operator would start it (migrations, demo data, `flask run`),
in its own process, so the browser sees the real headers, cookies and Content-Security-Policy.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import secrets
import shutil
import socket
import sqlite3
import string
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright
from support import BROWSER_TESTS, CHEAP_HASHING, skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
AXE_PATH = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# The flags docs/architecture.md explains: as root (CI) Chromium needs --no-sandbox, and headless
# it should not spend its time trying to reach the internet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# Every finding fails a test, whatever its impact: minor and moderate ones too.
BLOCKING_IMPACTS = frozenset({"minor", "moderate", "serious", "critical"})
SERVER_START_TIMEOUT = 30.0
# Set to a folder (outside the repository) to keep a full-page screenshot of every checked page.
SCREENSHOTS = os.environ.get("BROWSER_TEST_SCREENSHOTS")


def _bin(name: str) -> str:
    """A console script of the project's virtualenv (the one running pytest if there is no .venv)."""
    for folder in (ROOT / ".venv" / "bin", Path(sys.executable).parent):
        candidate = folder / name
        if candidate.exists():
            return str(candidate)
    raise FileNotFoundError(f"{name} is not installed in {ROOT / '.venv'} (run `make setup`)")


def _shared_data_dir() -> Path | None:
    """Where the app will look for the shared public data (the same rule as config.py)."""
    configured = os.environ.get("SHARED_DATA_DIR")
    candidate = Path(configured) if configured else ROOT.parent / "shared" / "data"
    return candidate if candidate.is_dir() else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode != 0:
        pytest.fail(
            f"`{' '.join(args)}` failed with exit code {done.returncode}:\n"
            f"{done.stdout}\n{done.stderr}"
        )


@dataclass(frozen=True)
class LiveServer:
    url: str
    real_wards: bool  # the real Hammersmith & Fulham wards are loaded (not the fictional borough)
    log: Path | None = None  # what the server printed: a line per request it answered

    def __call__(self, path: str = "/") -> str:
        return self.url + path


def serve(folder: Path, **settings: str) -> Iterator[LiveServer]:
    """Serve the real app with `flask run` on a fresh, migrated SQLite database with demo data
    (a copy of the run's demo database, built once: see `_demo_database`).

    `settings` are extra environment variables (say REQUIRE_SECOND_FACTOR="on"); the server is
    stopped when the generator is closed.
    """
    alphabet = string.ascii_letters + string.digits
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'browser.db'}",
        "SECRET_KEY": "".join(secrets.choice(alphabet) for _ in range(40)),
        "APP_ENV": "development",  # a plain-HTTP server on localhost: no Secure-only cookies
        "EVIDENCE_DIR": str(folder / "evidence"),  # uploaded photos stay out of the repository
        "PYTHONUNBUFFERED": "1",
        # The demo users' passwords are hashed and verified at a cheap cost (tests/conftest.py).
        "PASSWORD_HASH_TIME_COST": str(CHEAP_HASHING.time_cost),
        "PASSWORD_HASH_MEMORY_KIB": str(CHEAP_HASHING.memory_kib),
        "PASSWORD_HASH_PARALLELISM": str(CHEAP_HASHING.parallelism),
        **settings,
    }
    env.pop("FLASK_APP", None)
    _copy_database(_demo_database(env, folder), folder / "browser.db")
    shared = _shared_data_dir()
    real_wards = shared is not None and (shared / "wards" / "hf_wards_2022_wgs84.geojson").is_file()

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = folder / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [_bin("flask"), "--app", "app", "run", "--port", str(port), "--no-reload"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_healthy(url, server, log_path)
        yield LiveServer(url=url, real_wards=real_wards, log=log_path)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


# Where the demo database is built once for the whole run (every xdist worker), then copied.
_demo_root: list[Path] = []


@pytest.fixture(scope="session", autouse=True)
def _demo_database_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The run's temporary folder shared by every worker (pytest-xdist gives each a child of it)."""
    base = tmp_path_factory.getbasetemp()
    _demo_root[:] = [base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base]


def _demo_database(env: dict[str, str], folder: Path) -> Path:
    """A database migrated and loaded with demo data as an operator would (`alembic upgrade head`,
    `flask demo load`), built by the first server of the run and reused by every other: the
    database does not depend on a server's own settings (secret key, switches)."""
    root = _demo_root[0] if _demo_root else folder
    built = root / "demo-database" / "browser.db"
    built.parent.mkdir(parents=True, exist_ok=True)
    with (built.parent / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other workers wait for the first to finish
        if not built.is_file():
            building = built.with_name("building.db")
            building.unlink(missing_ok=True)
            own = {**env, "DATABASE_URL": f"sqlite:///{building}"}
            _run([_bin("alembic"), "upgrade", "head"], own)
            _run([_bin("flask"), "--app", "app", "demo", "load"], own)
            building.rename(built)
    return built


def _copy_database(source: Path, target: Path) -> None:
    """Copy a SQLite database with SQLite's own backup (whatever its journal holds)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The real app served by `flask run` on a fresh, migrated SQLite database with demo data."""
    yield from serve(tmp_path_factory.mktemp("live"))


def _wait_until_healthy(url: str, server: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        if server.poll() is not None:
            last_error = f"the server exited with code {server.returncode}"
            break
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
                last_error = f"/health answered {response.status}"
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            last_error = str(exc)
        time.sleep(0.2)
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
    output = log_path.read_text(errors="replace")
    pytest.fail(
        f"The server at {url} did not become healthy in {SERVER_START_TIMEOUT:.0f} s "
        f"({last_error}). Its output:\n{output}"
    )


class Chromium:
    """The worker's headless Chromium, started by its first browser test and closed after its
    last (see `pytest_runtest_teardown`): an idle Chromium keeps spending CPU on its timers
    while the worker runs its other tests. Started again if another browser test comes."""

    def __init__(self) -> None:
        self.manager: Any = None
        self.browser: Any = None

    def get(self) -> Any:
        if self.browser is None:
            self.browser = self._launch()
        return self.browser

    def _launch(self) -> Any:
        if not (Path(CHROMIUM_PATH).is_file() or shutil.which(CHROMIUM_PATH)):
            skip_or_fail(f"Chromium is not installed at {CHROMIUM_PATH} (set CHROMIUM_PATH)")
        manager = sync_playwright()
        playwright = manager.start()
        try:
            launched = playwright.chromium.launch(
                executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS
            )
        except PlaywrightError as exc:
            manager.__exit__(None, None, None)
            skip_or_fail(f"Chromium at {CHROMIUM_PATH} did not start: {exc.message}")
        self.manager = manager
        return launched

    def close(self) -> None:
        if self.browser is not None:
            self.browser.close()
            self.manager.__exit__(None, None, None)
            self.browser = self.manager = None


_chromium = Chromium()


@pytest.fixture
def browser() -> Any:
    """Debian's headless Chromium driven by Playwright (it cannot download its own browser here)."""
    return _chromium.get()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """After a browser test's own teardown, close Chromium if the worker's next test is not one."""
    yield
    if nextitem is None or BROWSER_TESTS not in nextitem.path.parents:
        _chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A tablet-sized page in a fresh context (own cookies), with CSP bypassed so axe can run."""
    context = browser.new_context(bypass_csp=True, viewport={"width": 1024, "height": 768})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@functools.cache
def axe_url() -> str:
    """The address of axe-core's script, served from this process with a long cache life.

    Chromium keeps a script fetched from an address (and its compiled code) for the context's
    later pages; a script sent inline, 650 KB, is parsed and compiled again on every page."""
    body = AXE_PATH.read_bytes()

    class Script(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "public, max-age=86400, immutable")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Script)
    threading.Thread(target=server.serve_forever, name="axe-core", daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}/axe.min.js"


def axe_findings(page: Any) -> list[dict[str, Any]]:
    """axe-core's findings on the page, of every impact, for the WCAG 2.2 AA tags."""
    if not page.evaluate("() => typeof window.axe === 'object'"):  # once per document
        try:
            page.add_script_tag(url=axe_url())
        except PlaywrightError:  # a tablet taken offline cannot fetch it: sent inline instead
            page.add_script_tag(path=str(AXE_PATH))
    # Every rule of the tags runs on every element; only the violations are described and sent
    # back (axe's documented speed-up: resultTypes limits the work of describing passes and
    # inapplicable results, which is most of it on a long table).
    found: list[dict[str, Any]] = page.evaluate(
        """async (tags) => (await axe.run(document, {
            runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],
        })).violations""",
        AXE_TAGS,
    )
    return found


def assert_no_axe_findings(page: Any, label: str) -> None:
    """Fail on any axe-core finding on the page, whatever its impact."""
    blocking = [v for v in axe_findings(page) if (v.get("impact") or "minor") in BLOCKING_IMPACTS]
    assert not blocking, f"axe-core found problems on the {label} page ({page.url}):\n" + (
        "\n".join(_describe(v) for v in blocking)
    )


@dataclass
class AccessibilityChecker:
    """Runs axe-core on a page; fails on any violation, of any impact; remembers what it checked."""

    checked: list[str] = field(default_factory=list)

    def __call__(self, page: Any, label: str) -> None:
        self.checked.append(label)
        if SCREENSHOTS:
            shot = Path(SCREENSHOTS) / f"{len(self.checked):02d} {label}.png"
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot), full_page=True)
        assert_no_axe_findings(page, label)


def _describe(violation: dict[str, Any]) -> str:
    targets = [json.dumps(node["target"]) for node in violation["nodes"][:3]]
    more = len(violation["nodes"]) - len(targets)
    return (
        f"- {violation['id']} ({violation['impact']}): {violation['help']} "
        f"[{violation.get('helpUrl', '')}]\n    at {', '.join(targets)}"
        + (f" and {more} more" if more > 0 else "")
    )


@pytest.fixture
def check_accessibility() -> Callable[[Any, str], None]:
    """check_accessibility(page, label): assert axe finds nothing at all; `.checked` lists labels."""
    if not AXE_PATH.is_file():
        skip_or_fail(f"axe-core is not installed at {AXE_PATH} (run `npm ci`)")
    return AccessibilityChecker()
