"""Read-side use cases of invoicing for the GraphQL edge (queries and DataLoader batches).
Each takes a Tx (a short read session and the viewer); the repository's read policy
decides what the viewer sees, so a foreign id simply finds nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Row

from domain.core.errors import ValidationFailed
from domain.core.money import currency_code
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.invoicing import statements
from domain.invoicing.codes import InvoicingCode
from domain.invoicing.models import CreditNote, Invoice, InvoiceEvent, InvoiceLine, Payment
from domain.invoicing.repository import InvoiceFilter, InvoiceRepository
from domain.invoicing.service import load_business, local_today


def _repo(tx: Tx) -> InvoiceRepository:
    return InvoiceRepository(tx.session, tx.viewer)


async def invoice_by_number(tx: Tx, number: str) -> Invoice | None:
    return await _repo(tx).by_number(number.strip().upper())


async def invoice_page(
    tx: Tx,
    f: InvoiceFilter,
    first: int,
    after: tuple[Any, int] | None,
    sort: str,
    descending: bool,
) -> tuple[Sequence[Invoice], bool]:
    return await _repo(tx).page(f, first, after, sort, descending)


async def count_invoices(tx: Tx, f: InvoiceFilter) -> int:
    return await _repo(tx).count(f)


async def invoice_totals(tx: Tx, f: InvoiceFilter) -> tuple[int, Decimal, Decimal, Decimal]:
    """Count, total, paid and balance of the matching non-void invoices."""
    return await _repo(tx).totals(f)


async def lines_for(tx: Tx, invoice_ids: Sequence[int]) -> Sequence[InvoiceLine]:
    return await _repo(tx).lines_for(invoice_ids)


async def invoices_for_orders(tx: Tx, order_ids: Sequence[int]) -> Sequence[Invoice]:
    tx.viewer.require_business(Scope.INVOICES_READ)  # Order.invoices: invoices need their scope
    return await _repo(tx).for_orders(order_ids)


async def payments_for(tx: Tx, invoice_ids: Sequence[int]) -> Sequence[Payment]:
    return await _repo(tx).payments_for(invoice_ids)


async def credit_notes_for(tx: Tx, invoice_ids: Sequence[int]) -> Sequence[CreditNote]:
    return await _repo(tx).credit_notes_for(invoice_ids)


async def events_for(tx: Tx, invoice_ids: Sequence[int]) -> Sequence[InvoiceEvent]:
    return await _repo(tx).events_for(invoice_ids)


async def other_currency_totals(
    tx: Tx, customer_ids: Sequence[int], currency: str
) -> Sequence[Any]:
    return await _repo(tx).other_currency_totals(customer_ids, currency)


async def newest_per_customer(
    tx: Tx, customer_ids: Sequence[int], per_customer: int
) -> Sequence[Invoice]:
    return await _repo(tx).newest_per_customer(customer_ids, per_customer)


async def newest_rows_with_lines(
    tx: Tx, customer_ids: Sequence[int], per_customer: int, with_lines: bool
) -> tuple[Sequence[Row[Any]], Sequence[Row[Any]]]:
    """The newest invoices of each customer and, if asked, their lines, as plain rows."""
    repo = _repo(tx)
    invoices = await repo.newest_rows_per_customer(customer_ids, per_customer)
    if not with_lines or not invoices:
        return invoices, []
    return invoices, await repo.line_rows_for([i.id for i in invoices])


@dataclass
class InvoiceStats:
    currency: str
    issued_count: int
    issued_total: Decimal
    collected: Decimal
    outstanding: Decimal
    overdue_count: int
    overdue_total: Decimal
    aging: dict[str, Decimal]


async def invoice_stats(tx: Tx, start: date, end: date, currency: str | None) -> InvoiceStats:
    """Invoices issued in the range, what was collected and is still open on them, what
    is overdue today and the aging, in one currency (the business's own unless asked)."""
    tx.viewer.require_business(Scope.INVOICES_READ)
    if end < start:
        raise ValidationFailed.one("to", "must not be before from", InvoicingCode.INVALID_RANGE)
    business = await load_business(tx)
    cur = currency_code(currency, business.currency)
    repo = _repo(tx)
    period = InvoiceFilter(issued_from=start, issued_to=end, currency=cur)
    count, total, paid, balance = await repo.totals(period)
    overdue = InvoiceFilter(overdue_on=local_today(tx, business), currency=cur)
    overdue_count, _, _, overdue_balance = await repo.totals(overdue)
    _, aging = await statements.business_aging(tx, cur)
    return InvoiceStats(cur, count, total, paid, balance, overdue_count, overdue_balance, aging)
