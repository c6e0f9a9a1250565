"""Live ledger updates for the business's staff: an outbox row on the business's channel,
published after commit (the `notificationUpdates` subscription listens there)."""

from __future__ import annotations

from domain.core import outbox
from domain.core.tx import Tx
from domain.notifications.models import NotificationLog


def channel_for(business_id: int) -> str:
    return f"business:{business_id}:notifications"


def status_changed(tx: Tx, row: NotificationLog) -> None:
    if row.business_id is None:
        return
    outbox.emit(
        tx,
        "notification.status_changed",
        {
            "notificationId": row.id,
            "customerId": row.customer_id,
            "invoiceId": row.invoice_id,
            "channel": row.channel,
            "status": row.status,
            "errorCode": row.error_code,
        },
        channels=[channel_for(row.business_id)],
        business_id=row.business_id,
    )
