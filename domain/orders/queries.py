"""Read-side use cases of orders for the GraphQL edge (queries and DataLoader batches).
The repository's read policy decides what the viewer sees: a foreign id finds nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.invoicing.service import load_business, local_today
from domain.orders.models import Order, OrderEvent, OrderLine, OrderStatus
from domain.orders.repository import OrderFilter, OrderRepository


def _repo(tx: Tx) -> OrderRepository:
    return OrderRepository(tx.session, tx.viewer, now=tx.now())


async def order_by_number(tx: Tx, number: str) -> Order | None:
    tx.viewer.require_business(Scope.ORDERS_READ)
    return await _repo(tx).by_number(number.strip().upper())


async def business_today(tx: Tx) -> date:
    """Overdue deliveries are by the business's own calendar."""
    return local_today(tx, await load_business(tx))


async def order_page(
    tx: Tx, f: OrderFilter, first: int, after: tuple[Any, int] | None, sort: str, desc: bool
) -> tuple[Sequence[Order], bool]:
    tx.viewer.require_business(Scope.ORDERS_READ)
    return await _repo(tx).page(f, first, after, sort, desc)


async def count_orders(tx: Tx, f: OrderFilter) -> int:
    return await _repo(tx).count(f)


@dataclass
class StatusCounts:
    by_status: dict[OrderStatus, int]
    overdue_deliveries: int

    @property
    def active(self) -> int:
        """Orders still on their way (pending to out for delivery)."""
        from domain.orders.workflow import AWAITING_DELIVERY

        return sum(self.by_status[s] for s in AWAITING_DELIVERY)


async def status_counts(tx: Tx) -> StatusCounts:
    """Every status with its count (zero included) and the overdue deliveries."""
    tx.viewer.require_business(Scope.ORDERS_READ)
    counts, overdue = await _repo(tx).counts_by_status(await business_today(tx))
    return StatusCounts({s: counts.get(s.value, 0) for s in OrderStatus}, overdue)


async def lines_for(tx: Tx, order_ids: Sequence[int]) -> Sequence[OrderLine]:
    return await _repo(tx).lines_for(order_ids)


async def events_for(tx: Tx, order_ids: Sequence[int]) -> Sequence[OrderEvent]:
    return await _repo(tx).events_for(order_ids)


async def orders_by_ids(tx: Tx, ids: Sequence[int]) -> Sequence[Order]:
    tx.viewer.require_business(Scope.ORDERS_READ)  # Invoice.order: orders need their scope
    return await _repo(tx).by_ids(ids)


async def newest_per_customer(
    tx: Tx, customer_ids: Sequence[int], per_customer: int
) -> Sequence[Order]:
    tx.viewer.require_business(Scope.ORDERS_READ)  # Customer.orders
    return await _repo(tx).newest_per_customer(customer_ids, per_customer)


async def timeline_entry(tx: Tx, entry_id: int) -> OrderEvent | None:
    """The timeline entry a live update names (None when it is not the viewer's)."""
    tx.viewer.require_business(Scope.ORDERS_READ)
    return await _repo(tx).event(entry_id)


async def read_order(tx: Tx, order_id: int) -> Order:
    """One order for `order(id)` and `node(id)`: needs ORDERS_READ."""
    from domain.orders.service import get_order

    tx.viewer.require_business(Scope.ORDERS_READ)
    return await get_order(tx, order_id)
