"""A benchmark's server as a child process (a free port, wait for /healthz, stop it), and
the app in process for set-up through the API (signing up the benchmark's owners)."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx

SIGN_UP = """mutation($input: SignUpInput!) { signUp(input: $input) { __typename
  ... on SignUpPayload { business { id } } ... on UserError { code message } } }"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without Khata's settings (the bench chooses them), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHATA_")}
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_URL", None)
    return env | extra


@contextmanager
def server_process(
    argv: list[str], port: int, env: dict[str, str], cwd: Path, log_path: Path, name: str
) -> Iterator[tuple[str, int]]:
    """Runs `argv` (a server listening on `port`) until the block ends; yields its base URL
    and pid once /healthz answers 200, or exits with the log's name if it never does."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    raise SystemExit(f"{name} exited; see {log_path}")
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit(f"{name} did not start; see {log_path}")
                time.sleep(0.1)
            yield base, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@asynccontextmanager
async def app_client(database_url: str, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The real app in this process (no Redis, no sweep), for set-up through the API."""
    from domain.core.settings import Settings
    from khata.composition import build_runtime, create_app

    config = Settings(database_url=database_url, redis_url=None, log_level="WARNING", **settings)
    rt = build_runtime(config)
    await rt.start(sweep=False)
    try:
        transport = httpx.ASGITransport(app=create_app(config, runtime=rt))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            yield client
    finally:
        await rt.stop()


async def sign_up_owner(
    client: httpx.AsyncClient, email: str, password: str, name: str, business: dict[str, Any]
) -> str:
    """Signs an owner and their business up through the API; the business's global id."""
    variables = {
        "input": {"email": email, "password": password, "name": name, "business": business}
    }
    resp = await client.post("/graphql", json={"query": SIGN_UP, "variables": variables})
    result = resp.json()["data"]["signUp"]
    if result["__typename"] != "SignUpPayload":
        raise SystemExit(f"sign-up failed: {result}")
    return str(result["business"]["id"])
