"""Live order updates of the active business, resumable with `after`."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from domain.core.errors import NotFound
from domain.core.stream import StreamEvent
from domain.core.viewer import Scope
from domain.orders import queries
from domain.orders.models import Order as OrderRow
from domain.orders.models import OrderEvent
from resolvers.base import Info, reading
from resolvers.orders.views import order_view
from resolvers.stream import live_updates, snapshot_row
from schema.relay import expect_id
from schema.types.orders.events import TOPICS, OrderUpdate
from schema.types.orders.objects import Order, OrderTimelineEntry


async def _order(info: Info, event: StreamEvent) -> tuple[Order, OrderEvent | None] | None:
    """The order and the timeline entry as the event's transaction committed them, from
    the event's snapshot; an event written before snapshots existed loads them now."""
    snap = snapshot_row(event, "order", OrderRow)
    if snap is not None:
        today = await info.context.loaders.business_today(snap.business_id)
        return Order.from_row(snap, today), snapshot_row(event, "timelineEntry", OrderEvent)
    if event.snapshot is not None:
        return None  # a snapshot of another business: never shown
    async with reading(info) as tx:
        try:
            row = await queries.read_order(tx, event.payload["orderId"])
            order = await order_view(info, tx, row)
        except NotFound:
            return None
        entry_id = event.payload.get("timelineEntryId")
        return order, await queries.timeline_entry(tx, entry_id) if entry_id else None


@strawberry.type
class OrderSubscriptions:
    @strawberry.subscription(
        description="Orders of the active business as they change: created, status "
        "changed, expected delivery changed, cancelled. Optional filters; `after` resumes "
        "after an event's cursor (missed events first, from the database)."
    )
    async def order_updates(
        self,
        info: Info,
        order_id: strawberry.ID | None = None,
        customer_id: strawberry.ID | None = None,
        after: str | None = None,
    ) -> AsyncGenerator[OrderUpdate, None]:
        want_order = expect_id(order_id, "Order", "orderId") if order_id else None
        want_customer = expect_id(customer_id, "Customer", "customerId") if customer_id else None

        async def build(event: StreamEvent) -> OrderUpdate | None:
            p = event.payload
            kind = TOPICS.get(event.topic)
            if kind is None or "orderId" not in p:
                return None
            if want_order is not None and p["orderId"] != want_order:
                return None
            if want_customer is not None and p.get("customerId") != want_customer:
                return None
            found = await _order(info, event)
            if found is None:
                return None
            order, entry = found
            return OrderUpdate(
                cursor=event.cursor,
                kind=kind,
                order=order,
                timeline_entry=OrderTimelineEntry.from_row(entry) if entry else None,
                reason=p.get("reason"),
            )

        async for update in live_updates(info, Scope.ORDERS_READ, after, build):
            yield update
