"""Idempotency keys for create mutations: a client that lost the answer retries with the
same key and gets the first result back instead of a second record.

One table serves every mutation. A key is scoped to (business, actor, mutation) and
remembers a hash of the normalised input and the id of the record it created. The key
row is claimed with the record, in the same transaction, before any other write:

- first request: the claim inserts, the record is created, the claim gets its id, both
  commit together (or neither does: a refusal or a crash leaves no key behind);
- a replay (same key, same input) finds the committed claim and loads that record;
- the same key with another input is a Conflict, as `recordPayment` answers;
- concurrent duplicates: the unique constraint makes the second claim wait for the first
  transaction (PostgreSQL's insert-on-conflict; SQLite writers queue on BEGIN IMMEDIATE)
  and then find its result, so exactly one record exists and both answers name it.

Entries are kept at least `retention` (24 hours by default) and removed afterwards by the
periodic sweep (`purge_expired`)."""

from __future__ import annotations

import dataclasses
import enum
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Generic, Protocol, TypeVar

import orjson
from sqlalchemy import Index, String, UniqueConstraint, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from domain.core.clock import Clock
from domain.core.codes import CoreCode
from domain.core.db import Database, conflict_insert
from domain.core.errors import Conflict, DomainError, ValidationFailed
from domain.core.orm import Base, IdType, id_column
from domain.core.tx import Tx

MAX_KEY = 120
RETENTION = timedelta(hours=24)


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("business_id", "actor", "mutation", "key"),
        Index("ix_idempotency_keys_created_at", "created_at"),
    )

    id: Mapped[int] = id_column()
    business_id: Mapped[int] = mapped_column(IdType)
    actor: Mapped[str] = mapped_column(String(80))
    mutation: Mapped[str] = mapped_column(String(60))
    key: Mapped[str] = mapped_column(String(MAX_KEY))
    request_hash: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[int | None] = mapped_column(IdType)
    created_at: Mapped[datetime]


class HasId(Protocol):
    id: Any


R = TypeVar("R", bound=HasId)


@dataclass
class Outcome(Generic[R]):
    record: R
    replayed: bool


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        # 500, 500.0 and 500.00 are the same amount
        return str(value.normalize()) if value.is_finite() else str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"cannot fingerprint {type(value).__name__}")


def fingerprint(value: Any) -> str:
    """SHA-256 of the input's canonical JSON (keys sorted, decimals normalised)."""
    canonical = orjson.dumps(
        value,
        default=_plain,
        option=orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS,
    )
    return hashlib.sha256(canonical).hexdigest()


class IdempotencyRepository:
    """The claims of one business and actor (the viewer's)."""

    def __init__(self, session: AsyncSession, business_id: int, actor: str) -> None:
        self.s = session
        self.business_id = business_id
        self.actor = actor

    async def claim(self, mutation: str, key: str, request_hash: str, now: datetime) -> int | None:
        """Insert the claim; None when the key exists (after waiting for a concurrent
        claimer's transaction to end)."""
        stmt = (
            conflict_insert(self.s, IdempotencyKey)
            .values(
                business_id=self.business_id,
                actor=self.actor,
                mutation=mutation,
                key=key,
                request_hash=request_hash,
                record_id=None,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["business_id", "actor", "mutation", "key"])
            .returning(IdempotencyKey.id)
        )
        return (await self.s.execute(stmt)).scalar_one_or_none()

    async def find(self, mutation: str, key: str) -> IdempotencyKey | None:
        return await self.s.scalar(
            select(IdempotencyKey).where(
                IdempotencyKey.business_id == self.business_id,
                IdempotencyKey.actor == self.actor,
                IdempotencyKey.mutation == mutation,
                IdempotencyKey.key == key,
            )
        )

    async def settle(self, claim_id: int, record_id: int) -> None:
        await self.s.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.id == claim_id)
            .values(record_id=record_id)
            .execution_options(synchronize_session=False)
        )

    async def release(self, claim_id: int) -> None:
        await self.s.execute(
            delete(IdempotencyKey)
            .where(IdempotencyKey.id == claim_id)
            .execution_options(synchronize_session=False)
        )


async def once(
    tx: Tx,
    mutation: str,
    key: str | None,
    request: Any,
    create: Callable[[], Awaitable[R]],
    load: Callable[[int], Awaitable[R]],
) -> Outcome[R]:
    """Run `create` once per key: without a key it simply runs; with one, a replay loads
    the record the first call created. `request` is the normalised input (decoded ids,
    domain values); its fingerprint tells a replay from a reuse of the key."""
    if key is None:
        return Outcome(await create(), replayed=False)
    key = key.strip()
    if not key or len(key) > MAX_KEY:
        raise ValidationFailed.one(
            "idempotencyKey", f"must be 1-{MAX_KEY} characters", CoreCode.INVALID_LENGTH
        )
    repo = IdempotencyRepository(tx.session, tx.viewer.require_business(), tx.viewer.actor_label)
    request_hash = fingerprint(request)
    claim_id = await repo.claim(mutation, key, request_hash, tx.now())
    if claim_id is None:
        existing = await repo.find(mutation, key)
        if existing is None or existing.record_id is None:  # released between the two reads
            raise Conflict("a request with this idempotency key is in progress; retry")
        if existing.request_hash != request_hash:
            raise Conflict("this idempotency key was used for a different request")
        return Outcome(await load(existing.record_id), replayed=True)
    try:
        record = await create()
    except DomainError:
        # A typed refusal may still commit the transaction (the edge turns it into a
        # union member); the key must not outlive it, or a corrected retry would replay
        # nothing.
        await repo.release(claim_id)
        raise
    await repo.settle(claim_id, int(record.id))
    return Outcome(record, replayed=False)


async def purge_expired(db: Database, clock: Clock, retention: timedelta = RETENTION) -> int:
    """Delete keys older than the retention (run by the periodic sweep)."""
    async with db.unit_of_work() as session:
        result = await session.execute(
            delete(IdempotencyKey)
            .where(IdempotencyKey.created_at < clock.now() - retention)
            .execution_options(synchronize_session=False)
        )
    return int(getattr(result, "rowcount", 0) or 0)
