"""What an outbox event asks to send: one draft per recipient and channel. Events that
carry a ready message (`to`, `body`: welcome SMS, staff emails) are sent as they are;
business events (invoice sends, payment receipts, order status changes) are written from
the business's templates (domain/notifications/messages.py)."""

from __future__ import annotations

from dataclasses import dataclass

from domain.core.outbox import OutboxEvent
from domain.core.tx import Tx
from domain.notifications import segments


@dataclass(frozen=True)
class Draft:
    channel: str  # sms | email
    to: str
    body: str
    subject: str | None = None
    customer_id: int | None = None
    invoice_id: int | None = None
    order_id: int | None = None
    campaign_id: int | None = None
    event: str | None = None
    kind: str = "transactional"  # or marketing (never resent after an uncertain attempt)
    segments: int | None = None
    attachment: str | None = None  # "invoice_pdf": rendered when the email is sent
    # India: the DLT ids of the registered template the SMS was written from
    dlt_entity_id: str | None = None
    dlt_template_id: str | None = None
    fallback_of: int | None = None  # the SMS ledger row this email stands in for
    # (error code, reason) of a message that must not go out (no DLT registration...):
    # the ledger records it failed and nothing is sent
    failure: tuple[str, str] | None = None


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
        segments=segments.count(body).segments if channel == "sms" else None,
    )


async def compose(tx: Tx, event: OutboxEvent, public_url: str = "") -> list[Draft]:
    if "to" in event.payload and "body" in event.payload:
        return [ready_message(event)]
    from domain.notifications import fallback, messages, statement_mail

    if event.topic == fallback.FALLBACK:
        return await fallback.drafts(tx, event, public_url)
    if event.topic == statement_mail.REQUESTED and event.business_id is not None:
        btx = messages.as_business(tx, event.business_id)
        return await statement_mail.drafts(btx, event, public_url)
    return await messages.drafts(tx, event, public_url)
