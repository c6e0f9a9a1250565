"""The live customer-event subscription of the active business, resumable with `after`."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from domain.core.stream import StreamEvent
from domain.core.viewer import Scope
from resolvers.base import Info
from resolvers.stream import live_updates
from schema.relay import to_global_id
from schema.types.customers.objects import CustomerEvent

FIELDS = ("customerId", "number", "name", "profileType", "status")


async def _build(event: StreamEvent) -> CustomerEvent | None:
    """From the event's snapshot (the customer as committed; events written before
    snapshots existed carry the same fields in their payload): nothing is loaded."""
    if not event.topic.startswith("customer."):
        return None
    c = (event.snapshot or {}).get("customer") or event.payload
    if not all(key in c for key in FIELDS):
        return None
    return CustomerEvent(
        event_id=event.id,
        topic=event.topic,
        customer_id=to_global_id("Customer", c["customerId"]),
        number=c["number"],
        name=c["name"],
        profile_type=c["profileType"],
        status=c["status"],
        changed_fields=list(event.payload.get("fields", [])),
        cursor=event.cursor,
    )


@strawberry.type
class CustomerSubscriptions:
    @strawberry.subscription(
        description="Live customer changes of the active business; `after` resumes after "
        "an event's cursor."
    )
    async def customer_events(
        self, info: Info, after: str | None = None
    ) -> AsyncGenerator[CustomerEvent, None]:
        async for event in live_updates(info, Scope.CUSTOMERS_READ, after, _build):
            yield event
