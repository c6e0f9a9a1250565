"""The messages of business events, written with the business's templates: an invoice
send (`invoice.send_requested`), a payment receipt (`invoice.payment_received`) and an
order's status change (`order.status_changed`, read from its payload alone: nothing of
the orders context is imported). Each template is the one `template_service.load_template`
picks (the business's own, in the customer's language, else the fallbacks) and is filled
by `templates.render`. A message that cannot be rendered (an SMS to +91 without a DLT
registration, a text that does not match it) becomes a draft with a failure: the ledger
records it `failed` with the reason, and nothing is sent."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from domain.accounts import queries as accounts
from domain.accounts.models import Business
from domain.core.errors import NotFound, ValidationFailed
from domain.core.outbox import OutboxEvent
from domain.core.tx import Tx
from domain.core.viewer import Viewer
from domain.customers import service as customers
from domain.customers.models import Customer
from domain.notifications import short_links, templates
from domain.notifications.attachments import INVOICE_PDF
from domain.notifications.compose import Draft
from domain.notifications.models import NotificationLog
from domain.notifications.template_service import load_template
from domain.notifications.templates import Recipient, TemplateText, Value
from domain.notifications.vocabulary import EVENT_KIND, Channel, Event

SEND_REQUESTED = "invoice.send_requested"
PAYMENT_RECEIVED = "invoice.payment_received"
ORDER_STATUS_CHANGED = "order.status_changed"
REMINDER = "invoice.reminder"  # domain/notifications/reminders.py
TOPIC_EVENTS = {
    SEND_REQUESTED: Event.INVOICE_SENT,
    REMINDER: Event.PAYMENT_REMINDER,
    PAYMENT_RECEIVED: Event.PAYMENT_RECEIPT,
    ORDER_STATUS_CHANGED: Event.ORDER_STATUS,
}


def as_business(tx: Tx, business_id: int) -> Tx:
    return Tx(tx.session, Viewer.system_actor("job:deliver", business_id=business_id), tx.clock)


def _decimal(raw: Any) -> Decimal | None:
    try:
        return Decimal(str(raw)) if raw is not None else None
    except InvalidOperation:
        return None


async def drafts(
    tx: Tx, event: OutboxEvent, public_url: str, only: list[str] | None = None
) -> list[Draft]:
    """`only`: these channels instead of the event's (a fallback's email version). An
    SMS asked for by an invoice send to a customer without a phone is a failed draft
    (NO_PHONE) when the email version may stand in for it (domain/notifications/fallback.py)."""
    kind = TOPIC_EVENTS.get(event.topic)
    p = event.payload
    if kind is None or event.business_id is None or p.get("customerId") is None:
        return []
    btx = as_business(tx, event.business_id)
    business = await accounts.viewer_business(btx)
    try:
        customer = await customers.get_customer(btx, int(p["customerId"]))
    except NotFound:
        return []
    if business is None:
        return []
    values = await _values(btx, event, business, customer, public_url)
    chosen = event.topic in (SEND_REQUESTED, REMINDER)
    channels = p.get("channels") if chosen else ["sms", "email"]
    channels = only or channels or []
    out: list[Draft] = []
    for name in channels:
        channel = Channel(name)
        to = customer.phone if channel is Channel.SMS else customer.email
        no_phone = (
            channel is Channel.SMS
            and event.topic == SEND_REQUESTED
            and customer.email
            and "email" not in channels
        )
        if not to and not no_phone:
            continue
        template = await load_template(btx, channel, kind, customer.language)
        draft = _draft(event, kind, template, values, business, customer, to or "")
        if not to:
            draft = replace(draft, failure=("NO_PHONE", "the customer has no phone number"))
        out.append(draft)
    return out


async def _values(
    tx: Tx, event: OutboxEvent, business: Business, customer: Customer, public_url: str
) -> dict[str, Value]:
    p = event.payload
    today = tx.now().astimezone(ZoneInfo(business.timezone)).date()
    values: dict[str, Value] = {"name": customer.name, "business": business.name, "date": today}
    if event.topic == ORDER_STATUS_CHANGED:
        status = str(p.get("to") or p.get("status") or "")
        values |= {
            "order_number": str(p.get("number") or ""),
            "status": status.replace("_", " "),
            "link": public_url,
        }
        return values
    values["invoice_number"] = str(p.get("number") or "")
    if p.get("paymentLink") and p.get("invoiceId") is not None:
        values["link"] = await short_links.link_for(
            tx, business.id, int(p["invoiceId"]), str(p["paymentLink"])
        )
    amount = _decimal(p.get("amount") if event.topic == PAYMENT_RECEIVED else p.get("balance"))
    if amount is not None:
        values["amount"] = amount
    if p.get("dueDate"):
        values["due_date"] = date.fromisoformat(str(p["dueDate"]))
    return values


def _draft(
    event: OutboxEvent,
    kind: Event,
    template: TemplateText,
    values: dict[str, Value],
    business: Business,
    customer: Customer,
    to: str,
) -> Draft:
    p = event.payload
    args: dict[str, Any] = {"currency": p.get("currency") or business.currency}
    args["country"] = business.country
    common: dict[str, Any] = {
        "customer_id": customer.id,
        "invoice_id": p.get("invoiceId"),
        "order_id": p.get("orderId"),
        "event": event.topic,
        "kind": EVENT_KIND[kind].value,
    }
    recipient = Recipient(customer.phone, customer.email)
    try:
        rendered = templates.render(template, values, recipient=recipient, **args)
    except ValidationFailed as exc:
        error = exc.errors[0]
        body = _best_effort(template, values, args)
        failure = (str(error.code), f"{error.field}: {error.message}")
        return Draft(template.channel.value, to, body, failure=failure, **common)
    if template.channel is Channel.SMS:
        return Draft(
            "sms",
            to,
            rendered.body,
            segments=rendered.segments,
            dlt_entity_id=rendered.dlt_entity_id,
            dlt_template_id=rendered.dlt_template_id,
            **common,
        )
    body = rendered.body
    if event.topic == SEND_REQUESTED and p.get("message"):
        body = f"{body}\n\n{p['message']}"
    attach = INVOICE_PDF if event.topic == SEND_REQUESTED and p.get("includePdf", True) else None
    return Draft("email", to, body, rendered.subject, attachment=attach, **common)


def _best_effort(template: TemplateText, values: dict[str, Value], args: dict[str, Any]) -> str:
    """The text as it would have read (for the ledger), else the template itself."""
    try:
        return templates.render(template, values, **args).body
    except ValidationFailed:
        return template.body


async def accepted(tx: Tx, row: NotificationLog) -> None:
    """An invoice send accepted by a provider: the invoice is SENT, its timeline says so."""
    if row.event != SEND_REQUESTED or row.invoice_id is None or row.business_id is None:
        return
    from domain.invoicing.service import get_invoice, mark_sent

    btx = as_business(tx, row.business_id)
    invoice = await get_invoice(btx, row.invoice_id, lock=True)
    await mark_sent(btx, invoice, [row.channel])


async def failed(tx: Tx, row: NotificationLog) -> None:
    """An invoice send that ended failed: its timeline says which channel and why; the
    invoice's status stays as it was (it was not sent on that channel)."""
    if row.event != SEND_REQUESTED or row.invoice_id is None or row.business_id is None:
        return
    from domain.invoicing.service import get_invoice, timeline

    btx = as_business(tx, row.business_id)
    invoice = await get_invoice(btx, row.invoice_id, lock=True)
    timeline(
        btx, invoice, "send_failed", channel=row.channel, code=row.error_code, reason=row.error
    )
