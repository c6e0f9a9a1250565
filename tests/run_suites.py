"""`make test`: the suite on SQLite, then on PostgreSQL + Redis where reachable.
With CI=true the service-backed run is mandatory: unreachable services fail the build."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = ROOT / ".test-backends"


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def run(backend: str, args: list[str], report: Path) -> tuple[int, dict[str, int]]:
    print(f"\n=== test suite on {backend} ===", flush=True)
    env = {**os.environ, "KHATA_TEST_BACKEND": backend}
    cmd = [sys.executable, "-m", "pytest", f"--junitxml={report}", *args]
    code = subprocess.call(cmd, cwd=ROOT, env=env)
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    if report.exists():
        for suite in ET.parse(report).getroot().iter("testsuite"):  # noqa: S314 - our own file
            for key in counts:
                counts[key] += int(suite.get(key, 0))
    return code, counts


def main() -> int:
    args = sys.argv[1:]
    ci = os.environ.get("CI", "").lower() == "true"
    MARKER.unlink(missing_ok=True)
    ran: list[str] = []
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    worst = 0
    with tempfile.TemporaryDirectory() as tmp:
        backends = ["sqlite"]
        if reachable("127.0.0.1", 5432) and reachable("127.0.0.1", 6379):
            backends.append("postgres")
        elif ci:
            print("CI=true but PostgreSQL (5432) or Redis (6379) is unreachable", file=sys.stderr)
            return 3
        else:
            print("PostgreSQL/Redis not reachable: running the SQLite suite only", flush=True)
        for backend in backends:
            code, counts = run(backend, args, Path(tmp) / f"{backend}.xml")
            worst = worst or code
            if code in (0, 1):
                ran.append(backend)
            for key in totals:
                totals[key] += counts[key]
    MARKER.write_text(" ".join(ran) + "\n")
    failed = totals["failures"] + totals["errors"]
    passed = totals["tests"] - failed - totals["skipped"]
    print(f"\nbackends: {', '.join(ran) or 'none'}")
    print(f"total: {passed} passed, {failed} failed, {totals['skipped']} skipped")
    if totals["tests"] == 0:
        return worst or 5
    return worst


if __name__ == "__main__":
    sys.exit(main())
