"""Live order updates (`orderUpdates`): what happened, the order as queries return it,
the timeline entry the change wrote, and the cursor to resume after this event."""

from __future__ import annotations

from enum import Enum

import strawberry

from domain.orders import events
from schema.types.orders.objects import Order, OrderTimelineEntry


@strawberry.enum(description="What happened to the order.")
class OrderUpdateKind(Enum):
    CREATED = events.ORDER_CREATED
    STATUS_CHANGED = events.ORDER_STATUS_CHANGED
    DELIVERY_CHANGED = events.ORDER_DELIVERY_CHANGED
    CANCELLED = events.ORDER_CANCELLED


TOPICS = {kind.value: kind for kind in OrderUpdateKind}


@strawberry.type(
    description="One change of an order, in the business's event stream. A cancellation "
    "arrives as STATUS_CHANGED then CANCELLED; a status change that moves the expected "
    "delivery date also as DELIVERY_CHANGED (same timeline entry)."
)
class OrderUpdate:
    cursor: str = strawberry.field(description="Pass as `after` to resume after this event.")
    kind: OrderUpdateKind
    order: Order = strawberry.field(description="The order now.")
    timeline_entry: OrderTimelineEntry | None = strawberry.field(
        description="The entry this change wrote on the order's timeline: from, to, actor, "
        "time, note and the new expected delivery date."
    )
    reason: str | None = strawberry.field(description="Why the order was cancelled.")
