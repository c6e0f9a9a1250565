"""Payloads of the campaigns context's mutations."""

from __future__ import annotations

import strawberry

from schema.types.campaigns.objects import Campaign


@strawberry.type
class CampaignPayload:
    campaign: Campaign
    replayed: bool = strawberry.field(
        default=False, description="True when an idempotency key returned an earlier result."
    )
