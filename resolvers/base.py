"""The edge's transaction helpers: one unit of work per mutation, short read sessions for
queries, domain errors turned into typed union members."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import strawberry
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from domain.accounts import queries as accounts
from domain.core import idempotency
from domain.core.errors import Conflict, DomainError, NotFound
from domain.core.failures import (
    connection_lost,
    is_connection_lost,
    log_failure,
    service_busy,
)
from domain.core.tx import Tx
from schema.context import Context
from schema.errors import UserError, to_user_error

log = logging.getLogger("khata.resolvers")
T = TypeVar("T")
P = TypeVar("P")
R = TypeVar("R", bound=idempotency.HasId)
Info = strawberry.Info[Context, None]


async def mutate(
    info: Info, fn: Callable[[Tx], Awaitable[T]], *, auth: bool = True
) -> T | UserError:
    """Run fn in one transaction; a DomainError rolls everything back and becomes a typed
    error. A unique-constraint race becomes a ConflictError, never a 500."""
    ctx = info.context

    async def run() -> T:
        viewer = await (ctx.require_viewer() if auth else ctx.viewer())
        async with ctx.rt.db.unit_of_work() as session:
            return await fn(Tx(session, viewer, ctx.rt.clock))

    return await guarded(run())


async def mutate_once(
    info: Info,
    mutation: str,
    key: str | None,
    *,
    request: Callable[[], Any],
    create: Callable[[Tx, Any], Awaitable[R]],
    load: Callable[[Tx, int], Awaitable[R]],
    payload: Callable[[Tx, idempotency.Outcome[R]], Awaitable[P]],
) -> P | UserError:
    """The shape of a mutation that takes an idempotency key, in one transaction:
    `request()` decodes the input (ids, domain values; a bad id is a typed error, and its
    fingerprint tells a replay from a reuse of the key), `create(tx, request)` runs once
    per key (a replay `load`s the first record instead), `payload` answers. The scope
    stays declared on the mutation itself."""

    async def run(tx: Tx) -> P:
        decoded = request()
        outcome = await idempotency.once(
            tx,
            mutation,
            key,
            decoded,
            create=lambda: create(tx, decoded),
            load=lambda record_id: load(tx, record_id),
        )
        return await payload(tx, outcome)

    return await mutate(info, run)


async def guarded(work: Awaitable[T]) -> T | UserError:
    """The error mapping of `mutate`: a lost database connection is a typed RETRY (the
    outcome is unknown; creates carry idempotency keys for exactly this), an exhausted
    connection pool a RateLimitedError SERVICE_BUSY (nothing was done), a unique
    constraint race a ConflictError, never a 500."""
    try:
        return await work
    except DomainError as exc:
        return to_user_error(exc)
    except PoolTimeout:
        log.warning("database pool exhausted: answered SERVICE_BUSY")
        return to_user_error(service_busy())
    except DBAPIError as exc:
        if is_connection_lost(exc):
            log_failure(log, "database connection lost", exc, level=logging.WARNING)
            return to_user_error(connection_lost())
        if isinstance(exc, IntegrityError):
            log_failure(log, "integrity conflict", exc, level=logging.WARNING)
            return to_user_error(Conflict("conflicts with a concurrent change; retry"))
        text = str(exc).lower()
        if isinstance(exc, OperationalError) and ("locked" in text or "deadlock" in text):
            return to_user_error(Conflict("the database was busy; retry"))
        raise


@asynccontextmanager
async def reading(info: Info, *, auth: bool = True) -> AsyncIterator[Tx]:
    ctx = info.context
    viewer = await (ctx.require_viewer() if auth else ctx.viewer())
    async with ctx.rt.db.read() as session:
        yield Tx(session, viewer, ctx.rt.clock)


async def business_currency(info: Info, tx: Tx) -> str:
    cache = info.context.business_cache
    business_id = tx.business_id
    if business_id not in cache:
        row = await accounts.viewer_business(tx)
        if row is None:
            raise NotFound("business")
        cache[business_id] = row
    return str(cache[business_id].currency)
