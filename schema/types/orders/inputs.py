"""Inputs of the orders context's mutations and lists."""

from __future__ import annotations

from datetime import date
from enum import Enum

import strawberry

from schema.types.common import SortDirection, idempotency_field
from schema.types.customers.inputs import AddressInput
from schema.types.invoicing.inputs import InvoiceLineInput
from schema.types.orders.objects import OrderChannel, OrderStatus


@strawberry.input
class CreateOrderInput:
    customer_id: strawberry.ID
    lines: list[InvoiceLineInput]
    currency: str | None = None
    prices_include_tax: bool = False
    place_of_supply: str | None = strawberry.field(
        default=None, description="India: buyer's GST state code (e.g. 27)."
    )
    delivery_address_id: strawberry.ID | None = strawberry.field(
        default=None, description="One of the customer's addresses (copied onto the order)."
    )
    delivery_address: AddressInput | None = strawberry.field(
        default=None,
        description="A one-off address (not added to the customer). Without either, the "
        "customer's default address is used, if any.",
    )
    expected_delivery_date: date | None = None
    notes: str | None = None
    channel: OrderChannel | None = strawberry.field(
        default=None, description="Default: INTEGRATION for API keys, COUNTER for staff."
    )
    draft: bool = strawberry.field(default=False, description="Start as DRAFT instead of PENDING.")
    idempotency_key: str | None = idempotency_field()


@strawberry.input
class ChangeOrderStatusInput:
    order_id: strawberry.ID
    status: OrderStatus
    expected_version: int = strawberry.field(
        description="The order's `version` as the client saw it; a stale one is refused."
    )
    note: str | None = None
    expected_delivery_date: date | None = strawberry.field(
        default=None, description="A new expected delivery date, recorded with the change."
    )
    reason: str | None = strawberry.field(default=None, description="Required to cancel.")


@strawberry.input
class CancelOrderInput:
    order_id: strawberry.ID
    expected_version: int
    reason: str


@strawberry.input
class RescheduleOrderDeliveryInput:
    order_id: strawberry.ID
    expected_version: int
    expected_delivery_date: date
    note: str | None = None


@strawberry.input
class InvoiceOrderInput:
    order_id: strawberry.ID
    due_date: date | None = strawberry.field(
        default=None, description="Default: from the customer's payment terms."
    )
    notes: str | None = strawberry.field(default=None, description="Default: the order number.")
    terms: str | None = None
    idempotency_key: str | None = idempotency_field()


@strawberry.enum
class OrderSortField(Enum):
    PLACED_AT = "placed_at"
    EXPECTED_DELIVERY = "expected_delivery"
    TOTAL = "total"
    STATUS_CHANGED_AT = "status_changed_at"
    NUMBER = "number"


@strawberry.input
class OrderSortInput:
    field: OrderSortField = OrderSortField.PLACED_AT
    direction: SortDirection = SortDirection.DESC


@strawberry.input
class OrderFilterInput:
    status: list[OrderStatus] | None = None
    customer_id: strawberry.ID | None = None
    placed_from: date | None = strawberry.field(
        default=None, description="Placed on or after this day (business time)."
    )
    placed_to: date | None = strawberry.field(
        default=None, description="Placed on or before this day (business time)."
    )
    delivery_from: date | None = None
    delivery_to: date | None = None
    overdue: bool | None = strawberry.field(
        default=None, description="Only orders awaiting delivery past their expected date."
    )
    search: str | None = strawberry.field(
        default=None, description="Order number, customer name or phone (3+ digits)."
    )
