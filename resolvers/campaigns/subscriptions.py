"""`campaignProgress(id)`: a campaign's status and stats after each change of it or of
one of its messages, on the business's event stream (resumable with `after`)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from domain.campaigns import events, service
from domain.core.errors import NotFound
from domain.core.stream import StreamEvent
from domain.core.viewer import Scope
from domain.notifications import events as ledger_events
from resolvers.base import Info, reading
from resolvers.stream import live_updates
from schema.relay import expect_id
from schema.types.campaigns.objects import Campaign, CampaignProgress, CampaignStats

TOPICS = (*events.TOPICS, ledger_events.STATUS_CHANGED)


@strawberry.type
class CampaignSubscriptions:
    @strawberry.subscription(
        description="Progress of one campaign as it sends: its status and stats after each "
        "change (a message accepted, delivered, skipped...). `after` resumes after a cursor."
    )
    async def campaign_progress(
        self, info: Info, id: strawberry.ID, after: str | None = None
    ) -> AsyncGenerator[CampaignProgress, None]:
        campaign_id = expect_id(id, "Campaign")
        async with reading(info) as tx:
            await service.get_campaign(tx, campaign_id)  # a foreign id is not found

        async def build(event: StreamEvent) -> CampaignProgress | None:
            if event.topic not in TOPICS or event.payload.get("campaignId") != campaign_id:
                return None
            async with reading(info) as tx:
                try:
                    row = await service.get_campaign(tx, campaign_id)
                except NotFound:
                    return None
                stats = await service.stats(tx, campaign_id)
            return CampaignProgress(
                cursor=event.cursor, campaign=Campaign.of(row), stats=CampaignStats.of(stats)
            )

        async for update in live_updates(info, Scope.CAMPAIGNS_READ, after, build):
            yield update
