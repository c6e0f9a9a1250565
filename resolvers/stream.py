"""Subscriptions on the event stream (domain/core/stream.py): authorisation at subscribe
time, the per-connection and per-user limits, and the cursor of each event set on the
context before it is yielded, so the WebSocket layer can renew a long-running stream with
`after: <that cursor>`; and the connection's DataLoaders are renewed per event (nested
fields such as `Order.timeline` read what is committed now, not what an earlier event
cached). A subscription plugs in with a scope and a `build` that turns a
stream event into its GraphQL object (or None to skip it)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Hashable
from typing import TYPE_CHECKING, TypeVar

from domain.core import snapshots
from domain.core.orm import Base
from domain.core.stream import StreamEvent, SubscriptionLimit, follow
from domain.core.viewer import Scope, Viewer
from resolvers.base import Info

if TYPE_CHECKING:
    from schema.context import Context

T = TypeVar("T")
M = TypeVar("M", bound=Base)
Build = Callable[[StreamEvent], Awaitable[T | None]]


def snapshot_row(event: StreamEvent, key: str, model: type[M]) -> M | None:
    """The event's `key` object as its transaction committed it (outbox.emit(snapshot=)),
    as a detached row for the type's `from_row`: no load per subscription. None when the
    event carries none (written before snapshots existed) or names another business (a
    stream is one business's; never expected, checked anyway)."""
    data = (event.snapshot or {}).get(key)
    if data is None or data.get("business_id", event.business_id) != event.business_id:
        return None
    return snapshots.restore(model, data)


def stream_owner(viewer: Viewer) -> tuple[str, int | None]:
    if viewer.api_key_id is not None:
        return ("key", viewer.api_key_id)
    return ("user", viewer.user_id)


async def live_updates(
    info: Info, scope: Scope, after: str | None, build: Build[T]
) -> AsyncGenerator[T, None]:
    """The business's stream after `after` (or from now), built and filtered by `build`.
    The connection's DataLoaders are renewed per event (nested fields read what is
    committed now, not what an earlier event cached). One generator over `follow`, not
    a chain of them: each suspended generator is kept for the subscription's life."""
    ctx = info.context
    viewer = await ctx.require_viewer()
    business_id = viewer.require_business(scope)
    # a subscription group's members hold their limits themselves (the WebSocket layer)
    held = None if ctx.shared else holding(ctx, stream_owner(viewer))
    if held is not None:
        held.__enter__()
    try:
        async for event in follow(ctx.rt.hub, ctx.rt.db, [business_id], after):
            ctx.renew_loaders()  # the event's objects as they are now, not cached
            item = await build(event)
            if item is not None:
                ctx.stream_cursor = event.cursor
                yield item
    finally:
        if held is not None:
            held.__exit__(None, None, None)


def can_open(ctx: Context, owner: Hashable) -> bool:
    """Whether the connection and the owner may open one more stream (`holding` raises
    SUBSCRIPTION_LIMIT if not)."""
    limit = ctx.rt.settings.max_subscriptions_per_connection
    return ctx.streams_open < limit and ctx.rt.slots.can_hold(owner)


class Holding:
    """One open stream of the connection and of its owner, within both limits, for as
    long as the `with` lasts; the resolver and the WebSocket layer (one per member of a
    group) hold it the same way. A slotted object rather than generator context managers
    held open per subscriber (bench/subscription_memory.py)."""

    __slots__ = ("ctx", "owner")

    def __init__(self, ctx: Context, owner: Hashable) -> None:
        self.ctx = ctx
        self.owner = owner

    def __enter__(self) -> None:
        limit = self.ctx.rt.settings.max_subscriptions_per_connection
        if self.ctx.streams_open >= limit:
            raise SubscriptionLimit(f"at most {limit} open subscriptions per connection")
        self.ctx.rt.slots.take(self.owner)
        self.ctx.streams_open += 1

    def __exit__(self, *exc: object) -> None:
        self.ctx.streams_open -= 1
        self.ctx.rt.slots.give_back(self.owner)


def holding(ctx: Context, owner: Hashable) -> Holding:
    """Raises SUBSCRIPTION_LIMIT on entry past either limit."""
    return Holding(ctx, owner)
