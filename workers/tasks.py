"""Task functions. The arq worker and the in-process runner execute these same functions;
each is idempotent because arq may run a job more than once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from arq import Retry

from domain.core.tx import Tx
from domain.notifications.port import PermanentFailure, TemporaryFailure
from domain.notifications.service import JOB, claim, record, send

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


TASKS = {"send_notification": send_notification}
