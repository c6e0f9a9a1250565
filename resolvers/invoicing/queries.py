"""Invoicing queries: invoices, statements, aging, stats."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from domain.core.errors import NotFound
from domain.core.money import currency_code
from domain.core.pagination import clamp_first, decode_cursor, encode_cursor
from domain.core.viewer import Scope
from domain.invoicing import queries, service, statements
from domain.invoicing.models import Invoice as InvoiceRow
from domain.invoicing.repository import InvoiceFilter
from resolvers.access import needs
from resolvers.base import Info, reading
from resolvers.invoicing.views import _money_map, _today, _view
from schema.relay import Edge, expect_id, page_info
from schema.types.common import Money, SortDirection
from schema.types.invoicing.inputs import InvoiceFilterInput, InvoiceSortInput
from schema.types.invoicing.objects import (
    Invoice,
    InvoiceConnection,
)
from schema.types.invoicing.reports import AgingBuckets, InvoiceStats, Statement

FromDate = Annotated[date, strawberry.argument(name="from")]
CurrencyArg = Annotated[
    str | None,
    strawberry.argument(description="ISO 4217 code; the business's own currency by default."),
]


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
