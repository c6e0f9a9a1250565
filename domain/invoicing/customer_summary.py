"""A customer's financial summary (billed, paid, outstanding, average days to pay,
payment status), kept exact in the transaction that changes an invoice: recomputed from
the rows, or moved by the amounts of new unpaid invoices."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from domain.accounts.models import Business
from domain.core.money import quantize
from domain.core.tx import Tx
from domain.customers.models import Customer, PaymentStatus
from domain.customers.status import StatusRules, refresh_status
from domain.invoicing.models import Invoice
from domain.invoicing.repository import InvoiceRepository


async def refresh_customer_summary(
    tx: Tx, customer: Customer, business: Business, *, paid_changed: bool = True
) -> None:
    """Recomputed from the rows in the same transaction: exact by construction. The
    average days to pay reads every paid invoice of the customer, so it is left as it
    is when no invoice became paid or stopped being paid (`paid_changed`)."""
    totals = await InvoiceRepository(tx.session, tx.viewer).customers_totals(
        [customer.id],
        business.currency,
        paid_rows_for=None if paid_changed else [],
    )
    apply_summary(tx, customer, business, totals[customer.id])
    refresh_status(customer, StatusRules.of(business), tx.now())


def apply_summary(tx: Tx, customer: Customer, business: Business, totals: dict[str, Any]) -> None:
    """Sets the summary fields from `customers_totals`; a None `paid_rows` keeps the
    average days to pay (no paid invoice of this customer changed)."""
    for key, value in summary_values(tx, business, totals).items():
        setattr(customer, key, value)


def summary_values(tx: Tx, business: Business, totals: dict[str, Any]) -> dict[str, Any]:
    """A customer's summary columns from its `customers_totals` entry."""
    cur = business.currency
    last, oldest_due = (
        date.fromisoformat(d) if isinstance(d, str) else d  # SQLite's MIN/MAX give text
        for d in (totals["last_issue"], totals["oldest_due"])
    )
    # OVERDUE is not stored: payment_status_on derives it from oldest_open_due.
    if totals["count"] == 0:
        status = PaymentStatus.NONE
    elif totals["partial"]:
        status = PaymentStatus.WARNING
    else:
        status = PaymentStatus.GOOD
    values: dict[str, Any] = {
        "total_billed": quantize(totals["billed"], cur),
        "total_paid": quantize(totals["paid"], cur),
        "outstanding": quantize(totals["outstanding"], cur),
        "invoice_count": totals["count"],
        "last_invoice_at": (
            None if last is None else datetime(last.year, last.month, last.day, tzinfo=UTC)
        ),
        "payment_status": status,
        "oldest_open_due": oldest_due,
        "updated_at": tx.now(),
    }
    if totals["paid_rows"] is not None:
        days = []
        zone = ZoneInfo(business.timezone)
        for issued, paid_at in totals["paid_rows"]:
            if paid_at is not None:
                issued_d = date.fromisoformat(issued) if isinstance(issued, str) else issued
                paid_d = (
                    paid_at.astimezone(zone).date() if isinstance(paid_at, datetime) else paid_at
                )
                days.append(max((paid_d - issued_d).days, 0))
        values["avg_days_to_pay"] = (
            quantize(Decimal(sum(days)) / len(days), "USD") if days else None
        )
    return values


def summary_with(
    tx: Tx, business: Business, customer: Customer, invoices: list[Invoice]
) -> dict[str, Any]:
    """The summary columns after adding new unpaid invoices (what summary_values would
    give from the rows): money in the business's currency only, counts and dates of all."""
    added = sum((i.total for i in invoices if i.currency == business.currency), Decimal(0))
    last = max(i.issue_date for i in invoices)
    last_at = datetime(last.year, last.month, last.day, tzinfo=UTC)
    dues = [i.due_date for i in invoices]
    if customer.oldest_open_due is not None:
        dues.append(customer.oldest_open_due)
    status = customer.payment_status
    return {
        "total_billed": quantize(customer.total_billed + added, business.currency),
        "outstanding": quantize(customer.outstanding + added, business.currency),
        "invoice_count": customer.invoice_count + len(invoices),
        "last_invoice_at": max(last_at, customer.last_invoice_at or last_at),
        "payment_status": PaymentStatus.GOOD if status == PaymentStatus.NONE else status,
        "oldest_open_due": min(dues),
        "updated_at": tx.now(),
    }
