"""`make run` as an operator uses it: it says the address it serves (the port chosen), and
Ctrl-C stops it quietly (no "make: *** [...] Error 143")."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def make_env(tmp_path: Path) -> dict[str, str]:
    if shutil.which("make") is None or not (ROOT / ".venv" / ".installed").exists():
        pytest.skip("make run needs make and the set-up project (make setup)")
    empty = tmp_path / "no-shared-data"
    empty.mkdir()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}"}
    env.update(SHARED_DATA_DIR=str(empty), EVIDENCE_DIR=str(tmp_path / "evidence"))
    for name in ("BASE_URL", "PORT", "FLASK_APP", "MAKEFLAGS", "MAKELEVEL"):
        env.pop(name, None)
    return env


def test_make_run_says_its_port_and_stops_quietly_on_ctrl_c(make_env: dict[str, str]) -> None:
    port = _free_port()
    run = subprocess.Popen(
        ["make", "--no-print-directory", "run", f"PORT={port}", "WORKERS=1"],
        cwd=ROOT,
        env=make_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job is
    )
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
            if run.poll() is not None:
                break
        else:
            pytest.fail("make run did not start serving in 180 s")
        assert run.poll() is None, run.stdout.read() if run.stdout else ""
        # Ctrl-C in a terminal: SIGINT to the whole foreground process group.
        os.killpg(run.pid, signal.SIGINT)
        try:
            output, _ = run.communicate(timeout=60)
        except subprocess.TimeoutExpired as exc:
            # Say which process did not stop, and what was printed last, before killing them.
            left = subprocess.run(
                ["ps", "-o", "pid,stat,etime,args", "-g", str(run.pid)],
                capture_output=True, text=True, check=False,
            ).stdout  # fmt: skip
            printed = exc.output.decode(errors="replace") if isinstance(exc.output, bytes) else ""
            pytest.fail(f"make run had not stopped 60 s after Ctrl-C:\n{left}\n{printed[-3000:]}")
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait(timeout=10)
    assert f"http://127.0.0.1:{port}/sign-in" in output
    assert "127.0.0.1:5000" not in output
    assert "make: ***" not in output and "Error 1" not in output, output[-2000:]
    # make, in the same process group, has the SIGINT too: it ends by it, without a word.
    assert run.returncode in (0, -signal.SIGINT), (run.returncode, output[-2000:])
