"""Invoice queries and mutations: create, pay, reverse, credit, void, send, statements."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import Annotated

import strawberry

from domain.core.errors import NotFound
from domain.core.money import currency_code, quantum
from domain.core.pagination import clamp_first, decode_cursor, encode_cursor
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.invoicing import payments, queries, service, statements
from domain.invoicing.models import Invoice as InvoiceRow
from domain.invoicing.repository import InvoiceFilter
from resolvers.access import needs
from resolvers.base import Info, mutate, reading
from schema.errors import result
from schema.relay import Edge, expect_id, page_info
from schema.types.common import Money, SortDirection
from schema.types.invoicing import (
    AgingBuckets,
    CreditNote,
    Invoice,
    InvoiceConnection,
    InvoiceStats,
    InvoiceStatus,
    Payment,
    PaymentMethodKind,
    Statement,
    StatementEntry,
)

FromDate = Annotated[date, strawberry.argument(name="from")]
CurrencyArg = Annotated[
    str | None,
    strawberry.argument(description="ISO 4217 code; the business's own currency by default."),
]


@strawberry.enum
class InvoiceSortField(Enum):
    ISSUE_DATE = "issue_date"
    DUE_DATE = "due_date"
    TOTAL = "total"
    BALANCE = "balance"
    CREATED = "id"


@strawberry.input
class InvoiceLineInput:
    description: str
    quantity: Decimal
    unit_price: Decimal
    unit: str | None = None
    discount_percent: Decimal | None = None
    discount_amount: Decimal | None = None
    tax_rate: Decimal | None = strawberry.field(
        default=None, description="Percent; default from the country."
    )


@strawberry.input
class CreateInvoiceInput:
    customer_id: strawberry.ID
    lines: list[InvoiceLineInput]
    currency: str | None = None
    issue_date: date | None = None
    due_date: date | None = strawberry.field(
        default=None, description="Default: from the customer's payment terms."
    )
    prices_include_tax: bool = False
    place_of_supply: str | None = strawberry.field(
        default=None, description="India: buyer's GST state code (e.g. 27)."
    )
    discount_percent: Decimal | None = None
    discount_amount: Decimal | None = None
    notes: str | None = None
    terms: str | None = None


@strawberry.input
class RecordPaymentInput:
    invoice_id: strawberry.ID
    amount: Decimal
    method: PaymentMethodKind
    idempotency_key: str = strawberry.field(description="Same key replays the first result.")
    reference: str | None = None
    received_at: datetime | None = None
    keep_excess_as_credit: bool = False


@strawberry.input
class SendInvoiceInput:
    invoice_id: strawberry.ID
    channels: list[str] = strawberry.field(default_factory=lambda: ["sms"])
    include_pdf: bool = True
    message: str | None = None
    scheduled_at: datetime | None = None


@strawberry.input
class InvoiceFilterInput:
    status: list[InvoiceStatus] | None = None
    overdue: bool | None = None
    customer_id: strawberry.ID | None = None
    issued_from: date | None = None
    issued_to: date | None = None
    total_min: Decimal | None = None
    total_max: Decimal | None = None
    number: str | None = None
    currency: str | None = strawberry.field(
        default=None, description="Only invoices in this ISO 4217 currency."
    )


@strawberry.input
class InvoiceSortInput:
    field: InvoiceSortField = InvoiceSortField.ISSUE_DATE
    direction: SortDirection = SortDirection.DESC


@strawberry.type
class InvoicePayload:
    invoice: Invoice


@strawberry.type
class PaymentPayload:
    payment: Payment
    invoice: Invoice
    replayed: bool = strawberry.field(description="True when the idempotency key was seen before.")


@strawberry.type
class CreditNotePayload:
    credit_note: CreditNote
    invoice: Invoice


@strawberry.type
class SendInvoicePayload:
    invoice: Invoice
    request_id: str


async def _today(info: Info, tx: Tx) -> date:
    cache = info.context.business_cache
    if tx.business_id not in cache:
        cache[tx.business_id] = await service.load_business(tx)
    return service.local_today(tx, cache[tx.business_id])


async def _view(info: Info, tx: Tx, row: InvoiceRow) -> Invoice:
    return Invoice.from_row(row, await _today(info, tx), info.context.rt.settings.public_url)


def _line(line: InvoiceLineInput) -> service.LineData:
    return service.LineData(
        description=line.description,
        quantity=line.quantity,
        unit_price=line.unit_price,
        unit=line.unit,
        discount_percent=line.discount_percent,
        discount_amount=line.discount_amount,
        tax_rate=line.tax_rate,
    )


def _money_map(s: statements.Statement) -> Statement:
    cur = s.currency
    q = quantum(cur)

    def money(amount: Decimal) -> Money:  # Money.of without its per-call lookups
        return Money(amount=amount.quantize(q, ROUND_HALF_UP), currency=cur)

    zero = money(Decimal(0))  # one shared object for the empty side of every entry
    return Statement(
        customer_id=strawberry.ID(""),
        currency=cur,
        start=s.start,
        end=s.end,
        opening_balance=money(s.opening_balance),
        entries=[
            StatementEntry(
                date=e.on,
                kind=e.kind,
                reference=e.reference,
                description=e.description,
                debit=money(e.debit) if e.debit else zero,
                credit=money(e.credit) if e.credit else zero,
                balance=money(e.balance),
            )
            for e in s.entries
        ],
        closing_balance=money(s.closing_balance),
        aging=AgingBuckets.of(s.aging, cur),
        pdf_url=None,
        currencies=s.currencies,
        csv_of=lambda: statements.statement_csv(s),
    )


@strawberry.type
class InvoiceQueries:
    @strawberry.field(extensions=[needs(Scope.INVOICES_READ)])
    async def invoice(self, info: Info, id: strawberry.ID) -> Invoice | None:
        async with reading(info) as tx:
            try:
                return await _view(
                    info, tx, await service.get_invoice(tx, expect_id(id, "Invoice"))
                )
            except NotFound:
                return None

    @strawberry.field(extensions=[needs(Scope.INVOICES_READ)])
    async def invoice_by_number(self, info: Info, number: str) -> Invoice | None:
        async with reading(info) as tx:
            row = await queries.invoice_by_number(tx, number)
            return await _view(info, tx, row) if row else None

    @strawberry.field(extensions=[needs(Scope.INVOICES_READ)])
    async def invoices(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        filter: InvoiceFilterInput | None = None,
        sort: InvoiceSortInput | None = None,
    ) -> InvoiceConnection:
        ctx = info.context
        sort = sort or InvoiceSortInput()
        f = filter or InvoiceFilterInput()
        async with reading(info) as tx:
            today = await _today(info, tx)
            domain_filter = InvoiceFilter(
                statuses=[s.value for s in f.status or []],
                overdue_on=today if f.overdue else None,
                customer_id=expect_id(f.customer_id, "Customer", "filter.customerId")
                if f.customer_id
                else None,
                issued_from=f.issued_from,
                issued_to=f.issued_to,
                total_min=f.total_min,
                total_max=f.total_max,
                number=(f.number or "").strip()[:24] or None,
                currency=currency_code(f.currency, "", "filter.currency") if f.currency else None,
            )
            limit = clamp_first(first, ctx.rt.settings.max_page_size)
            key = f"inv:{sort.field.value}:{sort.direction.value}"
            cursor = decode_cursor(after, key) if after else None
            if cursor is not None and sort.field.value in ("issue_date", "due_date"):
                cursor = (date.fromisoformat(str(cursor[0])), cursor[1])
            rows, more = await queries.invoice_page(
                tx,
                domain_filter,
                limit,
                cursor,
                sort.field.value,
                sort.direction is SortDirection.DESC,
            )
        url = ctx.rt.settings.public_url

        def value(r: InvoiceRow) -> object:
            v = getattr(r, sort.field.value)
            return v.isoformat() if isinstance(v, date) else v

        cursors = [encode_cursor(key, value(r), r.id) for r in rows]

        async def count() -> int:
            async with reading(info) as tx:
                return await queries.count_invoices(tx, domain_filter)

        return InvoiceConnection(
            edges=[
                Edge(cursor=c, node=Invoice.from_row(r, today, url))
                for r, c in zip(rows, cursors, strict=True)
            ],
            page_info=page_info(cursors, more, cursor is not None),
            count_fn=count,
        )

    @strawberry.field(
        description="Debits, credits and a running balance for a date range.",
        extensions=[needs(Scope.INVOICES_READ)],
    )
    async def customer_statement(
        self,
        info: Info,
        customer_id: strawberry.ID,
        from_: FromDate,
        to: date,
        currency: Annotated[
            str | None,
            strawberry.argument(
                description="One statement per currency; the business's own by default. "
                "`currencies` lists the customer's."
            ),
        ] = None,
    ) -> Statement:
        async with reading(info) as tx:
            s = await statements.customer_statement(
                tx, expect_id(customer_id, "Customer", "customerId"), from_, to, currency
            )
        view = _money_map(s)
        view.customer_id = customer_id
        from domain.core.signing import download_url

        rt = info.context.rt
        view.pdf_url = download_url(
            rt.settings.secret_key,
            rt.settings.public_url,
            f"/files/statements/{tx.business_id}/{s.customer.id}.pdf",
            rt.clock.now(),
            query=f"from={from_.isoformat()}&to={to.isoformat()}&currency={s.currency}",
        )
        return view

    @strawberry.field(
        description="Outstanding balances by days past due, whole business.",
        extensions=[needs(Scope.INVOICES_READ)],
    )
    async def aging_report(self, info: Info, currency: CurrencyArg = None) -> AgingBuckets:
        async with reading(info) as tx:
            code, aging = await statements.business_aging(tx, currency)
        return AgingBuckets.of(aging, code)

    @strawberry.field(
        description="Figures for one currency: the business's own by default.",
        extensions=[needs(Scope.INVOICES_READ)],
    )
    async def invoice_stats(
        self, info: Info, from_: FromDate, to: date, currency: CurrencyArg = None
    ) -> InvoiceStats:
        async with reading(info) as tx:
            s = await queries.invoice_stats(tx, from_, to, currency)
        cur = s.currency
        return InvoiceStats(
            currency=cur,
            issued_count=s.issued_count,
            issued_total=Money.of(s.issued_total, cur),
            collected=Money.of(s.collected, cur),
            outstanding=Money.of(s.outstanding, cur),
            overdue_count=s.overdue_count,
            overdue_total=Money.of(s.overdue_total, cur),
            aging=AgingBuckets.of(s.aging, cur),
        )


@strawberry.type
class InvoiceMutations:
    @strawberry.mutation(extensions=[needs(Scope.INVOICES_WRITE)])
    async def create_invoice(self, info: Info, input: CreateInvoiceInput) -> result(
        "CreateInvoiceResult", InvoicePayload
    ):
        async def run(tx: Tx) -> InvoicePayload:
            data = service.InvoiceData(
                customer_id=expect_id(input.customer_id, "Customer", "customerId"),
                lines=[_line(line) for line in input.lines],
                currency=input.currency,
                issue_date=input.issue_date,
                due_date=input.due_date,
                prices_include_tax=input.prices_include_tax,
                place_of_supply=input.place_of_supply,
                discount_percent=input.discount_percent,
                discount_amount=input.discount_amount,
                notes=input.notes,
                terms=input.terms,
            )
            invoice = await service.create_invoice(tx, data)
            return InvoicePayload(invoice=await _view(info, tx, invoice))

        return await mutate(info, run)

    @strawberry.mutation(
        description="Idempotent: the same key replays; never below a zero balance.",
        extensions=[needs(Scope.PAYMENTS_WRITE)],
    )
    async def record_payment(self, info: Info, input: RecordPaymentInput) -> result(
        "RecordPaymentResult", PaymentPayload
    ):
        async def run(tx: Tx) -> PaymentPayload:
            outcome = await payments.record_payment(
                tx,
                payments.PaymentData(
                    invoice_id=expect_id(input.invoice_id, "Invoice", "invoiceId"),
                    amount=input.amount,
                    method=input.method.value,
                    idempotency_key=input.idempotency_key,
                    reference=input.reference,
                    received_at=input.received_at,
                    keep_excess_as_credit=input.keep_excess_as_credit,
                ),
            )
            return PaymentPayload(
                payment=Payment.from_row(outcome.payment),
                invoice=await _view(info, tx, outcome.invoice),
                replayed=outcome.replayed,
            )

        return await mutate(info, run)

    @strawberry.mutation(extensions=[needs(Scope.PAYMENTS_WRITE)])
    async def apply_customer_credit(
        self, info: Info, invoice_id: strawberry.ID, idempotency_key: str
    ) -> result("ApplyCustomerCreditResult", PaymentPayload):
        async def run(tx: Tx) -> PaymentPayload:
            outcome = await payments.apply_customer_credit(
                tx, expect_id(invoice_id, "Invoice", "invoiceId"), idempotency_key
            )
            return PaymentPayload(
                payment=Payment.from_row(outcome.payment),
                invoice=await _view(info, tx, outcome.invoice),
                replayed=outcome.replayed,
            )

        return await mutate(info, run)

    @strawberry.mutation(description="Owner/admin.", extensions=[needs(Scope.PAYMENTS_WRITE)])
    async def reverse_payment(self, info: Info, id: strawberry.ID, reason: str) -> result(
        "ReversePaymentResult", PaymentPayload
    ):
        async def run(tx: Tx) -> PaymentPayload:
            outcome = await payments.reverse_payment(tx, expect_id(id, "Payment"), reason)
            return PaymentPayload(
                payment=Payment.from_row(outcome.payment),
                invoice=await _view(info, tx, outcome.invoice),
                replayed=False,
            )

        return await mutate(info, run)

    @strawberry.mutation(
        description="Owner/admin. Omit amount to credit everything still creditable.",
        extensions=[needs(Scope.INVOICES_WRITE)],
    )
    async def issue_credit_note(
        self, info: Info, invoice_id: strawberry.ID, reason: str, amount: Decimal | None = None
    ) -> result("IssueCreditNoteResult", CreditNotePayload):
        async def run(tx: Tx) -> CreditNotePayload:
            note, invoice = await payments.issue_credit_note(
                tx, expect_id(invoice_id, "Invoice", "invoiceId"), amount, reason
            )
            return CreditNotePayload(
                credit_note=CreditNote.from_row(note, invoice.currency),
                invoice=await _view(info, tx, invoice),
            )

        return await mutate(info, run)

    @strawberry.mutation(
        description="Not once paid: issue a credit note instead.",
        extensions=[needs(Scope.INVOICES_WRITE)],
    )
    async def void_invoice(self, info: Info, id: strawberry.ID, reason: str) -> result(
        "VoidInvoiceResult", InvoicePayload
    ):
        async def run(tx: Tx) -> InvoicePayload:
            return InvoicePayload(
                invoice=await _view(
                    info, tx, await service.void_invoice(tx, expect_id(id, "Invoice"), reason)
                )
            )

        return await mutate(info, run)

    @strawberry.mutation(
        description="Records the send request as pending (timeline `send_requested`); the "
        "status stays as it was until a sender delivers it.",
        extensions=[needs(Scope.INVOICES_WRITE)],
    )
    async def send_invoice(self, info: Info, input: SendInvoiceInput) -> result(
        "SendInvoiceResult", SendInvoicePayload
    ):
        async def run(tx: Tx) -> SendInvoicePayload:
            row, request_id = await service.send_invoice(
                tx,
                expect_id(input.invoice_id, "Invoice", "invoiceId"),
                input.channels,
                include_pdf=input.include_pdf,
                message=input.message,
                scheduled_at=input.scheduled_at,
                public_url=info.context.rt.settings.public_url,
            )
            return SendInvoicePayload(invoice=await _view(info, tx, row), request_id=request_id)

        return await mutate(info, run)
