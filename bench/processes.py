"""A benchmark's server as a child process (a free port, wait for /healthz, stop it), the
app in process for set-up through the API (signing up the benchmark's owners), a fresh
PostgreSQL database, the benchmark's own redis-server, and what /proc says about a
process (resident memory, CPU time)."""

from __future__ import annotations

import os
import resource
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
            deadline = time.monotonic() + 300  # a loaded shared host imports slowly
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
    async with app_and_runtime(database_url, **settings) as (client, _):
        yield client


@asynccontextmanager
async def app_and_runtime(
    database_url: str, **settings: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """app_client and its runtime (for set-up through the domain services as well)."""
    from domain.core.settings import Settings
    from khata.composition import build_runtime, create_app

    config = Settings(database_url=database_url, redis_url=None, log_level="WARNING", **settings)
    rt = build_runtime(config)
    await rt.start(sweep=False)
    try:
        transport = httpx.ASGITransport(app=create_app(config, runtime=rt))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            yield client, rt
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


def rss_kib(pid: int) -> int:
    """Resident set size of a process, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used, from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rpartition(")")[2].split()  # the name in parentheses may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def raise_open_files(want: int) -> int:
    """Raises this process's open-file limit (children inherit it) towards `want`; the
    limit now in force. Above the hard limit only where the process may raise it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= want:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(want, hard)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


async def fresh_postgres(url: str, admin_db: str = "test") -> None:
    """Drops and creates the database of `url` (through `admin_db`, whose contents are
    never touched) and migrates it."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from domain.migrations.run import upgrade

    server, name = url.rsplit("/", 1)
    admin = create_async_engine(f"{server}/{admin_db}", isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    await upgrade(url)


REDIS_SERVER = "redis-server"


class OwnRedis:
    """A redis-server of the benchmark's own, on its own free port, without persistence;
    stopped and restarted by its pid only (never the machine's Redis)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Starts it (again, on the same port); returns once it accepts connections."""
        argv = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no", "--maxclients", "10000"]
        self.proc = subprocess.Popen(  # noqa: S603 - the system's redis-server
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"redis-server exited on port {self.port}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise SystemExit("redis-server did not start")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> OwnRedis:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.kill()
