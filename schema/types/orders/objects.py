"""Orders' GraphQL object types: orders, their lines, delivery address and timeline."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from importlib import import_module
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from domain.orders import models
from domain.orders.workflow import AWAITING_DELIVERY, allowed_from
from schema.relay import Edge, Node, PageInfo, to_global_id
from schema.types.common import Money
from schema.types.invoicing.objects import LineFields, TaxComponent, components, line_fields

if TYPE_CHECKING:
    from schema.context import Context
    from schema.types.customers.objects import Customer
    from schema.types.invoicing.objects import Invoice

CUSTOMERS = "schema.types.customers.objects"
INVOICING = "schema.types.invoicing.objects"
OrderStatus = models.OrderStatus
OrderChannel = models.OrderChannel
strawberry.enum(OrderStatus, name="OrderStatus")
strawberry.enum(OrderChannel, name="OrderChannel")


@strawberry.type(description="The delivery address as copied onto the order.")
class DeliveryAddress:
    label: str | None
    building: str | None
    street: str | None
    area: str | None
    city: str | None
    postal_code: str | None
    country: str
    latitude: float | None
    longitude: float | None
    delivery_notes: str | None

    @classmethod
    def of(cls, raw: dict[str, Any] | None) -> DeliveryAddress | None:
        if not raw:
            return None
        return cls(
            label=raw.get("label"),
            building=raw.get("building"),
            street=raw.get("street"),
            area=raw.get("area"),
            city=raw.get("city"),
            postal_code=raw.get("postal_code"),
            country=raw.get("country") or "",
            latitude=raw.get("latitude"),
            longitude=raw.get("longitude"),
            delivery_notes=raw.get("delivery_notes"),
        )


@strawberry.type
class OrderLine(LineFields):
    @classmethod
    def from_row(cls, r: models.OrderLine, c: str) -> OrderLine:
        return cls(**line_fields(r, c))


@strawberry.enum
class OrderTimelineKind(Enum):
    CREATED = "created"
    STATUS_CHANGED = "status"
    DELIVERY_CHANGED = "delivery"
    INVOICED = "invoiced"


@strawberry.type(
    description="One change of an order: status (from, to), or a new expected "
    "delivery date, or an invoice made from it; who did it, when and the note they gave."
)
class OrderTimelineEntry:
    kind: OrderTimelineKind
    from_status: OrderStatus | None
    to_status: OrderStatus
    actor: str = strawberry.field(description="user:<id>, api_key:<id> or person:<id>.")
    at: datetime
    note: str | None
    expected_delivery_date: date | None = strawberry.field(
        description="The new expected delivery date, when this change set one."
    )
    version: int = strawberry.field(description="The order's version after this change.")

    @classmethod
    def from_row(cls, e: models.OrderEvent) -> OrderTimelineEntry:
        return cls(
            kind=OrderTimelineKind(e.kind),
            from_status=OrderStatus(e.from_status) if e.from_status else None,
            to_status=OrderStatus(e.to_status),
            actor=e.actor,
            at=e.created_at,
            note=e.note,
            expected_delivery_date=e.expected_delivery,
            version=e.version,
        )


@strawberry.type
class Order(Node):
    number: str
    status: OrderStatus
    version: int = strawberry.field(
        description="Send it back as `expectedVersion` when changing the status."
    )
    allowed_next_statuses: list[OrderStatus]
    channel: OrderChannel
    placed_by: str = strawberry.field(description="user:<id> or api_key:<id>.")
    placed_at: datetime
    status_changed_at: datetime
    currency: str
    prices_include_tax: bool
    place_of_supply: str | None
    subtotal: Money
    discount_total: Money
    tax_total: Money
    total: Money
    taxes: list[TaxComponent]
    delivery_address: DeliveryAddress | None
    expected_delivery_date: date | None
    is_delivery_overdue: bool
    notes: str | None
    cancel_reason: str | None
    cancelled_at: datetime | None
    delivered_at: datetime | None
    customer_id: strawberry.ID
    row_id: strawberry.Private[int]
    customer_row_id: strawberry.Private[int]
    business_row_id: strawberry.Private[int]

    @strawberry.field(description="Signed confirmation PDF link, valid for 10 minutes.")
    def pdf_url(self, info: strawberry.Info[Context, None]) -> str:
        from domain.core.signing import download_url

        rt = info.context.rt
        return download_url(
            rt.settings.secret_key,
            rt.settings.public_url,
            f"/files/orders/{self.business_row_id}/{self.row_id}.pdf",
            rt.clock.now(),
        )

    @strawberry.field
    async def lines(self, info: strawberry.Info[Context, None]) -> list[OrderLine]:
        rows = await info.context.loaders.order_lines.load(self.row_id)
        return [OrderLine.from_row(r, self.currency) for r in rows]

    @strawberry.field(description="Every change, oldest first.")
    async def timeline(self, info: strawberry.Info[Context, None]) -> list[OrderTimelineEntry]:
        rows = await info.context.loaders.order_events.load(self.row_id)
        return [OrderTimelineEntry.from_row(e) for e in rows]

    @strawberry.field
    async def customer(
        self, info: strawberry.Info[Context, None]
    ) -> Annotated[Customer, strawberry.lazy(CUSTOMERS)] | None:
        row = await info.context.loaders.customers.load(self.customer_row_id)
        if row is None:
            return None
        customer: type[Customer] = import_module(CUSTOMERS).Customer
        return customer.from_row(row, await info.context.loaders.business_currency())

    @strawberry.field(description="Invoices made from this order (invoiceOrder), oldest first.")
    async def invoices(
        self, info: strawberry.Info[Context, None]
    ) -> list[Annotated[Invoice, strawberry.lazy(INVOICING)]]:
        rows = await info.context.loaders.order_invoices.load(self.row_id)
        if not rows:
            return []
        invoice: type[Invoice] = import_module(INVOICING).Invoice
        today = await info.context.loaders.business_today(self.business_row_id)
        url = info.context.rt.settings.public_url
        return [invoice.from_row(r, today, url) for r in rows]

    @classmethod
    def from_row(cls, o: models.Order, today: date) -> Order:
        c = o.currency
        status = OrderStatus(o.status)
        return cls(
            id=to_global_id("Order", o.id),
            row_id=o.id,
            customer_row_id=o.customer_id,
            business_row_id=o.business_id,
            number=o.number,
            status=status,
            version=o.version,
            allowed_next_statuses=allowed_from(status),
            channel=OrderChannel(o.channel),
            placed_by=o.placed_by,
            placed_at=o.placed_at,
            status_changed_at=o.status_changed_at,
            currency=c,
            prices_include_tax=o.prices_include_tax,
            place_of_supply=o.place_of_supply,
            subtotal=Money.of(o.subtotal, c),
            discount_total=Money.of(o.discount_total, c),
            tax_total=Money.of(o.tax_total, c),
            total=Money.of(o.total, c),
            taxes=components(o.tax_components, c),
            delivery_address=DeliveryAddress.of(o.delivery_address),
            expected_delivery_date=o.expected_delivery,
            is_delivery_overdue=(
                status in AWAITING_DELIVERY
                and o.expected_delivery is not None
                and o.expected_delivery < today
            ),
            notes=o.notes,
            cancel_reason=o.cancel_reason,
            cancelled_at=o.cancelled_at,
            delivered_at=o.delivered_at,
            customer_id=to_global_id("Customer", o.customer_id),
        )


@strawberry.type
class OrderConnection:
    edges: list[Edge[Order]]
    page_info: PageInfo
    count_fn: strawberry.Private[object]

    @strawberry.field
    async def total_count(self) -> int:
        return await self.count_fn()  # type: ignore[operator,no-any-return]


@strawberry.type
class OrderStatusCount:
    status: OrderStatus
    count: int


@strawberry.type(description="Figures for a dashboard card.")
class OrderStatusCounts:
    by_status: list[OrderStatusCount] = strawberry.field(
        description="Every status, in workflow order, zero included."
    )
    active: int = strawberry.field(description="Pending to out for delivery.")
    overdue_deliveries: int = strawberry.field(
        description="Awaiting delivery with an expected date before today (business time)."
    )
    total: int
