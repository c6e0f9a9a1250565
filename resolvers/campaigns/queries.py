"""Campaign reads: history (keyset pages), one campaign, its stats, its recipients with
their ledger status, a preview, and seed 004's pre-built templates."""

from __future__ import annotations

import strawberry

from domain.campaigns import service
from domain.campaigns.prebuilt import PREBUILT
from domain.core.viewer import Scope
from resolvers.access import needs
from resolvers.base import Info, reading
from schema.relay import Edge, expect_id, page_info
from schema.types.campaigns.objects import (
    Campaign,
    CampaignConnection,
    CampaignPreview,
    CampaignRecipient,
    CampaignRecipientConnection,
    CampaignStats,
    CampaignTemplate,
)


@strawberry.type
class CampaignQueries:
    @strawberry.field(
        description="The business's campaigns, newest first. Keyset-paginated.",
        extensions=[needs(Scope.CAMPAIGNS_READ)],
    )
    async def campaigns(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> CampaignConnection:
        cap = info.context.rt.settings.max_page_size
        async with reading(info) as tx:
            page = await service.list_campaigns(tx, first, after, cap)
        cursors = list(page.cursors)
        return CampaignConnection(
            edges=[
                Edge(cursor=c, node=Campaign.of(row))
                for row, c in zip(page.items, cursors, strict=True)
            ],
            page_info=page_info(cursors, page.has_next_page, page.has_previous_page),
        )

    @strawberry.field(extensions=[needs(Scope.CAMPAIGNS_READ)])
    async def campaign(self, info: Info, id: strawberry.ID) -> Campaign:
        row_id = expect_id(id, "Campaign")
        async with reading(info) as tx:
            return Campaign.of(await service.get_campaign(tx, row_id))

    @strawberry.field(
        description="Sent, delivered, failed, skipped, opted out: from the delivery ledger.",
        extensions=[needs(Scope.CAMPAIGNS_READ)],
    )
    async def campaign_stats(self, info: Info, id: strawberry.ID) -> CampaignStats:
        row_id = expect_id(id, "Campaign")
        async with reading(info) as tx:
            return CampaignStats.of(await service.stats(tx, row_id))

    @strawberry.field(
        description="A campaign's recipients (frozen when sending started) with their "
        "message's status. Keyset-paginated.",
        extensions=[needs(Scope.CAMPAIGNS_READ)],
    )
    async def campaign_recipients(
        self, info: Info, id: strawberry.ID, first: int | None = 20, after: str | None = None
    ) -> CampaignRecipientConnection:
        row_id = expect_id(id, "Campaign")
        cap = info.context.rt.settings.max_page_size
        async with reading(info) as tx:
            page = await service.recipients(tx, row_id, first, after, cap)
        cursors = list(page.cursors)
        return CampaignRecipientConnection(
            edges=[
                Edge(cursor=c, node=CampaignRecipient.of(r, n))
                for (r, n), c in zip(page.items, cursors, strict=True)
            ],
            page_info=page_info(cursors, page.has_next_page, page.has_previous_page),
        )

    @strawberry.field(
        description="Who the campaign would reach now, its cost in SMS segments and a few "
        "rendered samples. A message that cannot go out (no DLT registration for Indian "
        "numbers, a text that does not match it) is a typed error.",
        extensions=[needs(Scope.CAMPAIGNS_READ)],
    )
    async def preview_campaign(self, info: Info, id: strawberry.ID) -> CampaignPreview:
        row_id = expect_id(id, "Campaign")
        link = info.context.rt.settings.public_url.rstrip("/")
        async with reading(info) as tx:
            return CampaignPreview.of(await service.preview(tx, row_id, link))

    @strawberry.field(
        description="Seed 004's pre-built campaign messages.",
        extensions=[needs(Scope.CAMPAIGNS_READ)],
    )
    def campaign_templates(self) -> list[CampaignTemplate]:
        return [CampaignTemplate.of(t) for t in PREBUILT]
