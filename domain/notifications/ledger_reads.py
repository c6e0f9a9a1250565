"""What staff read from the delivery ledger: a customer's message history (keyset pages,
newest first), an invoice's delivery tracking (the latest message per channel) and a
delivery report for a period. Tenancy is the repository's read_policy."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from domain.core.errors import NotFound, ValidationFailed
from domain.core.pagination import Page, clamp_first, decode_cursor, encode_cursor
from domain.core.tx import Tx
from domain.notifications.models import NotificationLog, NotificationStatus
from domain.notifications.repository import NotificationRepository

SORT = "notifications"


@dataclass
class Message:
    row: NotificationLog
    history: list[NotificationStatus] = field(default_factory=list)


@dataclass(frozen=True)
class ChannelReport:
    channel: str
    messages: int
    sent: int
    delivered: int
    failed: int
    bounced: int
    opted_out: int
    opened: int
    clicked: int


def _repo(tx: Tx) -> NotificationRepository:
    return NotificationRepository(tx.session, tx.viewer)


async def _with_history(tx: Tx, rows: list[NotificationLog]) -> list[Message]:
    by_row: dict[int, list[NotificationStatus]] = defaultdict(list)
    for entry in await _repo(tx).history([r.id for r in rows]):
        by_row[entry.notification_id].append(entry)
    return [Message(r, by_row[r.id]) for r in rows]


async def customer_messages(
    tx: Tx, customer_id: int, first: int | None, after: str | None, cap: int
) -> Page[Message]:
    size = clamp_first(first, cap)
    after_id = decode_cursor(after, SORT)[1] if after else None
    rows = await _repo(tx).entries(customer_id=customer_id, after_id=after_id, limit=size + 1)
    page = rows[:size]
    return Page(
        items=await _with_history(tx, page),
        cursors=[encode_cursor(SORT, r.id, r.id) for r in page],
        has_next_page=len(rows) > size,
        has_previous_page=after is not None,
    )


async def message(tx: Tx, row_id: int) -> Message:
    row = await _repo(tx).entry(row_id)
    if row is None:
        raise NotFound("notification")
    return (await _with_history(tx, [row]))[0]


async def invoice_deliveries(tx: Tx, invoice_id: int) -> list[Message]:
    """The latest message of each channel an invoice went out on (a resend of the invoice
    is a new message: the latest one is what the owner asks about)."""
    latest: dict[str, NotificationLog] = {}
    for row in await _repo(tx).entries(invoice_id=invoice_id, limit=200):
        latest.setdefault(row.channel, row)  # newest first
    return await _with_history(tx, [latest[c] for c in sorted(latest)])


async def report(tx: Tx, since: datetime, until: datetime) -> list[ChannelReport]:
    if until <= since:
        raise ValidationFailed.one("to", "must be after `from`")
    return [ChannelReport(*r) for r in await _repo(tx).report(since, until)]
