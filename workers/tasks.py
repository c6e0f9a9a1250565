"""Task functions. The arq worker and the in-process runner execute these same functions;
each is idempotent because arq may run a job more than once."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from arq import Retry

from domain.core.failures import log_failure
from domain.core.outbox import get_event
from domain.core.tx import Tx
from domain.customers import csv_io
from domain.notifications.port import PermanentFailure, TemporaryFailure
from domain.notifications.service import JOB, claim, record, send

log = logging.getLogger("khata.jobs")

if TYPE_CHECKING:
    from khata.runtime import Runtime


def _runtime(ctx: dict[str, Any]) -> Runtime:
    return ctx["runtime"]  # type: ignore[no-any-return]


async def send_notification(ctx: dict[str, Any], outbox_id: str) -> str:
    """Idempotent: the ledger row keyed by the outbox id is claimed (and committed)
    before the provider is called; each outcome is its own short transaction."""
    rt = _runtime(ctx)
    async with rt.db.unit_of_work() as session:
        claimed = await claim(Tx(session, JOB, rt.clock), rt.providers, outbox_id)
    if isinstance(claimed, str):
        return claimed
    try:
        delivery = await send(rt.providers, claimed)
    except TemporaryFailure as exc:
        async with rt.db.unit_of_work() as session:
            await record(Tx(session, JOB, rt.clock), claimed, error=str(exc))
        raise Retry(defer=exc.retry_after) from exc
    except PermanentFailure as exc:
        async with rt.db.unit_of_work() as session:
            await record(Tx(session, JOB, rt.clock), claimed, error=str(exc), final=True)
        return "failed"
    async with rt.db.unit_of_work() as session:
        await record(Tx(session, JOB, rt.clock), claimed, delivery=delivery)
    return "sent"


async def relay_outbox(ctx: dict[str, Any]) -> int:
    """The periodic sweep: outbox rows a crash left behind, then expired idempotency keys."""
    rt = _runtime(ctx)
    relayed = await rt.relay.sweep(rt.settings.outbox_stale_seconds)
    await rt.purge_idempotency_keys()
    return relayed


async def prune_stream(ctx: dict[str, Any]) -> int:
    """Daily: stream events older than the retention window go (idempotent)."""
    return await _runtime(ctx).prune_stream()


IMPORT_CHUNK_ROWS = 250


async def import_customers(ctx: dict[str, Any], outbox_id: str) -> str:
    """A CSV import, one unit of work per chunk of rows: the customer counter is held for
    one chunk at a time, and each chunk records how far it got, so a rerun (arq may run a
    job twice) resumes after the last committed chunk."""
    rt = _runtime(ctx)
    event = await get_event(rt.db, outbox_id)
    if event is None or event.business_id is None:
        return "missing"
    import_id = int(event.payload["importId"])
    viewer = csv_io.import_viewer(event.business_id, import_id)
    try:
        async with rt.db.read() as session:
            rows = await csv_io.pending_rows(Tx(session, viewer, rt.clock), import_id)
        if rows is None:
            return "done"
        done = False
        while not done:
            async with rt.db.unit_of_work() as session:
                done = await csv_io.import_chunk(
                    Tx(session, viewer, rt.clock), import_id, rows, IMPORT_CHUNK_ROWS
                )
    except Exception as exc:
        log_failure(log, "customer import %s failed", exc, import_id)
        async with rt.db.unit_of_work() as session:
            await csv_io.fail_import(
                Tx(session, viewer, rt.clock),
                import_id,
                "the import stopped on an unexpected error",
            )
        return "failed"
    return "completed"


TASKS = {"send_notification": send_notification, "import_customers": import_customers}
