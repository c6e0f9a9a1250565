"""What a provider's accept changes outside the ledger (in the same transaction): an
SMS counts against the business's monthly quota; an invoice send marks the invoice SENT
and adds a `sent` entry per channel to its timeline."""

from __future__ import annotations

from domain.core.tx import Tx
from domain.notifications import quota
from domain.notifications.models import NotificationLog


async def after_accept(tx: Tx, row: NotificationLog) -> None:
    from domain.notifications import messages

    if row.business_id is None:
        return
    if row.channel == "sms":
        await quota.record(messages.as_business(tx, row.business_id), row.segments or 1)
    if row.invoice_id is not None:
        await messages.accepted(tx, row)
