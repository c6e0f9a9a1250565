"""Deliver a notification described by an outbox event, exactly once per event.

The steps take a Tx and never commit; the job (workers/tasks.py) owns the transactions:
claim the ledger row, call the provider outside any transaction, then record the outcome.
A rerun of a sent message is a "duplicate" and never calls the provider again."""

from __future__ import annotations

from dataclasses import dataclass

from domain.core.tx import Tx
from domain.core.viewer import Viewer
from domain.notifications.models import NotificationLog
from domain.notifications.port import Delivery, EmailSender, Outgoing, SmsSender
from domain.notifications.repository import NotificationRepository

JOB = Viewer.system_actor("job:deliver")  # a delivery job reads across businesses


@dataclass
class Providers:
    sms: SmsSender
    email: EmailSender


@dataclass(frozen=True)
class Claim:
    """A ledger row ready to send: what to send and where."""

    row_id: int
    channel: str
    to: str
    subject: str
    body: str


async def claim(tx: Tx, providers: Providers, outbox_id: str) -> Claim | str:
    """The ledger row keyed by the outbox id and channel, created on first sight, with one
    more attempt counted; "missing" or "duplicate" when there is nothing to send."""
    repo = NotificationRepository(tx.session, tx.viewer)
    event = await repo.event(outbox_id)
    if event is None:
        return "missing"
    p = event.payload
    channel = str(p.get("channel", "sms"))
    key = f"{outbox_id}:{channel}"
    row = await repo.by_key(key)
    if row is not None and row.status in ("sent", "failed"):
        return "duplicate"
    provider = providers.sms if channel == "sms" else providers.email
    if row is None:
        row = NotificationLog(
            idempotency_key=key,
            business_id=event.business_id,
            customer_id=p.get("customerId"),
            channel=channel,
            recipient=str(p["to"]),
            subject=p.get("subject"),
            body=str(p["body"]),
            status="pending",
            provider=provider.name,
            attempts=0,
            created_at=tx.now(),
        )
        await repo.add(row)
    row.attempts += 1
    return Claim(row.id, channel, str(p["to"]), str(p.get("subject") or ""), str(p["body"]))


async def send(providers: Providers, c: Claim) -> Delivery:
    """Raises TemporaryFailure (retry later) or PermanentFailure (never)."""
    message = Outgoing(attempt_id=str(c.row_id), to=c.to, body=c.body, subject=c.subject)
    if c.channel == "sms":
        return await providers.sms.send_sms(message)
    return await providers.email.send_email(message)


async def record(
    tx: Tx,
    c: Claim,
    *,
    delivery: Delivery | None = None,
    error: str | None = None,
    final: bool = False,
) -> None:
    """The outcome on the ledger row: sent (with the provider's id), failed for good
    (`final`), or an error to retry."""
    row = await NotificationRepository(tx.session, tx.viewer).entry(c.row_id)
    if row is None:
        return
    if delivery is not None:
        row.status = "sent"
        row.provider = delivery.provider
        row.provider_message_id = delivery.message_id
        row.sent_at = tx.now()
        return
    row.error = error
    if final:
        row.status = "failed"
