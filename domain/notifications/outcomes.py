"""How a ledger row's outcome is written, for one message (service.py, the webhooks) and
for a campaign batch (batch.py) alike: `settle` moves the row forward to a status (a
failure or an opt-out also runs its effects: the invoice's `send_failed` entry, the
email fallback), `accept` records what the provider took (and, once per message, the
invoice SENT and the SMS usage).

`history`: the caller collects the status history rows and inserts them in one
statement with the rest of its batch (batch.Entries); without it each row is added and
flushed at once, as one message's steps need."""

from __future__ import annotations

from domain.core.tx import Tx
from domain.notifications import effects
from domain.notifications.live import status_changed
from domain.notifications.models import NotificationLog, NotificationStatus
from domain.notifications.port import Delivery
from domain.notifications.statuses import FAILED, RANK, advance


async def _record(
    tx: Tx, entry: NotificationStatus, history: list[NotificationStatus] | None
) -> None:
    if history is None:
        tx.session.add(entry)
        await tx.session.flush()
    else:
        history.append(entry)


async def settle(
    tx: Tx,
    row: NotificationLog,
    status: str,
    code: str | None,
    *,
    history: list[NotificationStatus] | None = None,
) -> None:
    """The row moves to `status` (never backwards: a move that is not forward changes
    nothing), with its live event and, for a failure or an opt-out, its effects."""
    entry = advance(row, status, tx.now(), source="job", error_code=code)
    if entry is None:
        return
    await _record(tx, entry, history)
    status_changed(tx, row)
    if status in FAILED or status == "opted_out":
        await effects.after_failure(tx, row)


async def accept(
    tx: Tx,
    row: NotificationLog,
    d: Delivery,
    *,
    source: str,
    history: list[NotificationStatus] | None = None,
    count_usage: bool = True,
) -> bool:
    """The provider took the message: its id, `accepted` (or the later status it
    reported). True on the message's first accept, which runs the effects once (a
    callback may have adopted the message before us). `count_usage=False`: the caller
    counts the SMS usage of its batch at once."""
    first = row.sent_at is None
    row.provider = d.provider
    row.provider_message_id = d.message_id
    row.sent_at = row.sent_at or tx.now()
    row.error = None
    row.error_code = None
    row.due_at = None
    status = d.status if RANK.get(d.status, 0) >= RANK["accepted"] else "accepted"
    entry = advance(row, status, tx.now(), source=source)
    if entry is not None:
        await _record(tx, entry, history)
        status_changed(tx, row)
    if first:
        await effects.after_accept(tx, row, count_usage=count_usage)
    return first
