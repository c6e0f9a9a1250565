"""Payloads and typed errors of the orders context's mutations."""

from __future__ import annotations

import strawberry

from schema.errors import UserError
from schema.types.invoicing.objects import Invoice
from schema.types.orders.objects import Order, OrderStatus, OrderTimelineEntry


@strawberry.type
class OrderPayload:
    order: Order
    timeline_entry: OrderTimelineEntry | None = strawberry.field(
        default=None, description="The entry this change wrote (none when nothing changed)."
    )
    replayed: bool = strawberry.field(
        default=False, description="True when a create's idempotency key was seen before."
    )


@strawberry.type
class InvoiceOrderPayload:
    invoice: Invoice
    order: Order
    replayed: bool = False


@strawberry.type(
    description="The requested status cannot follow the current one (nothing changed)."
)
class IllegalTransitionError(UserError):
    current_status: OrderStatus
    requested_status: OrderStatus
    allowed_statuses: list[OrderStatus]


@strawberry.type(
    description="The order changed since the version the client sent (nothing changed): "
    "reload it and decide again. A conflict, with the order's current status and version."
)
class OrderConflictError(UserError):
    current_status: OrderStatus
    current_version: int
