"""What an outbox event asks to send: one draft per recipient and channel. Events that
carry a ready message (`to`, `body`: welcome SMS, staff emails) are sent as they are;
invoice sends and payment receipts are written here from the invoice (a built-in text
until the templates branch's `render` takes over)."""

from __future__ import annotations

from dataclasses import dataclass

from domain.core.outbox import OutboxEvent
from domain.core.tx import Tx


@dataclass(frozen=True)
class Draft:
    channel: str  # sms | email
    to: str
    body: str
    subject: str | None = None
    customer_id: int | None = None
    invoice_id: int | None = None
    order_id: int | None = None
    event: str | None = None
    kind: str = "transactional"  # or marketing (never resent after an uncertain attempt)
    segments: int | None = None


def sms_segments(text: str) -> int:
    """GSM-7 fits 160 characters in one message (153 per part beyond); anything else is
    UCS-2 with 70 (67). The templates branch counts extension characters exactly."""
    gsm = all(ord(c) < 128 for c in text)
    single, part = (160, 153) if gsm else (70, 67)
    return 1 if len(text) <= single else -(-len(text) // part)


def ready_message(event: OutboxEvent) -> Draft:
    p = event.payload
    channel = str(p.get("channel", "sms"))
    body = str(p["body"])
    return Draft(
        channel=channel,
        to=str(p["to"]),
        body=body,
        subject=p.get("subject"),
        customer_id=p.get("customerId"),
        invoice_id=p.get("invoiceId"),
        order_id=p.get("orderId"),
        event=event.topic,
        kind=str(p.get("kind", "transactional")),
        segments=sms_segments(body) if channel == "sms" else None,
    )


async def compose(tx: Tx, event: OutboxEvent) -> list[Draft]:
    if "to" in event.payload and "body" in event.payload:
        return [ready_message(event)]
    from domain.notifications import invoice_messages

    return await invoice_messages.drafts(tx, event)
