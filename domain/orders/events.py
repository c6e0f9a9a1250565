"""Outbox topics of the orders context (INTERFACES.md §1): payloads carry raw integer ids
in camelCase (`orderId`, `customerId`) and what the event says. They travel on the
business's stream channel only (`orderUpdates` follows it)."""

from __future__ import annotations

ORDER_CREATED = "order.created"
ORDER_STATUS_CHANGED = "order.status_changed"  # from, to, timelineEntryId, version
ORDER_DELIVERY_CHANGED = "order.delivery_changed"  # timelineEntryId, expectedDeliveryDate
ORDER_CANCELLED = "order.cancelled"  # also a status change; carries the reason

TOPICS = (ORDER_CREATED, ORDER_STATUS_CHANGED, ORDER_DELIVERY_CHANGED, ORDER_CANCELLED)
