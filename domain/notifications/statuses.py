"""Ledger statuses in the order a message moves through them. A status only ever moves
forward: a late or replayed callback (`sent` after `delivered`) changes nothing."""

from __future__ import annotations

from datetime import datetime

from domain.notifications.models import NotificationLog, NotificationStatus

RANK = {
    "pending": 0,
    "sending": 1,
    "accepted": 2,
    "queued": 2,
    "sent": 3,
    "delivered": 5,
    "undelivered": 5,
    "failed": 5,
    "bounced": 5,
    "opted_out": 5,
    "opened": 6,
    "clicked": 7,
}
# Statuses after which nothing is sent again for the row.
SETTLED = {"accepted", "queued", "sent", "delivered", "undelivered", "failed", "bounced"} | {
    "opted_out",
    "opened",
    "clicked",
}
FAILED = {"undelivered", "failed", "bounced"}


def advance(
    row: NotificationLog,
    status: str,
    at: datetime,
    *,
    source: str,
    error_code: str | None = None,
    event_key: str | None = None,
) -> NotificationStatus | None:
    """Moves `row` to `status` if that is forward, and returns the history entry to add
    (None when the status would move backwards or sideways: nothing is written). Opens and
    clicks are timestamped even when they arrive before `delivered`."""
    if status == "opened" and row.opened_at is None:
        row.opened_at = at
    if status == "clicked" and row.clicked_at is None:
        row.clicked_at = at
    if status == "delivered" and row.delivered_at is None:
        row.delivered_at = at
    if RANK.get(status, -1) <= RANK.get(row.status, -1):
        return None
    row.status = status
    row.status_at = at
    if error_code:
        row.error_code = error_code
    return NotificationStatus(
        notification_id=row.id,
        status=status,
        at=at,
        error_code=error_code,
        source=source,
        event_key=event_key,
    )
