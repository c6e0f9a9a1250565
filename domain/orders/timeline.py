"""What every change of an order leaves behind: its timeline entry and, from it, the
outbox event (live updates; the customer's status message)."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.core import outbox
from domain.core.tx import Tx
from domain.orders import events
from domain.orders.models import Order, OrderEvent


def order_payload(order: Order, **extra: Any) -> dict[str, Any]:
    """Raw ids in camelCase plus what a live update shows without a query."""
    return {
        "orderId": order.id,
        "customerId": order.customer_id,
        "number": order.number,
        "status": order.status,
        "version": order.version,
        "expectedDeliveryDate": (
            order.expected_delivery.isoformat() if order.expected_delivery else None
        ),
    } | extra


def emit(tx: Tx, topic: str, order: Order, entry: OrderEvent, **extra: Any) -> None:
    """A status change also runs the notification job (the customer's order status
    message): the payload carries all it needs (number, customerId, from, to). The
    snapshot is the order and the timeline entry the change wrote, as committed."""
    outbox.emit(
        tx,
        topic,
        order_payload(order, timelineEntryId=entry.id, **extra),
        business_id=order.business_id,
        job="send_notification" if topic == events.ORDER_STATUS_CHANGED else None,
        snapshot=lambda: events.snapshot(order, entry),
    )


def timeline(
    tx: Tx,
    order: Order,
    kind: str,
    from_status: str | None,
    *,
    note: str | None = None,
    expected_delivery: date | None = None,
) -> OrderEvent:
    entry = OrderEvent(
        business_id=order.business_id,
        order_id=order.id,
        kind=kind,
        from_status=from_status,
        to_status=order.status,
        actor=tx.viewer.actor_label,
        note=note,
        expected_delivery=expected_delivery,
        version=order.version,
        created_at=tx.now(),
    )
    tx.session.add(entry)
    return entry
