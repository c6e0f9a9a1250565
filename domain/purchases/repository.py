"""All SQL for counter purchases and the customer timeline. Every read goes through
`read_policy`; no method takes a business id from its caller."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    and_,
    case,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy import type_coerce as typed

from domain.core.orm import MoneyColumn, UTCDateTime
from domain.core.repository import TenantRepository
from domain.customers.models import Customer
from domain.invoicing.models import Invoice, Payment
from domain.orders.models import Order
from domain.purchases.models import Purchase

# Timeline kinds, also their tie-break rank at one instant (newest first: higher first).
# An order comes before its invoice and payment in life, so it ranks lowest (last at a tie).
ORDER_KIND, INVOICE_KIND, PAYMENT_KIND, PURCHASE_KIND = 0, 1, 2, 3
KIND_NAMES = {
    ORDER_KIND: "order",
    INVOICE_KIND: "invoice",
    PAYMENT_KIND: "payment",
    PURCHASE_KIND: "purchase",
}


@dataclass(frozen=True)
class TimelineKey:
    """A timeline row's place: (at, kind, id), newest first."""

    at: datetime
    kind: int
    id: int


@dataclass(frozen=True)
class TimelineRow:
    kind: int
    id: int
    at: datetime
    amount: Decimal
    currency: str
    reference: str | None
    method: str | None
    status: str | None


def before(key: TimelineKey, kind: int, at: Any, row_id: Any) -> ColumnElement[bool]:
    """Rows of one kind that come after `key` in newest-first order. The kind is a
    constant per branch, so each branch's condition is a plain range on (at, id)."""
    if kind < key.kind:
        return at <= key.at  # type: ignore[no-any-return]
    if kind > key.kind:
        return at < key.at  # type: ignore[no-any-return]
    return or_(at < key.at, and_(at == key.at, row_id < key.id))


class PurchaseRepository(TenantRepository):
    """Purchases (and, for the timeline, invoices, payments and orders) are the
    business's own records (the default policy). The portal issue adds the person's own
    purchases."""

    async def get(self, purchase_id: int, *, lock: bool = False) -> Purchase | None:
        return await self.get_row(Purchase, purchase_id, lock=lock)

    async def get_many(self, ids: Sequence[int]) -> Sequence[Purchase]:
        return await self.rows_by_ids(Purchase, ids)

    async def rows_by_ids(self, model: Any, ids: Sequence[int]) -> Sequence[Any]:
        """Purchases, or the timeline's invoices, payments and orders, by id (loaders)."""
        return (await self.s.scalars(self.readable(model).where(model.id.in_(ids)))).all()

    async def delete(self, row: Purchase) -> None:
        await self.s.delete(row)
        await self.s.flush()

    async def walk_in(self) -> Customer | None:
        return await self.s.scalar(
            self.readable(Customer).where(Customer.is_walk_in.is_(True)).limit(1)
        )

    async def customer_totals(self, customer_id: int, currency: str) -> dict[str, Any]:
        """One customer's purchase aggregates summed from its rows: money in `currency`
        (the business's) only; count and first/last day of every purchase."""
        row = (
            await self.s.execute(
                select(
                    func.coalesce(
                        func.sum(case((Purchase.currency == currency, Purchase.total), else_=0)), 0
                    ),
                    func.count(Purchase.id),
                    func.min(Purchase.purchased_on),
                    func.max(Purchase.purchased_on),
                ).where(self.read_policy(Purchase), Purchase.customer_id == customer_id)
            )
        ).one()
        first, last = (date.fromisoformat(d) if isinstance(d, str) else d for d in row[2:4])
        return {"total": Decimal(row[0]), "count": int(row[1]), "first": first, "last": last}

    async def page(
        self, customer_id: int | None, first: int, after: tuple[datetime, int] | None
    ) -> Sequence[Purchase]:
        """Newest first, keyset on (purchased_at, id); `first + 1` rows to tell whether
        another page follows."""
        stmt = self.readable(Purchase)
        if customer_id is not None:
            stmt = stmt.where(Purchase.customer_id == customer_id)
        if after is not None:
            at, row_id = after
            stmt = stmt.where(
                or_(
                    Purchase.purchased_at < at,
                    and_(Purchase.purchased_at == at, Purchase.id < row_id),
                )
            )
        stmt = stmt.order_by(Purchase.purchased_at.desc(), Purchase.id.desc()).limit(first + 1)
        return (await self.s.scalars(stmt)).all()

    async def count(self, customer_id: int | None) -> int:
        stmt = select(func.count(Purchase.id)).where(self.read_policy(Purchase))
        if customer_id is not None:
            stmt = stmt.where(Purchase.customer_id == customer_id)
        return int((await self.s.execute(stmt)).scalar_one())

    async def move_customer(self, source_id: int, target_id: int) -> int:
        result = await self.s.execute(
            update(Purchase)
            .where(self.read_policy(Purchase), Purchase.customer_id == source_id)
            .values(customer_id=target_id)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    # -- the customer timeline ---------------------------------------------------
    async def timeline(
        self, customer_id: int, first: int, after: TimelineKey | None
    ) -> list[TimelineRow]:
        """Invoices (when issued), payments (when received), purchases (when made) and
        orders (when placed) of one customer, newest first, ties by kind then id: one
        UNION ALL statement per page. `first + 1` rows come back to tell whether another
        page follows."""
        text, money = String(), MoneyColumn()

        def branch(
            kind: int, model: Any, at: Any, amount: Any, ref: Any, method: Any, status: Any
        ) -> Any:
            # typed, not CAST: SQLite would give a cast to DATETIME numeric affinity
            stmt = select(
                literal_column(str(kind), Integer()).label("kind"),
                model.id.label("id"),
                typed(at, UTCDateTime()).label("at"),
                typed(amount, money).label("amount"),
                model.currency.label("currency"),
                typed(ref, text).label("reference"),
                typed(method, text).label("method"),
                typed(status, text).label("status"),
            ).where(self.read_policy(model), model.customer_id == customer_id)
            if after is not None:
                stmt = stmt.where(before(after, kind, at, model.id))
            return stmt

        parts = union_all(
            branch(
                INVOICE_KIND,
                Invoice,
                Invoice.created_at,
                Invoice.total,
                Invoice.number,
                null(),
                Invoice.status,
            ),
            branch(
                PAYMENT_KIND,
                Payment,
                Payment.received_at,
                Payment.amount + Payment.excess_to_credit,
                Payment.reference,
                Payment.method,
                Payment.state,
            ),
            branch(
                PURCHASE_KIND,
                Purchase,
                Purchase.purchased_at,
                Purchase.total,
                null(),
                Purchase.method,
                null(),
            ),
            branch(
                ORDER_KIND,
                Order,
                Order.placed_at,
                Order.total,
                Order.number,
                null(),
                Order.status,
            ),
        ).subquery("timeline")
        stmt = (
            select(parts)
            .order_by(parts.c.at.desc(), parts.c.kind.desc(), parts.c.id.desc())
            .limit(first + 1)
        )
        return [
            TimelineRow(
                kind=int(r.kind),
                id=int(r.id),
                at=r.at,
                amount=Decimal(r.amount),
                currency=r.currency,
                reference=r.reference,
                method=r.method,
                status=r.status,
            )
            for r in (await self.s.execute(stmt)).all()
        ]
