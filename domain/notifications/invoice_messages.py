"""Invoice messages: the SMS and email of an invoice send (seed 000's shape: amount,
business name, payment link), written from the `invoice.send_requested` payload; once a
provider accepts one, the invoice becomes SENT and its timeline shows the send."""

from __future__ import annotations

from typing import Any

from domain.accounts.repository import AccountsRepository
from domain.core.outbox import OutboxEvent
from domain.core.tx import Tx
from domain.core.viewer import Viewer
from domain.notifications.compose import Draft, sms_segments
from domain.notifications.models import NotificationLog

SEND_REQUESTED = "invoice.send_requested"


def _as_business(tx: Tx, business_id: int) -> Tx:
    return Tx(tx.session, Viewer.system_actor("job:deliver", business_id=business_id), tx.clock)


async def drafts(tx: Tx, event: OutboxEvent) -> list[Draft]:
    if event.topic != SEND_REQUESTED or event.business_id is None:
        return []
    p = event.payload
    business = await AccountsRepository(
        tx.session, _as_business(tx, event.business_id).viewer
    ).business()
    name = business.name if business else "Khata"
    note = f" {p['message']}" if p.get("message") else ""
    common: dict[str, Any] = {
        "customer_id": p.get("customerId"),
        "invoice_id": p.get("invoiceId"),
        "event": event.topic,
    }
    out: list[Draft] = []
    if "sms" in p.get("channels", []) and p.get("customerPhone"):
        text = (
            f"{name}: invoice {p['number']} for {p['balance']} is due {p['dueDate']}."
            f"{note} Pay: {p['paymentLink']}"
        )
        out.append(Draft("sms", p["customerPhone"], text, segments=sms_segments(text), **common))
    if "email" in p.get("channels", []) and p.get("customerEmail"):
        text = (
            f"Dear {p.get('customerName') or 'customer'},\n\n{name} has sent you invoice "
            f"{p['number']} for {p['total']} (balance {p['balance']}, due {p['dueDate']})."
            f"{note}\n\nPay online: {p['paymentLink']}\n"
        )
        out.append(
            Draft("email", p["customerEmail"], text, f"Invoice {p['number']} from {name}", **common)
        )
    return out


async def accepted(tx: Tx, row: NotificationLog) -> None:
    if row.event != SEND_REQUESTED or row.invoice_id is None or row.business_id is None:
        return
    from domain.invoicing.service import get_invoice, mark_sent

    as_business = _as_business(tx, row.business_id)
    invoice = await get_invoice(as_business, row.invoice_id, lock=True)
    await mark_sent(as_business, invoice, [row.channel])
