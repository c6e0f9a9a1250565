"""Invoicing's GraphQL object types: invoices, lines, payments, credit notes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from importlib import import_module
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

import strawberry
from strawberry.scalars import JSON

from domain.core.money import money_amount, plain
from domain.invoicing import models
from domain.invoicing.send_models import SendStatus
from domain.notifications.reminder_schedule import next_after
from schema.relay import Edge, Node, PageInfo, to_global_id
from schema.types.common import Money
from schema.types.invoicing.sends import InvoiceSend
from schema.types.notifications.reminders import InvoiceReminder, InvoiceReminders

if TYPE_CHECKING:
    from sqlalchemy import Row

    from schema.context import Context
    from schema.types.customers.objects import Customer
    from schema.types.orders.objects import Order


T = TypeVar("T")
# Customers import invoicing (a customer lists its invoices); invoicing names the customer
# type lazily, by module, so the two modules do not import each other.
CUSTOMERS = "schema.types.customers.objects"
ORDERS = "schema.types.orders.objects"
InvoiceStatus = models.InvoiceStatus
PaymentMethodKind = models.PaymentMethodKind
PaymentState = models.PaymentState
strawberry.enum(InvoiceStatus, name="InvoiceStatus")
_OWED = (InvoiceStatus.ISSUED, InvoiceStatus.SENT, InvoiceStatus.PARTIALLY_PAID)
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


def lazy_view(base: type[T], getters: dict[str, Callable[..., Any]]) -> Callable[..., T]:
    """A subclass of the Strawberry type `base` built over a row: each field is computed
    from the row when the query reads it. Strawberry reads a plain field with getattr, so a
    page whose query selects 3 of a line's 13 fields pays for those 3 (eager views spent
    most of a nested read building Money and tax components nobody asked for). The
    values are the very getters `from_row` uses; only the moment differs, so use views
    for rows nothing changes afterwards (read sessions)."""

    def __init__(self: Any, *args: Any) -> None:
        self._view_args = args

    def field(get: Callable[..., Any]) -> property:
        return property(lambda self: get(*self._view_args))

    namespace: dict[str, Any] = {"__init__": __init__, "__module__": __name__}
    namespace.update((name, field(get)) for name, get in getters.items())
    return type(f"{base.__name__}View", (base,), namespace)


@strawberry.type
class LineFields:
    """What an invoice line and an order line show (both store the same columns); a base
    of InvoiceLine and OrderLine, not itself in the schema."""

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


def line_fields(r: Any, currency: str) -> dict[str, Any]:
    """The LineFields values of a stored invoice or order line."""
    return {name: get(r, currency) for name, get in _LINE_FIELDS.items()}


@strawberry.type
class InvoiceLine(LineFields):
    @classmethod
    def from_row(cls, r: models.InvoiceLine, currency: str) -> InvoiceLine:
        return cls(**line_fields(r, currency))

    @classmethod
    def view(cls, r: models.InvoiceLine | Row[Any], currency: str) -> InvoiceLine:
        """Lazy: fields computed as read (see lazy_view)."""
        return _InvoiceLineView(r, currency)


# invoice and order lines alike (the same columns)
_LINE_FIELDS: dict[str, Callable[[Any, str], Any]] = {
    "position": lambda r, c: r.position,
    "description": lambda r, c: r.description,
    "quantity": lambda r, c: plain(r.quantity),
    "unit": lambda r, c: r.unit,
    "unit_price": lambda r, c: Money(amount=money_amount(r.unit_price, c), currency=c),
    "discount_percent": lambda r, c: r.discount_percent,
    "tax_rate": lambda r, c: plain(r.tax_rate),
    "gross": lambda r, c: Money.of(r.gross, c),
    "discount": lambda r, c: Money.of(r.discount, c),
    "taxable": lambda r, c: Money.of(r.taxable, c),
    "tax": lambda r, c: Money.of(r.tax, c),
    "total": lambda r, c: Money.of(r.total, c),
    "taxes": lambda r, c: components(r.tax_components, c),
}
_InvoiceLineView = lazy_view(InvoiceLine, _LINE_FIELDS)


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
    order_row_id: strawberry.Private[int | None]
    # Set when the lines were fetched with the invoices (Customer.invoices under a
    # customers page): `lines` then resolves without an awaitable per invoice.
    prefetched_lines: strawberry.Private[list[InvoiceLine] | None] = None

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
    def lines(self, info: strawberry.Info[Context, None]) -> list[InvoiceLine]:
        """Synchronous when prefetched; otherwise an awaitable the executor awaits (one
        batched query for all the invoices of the request)."""
        if self.prefetched_lines is not None:
            return self.prefetched_lines
        return self._load_lines(info)  # type: ignore[return-value]

    async def _load_lines(self, info: strawberry.Info[Context, None]) -> list[InvoiceLine]:
        rows = await info.context.loaders.invoice_lines.load(self.row_id)
        return [InvoiceLine.view(r, self.currency) for r in rows]

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

    @strawberry.field(description="Each sendInvoice: sent at once or held until sendAt.")
    async def sends(self, info: strawberry.Info[Context, None]) -> list[InvoiceSend]:
        return [
            InvoiceSend.of(s) for s in await info.context.loaders.invoice_sends.load(self.row_id)
        ]

    @strawberry.field(description="The time of the next send still waiting, if any.")
    async def scheduled_send_at(self, info: strawberry.Info[Context, None]) -> datetime | None:
        rows = await info.context.loaders.invoice_sends.load(self.row_id)
        waiting = [s.send_at for s in rows if s.status == SendStatus.SCHEDULED]
        return min(waiting) if waiting else None

    @strawberry.field(description="Payment reminders sent and the next one due.")
    async def reminders(self, info: strawberry.Info[Context, None]) -> InvoiceReminders:
        loaders = info.context.loaders
        rows = await loaders.invoice_reminders.load(self.row_id)
        next_on = None
        if self.status in _OWED and self.balance.amount > 0:
            policy = await loaders.reminder_policies.load(self.business_row_id)
            today = await loaders.business_today(self.business_row_id)
            sent_on = [r.scheduled_on for r in rows if r.scheduled_on is not None]
            next_on = next_after(policy, self.due_date, today, sent_on)
        return InvoiceReminders(
            sent_count=len(rows),
            last_reminded_at=rows[-1].created_at if rows else None,
            next_reminder_on=next_on,
            history=[InvoiceReminder.of(r) for r in rows],
        )

    @strawberry.field
    async def customer(
        self, info: strawberry.Info[Context, None]
    ) -> Annotated[Customer, strawberry.lazy(CUSTOMERS)] | None:
        row = await info.context.loaders.customers.load(self.customer_row_id)
        if row is None:
            return None
        customer: type[Customer] = import_module(CUSTOMERS).Customer
        return customer.from_row(row, await info.context.loaders.business_currency())

    @strawberry.field(description="The order this invoice was made from (invoiceOrder).")
    async def order(
        self, info: strawberry.Info[Context, None]
    ) -> Annotated[Order, strawberry.lazy(ORDERS)] | None:
        if self.order_row_id is None:
            return None
        row = await info.context.loaders.invoice_orders.load(self.order_row_id)
        if row is None:
            return None
        order: type[Order] = import_module(ORDERS).Order
        return order.from_row(row, await info.context.loaders.business_today(row.business_id))

    @strawberry.field(description="QR code (SVG) of the payment link.")
    def payment_qr_svg(self) -> str:
        import segno

        return str(segno.make(self.payment_link, error="m").svg_inline(scale=4))

    @classmethod
    def from_row(cls, i: models.Invoice, today: date, public_url: str) -> Invoice:
        return cls(**{name: get(i, today, public_url) for name, get in _INVOICE_FIELDS.items()})

    @classmethod
    def view(cls, i: models.Invoice | Row[Any], today: date, public_url: str) -> Invoice:
        """Lazy: fields computed as read (see lazy_view)."""
        return _InvoiceView(i, today, public_url)


def _is_overdue(i: models.Invoice, today: date) -> bool:
    return (
        i.status not in (InvoiceStatus.PAID, InvoiceStatus.VOID)
        and i.balance > 0
        and i.due_date < today
    )


_INVOICE_FIELDS: dict[str, Callable[[models.Invoice, date, str], Any]] = {
    "id": lambda i, t, u: to_global_id("Invoice", i.id),
    "row_id": lambda i, t, u: i.id,
    "customer_row_id": lambda i, t, u: i.customer_id,
    "business_row_id": lambda i, t, u: i.business_id,
    "order_row_id": lambda i, t, u: i.order_id,
    "number": lambda i, t, u: i.number,
    "status": lambda i, t, u: InvoiceStatus(i.status),
    "is_overdue": lambda i, t, u: _is_overdue(i, t),
    "currency": lambda i, t, u: i.currency,
    "issue_date": lambda i, t, u: i.issue_date,
    "due_date": lambda i, t, u: i.due_date,
    "prices_include_tax": lambda i, t, u: i.prices_include_tax,
    "place_of_supply": lambda i, t, u: i.place_of_supply,
    "subtotal": lambda i, t, u: Money.of(i.subtotal, i.currency),
    "discount_total": lambda i, t, u: Money.of(i.discount_total, i.currency),
    "tax_total": lambda i, t, u: Money.of(i.tax_total, i.currency),
    "total": lambda i, t, u: Money.of(i.total, i.currency),
    "amount_paid": lambda i, t, u: Money.of(i.amount_paid, i.currency),
    "amount_credited": lambda i, t, u: Money.of(i.amount_credited, i.currency),
    "balance": lambda i, t, u: Money.of(i.balance, i.currency),
    "taxes": lambda i, t, u: components(i.tax_components, i.currency),
    "notes": lambda i, t, u: i.notes,
    "terms": lambda i, t, u: i.terms,
    "void_reason": lambda i, t, u: i.void_reason,
    "sent_at": lambda i, t, u: i.sent_at,
    "paid_at": lambda i, t, u: i.paid_at,
    "created_at": lambda i, t, u: i.created_at,
    "customer_id": lambda i, t, u: to_global_id("Customer", i.customer_id),
    "payment_link": lambda i, t, u: f"{u}/pay/{i.payment_token}",
}
_InvoiceView = lazy_view(Invoice, _INVOICE_FIELDS)


@strawberry.type
class InvoiceConnection:
    edges: list[Edge[Invoice]]
    page_info: PageInfo
    count_fn: strawberry.Private[object]

    @strawberry.field
    async def total_count(self) -> int:
        return await self.count_fn()  # type: ignore[operator,no-any-return]
