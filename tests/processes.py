"""API processes for the multi-process stream tests (issue 18 §5).

PostgreSQL run: two real `khata serve` OS processes on free loopback ports, with the
suite's own settings (its test database, its Redis database and namespace) passed as
environment variables, as a deployment would. SQLite run: the embedded single process
(in-memory broadcast) served in the test process stands in for both, so the same tests
run on both backends.

No sleeping on timing: a process is ready once /readyz answers 200 (polled); a
subscription listens once the process's `khata_subscriptions_open` gauge (/metrics)
counts it: the stream reads its start position before it joins the hub, so anything
committed after that is delivered. Only the PIDs started here are ever signalled."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import signal
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Any

import httpx
import uvicorn

from domain.core.settings import Settings
from khata.composition import build_runtime, create_app
from khata.runtime import Runtime

METRICS_TOKEN = secrets.token_urlsafe(16)
START_SECONDS = 60.0  # a cold `khata serve` on a busy two-core host
WAIT_SECONDS = 10.0
_GAUGE = re.compile(r"^khata_subscriptions_open (\S+)$", re.MULTILINE)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as the environment variables `khata serve` reads (pydantic-settings)."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump(exclude_defaults=True).items():
        alias = Settings.model_fields[name].validation_alias
        key = alias if isinstance(alias, str) else f"KHATA_{name.upper()}"
        simple = isinstance(value, str | int | float | bool)
        env[key] = str(value) if simple else json.dumps(value)
    return env


async def _poll(check: Any, what: str, seconds: float = WAIT_SECONDS) -> None:
    """Re-checks a condition (a coroutine function returning bool) until it holds."""
    deadline = time.monotonic() + seconds
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.02)  # poll interval, not a wait for timing


class ApiProcess:
    """One API process at a fixed loopback address (kept across a restart)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings.model_copy(update={"metrics_token": METRICS_TOKEN})
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.baseline = 0  # subscriptions open in an idle process, counted once it is up

    async def start(self) -> None:
        raise NotImplementedError

    async def kill(self) -> None:
        raise NotImplementedError

    async def _get(self, path: str, **kw: Any) -> httpx.Response:
        async with httpx.AsyncClient(base_url=f"http://{self.address}", timeout=5) as c:
            return await c.get(path, **kw)

    async def ready(self) -> bool:
        try:
            return (await self._get("/readyz")).status_code == 200
        except httpx.TransportError:
            return False

    async def subscriptions(self) -> int:
        """Open subscription streams in this process (its /metrics gauge)."""
        response = await self._get("/metrics", headers={"authorization": f"Bearer {METRICS_TOKEN}"})
        response.raise_for_status()
        found = _GAUGE.search(response.text)
        assert found, "no khata_subscriptions_open in /metrics"
        return int(float(found.group(1)))

    async def settled(self) -> None:
        """Only the process's own listeners (its revocation channel) remain open."""
        await self.wait_subscriptions(self.baseline)

    async def wait_subscriptions(self, count: int) -> None:
        async def reached() -> bool:
            return await self.subscriptions() == count

        await _poll(reached, f"{self.address}: {count} open subscriptions")


class KhataServe(ApiProcess):
    """`khata serve` as its own OS process."""

    proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        env = {**os.environ, **settings_env(self.settings), "KHATA_DB_POOL_SIZE": "3"}
        khata = str(Path(sys.executable).with_name("khata"))
        self.log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in _end
        self.proc = await asyncio.create_subprocess_exec(
            khata, "serve", "--port", str(self.port), env=env, stdout=self.log, stderr=self.log
        )

        async def up() -> bool:
            assert self.proc is not None
            if self.proc.returncode is not None:
                self.log.seek(0)
                raise RuntimeError(f"khata serve exited: {self.log.read()[-2000:]!r}")
            return await self.ready()

        await _poll(up, f"khata serve on {self.address} ready", START_SECONDS)
        self.baseline = await self.subscriptions()

    async def kill(self) -> None:
        """SIGKILL, as a crash: no shutdown, its sockets simply drop."""
        await self._end(signal.SIGKILL)

    async def stop(self) -> None:
        await self._end(signal.SIGTERM)

    async def _end(self, sig: int) -> None:
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if proc.returncode is None:
            proc.send_signal(sig)  # this process's own pid only
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        self.log.close()


class Embedded(ApiProcess):
    """The embedded single process: its own runtime (in-memory broadcast) on the suite's
    SQLite file, served by uvicorn inside the test process."""

    rt: Runtime | None = None

    async def start(self) -> None:
        self.rt = build_runtime(self.settings)
        await self.rt.start(sweep=False)
        app = create_app(self.settings, runtime=self.rt)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(16)
        config = uvicorn.Config(
            app, lifespan="off", log_level="warning", ws_per_message_deflate=False
        )
        self.server = uvicorn.Server(config)
        self.task = asyncio.create_task(self.server.serve(sockets=[sock]))
        await _poll(self.ready, f"embedded server on {self.address} ready")
        self.baseline = await self.subscriptions()

    async def kill(self) -> None:
        if self.rt is None:
            return
        rt, self.rt = self.rt, None
        self.server.should_exit = True
        await self.task
        await rt.stop()

    stop = kill


@contextlib.asynccontextmanager
async def api_processes(settings: Settings) -> AsyncIterator[tuple[ApiProcess, ApiProcess]]:
    """Two processes sharing the database and Redis (PostgreSQL), or the one embedded
    process twice (SQLite)."""
    if settings.redis_url is None:
        one = Embedded(settings)
        await one.start()
        try:
            yield one, one
        finally:
            await one.stop()
        return
    pair = KhataServe(settings), KhataServe(settings)
    try:
        await asyncio.gather(*(p.start() for p in pair))
        yield pair
    finally:
        for p in pair:
            await p.stop()
