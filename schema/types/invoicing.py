"""Invoicing GraphQL types. Scalars are plain attributes; relations go through loaders."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, cast

import strawberry
from strawberry.scalars import JSON

from domain.core.money import plain
from domain.invoicing import models
from schema.relay import Edge, Node, PageInfo, to_global_id
from schema.types.common import Money

if TYPE_CHECKING:
    from schema.context import Context
    from schema.types.customers import Customer

InvoiceStatus = models.InvoiceStatus
PaymentMethodKind = models.PaymentMethodKind
PaymentState = models.PaymentState
strawberry.enum(InvoiceStatus, name="InvoiceStatus")
strawberry.enum(PaymentMethodKind, name="PaymentMethodKind")
strawberry.enum(PaymentState, name="PaymentState")


@strawberry.type
class TaxComponent:
    name: str
    rate: Decimal
    taxable: Money
    amount: Money


def components(raw: list[dict[str, str]], currency: str) -> list[TaxComponent]:
    return [
        TaxComponent(
            name=c["name"],
            rate=Decimal(c["rate"]),
            taxable=Money.of(Decimal(c["taxable"]), currency),
            amount=Money.of(Decimal(c["amount"]), currency),
        )
        for c in raw
    ]


@strawberry.type
class InvoiceLine:
    position: int
    description: str
    quantity: Decimal
    unit: str | None
    unit_price: Money
    discount_percent: Decimal | None
    tax_rate: Decimal
    gross: Money
    discount: Money
    taxable: Money
    tax: Money
    total: Money
    taxes: list[TaxComponent]

    @classmethod
    def from_row(cls, r: models.InvoiceLine, currency: str) -> InvoiceLine:
        m = lambda v: Money.of(v, currency)  # noqa: E731
        return cls(
            position=r.position,
            description=r.description,
            quantity=plain(r.quantity),
            unit=r.unit,
            unit_price=Money(amount=plain(r.unit_price), currency=currency),
            discount_percent=r.discount_percent,
            tax_rate=plain(r.tax_rate),
            gross=m(r.gross),
            discount=m(r.discount),
            taxable=m(r.taxable),
            tax=m(r.tax),
            total=m(r.total),
            taxes=components(r.tax_components, currency),
        )


@strawberry.type
class Payment(Node):
    amount: Money
    excess_to_credit: Money
    method: PaymentMethodKind
    reference: str | None
    received_at: datetime
    state: PaymentState
    provider: str | None
    reversed_at: datetime | None
    reverse_reason: str | None
    invoice_id: strawberry.ID | None

    @classmethod
    def from_row(cls, p: models.Payment) -> Payment:
        return cls(
            id=to_global_id("Payment", p.id),
            amount=Money.of(p.amount, p.currency),
            excess_to_credit=Money.of(p.excess_to_credit, p.currency),
            method=PaymentMethodKind(p.method),
            reference=p.reference,
            received_at=p.received_at,
            state=PaymentState(p.state),
            provider=p.provider,
            reversed_at=p.reversed_at,
            reverse_reason=p.reverse_reason,
            invoice_id=to_global_id("Invoice", p.invoice_id) if p.invoice_id else None,
        )


@strawberry.type
class CreditNote(Node):
    number: str
    amount: Money
    reason: str
    issued_at: datetime
    invoice_id: strawberry.ID

    @classmethod
    def from_row(cls, n: models.CreditNote, currency: str) -> CreditNote:
        return cls(
            id=to_global_id("CreditNote", n.id),
            number=n.number,
            amount=Money.of(n.amount, currency),
            reason=n.reason,
            issued_at=n.issued_at,
            invoice_id=to_global_id("Invoice", n.invoice_id),
        )


@strawberry.type
class InvoiceTimelineEvent:
    kind: str
    actor: str
    data: strawberry.scalars.JSON
    at: datetime


@strawberry.type
class Invoice(Node):
    number: str
    status: InvoiceStatus
    is_overdue: bool
    currency: str
    issue_date: date
    due_date: date
    prices_include_tax: bool
    place_of_supply: str | None
    subtotal: Money
    discount_total: Money
    tax_total: Money
    total: Money
    amount_paid: Money
    amount_credited: Money
    balance: Money
    taxes: list[TaxComponent]
    notes: str | None
    terms: str | None
    void_reason: str | None
    sent_at: datetime | None
    paid_at: datetime | None
    created_at: datetime
    customer_id: strawberry.ID
    payment_link: str = strawberry.field(description="Unguessable link the customer pays through.")
    row_id: strawberry.Private[int]
    customer_row_id: strawberry.Private[int]
    business_row_id: strawberry.Private[int]

    @strawberry.field(description="Signed PDF link, valid for 10 minutes, no token needed.")
    def pdf_url(self, info: strawberry.Info[Context, None]) -> str:
        from domain.core.signing import download_url

        rt = info.context.rt
        return download_url(
            rt.settings.secret_key,
            rt.settings.public_url,
            f"/files/invoices/{self.business_row_id}/{self.row_id}.pdf",
            rt.clock.now(),
        )

    @strawberry.field
    async def lines(self, info: strawberry.Info[Context, None]) -> list[InvoiceLine]:
        rows = await info.context.loaders.invoice_lines.load(self.row_id)
        return [InvoiceLine.from_row(r, self.currency) for r in rows]

    @strawberry.field
    async def payments(self, info: strawberry.Info[Context, None]) -> list[Payment]:
        return [
            Payment.from_row(p)
            for p in await info.context.loaders.invoice_payments.load(self.row_id)
        ]

    @strawberry.field
    async def credit_notes(self, info: strawberry.Info[Context, None]) -> list[CreditNote]:
        rows = await info.context.loaders.invoice_credit_notes.load(self.row_id)
        return [CreditNote.from_row(n, self.currency) for n in rows]

    @strawberry.field(description="Every change: issued, sent, payments, credit notes, status.")
    async def timeline(self, info: strawberry.Info[Context, None]) -> list[InvoiceTimelineEvent]:
        rows = await info.context.loaders.invoice_events.load(self.row_id)
        return [
            InvoiceTimelineEvent(
                kind=e.kind, actor=e.actor, data=cast(JSON, e.data), at=e.created_at
            )
            for e in rows
        ]

    @strawberry.field
    async def customer(
        self, info: strawberry.Info[Context, None]
    ) -> Annotated[Customer, strawberry.lazy("schema.types.customers")] | None:
        from schema.types.customers import Customer

        row = await info.context.loaders.customers.load(self.customer_row_id)
        return (
            Customer.from_row(row, await info.context.loaders.business_currency()) if row else None
        )

    @strawberry.field(description="QR code (SVG) of the payment link.")
    def payment_qr_svg(self) -> str:
        import segno

        return str(segno.make(self.payment_link, error="m").svg_inline(scale=4))

    @classmethod
    def from_row(cls, i: models.Invoice, today: date, public_url: str) -> Invoice:
        cur = i.currency
        m = lambda v: Money.of(v, cur)  # noqa: E731
        return cls(
            id=to_global_id("Invoice", i.id),
            row_id=i.id,
            customer_row_id=i.customer_id,
            business_row_id=i.business_id,
            number=i.number,
            status=InvoiceStatus(i.status),
            is_overdue=i.status not in (InvoiceStatus.PAID, InvoiceStatus.VOID)
            and i.balance > 0
            and i.due_date < today,
            currency=cur,
            issue_date=i.issue_date,
            due_date=i.due_date,
            prices_include_tax=i.prices_include_tax,
            place_of_supply=i.place_of_supply,
            subtotal=m(i.subtotal),
            discount_total=m(i.discount_total),
            tax_total=m(i.tax_total),
            total=m(i.total),
            amount_paid=m(i.amount_paid),
            amount_credited=m(i.amount_credited),
            balance=m(i.balance),
            taxes=components(i.tax_components, cur),
            notes=i.notes,
            terms=i.terms,
            void_reason=i.void_reason,
            sent_at=i.sent_at,
            paid_at=i.paid_at,
            created_at=i.created_at,
            customer_id=to_global_id("Customer", i.customer_id),
            payment_link=f"{public_url}/pay/{i.payment_token}",
        )


@strawberry.type
class InvoiceConnection:
    edges: list[Edge[Invoice]]
    page_info: PageInfo
    count_fn: strawberry.Private[object]

    @strawberry.field
    async def total_count(self) -> int:
        return await self.count_fn()  # type: ignore[operator,no-any-return]


@strawberry.type
class AgingBuckets:
    current: Money
    days_1_30: Money
    days_31_60: Money
    days_61_90: Money
    days_over_90: Money

    @classmethod
    def of(cls, aging: dict[str, Decimal], currency: str) -> AgingBuckets:
        m = lambda k: Money.of(aging.get(k, Decimal(0)), currency)  # noqa: E731
        return cls(
            current=m("current"),
            days_1_30=m("1-30"),
            days_31_60=m("31-60"),
            days_61_90=m("61-90"),
            days_over_90=m("90+"),
        )


@strawberry.type
class StatementEntry:
    date: date
    kind: str
    reference: str
    description: str
    debit: Money
    credit: Money
    balance: Money


@strawberry.type
class Statement:
    customer_id: strawberry.ID
    currency: str
    start: date
    end: date
    opening_balance: Money
    entries: list[StatementEntry]
    closing_balance: Money
    aging: AgingBuckets
    csv: str
    pdf_url: str | None


@strawberry.type
class InvoiceStats:
    currency: str
    issued_count: int
    issued_total: Money
    collected: Money
    outstanding: Money
    overdue_count: int
    overdue_total: Money
    aging: AgingBuckets
