"""Describing a failure for the logs without the personal data it may carry.

A database error's text holds the statement's parameters (unless the engine hides them)
and the server's own detail, which quotes values: `invalid input syntax for type integer:
"Asha Rao"`, `Key (business_id, phone)=(7, +9198…) already exists`. Such errors are
logged by class, SQLSTATE, constraint and stack frames, never by their message. Other
exceptions keep their usual traceback: their messages are our code's, not stored data."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator

from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from domain.core.codes import CoreCode
from domain.core.errors import Conflict, RateLimited

DRIVER_MODULES = ("asyncpg", "sqlite3", "aiosqlite", "psycopg")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def is_database_error(exc: BaseException) -> bool:
    return any(
        isinstance(e, SQLAlchemyError) or type(e).__module__.split(".")[0] in DRIVER_MODULES
        for e in _chain(exc)
    )


def connection_lost() -> Conflict:
    """What a caller hears when its request lost the database connection midway."""
    return Conflict(
        "the database connection was lost; the change may or may not be saved: retry "
        "(with the same idempotency key)",
        CoreCode.RETRY,
    )


BUSY_RETRY_SECONDS = 1


def service_busy() -> RateLimited:
    """What a caller hears when no database connection came free in time: the request
    did nothing (it never reached the database) and may simply be sent again."""
    return RateLimited(
        "the service is busy; nothing was changed, retry shortly",
        BUSY_RETRY_SECONDS,
        CoreCode.SERVICE_BUSY,
    )


def is_pool_exhausted(exc: BaseException) -> bool:
    """SQLAlchemy's pool checkout timed out (every connection busy for `pool_timeout`)."""
    return any(isinstance(e, PoolTimeout) for e in _chain(exc))


def is_connection_lost(exc: BaseException) -> bool:
    """A database connection that died under the request (server restart, failover, a
    killed backend): SQLAlchemy marks such errors `connection_invalidated`."""
    return any(isinstance(e, DBAPIError) and e.connection_invalidated for e in _chain(exc))


def describe(exc: BaseException) -> str:
    """`IntegrityError <- UniqueViolationError [sqlstate 23505, constraint uq_x]`: the
    classes of the chain and the server's codes, no message and no values."""
    classes = " <- ".join(dict.fromkeys(type(e).__name__ for e in _chain(exc)))
    codes = {}
    for e in _chain(exc):
        for attr, label in (("sqlstate", "sqlstate"), ("constraint_name", "constraint")):
            value = getattr(e, attr, None)
            if isinstance(value, str) and value and label not in codes:
                codes[label] = value
    suffix = ", ".join(f"{k} {v}" for k, v in codes.items())
    return f"{classes} [{suffix}]" if suffix else classes


def log_failure(
    logger: logging.Logger,
    message: str,
    exc: BaseException,
    *args: object,
    level: int = logging.ERROR,
    extra: dict[str, object] | None = None,
) -> None:
    """Log an unexpected exception. Database errors: class, codes and frames only."""
    if not is_database_error(exc):
        logger.log(level, message, *args, exc_info=exc, extra=extra)
        return
    frames = "".join(traceback.format_tb(exc.__traceback__)).rstrip()
    logger.log(level, message + ": %s\n%s", *args, describe(exc), frames, extra=extra)
