"""GraphQL objects of SMS campaigns: the campaign, its audience, stats, preview,
recipients, the pre-built templates and live progress."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import strawberry

from domain.campaigns import service
from domain.campaigns.audience import AudienceKind
from domain.campaigns.models import Campaign as CampaignRow
from domain.campaigns.models import CampaignRecipient as RecipientRow
from domain.campaigns.prebuilt import PrebuiltTemplate
from domain.core.contact import mask_phone
from domain.notifications.models import NotificationLog
from schema.relay import Edge, PageInfo, to_global_id

strawberry.enum(  # registered in place: annotations use the domain enum
    AudienceKind,
    name="CampaignAudienceKind",
    description="inactive: no sale in `days` days; vip: spent more than `amount`; "
    "low_spenders: spent less than `amount`; all_active: every active customer with a "
    "phone; tags: tagged with any of `tags`; customers: the hand-picked `customerIds`.",
)


@strawberry.enum(description="draft -> scheduled -> sending -> sent; cancelled before sent.")
class CampaignStatus(Enum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    CANCELLED = "cancelled"


@strawberry.type
class CampaignAudience:
    kind: AudienceKind
    days: int | None
    amount: Decimal | None
    tags: list[str]
    customer_ids: list[strawberry.ID]


@strawberry.type(description="Counts from the delivery ledger, in step with its webhooks.")
class CampaignStats:
    recipients: int = strawberry.field(description="Frozen when sending started.")
    queued: int = strawberry.field(description="Not handled yet.")
    sent: int = strawberry.field(description="Taken by the provider.")
    delivered: int
    failed: int
    skipped: int = strawberry.field(
        description="Not sent by rule: the daily marketing cap, or the SMS quota ran out."
    )
    opted_out: int = strawberry.field(description="STOP replies or no marketing consent.")
    cancelled: int

    @classmethod
    def of(cls, s: service.Stats) -> CampaignStats:
        return cls(**vars(s))


@strawberry.type(description="An SMS campaign (seed 004).")
class Campaign:
    id: strawberry.ID
    name: str
    body: str = strawberry.field(description="The message template with {{placeholders}}.")
    language: str
    offer: str | None
    offer_until: date | None = strawberry.field(description="Fills {{date}}.")
    audience: CampaignAudience
    status: CampaignStatus
    stop_reason: str | None = strawberry.field(
        description="Why it stopped early (SMS_QUOTA_EXCEEDED...)."
    )
    scheduled_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    cancelled_at: datetime | None
    recipient_count: int = strawberry.field(description="Frozen when sending started.")
    created_at: datetime

    @classmethod
    def of(cls, c: CampaignRow) -> Campaign:
        return cls(
            id=to_global_id("Campaign", c.id),
            name=c.name,
            body=c.body,
            language=c.language,
            offer=c.offer,
            offer_until=c.offer_until,
            audience=CampaignAudience(
                kind=AudienceKind(c.audience),
                days=c.audience_days,
                amount=c.audience_amount,
                tags=list(c.audience_tags or ()),
                customer_ids=[to_global_id("Customer", int(i)) for i in c.audience_customer_ids],
            ),
            status=CampaignStatus(c.status),
            stop_reason=c.stop_reason,
            scheduled_at=c.scheduled_at,
            started_at=c.started_at,
            finished_at=c.finished_at,
            cancelled_at=c.cancelled_at,
            recipient_count=c.recipient_count,
            created_at=c.created_at,
        )


@strawberry.type
class CampaignConnection:
    edges: list[Edge[Campaign]]
    page_info: PageInfo


@strawberry.type
class CampaignSample:
    customer_id: strawberry.ID
    name: str
    phone: str | None = strawberry.field(description="Masked.")
    body: str
    segments: int
    encoding: str = strawberry.field(description="GSM-7 or UCS-2.")


@strawberry.type(description="Who a campaign would reach now, and what it costs.")
class CampaignPreview:
    recipients: int
    segments_per_message: int = strawberry.field(description="Of the longest sample.")
    estimated_segments: int = strawberry.field(description="recipients x segmentsPerMessage.")
    samples: list[CampaignSample]

    @classmethod
    def of(cls, p: service.Preview) -> CampaignPreview:
        return cls(
            recipients=p.recipients,
            segments_per_message=p.segments_per_message,
            estimated_segments=p.estimated_segments,
            samples=[
                CampaignSample(
                    customer_id=to_global_id("Customer", s.customer_id),
                    name=s.name,
                    phone=mask_phone(s.phone),
                    body=s.body,
                    segments=s.segments,
                    encoding=s.encoding,
                )
                for s in p.samples
            ],
        )


@strawberry.type(description="One recipient of a campaign and its message's ledger status.")
class CampaignRecipient:
    customer_id: strawberry.ID
    phone: str | None = strawberry.field(description="Masked.")
    state: str = strawberry.field(
        description="pending, claimed, waiting, done, cancelled or stopped (the sender's)."
    )
    status: str | None = strawberry.field(
        description="The message's ledger status (sent, delivered, opted_out...)."
    )
    error_code: str | None
    message_id: strawberry.ID | None
    sent_at: datetime | None
    delivered_at: datetime | None

    @classmethod
    def of(cls, r: RecipientRow, n: NotificationLog | None) -> CampaignRecipient:
        return cls(
            customer_id=to_global_id("Customer", r.customer_id),
            phone=mask_phone(r.phone),
            state=r.state,
            status=n.status if n else None,
            error_code=n.error_code if n else None,
            message_id=to_global_id("NotificationMessage", n.id) if n else None,
            sent_at=n.sent_at if n else None,
            delivered_at=n.delivered_at if n else None,
        )


@strawberry.type
class CampaignRecipientConnection:
    edges: list[Edge[CampaignRecipient]]
    page_info: PageInfo


@strawberry.type(description="A pre-built campaign message (seed 004).")
class CampaignTemplate:
    key: str
    name: str
    audience: AudienceKind = strawberry.field(description="Who it was written for.")
    body: str

    @classmethod
    def of(cls, t: PrebuiltTemplate) -> CampaignTemplate:
        return cls(key=t.key, name=t.name, audience=AudienceKind(t.audience), body=t.body)


@strawberry.type(description="A campaign's progress after a status change; resume with `cursor`.")
class CampaignProgress:
    cursor: str
    campaign: Campaign
    stats: CampaignStats
