"""Run pip-audit on requirements.lock and say plainly whether it could check every package."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

LOCK = Path(__file__).resolve().parents[1] / "requirements.lock"


def main() -> int:
    # pip-audit exits 0 when it could not reach its advisory data for any package (it skips
    # them), which reads like "no vulnerabilities": its JSON says which it skipped and why.
    done = subprocess.run(  # noqa: S603 - a fixed command line
        [
            sys.executable,
            "-m",
            "pip_audit",
            "--requirement",
            str(LOCK),
            "--require-hashes",
            "--disable-pip",
            "--progress-spinner",
            "off",
            "--format",
            "json",
            *sys.argv[1:],
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        print("pip-audit did not run to the end, so nothing was checked:", file=sys.stderr)
        print(done.stderr.strip() or done.stdout.strip(), file=sys.stderr)
        return 2
    deps = report.get("dependencies", [])
    skipped = [d for d in deps if d.get("skip_reason")]
    vulnerable = [d for d in deps if d.get("vulns")]
    for d in vulnerable:
        for v in d["vulns"]:
            fixes = ", ".join(v.get("fix_versions") or []) or "no fixed version yet"
            print(f"VULNERABLE {d['name']} {d['version']}: {v['id']} (fixed in {fixes})")
    if skipped:
        print(
            f"NOT CHECKED: {len(skipped)} of {len(deps)} locked packages could not be audited"
            " (is the advisory service reachable from here?). First reason given:\n"
            f"  {skipped[0]['skip_reason']}",
            file=sys.stderr,
        )
    if vulnerable:
        return 1
    if skipped:
        return 2
    print(f"No known vulnerabilities in the {len(deps)} packages of {LOCK.name}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
