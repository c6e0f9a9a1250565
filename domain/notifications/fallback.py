"""Channel fallback SMS -> email. An SMS of a business event (invoice send, receipt, order
status) that cannot reach the customer — no phone number, the customer opted out of SMS,
a permanent failure (invalid number), an `undelivered` / `failed` status callback — is
followed by the email version of the same message, when the customer has an email
address and the business allows it for the message's kind (business setting; on for
transactional, off for marketing by default). The email's own consent rules still apply
when it is sent.

Never both channels for one message unless the first failed: when the event asked for
email as well, or the SMS may have gone out (an uncertain attempt, or retries that ran
out), there is no fallback. The email is its own ledger row pointing at the SMS
(`fallback_of`, unique: one fallback per SMS), delivered by its own outbox event
(`notification.fallback`) emitted in the transaction that settled the SMS, so a crash
cannot lose it and a rerun cannot double it."""

from __future__ import annotations

import dataclasses

from domain.core import outbox
from domain.core.errors import NotFound
from domain.core.outbox import OutboxEvent
from domain.core.tx import Tx
from domain.customers import service as customers
from domain.notifications import business_settings
from domain.notifications.compose import Draft
from domain.notifications.models import NotificationLog
from domain.notifications.repository import NotificationRepository
from domain.notifications.template_repository import TemplateRepository

FALLBACK = "notification.fallback"
# how an SMS ends when it did not reach the customer
ENDINGS = {"failed", "undelivered", "opted_out"}
# failures after which the SMS may still have gone out: no fallback
MAYBE_SENT = {"UNCERTAIN", "RETRIES_EXHAUSTED"}


def outbox_id_of(row: NotificationLog) -> str:
    """Ledger keys are `<outbox id>:<channel>`."""
    return row.idempotency_key.rsplit(":", 1)[0]


async def allowed(tx: Tx, kind: str) -> bool:
    """The business's setting for the kind (defaults when it saved none)."""
    settings = business_settings.of(await TemplateRepository(tx.session, tx.viewer).settings())
    if kind == "marketing":
        return settings.email_fallback_marketing
    return settings.email_fallback_transactional


async def after_sms_end(tx: Tx, row: NotificationLog) -> None:
    """`tx` acts for the row's business. Emits the fallback event when the rules say so."""
    from domain.notifications.messages import TOPIC_EVENTS

    if row.channel != "sms" or row.status not in ENDINGS or row.error_code in MAYBE_SENT:
        return
    if row.customer_id is None or row.event not in TOPIC_EVENTS or row.fallback_of is not None:
        return
    repo = NotificationRepository(tx.session, tx.viewer)
    if await repo.by_key(f"{outbox_id_of(row)}:email") is not None:
        return  # the email version was asked for too
    if not await allowed(tx, row.kind):
        return
    try:
        customer = await customers.get_customer(tx, row.customer_id)
    except NotFound:
        return
    if not customer.email:
        return
    outbox.emit(tx, FALLBACK, {"smsRowId": row.id}, job="send_notification")


async def drafts(tx: Tx, event: OutboxEvent, public_url: str) -> list[Draft]:
    """The email version of the SMS the fallback event names (none if it has one)."""
    from domain.notifications import messages

    repo = NotificationRepository(tx.session, tx.viewer)
    sms = await repo.entry(int(event.payload["smsRowId"]))
    if sms is None or await repo.fallback_for(sms.id) is not None:
        return []
    original = await repo.event(outbox_id_of(sms))
    if original is None:
        return []
    found = await messages.drafts(tx, original, public_url, only=["email"])
    return [dataclasses.replace(d, fallback_of=sms.id, kind=sms.kind) for d in found]
