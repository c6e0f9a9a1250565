"""Real databases: a fresh SQLite file, or PostgreSQL (+ Redis for broadcast and arq) when
KHATA_TEST_BACKEND=postgres. Each test signs up its own businesses, so tests never see
each other's rows and need no cleanup.

What the PostgreSQL run touches, and nothing else: its own database (`khata_test`,
created if missing, its schema recreated per run; KHATA_TEST_PG_URL points elsewhere) and
Redis database 15 (KHATA_TEST_REDIS_URL), where every channel and the arq queue carry a
namespace unique to the run. Nothing is flushed; no other client's connection is cut."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import event, make_url, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from domain.core.clock import FrozenClock
from domain.core.settings import Settings
from domain.core.tx import Tx
from domain.migrations.run import upgrade
from khata.composition import build_runtime, create_app
from khata.runtime import Runtime
from workers.runner import ArqQueue, InProcessRunner

BACKEND = os.environ.get("KHATA_TEST_BACKEND", "sqlite")
PG_URL = os.environ.get(
    "KHATA_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/khata_test"
)
TEST_IP = "203.0.113.7"  # the test client's address
# Every test's client shares TEST_IP: its per-IP limits must not trip over the whole suite's
# wrong passwords (tests of those limits use addresses of their own).
SHARED_IP_LIMIT = 100_000
REDIS_URL = os.environ.get("KHATA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
NAMESPACE = f"khata_test_{uuid.uuid4().hex[:8]}"


def pytest_report_header() -> str:
    return f"khata backend: {BACKEND}"


async def _fresh_postgres(url: str) -> None:
    """Create the suite's own database if missing, then empty its schema."""
    name = make_url(url).database
    assert name and name not in ("test", "postgres"), f"refusing to reset database {name!r}"
    admin = create_async_engine(
        make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    async with admin.connect() as conn:
        exists = await conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        )
        if not exists:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture(scope="session")
def settings() -> Iterator[Settings]:
    if BACKEND == "postgres":
        yield Settings(
            env="test",
            database_url=PG_URL,
            redis_url=REDIS_URL,
            redis_namespace=NAMESPACE,
            log_level="WARNING",
            login_max_failures=3,
            login_ip_max_failures=SHARED_IP_LIMIT,
            password_reset_max_per_ip=SHARED_IP_LIMIT,
        )
        return
    with tempfile.TemporaryDirectory() as tmp:
        yield Settings(
            env="test",
            database_url=f"sqlite+aiosqlite:///{tmp}/test.db",
            redis_url=None,
            log_level="WARNING",
            login_max_failures=3,
            login_ip_max_failures=SHARED_IP_LIMIT,
            password_reset_max_per_ip=SHARED_IP_LIMIT,
        )


@pytest.fixture(scope="session")
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    if BACKEND == "postgres":
        await _fresh_postgres(settings.database_url)
    await upgrade(settings.database_url)
    rt = build_runtime(settings)
    await rt.start(sweep=False)
    yield rt
    await rt.stop()


@pytest.fixture(scope="session")
def app(runtime: Runtime) -> Any:
    return create_app(runtime.settings, runtime=runtime)


@contextlib.asynccontextmanager
async def serving(app: Any, backlog: int = 16, keep_alive: int = 5) -> AsyncIterator[str]:
    """The app on a real uvicorn server on a free loopback port ("127.0.0.1:<port>"), for
    tests that need real sockets (WebSockets, browsers, dropped connections). A benchmark
    that opens many connections at once passes a deeper `backlog` (past it, connection
    attempts are dropped and retried by TCP after a second or more) and may keep idle
    connections open longer than uvicorn's 5 s (`keep_alive`), as a provider's API does: a
    client that reuses a connection the server is closing gets a disconnect, not an answer."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(backlog)  # connections queue in the backlog until the server accepts them
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_level="warning",
        ws_per_message_deflate=False,
        timeout_keep_alive=keep_alive,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="module")
async def server(app: Any) -> AsyncIterator[str]:
    async with serving(app) as address:
        yield address


@pytest.fixture
async def http(server: str) -> AsyncIterator[httpx.AsyncClient]:
    # generous: the suite measures behaviour, not latency, and CI runs both backends at once
    async with httpx.AsyncClient(base_url=f"http://{server}", timeout=30) as c:
        yield c


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(TEST_IP, 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://khata.test") as c:
        yield c


@pytest.fixture
async def clocked(runtime: Runtime) -> AsyncIterator[tuple[httpx.AsyncClient, FrozenClock]]:
    """The same database behind a second app whose clock the test moves (no sleeping)."""
    clock = FrozenClock(datetime.now(UTC).replace(microsecond=0))
    rt = build_runtime(runtime.settings, clock=clock)
    await rt.start(sweep=False)
    transport = httpx.ASGITransport(app=create_app(rt.settings, runtime=rt), client=(TEST_IP, 5555))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://khata.test") as c:
            yield c, clock
    finally:
        await rt.stop()


def fresh_ip() -> str:
    """A client address no other test uses (IPv6 documentation range)."""
    h = uuid.uuid4().hex
    return f"2001:db8:{h[:4]}:{h[4:8]}::{h[8:12]}"


Clients = Callable[[str], httpx.AsyncClient]
# The per-IP limits and delay cap of the `addressed` app (small enough to reach in a test).
ADDRESSED_LIMITS = {
    "login_ip_max_failures": 6,
    "login_max_delay_seconds": 30,
    "password_reset_max_per_ip": 5,
}


@pytest.fixture
async def addressed(runtime: Runtime) -> AsyncIterator[tuple[Clients, FrozenClock, Runtime]]:
    """Like `clocked`, with the per-IP limits of ADDRESSED_LIMITS and clients from any
    address: `make(fresh_ip())`. Tests of per-IP limits use addresses of their own."""
    clock = FrozenClock(datetime.now(UTC).replace(microsecond=0))
    rt = build_runtime(runtime.settings.model_copy(update=ADDRESSED_LIMITS), clock=clock)
    await rt.start(sweep=False)
    app = create_app(rt.settings, runtime=rt)
    opened: list[httpx.AsyncClient] = []

    def make(ip: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(ip, 5555))
        opened.append(httpx.AsyncClient(transport=transport, base_url="http://khata.test"))
        return opened[-1]

    try:
        yield make, clock, rt
    finally:
        for c in opened:
            await c.aclose()
        await rt.stop()


async def run_jobs(rt: Runtime) -> None:
    """Run every queued job to completion: drain the in-process runner, or run an arq
    worker in burst mode against Redis (the production path)."""
    if isinstance(rt.jobs, InProcessRunner):
        await rt.jobs.drain()
        return
    assert isinstance(rt.jobs, ArqQueue)
    from arq.connections import RedisSettings
    from arq.worker import Worker

    from workers.arq_worker import WorkerSettings

    worker = Worker(  # its own pool: closing the worker must not close the API's queue
        functions=WorkerSettings.functions,
        redis_settings=RedisSettings.from_dsn(rt.settings.redis_url or ""),
        burst=True,
        poll_delay=0.01,
        queue_name=rt.settings.arq_queue_name,
        ctx={"runtime": rt},
        max_tries=3,
        handle_signals=False,
    )
    await worker.main()
    await worker.close()


@dataclass
class Actor:
    token: str
    business_id: str
    user_id: str
    email: str
    password: str
    client: httpx.AsyncClient

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}", "x-khata-business": self.business_id}

    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, **kw: Any
    ) -> dict[str, Any]:
        return await gql(self.client, query, variables, headers=self.headers, **kw)

    async def sign_in_again(self) -> None:
        """A fresh session token: a test that moves the clock by days outlives the first."""
        body = await gql(
            self.client,
            "mutation($input: LoginInput!) { login(input: $input) { __typename "
            "... on AuthPayload { token } } }",
            {"input": {"email": self.email, "password": self.password}},
        )
        assert body["data"]["login"]["__typename"] == "AuthPayload", body
        self.token = body["data"]["login"]["token"]


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    expect_errors: bool = False,
) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    if not expect_errors:
        assert "errors" not in body, body
    return body


SIGN_UP = """
mutation($input: SignUpInput!) { signUp(input: $input) {
  __typename
  ... on SignUpPayload { auth { token user { id } } business { id } }
  ... on UserError { code message }
} }"""

COUNTRY_CURRENCY = {"IN": "INR", "KE": "KES", "OM": "OMR", "ZA": "ZAR"}


async def sign_up(
    client: httpx.AsyncClient,
    country: str = "IN",
    name: str | None = None,
    timezone: str | None = None,
) -> Actor:
    """A new owner and business (in `timezone` when given, else the country's default)."""
    email = f"owner-{uuid.uuid4().hex[:10]}@example.com"
    password = "correct horse battery"
    business = {"name": name or f"Shop {uuid.uuid4().hex[:6]}", "country": country}
    if timezone is not None:
        business["timezone"] = timezone
    body = await gql(
        client,
        SIGN_UP,
        {"input": {"email": email, "password": password, "name": "Owner", "business": business}},
    )
    result = body["data"]["signUp"]
    assert result["__typename"] == "SignUpPayload", result
    return Actor(
        result["auth"]["token"],
        result["business"]["id"],
        result["auth"]["user"]["id"],
        email,
        password,
        client,
    )


@pytest.fixture
async def owner(client: httpx.AsyncClient) -> Actor:
    return await sign_up(client, "IN")


@pytest.fixture
async def other_owner(client: httpx.AsyncClient) -> Actor:
    return await sign_up(client, "KE")


@contextmanager
def count_statements(rt: Runtime) -> Iterator[list[str]]:
    """Every SQL statement any engine of the runtime executes inside the block, except
    the outbox relay's marks: a background write that lands whenever its delay ends."""
    seen: list[str] = []

    def listener(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        head = statement.lstrip().upper()
        if not head.startswith(
            ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE")
        ) and not head.startswith("UPDATE OUTBOX_EVENTS SET RELAYED_AT"):
            seen.append(statement)

    engines = rt.db.engines
    for engine in engines:
        event.listen(engine.sync_engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine.sync_engine, "before_cursor_execute", listener)


CREATE_CUSTOMER = """
mutation($input: CreateCustomerInput!) { createCustomer(input: $input) {
  __typename
  ... on CustomerPayload { customer { id number name phone email profileType status tags
      addresses { id isDefault city } } }
  ... on ValidationError { code message fields { field code message } }
  ... on UserError { code message }
} }"""


SUMMARY_COLUMNS = (
    "total_billed",
    "total_paid",
    "outstanding",
    "invoice_count",
    "last_invoice_at",
    "payment_status",
    "oldest_open_due",
    "avg_days_to_pay",
)


def viewer_of(actor: Actor) -> Any:
    """The owner's viewer, for calling the domain directly as that owner."""
    from domain.core.viewer import STAFF_SCOPES, Role, Viewer, ViewerKind
    from schema.relay import expect_id

    return Viewer(
        ViewerKind.STAFF,
        user_id=expect_id(actor.user_id, "User"),
        business_id=expect_id(actor.business_id, "Business"),
        role=Role.OWNER,
        scopes=STAFF_SCOPES,
    )


async def summaries_off_their_rows(tx: Tx, customer_ids: Sequence[int]) -> dict[int, Any]:
    """Customers of tx's business whose stored financial summary differs from the one
    summed again from their invoices: {id: (stored, summed)}; empty when all agree."""
    from domain.customers.models import Customer
    from domain.invoicing.repository import InvoiceRepository
    from domain.invoicing.service import load_business, summary_values

    business = await load_business(tx)
    sums = await InvoiceRepository(tx.session, tx.viewer).customers_totals(
        customer_ids, business.currency
    )
    stored = await tx.session.scalars(
        select(Customer).where(Customer.business_id == business.id, Customer.id.in_(customer_ids))
    )
    off = {}
    for customer in stored:
        want = summary_values(tx, business, sums[customer.id])
        have = {k: getattr(customer, k) for k in SUMMARY_COLUMNS}
        if have != {k: want[k] for k in SUMMARY_COLUMNS}:
            off[customer.id] = (have, want)
    return off


async def create_customer(actor: Actor, **fields: Any) -> dict[str, Any]:
    body = await actor.gql(CREATE_CUSTOMER, {"input": fields})
    return body["data"]["createCustomer"]  # type: ignore[no-any-return]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    del items  # keep default order; hook kept for future markers


__all__ = ["Actor", "asyncio", "count_statements", "create_customer", "gql", "run_jobs", "sign_up"]
