"""Task functions. The arq worker and the in-process runner execute these same functions;
each is idempotent because arq may run a job more than once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from arq import Retry

from domain.notifications.port import TemporaryFailure
from domain.notifications.service import deliver

if TYPE_CHECKING:
    from workers.runtime import Runtime


def _runtime(ctx: dict[str, Any]) -> Runtime:
    return ctx["runtime"]  # type: ignore[no-any-return]


async def send_notification(ctx: dict[str, Any], outbox_id: str) -> str:
    rt = _runtime(ctx)
    try:
        return await deliver(rt.db, rt.providers, rt.clock, outbox_id)
    except TemporaryFailure as exc:
        raise Retry(defer=exc.retry_after) from exc


async def relay_outbox(ctx: dict[str, Any]) -> int:
    rt = _runtime(ctx)
    return await rt.relay.sweep(rt.settings.outbox_stale_seconds)


TASKS = {"send_notification": send_notification}
