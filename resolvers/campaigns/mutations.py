"""Campaign mutations: create, send now, schedule, cancel. Create, send and schedule take
the optional idempotency key."""

from __future__ import annotations

import strawberry

from domain.campaigns import service
from domain.core import idempotency
from domain.core.tx import Tx
from domain.core.viewer import Scope
from resolvers.access import needs
from resolvers.base import Info, mutate
from schema.errors import result
from schema.relay import expect_id
from schema.types.campaigns.inputs import (
    CancelCampaignInput,
    CreateCampaignInput,
    ScheduleCampaignInput,
    SendCampaignInput,
)
from schema.types.campaigns.objects import Campaign
from schema.types.campaigns.payloads import CampaignPayload


@strawberry.type
class CampaignMutations:
    @strawberry.mutation(
        description="A draft campaign. The message is checked like a saved template "
        "(placeholders, braces, DLT); a hand-picked audience must be the business's own "
        "customers.",
        extensions=[needs(Scope.CAMPAIGNS_WRITE)],
    )
    async def create_campaign(self, info: Info, input: CreateCampaignInput) -> result(
        "CreateCampaignResult", CampaignPayload
    ):
        async def run(tx: Tx) -> CampaignPayload:
            data = input.to_domain()
            outcome = await idempotency.once(
                tx,
                "createCampaign",
                input.idempotency_key,
                data,
                create=lambda: service.create_campaign(tx, data),
                load=lambda id: service.get_campaign(tx, id),
            )
            return CampaignPayload(campaign=Campaign.of(outcome.record), replayed=outcome.replayed)

        return await mutate(info, run)

    @strawberry.mutation(
        description="Sends a draft or scheduled campaign now: the recipient list is frozen "
        "and the messages go out at the provider's rate.",
        extensions=[needs(Scope.CAMPAIGNS_WRITE)],
    )
    async def send_campaign(self, info: Info, input: SendCampaignInput) -> result(
        "SendCampaignResult", CampaignPayload
    ):
        async def run(tx: Tx) -> CampaignPayload:
            row_id = expect_id(input.id, "Campaign")
            outcome = await idempotency.once(
                tx,
                "sendCampaign",
                input.idempotency_key,
                {"id": row_id},
                create=lambda: service.send_now(tx, row_id),
                load=lambda id: service.get_campaign(tx, id),
            )
            return CampaignPayload(campaign=Campaign.of(outcome.record), replayed=outcome.replayed)

        return await mutate(info, run)

    @strawberry.mutation(
        description="Sends a draft (or moves a scheduled) campaign at a future time.",
        extensions=[needs(Scope.CAMPAIGNS_WRITE)],
    )
    async def schedule_campaign(self, info: Info, input: ScheduleCampaignInput) -> result(
        "ScheduleCampaignResult", CampaignPayload
    ):
        async def run(tx: Tx) -> CampaignPayload:
            row_id = expect_id(input.id, "Campaign")
            outcome = await idempotency.once(
                tx,
                "scheduleCampaign",
                input.idempotency_key,
                {"id": row_id, "at": input.at},
                create=lambda: service.schedule(tx, row_id, input.at),
                load=lambda id: service.get_campaign(tx, id),
            )
            return CampaignPayload(campaign=Campaign.of(outcome.record), replayed=outcome.replayed)

        return await mutate(info, run)

    @strawberry.mutation(
        description="Cancels a draft, scheduled or sending campaign; while sending, the "
        "recipients not yet reached are not messaged.",
        extensions=[needs(Scope.CAMPAIGNS_WRITE)],
    )
    async def cancel_campaign(self, info: Info, input: CancelCampaignInput) -> result(
        "CancelCampaignResult", CampaignPayload
    ):
        async def run(tx: Tx) -> CampaignPayload:
            row = await service.cancel(tx, expect_id(input.id, "Campaign"))
            return CampaignPayload(campaign=Campaign.of(row))

        return await mutate(info, run)
