"""Outbox topics of the orders context (INTERFACES.md §1): payloads carry raw integer ids
in camelCase (`orderId`, `customerId`) and what the event says. They travel on the
business's stream channel only (`orderUpdates` follows it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.core import snapshots

if TYPE_CHECKING:
    from domain.orders.models import Order, OrderEvent

ORDER_CREATED = "order.created"
ORDER_STATUS_CHANGED = "order.status_changed"  # from, to, timelineEntryId, version
ORDER_DELIVERY_CHANGED = "order.delivery_changed"  # timelineEntryId, expectedDeliveryDate
ORDER_CANCELLED = "order.cancelled"  # also a status change; carries the reason

TOPICS = (ORDER_CREATED, ORDER_STATUS_CHANGED, ORDER_DELIVERY_CHANGED, ORDER_CANCELLED)

# What `schema.types.orders.objects.Order` and `OrderTimelineEntry` read of their rows: the
# snapshot a stream event carries (domain/core/snapshots.py). No customer contact data:
# the delivery address is the address only.
ORDER_COLUMNS = (
    "id",
    "business_id",
    "customer_id",
    "number",
    "status",
    "version",
    "channel",
    "placed_by",
    "currency",
    "prices_include_tax",
    "place_of_supply",
    "subtotal",
    "discount_total",
    "tax_total",
    "total",
    "tax_components",
    "delivery_address",
    "expected_delivery",
    "notes",
    "cancel_reason",
    "placed_at",
    "status_changed_at",
    "cancelled_at",
    "delivered_at",
)
TIMELINE_COLUMNS = (
    "kind",
    "from_status",
    "to_status",
    "actor",
    "note",
    "expected_delivery",
    "version",
    "created_at",
)


def snapshot(order: Order, entry: OrderEvent) -> dict[str, Any]:
    """The order and the timeline entry a change wrote, for the change's stream events."""
    return {
        "order": snapshots.of(order, ORDER_COLUMNS),
        "timelineEntry": snapshots.of(entry, TIMELINE_COLUMNS),
    }
