"""The long-lived connections (WebSockets) this process holds, indexed by the credentials
they stand on, so that a revocation ends them within seconds.

A connection authenticates once, at its start. Whatever later ends its credentials
(sign-out, a revoked API key, removal from the business) is an event: the service writes
it as an outbox row in the same transaction (see domain/accounts/revocation.py), the relay
publishes it on the deployment-wide `revocations` channel, and every API process, which
listens on that channel from its start, ends the matching connections here. An expiring
session is ended at its own expiry time, which the connection knows. Nothing is guessed
and nothing is read again from the database per event."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.core.clock import Clock
from domain.core.events import EventHub, SubscriptionClosed

log = logging.getLogger("khata.live")

REVOCATIONS = "revocations"  # the deployment-wide channel (namespaced on the wire)

Key = tuple[Any, ...]  # what a connection stands on: ("token", 7), ("member", 3, 12), ...
Closer = Callable[[str, str], Awaitable[None]]  # (error code, reason) -> closes the socket


@dataclass(frozen=True)
class Ending:
    """Why a connection ended: a domain error code (UNAUTHENTICATED, PERMISSION_DENIED)
    and a reason for the client."""

    code: str
    reason: str


EXPIRED = Ending("UNAUTHENTICATED", "session expired; sign in again")


@dataclass(eq=False)
class LiveConnection:
    keys: tuple[Key, ...]
    close: Closer
    expires_at: datetime | None = None
    ended: Ending | None = None
    # its entry in the process's expiry heap: [at, order, connection or None once gone]
    expiry: list[Any] | None = field(default=None, repr=False)


Recheck = Callable[[set[Key]], Awaitable[dict[Key, "Ending"]]]
"""Which of these keys no longer hold, and why: one batch read, run only when the
revocations channel was interrupted (revocations may have been missed meanwhile)."""


class LiveConnections:
    def __init__(self, hub: EventHub, clock: Clock, recheck: Recheck | None = None) -> None:
        self.hub = hub
        self.clock = clock
        self.recheck = recheck
        self._by_key: dict[Key, set[LiveConnection]] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self._listener: asyncio.Task[None] | None = None
        # Expiring sessions: one heap and one timer task for the process, not a sleeping
        # task per connection (bench/subscription_memory.py); a forgotten connection's
        # entry is emptied in place and skipped (the heapq documentation's recipe).
        self._expiries: list[list[Any]] = []
        self._order = itertools.count()
        self._expirer: asyncio.Task[None] | None = None
        self._expirer_at: datetime | None = None
        self._gone = 0  # emptied entries still in the heap
        self.listening = asyncio.Event()
        self.ended = 0  # connections ended by a revocation or an expiry (metrics, tests)

    # -- the channel -------------------------------------------------------------------
    async def start(self) -> None:
        """Subscribe to the revocations channel (once per process); returns when listening."""
        if self._listener is None:
            self._listener = asyncio.create_task(self._listen())
            await self.listening.wait()

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        for connection in [c for group in self._by_key.values() for c in group]:
            self.forget(connection)
        if self._expirer is not None:
            self._expirer.cancel()
            self._expirer = None
        self._expiries.clear()
        self._gone = 0

    async def _listen(self) -> None:
        interrupted = False
        while True:
            try:
                async with self.hub.subscribe(REVOCATIONS) as events:
                    self.listening.set()
                    if interrupted:  # listening again: now look for what was missed
                        interrupted = False
                        await self._recheck()
                    async for message in events:
                        self.revoke(_keys(message["payload"]), _ending(message["payload"]))
            except asyncio.CancelledError:
                raise
            except SubscriptionClosed:
                log.warning("revocations channel interrupted; resubscribing")
                interrupted = True
            except Exception:
                log.exception("revocations listener failed; resubscribing")
                interrupted = True
            self.listening.set()
            await asyncio.sleep(0.1)

    async def _recheck(self) -> None:
        keys = set(self._by_key)
        if not keys:
            return
        if self.recheck is None:
            self.revoke_all(Ending("UNAUTHENTICATED", "reconnect and sign in again"))
            return
        try:
            lapsed = await self.recheck(keys)
        except Exception:
            log.exception("could not recheck open connections; ending them")
            self.revoke_all(Ending("UNAUTHENTICATED", "reconnect and sign in again"))
            return
        for key, ending in lapsed.items():
            self.revoke([key], ending)

    # -- connections -------------------------------------------------------------------
    def open(
        self, keys: Iterable[Key], close: Closer, *, expires_at: datetime | None = None
    ) -> LiveConnection:
        connection = LiveConnection(tuple(keys), close, expires_at)
        for key in connection.keys:
            self._by_key.setdefault(key, set()).add(connection)
        if expires_at is not None:
            connection.expiry = [expires_at, next(self._order), connection]
            heapq.heappush(self._expiries, connection.expiry)
            if self._expirer_at is None or expires_at < self._expirer_at:
                self._wake_expirer()
        return connection

    def forget(self, connection: LiveConnection) -> None:
        """The connection is gone (closed by either side)."""
        for key in connection.keys:
            group = self._by_key.get(key)
            if group is not None:
                group.discard(connection)
                if not group:
                    del self._by_key[key]
        if connection.expiry is not None:
            connection.expiry[2] = None  # skipped when its time comes
            connection.expiry = None
            self._gone += 1
            if self._gone > 64 and self._gone * 2 > len(self._expiries):  # keep it small
                self._expiries[:] = [e for e in self._expiries if e[2] is not None]
                heapq.heapify(self._expiries)
                self._gone = 0

    def count(self) -> int:
        return len({c for group in self._by_key.values() for c in group})

    def revoke(self, keys: Iterable[Key], ending: Ending) -> int:
        """End every connection standing on one of `keys`; returns how many."""
        hit = {c for key in keys for c in self._by_key.get(key, ())}
        for connection in hit:
            self._end(connection, ending)
        return len(hit)

    def revoke_all(self, ending: Ending) -> None:
        for connection in {c for group in self._by_key.values() for c in group}:
            self._end(connection, ending)

    def _wake_expirer(self) -> None:
        """(Re)starts the timer for the earliest expiry."""
        if self._expirer is not None and self._expirer is not asyncio.current_task():
            self._expirer.cancel()
        self._expirer_at = self._expiries[0][0]
        self._expirer = asyncio.create_task(self._expire())

    async def _expire(self) -> None:
        """Ends each connection at its expiry, earliest first, until none is left."""
        heap = self._expiries
        while heap:
            at = heap[0][0]
            self._expirer_at = at
            await self.clock.sleep_until(at)
            now = self.clock.now()
            while heap and heap[0][0] <= now:
                connection = heapq.heappop(heap)[2]
                if connection is None:
                    self._gone -= 1
                else:
                    connection.expiry = None  # out of the heap already
                    self._end(connection, EXPIRED)
        self._expirer, self._expirer_at = None, None

    def _end(self, connection: LiveConnection, ending: Ending) -> None:
        if connection.ended is not None:
            return
        connection.ended = ending  # refused from now on, before the close frame is out
        self.ended += 1
        self.forget(connection)
        task = asyncio.create_task(self._close(connection, ending))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    @staticmethod
    async def _close(connection: LiveConnection, ending: Ending) -> None:
        try:
            await connection.close(ending.code, ending.reason)
        except Exception as exc:  # the peer may be gone already
            log.debug("closing a revoked connection failed: %s", exc)


def _keys(payload: dict[str, Any]) -> list[Key]:
    return [tuple(key) for key in payload.get("keys", [])]


def _ending(payload: dict[str, Any]) -> Ending:
    return Ending(str(payload.get("code", "UNAUTHENTICATED")), str(payload.get("reason", "")))
