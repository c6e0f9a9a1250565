"""Outbox topics of the orders context (INTERFACES.md §1): payloads carry raw integer ids
in camelCase (`orderId`, `customerId`) and what the event says."""

from __future__ import annotations

ORDER_CREATED = "order.created"
ORDER_STATUS_CHANGED = "order.status_changed"  # from, to, timelineEntryId, version
ORDER_DELIVERY_CHANGED = "order.delivery_changed"  # expectedDeliveryDate, previous one
ORDER_CANCELLED = "order.cancelled"  # also a status change; carries the reason

TOPICS = (ORDER_CREATED, ORDER_STATUS_CHANGED, ORDER_DELIVERY_CHANGED, ORDER_CANCELLED)


def channel_for(business_id: int) -> str:
    """The legacy per-context channel (as invoices have), kept until the stream branch
    publishes every business row on `business:<id>:stream`."""
    return f"business:{business_id}:orders"
