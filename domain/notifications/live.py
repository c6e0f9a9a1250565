"""Live ledger updates for the business's staff: an ordinary event of the business's
stream (an outbox row with a position, relayed after commit), so a `notificationUpdates`
subscriber resumes with `after` like any other stream subscriber."""

from __future__ import annotations

from domain.core import outbox
from domain.core.tx import Tx
from domain.notifications import events
from domain.notifications.models import NotificationLog


def status_changed(tx: Tx, row: NotificationLog) -> None:
    """Called after a status moved forward; a ledger row without a business has no stream."""
    if row.business_id is None:
        return
    outbox.emit(
        tx,
        events.STATUS_CHANGED,
        {
            "notificationId": row.id,
            "customerId": row.customer_id,
            "invoiceId": row.invoice_id,
            "orderId": row.order_id,
            "campaignId": row.campaign_id,
            "channel": row.channel,
            "status": row.status,
            "errorCode": row.error_code,
        },
        business_id=row.business_id,
    )
