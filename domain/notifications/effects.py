"""What a provider's accept (or a final failure) changes outside the ledger, in the same
transaction: an SMS counts against the business's monthly quota; an invoice send marks
the invoice SENT and adds a `sent` entry per channel to its timeline (`send_failed` when
a channel ends failed)."""

from __future__ import annotations

from domain.core.tx import Tx
from domain.notifications import quota
from domain.notifications.models import NotificationLog


async def after_accept(tx: Tx, row: NotificationLog, *, count_usage: bool = True) -> None:
    """`count_usage=False`: the caller counts a batch's SMS usage at once (batch.py)."""
    from domain.notifications import messages

    if row.business_id is None:
        return
    if row.channel == "sms" and count_usage:
        await quota.record(messages.as_business(tx, row.business_id), row.segments or 1)
    if row.invoice_id is not None:
        await messages.accepted(tx, row)


async def after_failure(tx: Tx, row: NotificationLog) -> None:
    """A message that ended failed (or opted out): an invoice send says so on the
    invoice's timeline (`send_failed`, with the channel, code and reason), so the owner
    sees it was not sent; an SMS may be followed by its email version (fallback.py)."""
    from domain.notifications import fallback, messages

    if row.business_id is None:
        return
    if row.invoice_id is not None:
        await messages.failed(tx, row)
    await fallback.after_sms_end(messages.as_business(tx, row.business_id), row)
