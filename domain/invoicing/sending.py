"""Invoice sends, now or at a future time. Every `sendInvoice` is a row (`invoice_sends`):
a send for now writes its `invoice.send_requested` outbox event at once (the notification
pipeline delivers it); a send for later gets its request id now and waits. The due-scan
(`start_due_sends`: every `scheduled_send_seconds` by the embedded timer, each minute by
arq cron) claims the sends whose time came with one conditional UPDATE and writes their
outbox events in the same transaction, so each starts once however many workers scan,
and a crash after the commit is covered by the outbox sweep. Until it starts a send can
be cancelled; after, cancelling is refused (`SEND_STARTED`)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from domain.core import outbox
from domain.core.clock import Clock
from domain.core.codes import CoreCode
from domain.core.db import Database
from domain.core.errors import Conflict, NotFound, ValidationFailed
from domain.core.tx import Tx
from domain.core.viewer import Scope, Viewer
from domain.customers.models import Customer
from domain.customers.repository import CustomerRepository
from domain.invoicing import events
from domain.invoicing.codes import InvoicingCode
from domain.invoicing.models import Invoice, InvoiceStatus
from domain.invoicing.send_models import InvoiceSend, SendStatus
from domain.invoicing.send_repository import SendRepository
from domain.invoicing.service import (
    channel_for,
    get_invoice,
    invoice_payload,
    request_send,
    timeline,
)

MAX_AHEAD = timedelta(days=5 * 366)  # refuses a year-9999 typo, not real plans
SCAN_BATCH = 200
ACTOR = "job:scheduled_sends"


def _channels(channels: list[str]) -> list[str]:
    chosen = sorted({c.lower() for c in channels})
    if not chosen or not set(chosen) <= {"sms", "email"}:
        raise ValidationFailed.one("channels", "choose sms and/or email", CoreCode.INVALID_CHOICE)
    return chosen


def check_request(
    tx: Tx, channels: list[str], message: str | None, scheduled_at: datetime | None
) -> list[str]:
    """The channels chosen (sorted); refuses a long message or a time a year away."""
    chosen = _channels(channels)
    if message and len(message) > 500:
        raise ValidationFailed.one("message", "must be at most 500 characters", CoreCode.TOO_LONG)
    if scheduled_at is not None and scheduled_at - tx.now() > MAX_AHEAD:
        raise ValidationFailed.one(
            "scheduledAt", "must be within five years", CoreCode.OUT_OF_RANGE
        )
    return chosen


async def send_invoice(
    tx: Tx,
    invoice_id: int,
    channels: list[str],
    *,
    include_pdf: bool,
    message: str | None,
    scheduled_at: datetime | None,
    public_url: str,
) -> InvoiceSend:
    """Records the send (timeline `send_requested`); the invoice's status changes only
    once a provider has accepted a message (messages.accepted -> mark_sent)."""
    tx.viewer.require_business(Scope.INVOICES_WRITE)
    chosen = check_request(tx, channels, message, scheduled_at)
    invoice = await get_invoice(tx, invoice_id, lock=True)
    if invoice.status == InvoiceStatus.VOID:
        raise ValidationFailed.one(
            "invoiceId", "a void invoice cannot be sent", InvoicingCode.INVOICE_VOID
        )
    customer = await CustomerRepository(tx.session, tx.viewer).get(invoice.customer_id)
    if customer is None:
        raise NotFound("customer", invoice.customer_id)
    options: dict[str, object] = {"includePdf": include_pdf, "message": message}
    return await record_send(tx, invoice, customer, chosen, options, scheduled_at, public_url)


async def record_send(
    tx: Tx,
    invoice: Invoice,
    customer: Customer,
    channels: list[str],
    options: dict[str, object],
    scheduled_at: datetime | None,
    public_url: str,
) -> InvoiceSend:
    """The send's row; its outbox event now, or (a time still ahead) at that time."""
    later = scheduled_at is not None and scheduled_at > tx.now()
    request_send(tx, invoice, channels, scheduled_at if later else None)
    options = {**options, "paymentLink": f"{public_url}/pay/{invoice.payment_token}"}
    send = InvoiceSend(
        business_id=invoice.business_id,
        invoice_id=invoice.id,
        status=SendStatus.SCHEDULED if later else SendStatus.STARTED,
        send_at=scheduled_at if later and scheduled_at else tx.now(),
        channels=channels,
        options=options,
        request_id=outbox.new_event_id(),
        actor=tx.viewer.actor_label,
        created_at=tx.now(),
        started_at=None if later else tx.now(),
        cancelled_at=None,
        cancelled_by=None,
    )
    await SendRepository(tx.session, tx.viewer).add(send)
    if not later:
        _emit_send(tx, send, invoice, customer, scheduled=False)
    return send


def _emit_send(
    tx: Tx, send: InvoiceSend, invoice: Invoice, customer: Customer | None, *, scheduled: bool
) -> None:
    outbox.emit(
        tx,
        events.SEND_REQUESTED,
        invoice_payload(
            invoice,
            customer,
            channels=list(send.channels),
            includePdf=send.options.get("includePdf", True),
            message=send.options.get("message"),
            scheduledAt=send.send_at.isoformat() if scheduled else None,
            paymentLink=send.options.get("paymentLink"),
            sendId=send.id,
        ),
        channels=[channel_for(invoice.business_id)],
        job="send_notification",
        business_id=invoice.business_id,
        event_id=send.request_id,
    )


async def get_send(tx: Tx, send_id: int) -> InvoiceSend:
    send = await SendRepository(tx.session, tx.viewer).get_send(send_id)
    if send is None:
        raise NotFound("scheduled send", send_id)
    return send


async def cancel_scheduled_send(tx: Tx, send_id: int) -> InvoiceSend:
    """Cancels a send that has not started; a cancelled one answers as it is (a retry
    of the same cancel), a started one is refused with SEND_STARTED."""
    tx.viewer.require_business(Scope.INVOICES_WRITE)
    repo = SendRepository(tx.session, tx.viewer)
    cancelled = await repo.cancel(send_id, tx.now(), tx.viewer.actor_label)
    if cancelled is not None:
        invoice = await get_invoice(tx, cancelled.invoice_id)
        timeline(tx, invoice, "scheduled_send_cancelled", sendId=cancelled.id)
        return cancelled
    send = await get_send(tx, send_id)
    if send.status == SendStatus.STARTED:
        raise Conflict("the send has started: too late to cancel", InvoicingCode.SEND_STARTED)
    return send


async def start_due_sends(db: Database, clock: Clock) -> int:
    """Starts every send whose time came, `SCAN_BATCH` per transaction."""
    started = 0
    while True:
        async with db.unit_of_work() as session:
            claimed = await SendRepository.claim_due(session, clock.now(), SCAN_BATCH)
            invoices, customers = await SendRepository.rows_of(session, claimed)
            by_business: dict[int, list[InvoiceSend]] = defaultdict(list)
            for send in claimed:
                by_business[send.business_id].append(send)
            for business_id, sends in sorted(by_business.items()):
                btx = Tx(session, Viewer.system_actor(ACTOR, business_id=business_id), clock)
                for send in sends:
                    started += _start(btx, send, invoices[send.invoice_id], customers)
        if len(claimed) < SCAN_BATCH:
            return started


def _start(tx: Tx, send: InvoiceSend, invoice: Invoice, customers: dict[int, Customer]) -> int:
    """A void invoice's send ends cancelled; any other gets its outbox event."""
    if invoice.status == InvoiceStatus.VOID:
        send.status = SendStatus.CANCELLED
        send.cancelled_at = tx.now()
        send.cancelled_by = ACTOR
        return 0
    timeline(tx, invoice, "scheduled_send_started", sendId=send.id, channels=send.channels)
    _emit_send(tx, send, invoice, customers.get(invoice.customer_id), scheduled=True)
    return 1


async def sends_for(tx: Tx, invoice_ids: list[int]) -> list[InvoiceSend]:
    """The sends of these invoices (the `Invoice.sends` loader), one statement."""
    return list(await SendRepository(tx.session, tx.viewer).for_invoices(invoice_ids))
