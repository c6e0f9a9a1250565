"""Engines and sessions. The edge owns the transaction: one unit of work per mutation,
job or webhook; resolvers and dataloader batches get short read sessions of their own."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import orjson
from sqlalchemy import event, exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from domain.core import positions

AfterCommit = Callable[[list[Any]], Awaitable[object]]


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


# JSON columns (tax components, timeline data, outbox payloads) through orjson: a batch of
# invoices serialises ~9 JSON values per invoice.
_JSON: dict[str, Any] = {"json_serializer": _dumps, "json_deserializer": orjson.loads}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        "foreign_keys=ON",
        "busy_timeout=30000",
        "synchronous=NORMAL",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_immediate(engine: AsyncEngine) -> None:
    """Write transactions take SQLite's write lock up front (BEGIN IMMEDIATE), so two
    writers queue on busy_timeout instead of failing to upgrade a read lock."""

    @event.listens_for(engine.sync_engine, "connect")
    def _no_implicit_begin(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine.sync_engine, "begin")
    def _begin_immediate(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


IDLE_PING_SECONDS = 10.0


def ping_when_idle(engine: AsyncEngine, idle_seconds: float = IDLE_PING_SECONDS) -> None:
    """Pessimistic disconnect handling for connections that sat in the pool: one idle
    longer than `idle_seconds` is pinged at checkout, and a dead one replaced before the
    caller sees it. SQLAlchemy's pool_pre_ping pings at *every* checkout, three round
    trips on asyncpg (BEGIN, ';', ROLLBACK); under load that was a fifth of a batched
    createInvoice's round trips. A connection in steady use is alive by evidence; if the
    server goes away under it, the failing statement marks the pool invalid and every
    older connection is replaced at its next checkout."""

    @event.listens_for(engine.sync_engine, "checkin")
    def _returned(_dbapi: Any, record: Any) -> None:
        record.info["khata_idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checkout(dbapi: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("khata_idle_since")
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi)
        except Exception as error:
            # the pool discards this connection and checks out a fresh one
            raise exc.DisconnectionError(str(error)) from error


def conflict_insert(session: AsyncSession, table: Any) -> Any:
    """INSERT into `table` in the session's dialect, for the statements that claim a row
    with ON CONFLICT (DO NOTHING ... RETURNING, or DO UPDATE): PostgreSQL and SQLite
    spell it alike, but SQLAlchemy has one construct per dialect."""
    postgres = session.get_bind().dialect.name == "postgresql"
    return (postgresql.insert if postgres else sqlite.insert)(table)


def run_last(session: AsyncSession, statement: Any) -> None:
    """Runs `statement` as the transaction's last write, just before its commit. For an
    increment of a row many concurrent transactions share (a business's monthly SMS
    usage): its row lock is then held for the commit only, not for the rest of the
    transaction, so concurrent senders do not queue on it."""
    session.info.setdefault("last_statements", []).append(statement)


async def _run_last(session: AsyncSession) -> None:
    statements = session.info.pop("last_statements", [])
    if statements:
        await session.flush()
        for statement in statements:
            await session.execute(statement)


class Database:
    def __init__(
        self, url: str, *, echo: bool = False, pool_size: int = 10, pool_timeout: float = 30.0
    ) -> None:
        """`pool_size` connections, as many again in overflow; a checkout waits at most
        `pool_timeout` seconds, then raises sqlalchemy's TimeoutError (an edge answers
        SERVICE_BUSY: domain/core/failures.py)."""
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        pool = {"pool_size": pool_size, "max_overflow": pool_size, "pool_timeout": pool_timeout}
        if self.is_sqlite:
            args = {"connect_args": {"timeout": 30}, "echo": echo, "hide_parameters": True, **_JSON}
            if ":memory:" not in url:  # a file database has a queue pool like PostgreSQL's
                args |= pool
            self.write_engine = create_async_engine(url, **args)
            self.read_engine = create_async_engine(url, **args)
            for eng in (self.write_engine, self.read_engine):
                event.listen(eng.sync_engine, "connect", _sqlite_pragmas)
            _sqlite_immediate(self.write_engine)
        else:
            self.write_engine = create_async_engine(
                url,
                echo=echo,
                hide_parameters=True,  # a failed statement's message must not carry its values
                **pool,
                pool_recycle=1800,
                # LIKE 'prefix%' and trigram searches only use their indexes when the
                # pattern is known at plan time; generic plans would scan.
                connect_args={"server_settings": {"plan_cache_mode": "force_custom_plan"}},
                **_JSON,
            )
            self.read_engine = self.write_engine
            ping_when_idle(self.write_engine)
        self._writer = async_sessionmaker(self.write_engine, expire_on_commit=False)
        self._reader = async_sessionmaker(self.read_engine, expire_on_commit=False)
        # one-statement reads (`lookup`): on PostgreSQL without a transaction around them,
        # the same pool (SQLite keeps its reader: its BEGIN costs no round trip)
        self._lookup = (
            self._reader
            if self.is_sqlite
            else async_sessionmaker(
                self.read_engine.execution_options(isolation_level="AUTOCOMMIT"),
                expire_on_commit=False,
            )
        )
        self.after_commit: AfterCommit | None = None

    @property
    def engines(self) -> list[AsyncEngine]:
        return list({id(e): e for e in (self.write_engine, self.read_engine)}.values())

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """Commit on success, roll back on any exception; relay outbox rows after commit."""
        async with self._writer() as session:
            async with session.begin():
                yield session
                # the last writes before commit: each event's object as committed (see
                # outbox.emit), then the positions
                for row, snapshot in session.info.pop("snapshots", []):
                    row.snapshot = snapshot()
                if session.info.get("outbox"):
                    await positions.assign(session, session.info["outbox"])
                await _run_last(session)
            pending = session.info.pop("outbox", [])
        await self.relay(pending)

    async def relay(self, pending: list[Any]) -> None:
        if pending and self.after_commit is not None:
            await self.after_commit(pending)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._reader() as session:
            yield session

    @asynccontextmanager
    async def lookup(self) -> AsyncIterator[AsyncSession]:
        """A read session for one statement (who a bearer token is, on every request).
        Under READ COMMITTED a transaction gives a single statement nothing it does not
        already have (its own snapshot) and costs two round trips on asyncpg, BEGIN and
        ROLLBACK; in autocommit the statement is the only one sent. Never write through
        it, and read with one statement only: two would each see their own snapshot."""
        async with self._lookup() as session:
            yield session

    async def dispose(self) -> None:
        for engine in self.engines:
            await engine.dispose()
