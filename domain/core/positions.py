"""Stream positions: every outbox row of a business gets a dense, per-business position in
commit order, so a subscriber's cursor ("I have seen up to 41") never skips an event.

Why commit order holds: the positions are taken as the very last statement of the
transaction, from the business's counter row (an UPDATE ... RETURNING, or the insert of
the row). That row stays locked until the transaction commits, so a second transaction of
the same business waits on it, and can only take 42 after 41 is committed and visible. On
SQLite the write lock is held for the whole transaction (BEGIN IMMEDIATE). A sequence
would not do: its numbers are taken early, and 42 can commit while 41 is still open."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from domain.core.orm import Base, IdType


class StreamCounter(Base):
    """The last position handed out in a business's stream, and the position through which
    its events were pruned (a cursor before it cannot be resumed)."""

    __tablename__ = "stream_counters"

    business_id: Mapped[int] = mapped_column(IdType, primary_key=True)
    last_position: Mapped[int] = mapped_column(BigInteger, default=0)
    pruned_through: Mapped[int] = mapped_column(BigInteger, default=0)


_t = StreamCounter.__table__
_c = _t.c
_table: Any = _t  # a Table: the dialect inserts want one


def _reserve(dialect: str, business_id: int, count: int) -> Any:
    """One statement: create the counter on a business's first event, else add `count`;
    returns the last position reserved."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(_table).values(business_id=business_id, last_position=count, pruned_through=0)
    return stmt.on_conflict_do_update(
        index_elements=[_c.business_id],
        set_={"last_position": _c.last_position + count},
    ).returning(_c.last_position)


async def assign(session: AsyncSession, rows: Sequence[Any]) -> None:
    """Give the session's outbox rows their positions: the last writes before commit.
    Businesses in id order, so two transactions touching the same two never deadlock."""
    by_business: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        if row.business_id is not None and row.position is None:
            by_business[row.business_id].append(row)
    dialect = session.get_bind().dialect.name
    for business_id in sorted(by_business):
        group = by_business[business_id]
        last = (await session.execute(_reserve(dialect, business_id, len(group)))).scalar_one()
        for offset, row in enumerate(group):
            row.position = int(last) - len(group) + 1 + offset
