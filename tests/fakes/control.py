"""What a fake provider does with the next send requests: accept, refuse with 429 (and a
Retry-After), fail with 5xx, hang until the client gives up, or accept and hold the answer
until the test releases it (a worker killed between the provider's accept and our commit).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from starlette.responses import Response

ACCEPT = "accept"
HANG = "hang"
HOLD = "hold"


@dataclass
class Busy:
    status: int = 429
    retry_after: float | None = 1.0


@dataclass
class Control:
    plan: list[str | Busy] = field(default_factory=list)
    sends: int = 0  # send requests seen, whatever was answered
    blind: bool = False  # look-ups find nothing: the provider cannot tell
    held: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    closing: asyncio.Event = field(default_factory=asyncio.Event)

    def next_sends(self, *behaviours: str | Busy) -> None:
        self.plan.extend(behaviours)

    # set: only sends whose recipient and text contain it follow the plan and are counted
    # (a worker process on the suite's database may also send other tests' leftovers)
    only: str | None = None

    def take(self, text: str = "") -> str | Busy:
        if self.only is not None and self.only not in text:
            return ACCEPT
        self.sends += 1
        return self.plan.pop(0) if self.plan else ACCEPT

    async def hang(self) -> Response:
        """Never answers (until the fake shuts down): the client's timeout fires."""
        await self.closing.wait()
        return Response(status_code=504)

    async def hold(self) -> None:
        """The message is stored; the answer waits for `release` (or shutdown)."""
        self.held.set()
        release = asyncio.create_task(self.release.wait())
        closing = asyncio.create_task(self.closing.wait())
        await asyncio.wait({release, closing}, return_when=asyncio.FIRST_COMPLETED)
        release.cancel()
        closing.cancel()

    @staticmethod
    def busy(b: Busy, body: bytes) -> Response:
        headers = {} if b.retry_after is None else {"Retry-After": str(int(b.retry_after))}
        return Response(body, status_code=b.status, headers=headers, media_type="application/json")
