"""What every change of an invoice leaves behind: a timeline entry (its history, in the
same transaction) and an outbox event (live updates and notifications after commit)."""

from __future__ import annotations

from typing import Any

from domain.core import outbox
from domain.core.money import format_money
from domain.core.tx import Tx
from domain.customers.models import Customer
from domain.invoicing import events
from domain.invoicing.models import Invoice, InvoiceEvent


def channel_for(business_id: int) -> str:
    return f"business:{business_id}:invoices"


def timeline(tx: Tx, invoice: Invoice, kind: str, **data: Any) -> None:
    tx.session.add(InvoiceEvent(**timeline_row(tx, invoice, kind, **data)))


def timeline_row(tx: Tx, invoice: Invoice, kind: str, **data: Any) -> dict[str, Any]:
    """One timeline entry's columns."""
    return {
        "business_id": invoice.business_id,
        "invoice_id": invoice.id,
        "kind": kind,
        "actor": tx.viewer.actor_label,
        "data": data,
        "created_at": tx.now(),
    }


def invoice_payload(
    invoice: Invoice, customer: Customer | None = None, **extra: Any
) -> dict[str, Any]:
    """Enough to render a notification or a live update without another query."""
    payload = {
        "invoiceId": invoice.id,
        "orderId": invoice.order_id,
        "number": invoice.number,
        "status": invoice.status,
        "customerId": invoice.customer_id,
        "currency": invoice.currency,
        "total": format_money(invoice.total, invoice.currency),
        "amountPaid": format_money(invoice.amount_paid, invoice.currency),
        "balance": format_money(invoice.balance, invoice.currency),
        "dueDate": invoice.due_date.isoformat(),
        "issueDate": invoice.issue_date.isoformat(),
    }
    if customer is not None:  # no contact data: the notification job reads it by id
        payload |= {"customerName": customer.name, "personId": customer.person_id}
    return payload | extra


# topics the notification pipeline turns into messages (a payment receipt), for a
# customer it can reach
NOTIFIED = {events.PAYMENT_RECEIVED}


def emit(
    tx: Tx, topic: str, invoice: Invoice, customer: Customer | None = None, **extra: Any
) -> None:
    payload = invoice_payload(invoice, customer, **extra)
    reachable = customer is not None and bool(customer.phone or customer.email)
    outbox.emit(
        tx,
        topic,
        payload,
        channels=[channel_for(invoice.business_id)],
        job="send_notification" if topic in NOTIFIED and reachable else None,
        snapshot=lambda: events.snapshot(invoice),
    )
