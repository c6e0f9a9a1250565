"""Group commit: concurrent calls that share a key run together in one transaction.

A gapless counter serialises its writers: each transaction holds the counter row from
numbering to commit, and under load most of that time is spent waiting for the event
loop between statements. Coalescing the calls that arrive while one transaction runs
into the next one moves the counter once per batch, pays for one commit and one round
trip per table, and needs no linger timer: a lone call runs at once, and batches grow
only when callers already queue.

Failure isolation: the batch function returns a DomainError in the place of an item
that fails its checks (the others go on). Anything it raises rolls the whole batch back,
and every item is then retried in a transaction of its own, so one poisoned item cannot
fail its neighbours.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Hashable, Sequence
from typing import Any, Generic, TypeVar

from domain.core.clock import Clock
from domain.core.db import Database
from domain.core.errors import DomainError
from domain.core.tx import Tx
from domain.core.viewer import Viewer

I = TypeVar("I")  # noqa: E741 - item
R = TypeVar("R")
BatchFn = Callable[[Tx, Sequence[I]], Awaitable[Sequence[R | DomainError]]]


class GroupCommit(Generic[I, R]):
    def __init__(self, db: Database, clock: Clock, fn: BatchFn[I, R], *, max_batch: int = 50):
        self.db = db
        self.clock = clock
        self.fn = fn
        self.max_batch = max_batch
        self._queues: dict[Hashable, list[tuple[I, asyncio.Future[R]]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.batches = 0  # transactions run, for tests and benchmarks
        self.largest = 0

    def submit(self, viewer: Viewer, item: I) -> asyncio.Future[R]:
        """Queues `item` for the next batch of this viewer's business and actor, at once;
        the future gives its result or raises its DomainError (or the database error of
        its own retry). Cancelling the future before its batch starts withdraws it."""
        key = (viewer.business_id, viewer.actor_label, viewer.role, viewer.scopes)
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = []
            self._spawn(self._drain(key, viewer))
        queue.append((item, future))
        return future

    async def _drain(self, key: Hashable, viewer: Viewer) -> None:
        queue = self._queues[key]
        try:
            while queue:
                batch = [(i, f) for i, f in queue[: self.max_batch] if not f.done()]
                del queue[: self.max_batch]
                if batch:  # callers that gave up before their batch began write nothing
                    await self._run(viewer, batch)
        finally:
            # No await between the emptiness check and this: a caller arriving now
            # starts a new drain.
            del self._queues[key]

    async def _run(self, viewer: Viewer, batch: list[tuple[I, asyncio.Future[R]]]) -> None:
        self.batches += 1
        self.largest = max(self.largest, len(batch))
        committed: list[Any] = []
        try:
            async with self.db.unit_of_work(relay_later=committed) as session:
                results = await self.fn(Tx(session, viewer, self.clock), [i for i, _ in batch])
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0][1], exc)
                return
            for one in batch:
                await self._run(viewer, [one])
            return
        for (_, future), result in zip(batch, results, strict=True):
            _settle(future, result)
        if committed:
            # Callers have their answers; relaying (broadcast, jobs, marking the rows) runs
            # beside the next batch instead of in front of it. The relay never raises, and
            # what it cannot hand over stays for the sweep.
            self._spawn(self.db.relay(committed))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Kept referenced until done (asyncio holds tasks weakly); close() awaits them."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Lets running batches finish (their callers are waiting for them)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def _settle(future: asyncio.Future[R], result: R | BaseException) -> None:
    if future.done():  # the caller went away; its write (if any) stands
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)
