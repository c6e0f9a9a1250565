"""Campaigns for staff: create (checked like a saved template: placeholders, braces,
DLT), read, preview (recipients, cost in SMS segments, rendered samples), send now,
schedule, cancel, and stats read from the delivery ledger. Services never commit.

Status: draft -> scheduled -> sending -> sent, or cancelled from any of the first three
(cancelling while sending stops the recipients not yet claimed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from domain.accounts import queries as accounts
from domain.accounts.models import Business
from domain.campaigns import events, message
from domain.campaigns.audience import Audience, AudienceKind
from domain.campaigns.codes import CampaignsCode
from domain.campaigns.models import Campaign, CampaignRecipient
from domain.campaigns.repository import OPEN_STATES, CampaignRepository
from domain.core import outbox
from domain.core.errors import Conflict, ErrorCollector, NotFound, ValidationFailed
from domain.core.pagination import Page, clamp_first, decode_cursor, encode_cursor
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.notifications import templates
from domain.notifications.defaults import LANGUAGES
from domain.notifications.dlt import DltRegistration
from domain.notifications.models import NotificationLog
from domain.notifications.template_codes import TemplatesCode

SORT = "campaigns"
RECIPIENT_SORT = "campaign_recipients"
SAMPLES = 3
MAX_NAME = 120
MAX_OFFER = 160


@dataclass(frozen=True)
class CampaignData:
    name: str
    body: str
    audience: Audience
    language: str = "en"
    offer: str | None = None
    offer_until: date | None = None
    dlt: DltRegistration | None = None


@dataclass(frozen=True)
class Sample:
    customer_id: int
    name: str
    phone: str
    body: str
    segments: int
    encoding: str


@dataclass(frozen=True)
class Preview:
    recipients: int
    segments_per_message: int  # of the longest sample
    estimated_segments: int  # recipients x segments_per_message
    samples: list[Sample] = field(default_factory=list)


@dataclass(frozen=True)
class Stats:
    recipients: int
    queued: int  # frozen, not yet handled
    sent: int  # taken by the provider
    delivered: int
    failed: int
    skipped: int  # capped, or stopped by the SMS quota
    opted_out: int
    cancelled: int


def repo(tx: Tx) -> CampaignRepository:
    return CampaignRepository(tx.session, tx.viewer)


def audience_of(c: Campaign) -> Audience:
    return Audience(
        AudienceKind(c.audience),
        c.audience_days,
        c.audience_amount,
        tuple(c.audience_tags or ()),
        tuple(int(i) for i in c.audience_customer_ids or ()),
    )


async def _business(tx: Tx) -> Business:
    found = await accounts.viewer_business(tx)
    if found is None:
        raise NotFound("business")
    return found


def _check(data: CampaignData) -> None:
    errors = ErrorCollector()
    if not data.name.strip() or len(data.name) > MAX_NAME:
        errors.add("name", f"must be 1-{MAX_NAME} characters")
    if data.language not in LANGUAGES:
        errors.add(
            "language", f"must be one of {', '.join(LANGUAGES)}", TemplatesCode.UNSUPPORTED_LANGUAGE
        )
    if data.offer is not None and (not data.offer.strip() or len(data.offer) > MAX_OFFER):
        errors.add("offer", f"must be 1-{MAX_OFFER} characters")
    errors.raise_if_any()
    data.audience.check()
    text = message.template_text(data.language, data.body, data.dlt)
    templates.validate(text)
    if "offer" in templates.parse(data.body).names and data.offer is None:
        raise ValidationFailed.one(
            "offer", "the message uses {{offer}}: give the offer", TemplatesCode.MISSING_VALUE
        )


async def create_campaign(tx: Tx, data: CampaignData) -> Campaign:
    business_id = tx.viewer.require_business(Scope.CAMPAIGNS_WRITE)
    _check(data)
    r = repo(tx)
    if data.audience.customer_ids:
        foreign = await r.foreign_ids(data.audience.customer_ids)
        if foreign:
            raise NotFound("customer", foreign[0])
    reg = data.dlt
    row = Campaign(
        business_id=business_id,
        name=data.name.strip(),
        body=data.body,
        language=data.language,
        offer=data.offer,
        offer_until=data.offer_until,
        dlt_entity_id=reg.entity_id if reg else None,
        dlt_template_id=reg.template_id if reg else None,
        dlt_sender_id=reg.sender_id if reg else None,
        dlt_text=reg.text if reg else None,
        audience=data.audience.kind.value,
        audience_days=data.audience.days,
        audience_amount=data.audience.amount,
        audience_tags=list(data.audience.tags),
        audience_customer_ids=list(data.audience.customer_ids),
        status="draft",
        recipient_count=0,
        created_by=tx.viewer.actor_label,
        created_at=tx.now(),
        updated_at=tx.now(),
    )
    await r.add(row)
    return row


async def get_campaign(tx: Tx, campaign_id: int, *, lock: bool = False) -> Campaign:
    tx.viewer.require_business(Scope.CAMPAIGNS_READ)
    found = await repo(tx).campaign(campaign_id, lock=lock)
    if found is None:
        raise NotFound("campaign", campaign_id)
    return found


async def list_campaigns(tx: Tx, first: int | None, after: str | None, cap: int) -> Page[Campaign]:
    tx.viewer.require_business(Scope.CAMPAIGNS_READ)
    size = clamp_first(first, cap)
    after_id = decode_cursor(after, SORT)[1] if after else None
    rows = await repo(tx).campaigns(after_id, size + 1)
    page = rows[:size]
    return Page(
        items=page,
        cursors=[encode_cursor(SORT, c.id, c.id) for c in page],
        has_next_page=len(rows) > size,
        has_previous_page=after is not None,
    )


def today_of(tx: Tx, business: Business) -> date:
    return tx.now().astimezone(ZoneInfo(business.timezone)).date()


async def preview(tx: Tx, campaign_id: int, link: str) -> Preview:
    """Who it would reach now and what it costs: the audience counted, the first few
    recipients' messages rendered (a DLT or missing-value problem is a typed error)."""
    c = await get_campaign(tx, campaign_id)
    business = await _business(tx)
    r = repo(tx)
    a = audience_of(c)
    count = await r.audience_count(a, business.timezone, tx.now())
    samples = []
    for customer in await r.audience_sample(a, business.timezone, tx.now(), SAMPLES):
        phone = str(customer.phone)
        text = message.render(c, business, customer.name, phone, today_of(tx, business), link)
        encoding = text.encoding.value if text.encoding else "GSM-7"
        sample = Sample(customer.id, customer.name, phone, text.body, text.segments, encoding)
        samples.append(sample)
    per = max((s.segments for s in samples), default=0)
    return Preview(count, per, per * count, samples)


def _refuse(c: Campaign, action: str) -> Conflict:
    return Conflict(
        f"a {c.status} campaign cannot be {action}", CampaignsCode.CAMPAIGN_NOT_EDITABLE
    )


def _changed(tx: Tx, c: Campaign, *, job: str | None = None) -> None:
    outbox.emit(
        tx,
        events.STARTED if job else events.STATUS_CHANGED,
        {"campaignId": c.id, "status": c.status},
        job=job,
        business_id=c.business_id,
    )


async def send_now(tx: Tx, campaign_id: int) -> Campaign:
    """draft or scheduled -> sending; the sender job starts after commit."""
    tx.viewer.require_business(Scope.CAMPAIGNS_WRITE)
    c = await get_campaign(tx, campaign_id, lock=True)
    if c.status not in ("draft", "scheduled"):
        raise _refuse(c, "sent")
    business = await _business(tx)
    if not await repo(tx).audience_count(audience_of(c), business.timezone, tx.now()):
        raise ValidationFailed.one(
            "audience", "nobody with a phone matches this audience", CampaignsCode.EMPTY_AUDIENCE
        )
    start(tx, c)
    return c


def start(tx: Tx, c: Campaign) -> None:
    c.status = "sending"
    c.started_at = c.updated_at = tx.now()
    _changed(tx, c, job="send_campaign")


async def schedule(tx: Tx, campaign_id: int, at: datetime) -> Campaign:
    tx.viewer.require_business(Scope.CAMPAIGNS_WRITE)
    if at.tzinfo is None or at <= tx.now():
        raise ValidationFailed.one(
            "at", "must be a future time with its UTC offset", CampaignsCode.SCHEDULE_IN_PAST
        )
    c = await get_campaign(tx, campaign_id, lock=True)
    if c.status not in ("draft", "scheduled"):
        raise _refuse(c, "scheduled")
    c.status = "scheduled"
    c.scheduled_at = at
    c.updated_at = tx.now()
    _changed(tx, c)
    return c


async def cancel(tx: Tx, campaign_id: int) -> Campaign:
    """Until it is sent: a running sender stops before its next recipient."""
    tx.viewer.require_business(Scope.CAMPAIGNS_WRITE)
    c = await get_campaign(tx, campaign_id, lock=True)
    if c.status not in ("draft", "scheduled", "sending"):
        raise _refuse(c, "cancelled")
    c.status = "cancelled"
    c.cancelled_at = c.updated_at = tx.now()
    await repo(tx).close_open(c.id, "cancelled")
    _changed(tx, c)
    return c


async def stats(tx: Tx, campaign_id: int) -> Stats:
    c = await get_campaign(tx, campaign_id)
    r = repo(tx)
    states = await r.states(c.id)
    _, sent, delivered, failed, skipped, opted_out = await r.ledger_counts(c.id)
    return Stats(
        recipients=sum(states.values()),
        queued=sum(states.get(s, 0) for s in OPEN_STATES),
        sent=sent,
        delivered=delivered,
        failed=failed,
        skipped=skipped + states.get("stopped", 0),
        opted_out=opted_out,
        cancelled=states.get("cancelled", 0),
    )


async def recipients(
    tx: Tx, campaign_id: int, first: int | None, after: str | None, cap: int
) -> Page[tuple[CampaignRecipient, NotificationLog | None]]:
    c = await get_campaign(tx, campaign_id)
    size = clamp_first(first, cap)
    after_id = decode_cursor(after, RECIPIENT_SORT)[1] if after else None
    rows = await repo(tx).recipients_page(c.id, after_id, size + 1)
    page = rows[:size]
    return Page(
        items=page,
        cursors=[encode_cursor(RECIPIENT_SORT, r.id, r.id) for r, _ in page],
        has_next_page=len(rows) > size,
        has_previous_page=after is not None,
    )
