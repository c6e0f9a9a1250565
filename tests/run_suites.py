"""`make test`: the suite on SQLite and on PostgreSQL + Redis where reachable.
With CI=true the service-backed run is mandatory: unreachable services fail the build.

The two runs share nothing (SQLite files and the in-memory broadcast on one side, the
suite's own database and Redis db on the other) and spend much of their time waiting on
sockets and processes, so they run at the same time: the PostgreSQL run prints as it
goes, the SQLite run's output follows when both are done."""

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


def start(backend: str, args: list[str], report: Path, log: Path | None) -> subprocess.Popen[bytes]:
    """The backend's pytest run, printing to the terminal (`log` None) or into `log`."""
    env = {**os.environ, "KHATA_TEST_BACKEND": backend}
    cmd = [sys.executable, "-m", "pytest", f"--junitxml={report}", *args]
    out = log.open("wb") if log is not None else None
    try:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    finally:
        if out is not None:
            out.close()  # the child holds its own descriptor


def counts_of(report: Path) -> dict[str, int]:
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    if report.exists():
        for suite in ET.parse(report).getroot().iter("testsuite"):  # noqa: S314 - our own file
            for key in counts:
                counts[key] += int(suite.get(key, 0))
    return counts


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
        print(f"\n=== test suites on {' and '.join(backends)} ===", flush=True)
        procs = {}
        for backend in backends:
            live = backend == backends[-1]  # the last one prints as it goes
            log = None if live else Path(tmp) / f"{backend}.log"
            procs[backend] = (start(backend, args, Path(tmp) / f"{backend}.xml", log), log)
        codes = {b: proc.wait() for b, (proc, _) in reversed(procs.items())}  # live one first
        for backend, (_, log) in procs.items():
            code = codes[backend]
            if log is not None:
                print(f"\n=== test suite on {backend} (ran alongside) ===", flush=True)
                sys.stdout.buffer.write(log.read_bytes())
                sys.stdout.flush()
            worst = worst or code
            if code in (0, 1):
                ran.append(backend)
            counts = counts_of(Path(tmp) / f"{backend}.xml")
            print(f"{backend}: exit {code}, {counts}", flush=True)
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
