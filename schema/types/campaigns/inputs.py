"""Inputs of the campaigns context's mutations."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry

from domain.campaigns.audience import Audience, AudienceKind
from domain.campaigns.service import CampaignData
from domain.notifications.dlt import DltRegistration
from schema.relay import expect_id
from schema.types.notifications.inputs import DltRegistrationInput

IDEMPOTENCY = (
    "Optional (1-120 characters): a retry with the same key returns the first result "
    "(replayed: true); the same key with a different input is a ConflictError."
)


@strawberry.input(description="Each kind takes its own value: see CampaignAudienceKind.")
class CampaignAudienceInput:
    kind: AudienceKind
    days: int | None = None
    amount: Decimal | None = None
    tags: list[str] | None = None
    customer_ids: list[strawberry.ID] | None = None

    def to_domain(self) -> Audience:
        ids = tuple(
            expect_id(i, "Customer", "audience.customerIds") for i in self.customer_ids or ()
        )
        return Audience(
            self.kind,
            self.days,
            self.amount,
            tuple(t.strip() for t in self.tags or ()),
            tuple(dict.fromkeys(ids)),
        )


@strawberry.input(
    description="Placeholders: {{name}}, {{business}}, {{offer}}, {{date}} (the offer's "
    "last day, else the sending day), {{link}}. SMS to Indian numbers need `dlt`."
)
class CreateCampaignInput:
    name: str
    body: str
    audience: CampaignAudienceInput
    language: str = "en"
    offer: str | None = None
    offer_until: date | None = None
    dlt: DltRegistrationInput | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY)

    def to_domain(self) -> CampaignData:
        d = self.dlt
        reg = (
            None
            if d is None
            else DltRegistration(
                d.entity_id.strip(), d.template_id.strip(), d.sender_id.strip(), d.registered_text
            )
        )
        return CampaignData(
            name=self.name,
            body=self.body,
            audience=self.audience.to_domain(),
            language=self.language.strip(),
            offer=self.offer,
            offer_until=self.offer_until,
            dlt=reg,
        )


@strawberry.input
class SendCampaignInput:
    id: strawberry.ID
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY)


@strawberry.input
class ScheduleCampaignInput:
    id: strawberry.ID
    at: datetime = strawberry.field(description="A future time, with its UTC offset.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY)


@strawberry.input
class CancelCampaignInput:
    id: strawberry.ID
