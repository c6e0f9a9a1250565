"""Counter purchases and the customer timeline as GraphQL types. Scalars are plain
attributes; the customer and the timeline's objects come through per-request loaders."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING

import strawberry

from domain.accounts.models import Business as BusinessRow
from domain.customers.status import StatusRules
from domain.invoicing.models import Invoice as InvoiceRow
from domain.orders.models import Order as OrderRow
from domain.purchases import models
from domain.purchases.repository import KIND_NAMES, TimelineRow
from schema.relay import Edge, Node, PageInfo, to_global_id
from schema.types.common import Money, PaymentMethod
from schema.types.customers.objects import Customer
from schema.types.invoicing.objects import Invoice, Payment
from schema.types.orders.objects import Order

if TYPE_CHECKING:
    from schema.context import Context


@strawberry.type
class PurchaseItem:
    name: str
    quantity: Decimal
    unit_price: Money
    total: Money


@strawberry.type(description="A counter sale, paid at once (its own record, not an invoice).")
class Purchase(Node):
    items: list[PurchaseItem]
    total: Money
    method: PaymentMethod
    purchased_at: datetime
    purchased_on: date = strawberry.field(description="purchasedAt's day in the business's zone.")
    notes: str | None
    recorded_by: str
    created_at: datetime
    updated_at: datetime
    customer_id: strawberry.ID
    row_customer_id: strawberry.Private[int]

    @strawberry.field
    async def customer(self, info: strawberry.Info[Context, None]) -> Customer | None:
        row = await info.context.loaders.customers.load(self.row_customer_id)
        if row is None:
            return None
        return Customer.from_row(row, await info.context.loaders.business_currency())

    @classmethod
    def from_row(cls, p: models.Purchase) -> Purchase:
        cur = p.currency
        return cls(
            id=to_global_id("Purchase", p.id),
            items=[
                PurchaseItem(
                    name=i["name"],
                    quantity=Decimal(i["quantity"]),
                    unit_price=Money(amount=Decimal(i["unitPrice"]), currency=cur),
                    total=Money.of(Decimal(i["total"]), cur),
                )
                for i in p.items
            ],
            total=Money.of(p.total, cur),
            method=PaymentMethod(p.method),
            purchased_at=p.purchased_at,
            purchased_on=p.purchased_on,
            notes=p.notes,
            recorded_by=p.recorded_by,
            created_at=p.created_at,
            updated_at=p.updated_at,
            customer_id=to_global_id("Customer", p.customer_id),
            row_customer_id=p.customer_id,
        )


@strawberry.type
class PurchaseConnection:
    edges: list[Edge[Purchase]]
    page_info: PageInfo
    count_fn: strawberry.Private[object]

    @strawberry.field(description="Costs one COUNT, so ask only when shown.")
    async def total_count(self) -> int:
        return await self.count_fn()  # type: ignore[operator,no-any-return]


@strawberry.enum
class TimelineKind(Enum):
    INVOICE = "invoice"
    PAYMENT = "payment"
    PURCHASE = "purchase"
    ORDER = "order"


@strawberry.type(
    description="One sale, payment or order of the customer: a counter purchase (when "
    "made), an invoice (when issued), a payment (when received) or an order (when placed). "
    "The flat fields come with the page; purchase / invoice / payment / order load the "
    "object itself (batched)."
)
class TimelineEntry:
    kind: TimelineKind
    at: datetime
    amount: Money
    reference: str | None = strawberry.field(
        description="Invoice number, payment reference, order number."
    )
    method: str | None = strawberry.field(description="How it was paid (purchases, payments).")
    status: str | None = strawberry.field(
        description="Invoice status, payment state or order status."
    )
    object_id: strawberry.ID
    row_id: strawberry.Private[int]

    @strawberry.field
    async def purchase(self, info: strawberry.Info[Context, None]) -> Purchase | None:
        if self.kind is not TimelineKind.PURCHASE:
            return None
        row = await info.context.loaders.purchases.load(self.row_id)
        return Purchase.from_row(row) if row is not None else None

    @strawberry.field
    async def invoice(self, info: strawberry.Info[Context, None]) -> Invoice | None:
        if self.kind is not TimelineKind.INVOICE:
            return None
        row: InvoiceRow | None = await info.context.loaders.invoices.load(self.row_id)
        if row is None:
            return None
        today = await info.context.loaders.business_today(row.business_id)
        return Invoice.from_row(row, today, info.context.rt.settings.public_url)

    @strawberry.field
    async def payment(self, info: strawberry.Info[Context, None]) -> Payment | None:
        if self.kind is not TimelineKind.PAYMENT:
            return None
        row = await info.context.loaders.payments.load(self.row_id)
        return Payment.from_row(row) if row is not None else None

    @strawberry.field
    async def order(self, info: strawberry.Info[Context, None]) -> Order | None:
        if self.kind is not TimelineKind.ORDER:
            return None
        row: OrderRow | None = await info.context.loaders.orders.load(self.row_id)
        if row is None:
            return None
        today = await info.context.loaders.business_today(row.business_id)
        return Order.from_row(row, today)

    @classmethod
    def from_row(cls, r: TimelineRow) -> TimelineEntry:
        name = KIND_NAMES[r.kind]
        return cls(
            kind=TimelineKind(name),
            at=r.at,
            amount=Money.of(r.amount, r.currency),
            reference=r.reference,
            method=r.method,
            status=r.status,
            object_id=to_global_id(name.capitalize(), r.id),
            row_id=r.id,
        )


@strawberry.type
class TimelineConnection:
    edges: list[Edge[TimelineEntry]]
    page_info: PageInfo


@strawberry.type(description="The business's customer status rules.")
class CustomerStatusRules:
    vip_threshold: Money | None = strawberry.field(
        description="Total spent from which an AUTO customer is VIP; null when the currency "
        "has no default and none was set."
    )
    vip_threshold_is_default: bool = strawberry.field(
        description="True while the business uses the default: ₹50,000 in its currency at "
        "fixed reference rates, rounded to two significant figures."
    )
    lapse_days: int

    @classmethod
    def of(cls, b: BusinessRow) -> CustomerStatusRules:
        rules = StatusRules.of(b)
        return cls(
            vip_threshold=Money.of(rules.vip_threshold, b.currency)
            if rules.vip_threshold is not None
            else None,
            vip_threshold_is_default=b.vip_threshold is None,
            lapse_days=rules.lapse_days,
        )
