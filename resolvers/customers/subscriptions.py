"""The live customer-event subscription of the active business."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from domain.core.viewer import Scope
from domain.customers import service
from resolvers.base import Info
from schema.relay import to_global_id
from schema.types.customers.objects import (
    CustomerEvent,
)


@strawberry.type
class CustomerSubscriptions:
    @strawberry.subscription(description="Live customer changes of the active business.")
    async def customer_events(self, info: Info) -> AsyncGenerator[CustomerEvent, None]:
        viewer = await info.context.require_viewer()
        business_id = viewer.require_business(Scope.CUSTOMERS_READ)
        async with info.context.rt.hub.subscribe(service.channel_for(business_id)) as events:
            async for message in events:
                p = message["payload"]
                if "customerId" not in p:
                    continue
                yield CustomerEvent(
                    event_id=message["id"],
                    topic=message["topic"],
                    customer_id=to_global_id("Customer", p["customerId"]),
                    number=p["number"],
                    name=p["name"],
                    profile_type=p["profileType"],
                    status=p["status"],
                    changed_fields=list(p.get("fields", [])),
                )
