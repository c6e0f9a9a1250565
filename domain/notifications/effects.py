"""What a provider's accept changes outside the ledger (in the same transaction): an
invoice send marks the invoice SENT and adds a `sent` entry per channel to its timeline."""

from __future__ import annotations

from domain.core.tx import Tx
from domain.notifications.models import NotificationLog


async def after_accept(tx: Tx, row: NotificationLog) -> None:
    if row.invoice_id is None or row.business_id is None:
        return
    from domain.notifications import invoice_messages

    await invoice_messages.accepted(tx, row)
