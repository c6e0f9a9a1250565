"""One delivery job: outbox event -> ledger rows -> (look-up of an unresolved attempt) ->
rate limiter -> attempt committed -> provider call -> outcome committed. Each arrow is its
own short transaction; no transaction is open during a provider call."""

from __future__ import annotations

from dataclasses import dataclass

from domain.core.clock import Clock
from domain.core.db import Database
from domain.core.tx import Tx
from domain.notifications import service
from domain.notifications.port import PermanentFailure, TemporaryFailure
from domain.notifications.ratelimit import Limiter
from domain.notifications.service import JOB, Providers


@dataclass
class Pipeline:
    db: Database
    clock: Clock
    providers: Providers
    limiter: Limiter
    lease_seconds: float = 15.0  # provider timeout + margin

    def tx(self, session: object) -> Tx:
        return Tx(session, JOB, self.clock)  # type: ignore[arg-type]

    async def deliver(self, outbox_id: str) -> str:
        """`missing`, `duplicate` (all settled before) or `sent` (every message settled);
        raises the TemporaryFailure (longest Retry-After) when one must be tried later."""
        async with self.db.unit_of_work() as session:
            rows = await service.prepare(self.tx(session), self.providers, outbox_id)
        if isinstance(rows, str):
            return rows
        later: TemporaryFailure | None = None
        worked = False
        for row_id in rows:
            try:
                worked = await self.deliver_row(row_id) or worked
            except TemporaryFailure as exc:
                if later is None or (exc.retry_after or 0) > (later.retry_after or 0):
                    later = exc
        if later is not None:
            raise later
        return "sent" if worked else "duplicate"

    async def deliver_row(self, row_id: int) -> bool:
        """False when the row was settled already (a rerun of a finished job)."""
        async with self.db.unit_of_work() as session:
            step = await service.next_step(self.tx(session), row_id, self.lease_seconds)
        if step.action in ("done", "skipped"):
            return step.action == "skipped"
        if step.action == "reconcile" and step.message and step.since:
            found = await self.providers.of(step.channel).lookup(step.message, step.since)
            async with self.db.unit_of_work() as session:
                step = await service.reconciled(self.tx(session), step.message.attempt_id, found)
        if step.action != "send":
            return True
        provider = self.providers.of(step.channel)
        await self.limiter.acquire(f"{step.channel}:{provider.name}")
        async with self.db.unit_of_work() as session:
            message = await service.start_attempt(self.tx(session), row_id)
        if message is None:
            return True
        try:
            if step.channel == "sms":
                delivery = await self.providers.sms.send_sms(message)
            else:
                delivery = await self.providers.email.send_email(message)
        except (TemporaryFailure, PermanentFailure) as exc:
            async with self.db.unit_of_work() as session:
                await service.refused(self.tx(session), message.attempt_id, exc)
            if isinstance(exc, TemporaryFailure):
                raise
            return True
        async with self.db.unit_of_work() as session:
            await service.accepted(self.tx(session), message.attempt_id, delivery)
        return True
