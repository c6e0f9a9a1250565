"""One delivery job: outbox event -> ledger rows (composed by the job, or found made up
front by the request: upfront.py) -> per row, concurrently: (look-up of an
unresolved attempt) -> rate limiter -> rules and attempt committed -> provider call ->
outcome committed. Each arrow is its own short transaction; no transaction is open during
a provider call. A row passes its rules and records its attempt in one transaction; an
email that carries a PDF also reads the PDF's data in it, and has the PDF rendered (in a
thread) after the commit, before the call: an SMS never waits for its email's PDF, and the
render no longer competes with the SMS's transaction for the interpreter."""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass

from domain.core.clock import Clock
from domain.core.db import Database
from domain.core.tx import Tx
from domain.notifications import attachments, resend_rule, service
from domain.notifications.port import Outgoing, PermanentFailure, TemporaryFailure
from domain.notifications.ratelimit import Limiter
from domain.notifications.rules import Deferral
from domain.notifications.service import JOB, Providers


@dataclass
class Pipeline:
    db: Database
    clock: Clock
    providers: Providers
    limiter: Limiter
    lease_seconds: float = 15.0  # provider timeout + margin
    public_url: str = ""  # links in messages and in the invoice PDF

    def tx(self, session: object) -> Tx:
        return Tx(session, JOB, self.clock)  # type: ignore[arg-type]

    async def deliver(self, outbox_id: str) -> str:
        """`missing`, `duplicate` (all settled before), `deferred` (a message waits for
        the end of the customer's quiet hours: domain/notifications/deferrals.py) or
        `sent` (every message settled); raises the TemporaryFailure (longest
        Retry-After) when one must be tried later."""
        async with self.db.lookup() as session:  # made up front (upfront.py) or by a rerun
            rows: list[service.Planned] | str = await service.planned(self.tx(session), outbox_id)
        if not rows:
            async with self.db.unit_of_work() as session:
                tx = self.tx(session)
                rows = await service.plan(
                    tx, self.providers, outbox_id, self.public_url, looked=True
                )
        if isinstance(rows, str):
            return rows
        outcomes = await asyncio.gather(
            *(self.deliver_row(r.row_id, r.channel, r.attachment is not None) for r in rows),
            return_exceptions=True,
        )
        later: TemporaryFailure | None = None
        waiting: Deferral | None = None
        worked = False
        for outcome in outcomes:
            if isinstance(outcome, TemporaryFailure):
                if later is None or (outcome.retry_after or 0) > (later.retry_after or 0):
                    later = outcome
            elif isinstance(outcome, Deferral):
                if waiting is None or outcome.until < waiting.until:
                    waiting = outcome
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                worked = outcome or worked
        if later is not None:
            raise later
        if waiting is not None:
            return "deferred"
        return "sent" if worked else "duplicate"

    async def give_up(self, outbox_id: str, exc: TemporaryFailure, tries: int) -> None:
        """The last try failed too: the event's unsettled messages end `failed` with the
        reason, never left `sending` (service.give_up)."""
        reason = f"gave up after {tries} tries: {exc}"
        async with self.db.unit_of_work() as session:
            tx = self.tx(session)
            rows = await service.prepare(tx, self.providers, outbox_id, self.public_url)
            if isinstance(rows, list):
                await service.give_up(tx, rows, reason, self.lease_seconds)

    async def deliver_row(
        self, row_id: int, channel: str | None = None, attachment: bool = True
    ) -> bool:
        """False when the row was settled already (a rerun of a finished job). With its
        `channel` known, the limiter is passed first and the rules and the attempt share
        one transaction (service.next_step's `start`); an email's `attachment` has its
        data read in that transaction too and is rendered after it (`with_files`). Measured
        (bench/results/notifications.md, 2026-12-08): a transaction of its own for the
        attempt and another for the PDF's data cost the email ~25 ms before its call."""
        early = channel is not None
        document: attachments.Document | None = None
        if early:
            await self.limiter.acquire(self.limiter_key(str(channel)))
        try:
            async with self.db.unit_of_work() as session:
                step = await service.next_step(
                    self.tx(session), row_id, self.lease_seconds, start=early
                )
                started = step.message if step.action == "send" else None
                if started is not None and attachment and step.channel == "email":
                    document = await attachments.wanted(self.tx(session), row_id, self.public_url)
        except Deferral as held:
            async with self.db.unit_of_work() as session:
                await service.held(self.tx(session), row_id, held.until)
            raise
        if step.action in ("done", "skipped"):
            return step.action == "skipped"
        message = step.message if step.action == "send" else None
        if message is not None and document is not None:
            message = await self.with_files(message, document)
        if step.action == "reconcile" and step.message and step.since:
            found = await self.providers.of(step.channel).lookup(step.message, step.since)
            async with self.db.unit_of_work() as session:
                step = await resend_rule.reconciled(
                    self.tx(session), step.message.attempt_id, found
                )
        if step.action != "send":
            return True
        if message is None:
            message = await self.start(row_id, step.channel, passed=early)
            if message is None:
                return True
        return await self.call(step.channel, message)

    def limiter_key(self, channel: str) -> str:
        return f"{channel}:{self.providers.of(channel).name}"

    async def start(self, row_id: int, channel: str, *, passed: bool) -> Outgoing | None:
        """The attempt of a row that needed its own start (a resend after a reconcile, a
        caller without its channel): the limiter (unless `passed` already), the attempt
        committed with an email's PDF data read in the same transaction, then the PDF
        rendered as for every other email (`with_files`)."""
        if not passed:
            await self.limiter.acquire(self.limiter_key(channel))
        document: attachments.Document | None = None
        async with self.db.unit_of_work() as session:
            message = await service.start_attempt(self.tx(session), row_id)
            if message is not None and channel == "email":
                document = await attachments.wanted(self.tx(session), row_id, self.public_url)
        if message is not None and document is not None:
            message = await self.with_files(message, document)
        return message

    async def with_files(self, message: Outgoing, document: attachments.Document) -> Outgoing:
        """The message of a committed attempt with its PDF, rendered off the loop. A render
        that fails leaves the attempt `refused` (the provider was not called: the next try
        renders and sends afresh, no look-up) and the job to retry."""
        try:
            files = (await asyncio.to_thread(attachments.render, document),)
        except Exception as exc:
            failure = TemporaryFailure(f"the attachment was not rendered: {exc!r}", code="render")
            async with self.db.unit_of_work() as session:
                await service.refused(self.tx(session), message.attempt_id, failure)
            raise failure from exc
        return dataclasses.replace(message, attachments=files)

    async def call(self, channel: str, message: Outgoing) -> bool:
        """The provider call of a committed attempt, then its outcome committed."""
        try:
            if channel == "sms":
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
