"""Gapless per-business numbering (CUST-00001, INV-00001) from a counter row updated in
the caller's transaction: a rollback gives the number back, unlike a sequence."""

from __future__ import annotations

from sqlalchemy import String, bindparam, update
from sqlalchemy.orm import Mapped, mapped_column

from domain.core.orm import Base, IdType
from domain.core.tx import Tx


class Counter(Base):
    __tablename__ = "counters"

    business_id: Mapped[int] = mapped_column(IdType, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    last_value: Mapped[int] = mapped_column(default=0)


_c = Counter.__table__.c
# Built once: a plain UPDATE (the ORM's session synchronisation has nothing to do here)
# whose expression and cache key are not rebuilt per call; building them cost more CPU
# than the round trip.
_RESERVE = (
    update(Counter.__table__)  # type: ignore[arg-type]
    .where(_c.business_id == bindparam("b_business_id"), _c.kind == bindparam("b_kind"))
    .values(last_value=_c.last_value + bindparam("b_count"))
    .returning(_c.last_value)
)


async def next_value(tx: Tx, business_id: int, kind: str, count: int = 1) -> int:
    """Row-locks the counter until commit, so concurrent writers queue and numbers stay
    contiguous. Reserves `count` numbers and returns the last of them."""
    if count < 1:
        raise ValueError("count must be at least 1")
    params = {"b_business_id": business_id, "b_kind": kind, "b_count": count}
    value = (await tx.session.execute(_RESERVE, params)).scalar_one_or_none()
    if value is None:
        raise LookupError(f"no counter {kind} for business {business_id}")
    return int(value)


def format_number(prefix: str, value: int, width: int = 5) -> str:
    return f"{prefix}-{value:0{width}d}"


async def lock_counter(tx: Tx, business_id: int, kind: str) -> None:
    """Serialise "find or create" per business without spending a number."""
    await tx.session.execute(
        update(Counter)
        .where(Counter.business_id == business_id, Counter.kind == kind)
        .values(last_value=Counter.last_value)
    )
