"""`make lock`: pin the installed environment in two files. `requirements.lock` holds what
`khata` needs to run (its dependencies and theirs, as installed); `requirements-dev.lock`
holds the rest (test, lint and type-check tools). The Docker image installs only the first."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_LOCK = ROOT / "requirements.lock"
DEV_LOCK = ROOT / "requirements-dev.lock"


def runtime_names(project: str = "khata") -> set[str]:
    """Every distribution `project` needs without extras, for this platform."""
    names: set[str] = set()
    seen: set[tuple[str, frozenset[str]]] = set()
    stack = [
        Requirement(text) for text in distribution(project).requires or [] if "extra" not in text
    ]
    while stack:
        req = stack.pop()
        key = (canonicalize_name(req.name), frozenset(req.extras))
        if key in seen:
            continue
        seen.add(key)
        names.add(key[0])
        try:
            dist = distribution(req.name)
        except PackageNotFoundError:
            sys.exit(f"{req.name} is required but not installed: run `make` first")
        for text in dist.requires or []:
            sub = Requirement(text)
            extras = req.extras or {""}
            if sub.marker is None or any(sub.marker.evaluate({"extra": e}) for e in extras):
                stack.append(sub)
    return names


def frozen() -> list[str]:
    """`pip freeze` of this environment, without the project itself."""
    out = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable", "--exclude", "khata"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line for line in out.splitlines() if line and not line.startswith("#")]


def pin_name(line: str) -> str:
    return canonicalize_name(line.split("==", 1)[0].split(" @ ", 1)[0])


def split(lines: list[str], runtime: set[str]) -> tuple[list[str], list[str]]:
    ours = [line for line in lines if pin_name(line) in runtime]
    dev = [line for line in lines if pin_name(line) not in runtime]
    return ours, dev


def main() -> None:
    runtime, dev = split(frozen(), runtime_names())
    RUNTIME_LOCK.write_text("\n".join(runtime) + "\n")
    DEV_LOCK.write_text("\n".join(dev) + "\n")
    print(f"{RUNTIME_LOCK.name}: {len(runtime)} pins; {DEV_LOCK.name}: {len(dev)} pins")


if __name__ == "__main__":
    main()
