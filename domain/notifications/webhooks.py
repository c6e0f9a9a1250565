"""Provider callbacks applied to the ledger (signatures are checked at the edge, in
schema/http/notify_webhooks.py). Status changes only move forward; a replayed event (same
provider event key) changes nothing. Inbound STOP / START replies opt a phone out of (or
back into) SMS from the business that last messaged it."""

from __future__ import annotations

from datetime import datetime

from domain.core.tx import Tx
from domain.notifications.effects import after_failure
from domain.notifications.live import status_changed
from domain.notifications.models import NotificationLog, SmsOptOut
from domain.notifications.port import Delivery
from domain.notifications.repository import NotificationRepository
from domain.notifications.service import adopt
from domain.notifications.statuses import FAILED, advance

TWILIO_STATUS = {
    "accepted": "accepted",
    "queued": "accepted",
    "sending": "accepted",
    "sent": "sent",
    "delivered": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
}
SENDGRID_STATUS = {
    "processed": "accepted",
    "delivered": "delivered",
    "open": "opened",
    "click": "clicked",
    "bounce": "bounced",
    "dropped": "failed",
}
# Carrier-standard keywords plus Hindi, Swahili and Arabic equivalents.
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "रोकें", "बंद"}
STOP_WORDS |= {"ACHA", "SIMAMISHA", "توقف", "إلغاء", "الغاء"}
START_WORDS = {"START", "UNSTOP", "YES", "शुरू", "ANZA", "ابدأ", "ابدا"}


async def _row_for(
    tx: Tx, repo: NotificationRepository, provider: str, attempt_id: str | None, message_id: str
) -> NotificationLog | None:
    if attempt_id:
        attempt = await repo.attempt(attempt_id)
        if attempt is not None:
            row = await repo.entry(attempt.notification_id, lock=True)
            if row is not None and row.provider_message_id is None:
                # the callback beat our commit (or the worker died after the accept)
                attempt.provider_message_id = message_id
                attempt.outcome = attempt.outcome if attempt.outcome == "accepted" else "found"
                attempt.finished_at = attempt.finished_at or tx.now()
                await adopt(tx, repo, row, Delivery(provider, message_id, "accepted"))
            return row
    return await repo.by_provider_id(provider, message_id)


async def apply_status(
    tx: Tx,
    *,
    provider: str,
    attempt_id: str | None,
    message_id: str,
    status: str,
    event_key: str,
    at: datetime,
    error_code: str | None = None,
) -> str:
    """`applied`, `replayed`, `ignored` (not forward) or `unknown` (no such message)."""
    repo = NotificationRepository(tx.session, tx.viewer)
    if await repo.has_event(event_key):
        return "replayed"
    row = await _row_for(tx, repo, provider, attempt_id, message_id)
    if row is None:
        return "unknown"
    entry = advance(row, status, at, source="webhook", error_code=error_code, event_key=event_key)
    if entry is None:
        return "ignored"
    await repo.add(entry)
    status_changed(tx, row)
    if status in FAILED:  # the invoice's timeline says so; an SMS may fall back to email
        await after_failure(tx, row)
    return "applied"


async def inbound_sms(tx: Tx, phone: str, body: str) -> str:
    """`opted_out`, `opted_in` or `ignored`."""
    word = body.strip().upper()
    if word not in STOP_WORDS and word not in START_WORDS:
        return "ignored"
    repo = NotificationRepository(tx.session, tx.viewer)
    last = await repo.last_sms_to(phone)
    if last is None or last.business_id is None:
        return "ignored"
    if word in START_WORDS:
        await repo.opt_in(last.business_id, phone)
        return "opted_in"
    await repo.opt_out(
        SmsOptOut(
            business_id=last.business_id,
            phone=phone,
            customer_id=last.customer_id,
            keyword=word[:20],
            at=tx.now(),
        )
    )
    return "opted_out"
