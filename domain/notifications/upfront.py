"""Messages composed in the transaction that asks for them. `sendInvoice` records its
ledger rows (`pending`, or `failed` with the reason when a draft must not go out) in its
own transaction, beside the `invoice.send_requested` event, so the delivery job starts at
the rules and the attempt instead of composing first: one transaction less between the
commit and the provider call (bench/results/notifications.md). The job finds the rows by
the event's id (`service.planned`) and composes nothing again; events whose rows were not
made up front (scheduled sends, receipts...) are composed by the job as before."""

from __future__ import annotations

from domain.core.outbox import emitted
from domain.core.tx import Tx
from domain.notifications import service
from domain.notifications.service import JOB, Providers


async def compose_upfront(tx: Tx, providers: Providers, event_id: str, public_url: str) -> None:
    """The rows of the event this transaction emitted with `event_id` (none emitted, as
    for a send scheduled for later: nothing). Composed as the job would (its system
    viewer, the same links), so a rerun of the job finds them as its own."""
    event = emitted(tx, event_id)
    if event is None:
        return
    await service.compose_rows(Tx(tx.session, JOB, tx.clock), providers, event, public_url)
