"""One batch of a campaign lane, at a cost per batch rather than per message.

1. `prepare`, one transaction: the batch's recipients (still claimed by the lane), their
   ledger rows made at once under `campaign:<c>:<r>` (a rerun finds them), the rules
   applied set-based (domain/notifications/batch.py): opted-out, unconsenting and capped
   recipients end `done`, those in quiet hours wait, a quota refusal stops the campaign.
2. `send`: the lane takes rate-limiter tokens one at a time (one poller per lane, not one
   per message); each message with its token joins a group, and a group's attempts are
   written in one transaction and committed before its provider calls, which then run
   concurrently. A message waits for its group's commit only, never for tokens it does
   not hold: an attempt is never recorded long before its call, so a killed worker
   leaves at most the group it was starting unresolved (the look-up adopts what Twilio
   took; an uncertain marketing message is never resent).
3. Outcomes are grouped the same way: one transaction records the group's accepts and
   refusals, its history rows and live status events, bumps the SMS usage once and moves
   its recipients to `done` (or `waiting` after a provider's busy signal).

Rows with an unresolved attempt (a crashed run) go through the per-row pipeline, which
looks them up first (`Plan.single`)."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Generic, TypeVar

from domain.campaigns import service
from domain.campaigns.repository import CampaignRepository
from domain.core.failures import log_failure
from domain.core.viewer import Viewer
from domain.notifications import batch
from domain.notifications.compose import Draft
from domain.notifications.port import Outgoing, PermanentFailure, TemporaryFailure

if TYPE_CHECKING:
    from domain.campaigns.sending import Sender

log = logging.getLogger("khata.campaigns")
T = TypeVar("T")
R = TypeVar("R")


class Groups(Generic[T, R]):
    """Items handed in one at a time, written in groups by `write` (one transaction each):
    a group is written once `size` items wait, or once every item still expected waits
    (the batch's last ones); items that arrive while a group is written form the next."""

    def __init__(
        self, write: Callable[[list[T]], Awaitable[list[R]]], expected: int, size: int
    ) -> None:
        self.write = write
        self.expected = expected
        self.size = max(1, size)
        self.waiting: list[tuple[T, asyncio.Future[R]]] = []
        self.writing: asyncio.Task[None] | None = None
        self.writes = 0

    async def put(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self.waiting.append((item, future))
        self._next()
        return await future

    def forget(self) -> None:
        """An expected item will never come (its message ended before this step)."""
        self.expected -= 1
        self._next()

    def _next(self) -> None:
        if self.writing is not None or not self.waiting:
            return
        if len(self.waiting) >= min(self.size, self.expected):
            group, self.waiting = self.waiting, []
            self.expected -= len(group)
            self.writing = asyncio.create_task(self._write(group))

    async def _write(self, group: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self.write([item for item, _ in group])
        except Exception as exc:
            for _, future in group:
                future.set_exception(exc)
        else:
            for (_, future), result in zip(group, results, strict=True):
                future.set_result(result)
        finally:
            self.writes += 1
            self.writing = None
            self._next()


@dataclass(frozen=True)
class Item:
    recipient_id: int
    row_id: int


@dataclass
class Prepared:
    campaign_id: int = 0
    send: list[Item] = field(default_factory=list)
    single: list[Item] = field(default_factory=list)  # for the per-row pipeline


async def prepare(s: Sender, viewer: Viewer, token: str, ids: list[int]) -> Prepared:
    async with s.db.unit_of_work() as session:
        tx = s.tx(session, viewer)
        r = CampaignRepository(session, viewer)
        recs = await r.claimed_batch(ids, token)
        if not recs:
            return Prepared()
        c = await r.campaign(recs[0].campaign_id)
        if c is None or c.status != "sending":
            for rec in recs:
                rec.state = "cancelled"
            return Prepared()
        business = await s.business(tx, c.business_id)
        customers = {x.id: x for x in await r.customers([rec.customer_id for rec in recs])}
        today = service.today_of(tx, business)
        by_key = {s.key(c.id, rec.id): rec for rec in recs}

        def draft_of(key: str) -> Draft:
            rec = by_key[key]
            found = customers.get(rec.customer_id)
            name = found.name if found is not None else ""
            return s.compose(c, business, rec, name, today)

        rows = await batch.record_many(
            tx, s.pipeline.providers, list(by_key), draft_of, c.business_id
        )
        of_row = {}
        for key, rec in by_key.items():
            rec.notification_id = rows[key].id
            of_row[rows[key].id] = rec
        plan = await batch.plan_many(tx, list(rows.values()), customers, business.timezone)
        for row_id, until in plan.held.items():
            of_row[row_id].state, of_row[row_id].due_at = "waiting", until
        for row_id in plan.ended:
            of_row[row_id].state = "done"
        stop = next((code for code in plan.ended.values() if code in s.quota_codes), None)
        if stop is not None:
            await s.stop(tx, r, c.id, stop)
        return Prepared(
            c.id,
            [Item(of_row[row.id].id, row.id) for row in plan.send],
            [Item(of_row[i].id, i) for i in plan.single],
        )


Finished = tuple[Item, str, batch.Outcome]


async def send(s: Sender, viewer: Viewer, token: str, prepared: Prepared) -> tuple[int, int]:
    """The batch's messages, paced by the shared limiter; returns the number of attempt
    and outcome transactions (tests)."""
    items = prepared.send
    provider = s.pipeline.providers.sms
    account = f"sms:{provider.name}"

    async def start(group: list[Item]) -> list[Outgoing | None]:
        return await _start(s, viewer, token, prepared.campaign_id, group)

    async def finish(group: list[Finished]) -> list[None]:
        return await _finish(s, viewer, token, group)

    starts: Groups[Item, Outgoing | None] = Groups(start, len(items), s.group)
    finishes: Groups[Finished, None] = Groups(finish, len(items), s.group)

    async def after_token(item: Item) -> None:
        try:
            message = await starts.put(item)
        except Exception as exc:  # the claims go stale and another lane resumes them
            finishes.forget()
            log_failure(log, "campaign attempts failed", exc)
            return
        if message is None:
            finishes.forget()
            return
        result: batch.Outcome
        try:
            result = await provider.send_sms(message)
        except (TemporaryFailure, PermanentFailure) as exc:
            result = exc
        except Exception as exc:  # no outcome: the look-up settles it after the lease
            finishes.forget()
            log_failure(log, "campaign send failed", exc)
            return
        try:
            await finishes.put((item, message.attempt_id, result))
        except Exception as exc:  # the callbacks or the look-up adopt it
            log_failure(log, "campaign outcomes failed", exc)

    tasks: list[asyncio.Task[None]] = []
    taken = 0
    try:
        for item in items:
            await s.pipeline.limiter.acquire(account)
            tasks.append(asyncio.create_task(after_token(item)))
            taken += 1
    finally:
        for _ in range(len(items) - taken):
            starts.forget()
            finishes.forget()
        await asyncio.gather(*tasks)
    return starts.writes, finishes.writes


async def _start(
    s: Sender, viewer: Viewer, token: str, campaign_id: int, group: list[Item]
) -> list[Outgoing | None]:
    """One transaction: the group's attempts, unless the campaign was cancelled."""
    async with s.db.unit_of_work() as session:
        tx = s.tx(session, viewer)
        r = CampaignRepository(session, viewer)
        c = await r.campaign(campaign_id)
        if c is None or c.status != "sending":
            await r.release([i.recipient_id for i in group], token, "cancelled")
            return [None] * len(group)
        started = await batch.start_many(tx, [i.row_id for i in group])
        # settled meanwhile, or another run's attempt in flight: the next claim decides
        later = [i.recipient_id for i in group if i.row_id not in started]
        await r.release(later, token, "waiting", _after(tx.now(), s.busy_seconds))
        return [started.get(i.row_id) for i in group]


async def _finish(s: Sender, viewer: Viewer, token: str, group: list[Finished]) -> list[None]:
    """One transaction: the group's outcomes and its recipients' new states."""
    async with s.db.unit_of_work() as session:
        tx = s.tx(session, viewer)
        await batch.finish_many(tx, [(attempt, result) for _, attempt, result in group])
        r = CampaignRepository(session, viewer)
        done = [i.recipient_id for i, _, res in group if not isinstance(res, TemporaryFailure)]
        await r.release(done, token, "done")
        later: dict[datetime, list[int]] = defaultdict(list)
        for item, _, res in group:
            if isinstance(res, TemporaryFailure):
                due = _after(tx.now(), res.retry_after or s.busy_seconds)
                later[due].append(item.recipient_id)
        for due, ids in later.items():
            await r.release(ids, token, "waiting", due)
    return [None] * len(group)


def _after(now: datetime, seconds: float) -> datetime:
    return now + timedelta(seconds=seconds)
