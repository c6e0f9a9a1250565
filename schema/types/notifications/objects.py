"""GraphQL objects of message templates, previews, preferences and SMS usage."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum

import strawberry

from domain.notifications import policy
from domain.notifications.dlt import DltRegistration as DomainDlt
from domain.notifications.policy import BlockReason
from domain.notifications.preferences import CustomerPreferences
from domain.notifications.quota import QuotaLevel, Usage
from domain.notifications.segments import Encoding
from domain.notifications.template_service import Preview
from domain.notifications.templates import TemplateText
from domain.notifications.vocabulary import EVENT_PLACEHOLDERS, Channel, Event, MessageKind
from schema.relay import to_global_id
from schema.types.common import Money

# strawberry.enum registers the domain enums in place, so annotations stay real classes.
strawberry.enum(Channel, name="NotificationChannel")
strawberry.enum(Event, name="NotificationEvent")
strawberry.enum(
    MessageKind,
    name="MessageKind",
    description="Consent is kept per kind; OTPs skip quiet hours and consent.",
)
strawberry.enum(Encoding, name="SmsEncoding")
strawberry.enum(QuotaLevel, name="SmsQuotaLevel")
strawberry.enum(BlockReason, name="NotificationBlockReason")


@strawberry.enum
class DecisionOutcome(Enum):
    ALLOWED = "allowed"
    DEFERRED = "deferred"
    BLOCKED = "blocked"


@strawberry.type(description="India (TRAI DLT): the registration an SMS to +91 goes out under.")
class DltRegistration:
    entity_id: str
    template_id: str
    sender_id: str = strawberry.field(description="The registered header.")
    registered_text: str = strawberry.field(description="With `{#var#}` markers.")

    @classmethod
    def of(cls, reg: DomainDlt | None) -> DltRegistration | None:
        if reg is None:
            return None
        return cls(
            entity_id=reg.entity_id,
            template_id=reg.template_id,
            sender_id=reg.sender_id,
            registered_text=reg.text,
        )


@strawberry.type(
    description="The text of one channel, event and language: the business's own, or the "
    "built-in default (`isDefault`, no id) where it saved none."
)
class NotificationTemplate:
    id: strawberry.ID | None
    is_default: bool
    channel: Channel
    event: Event
    language: str
    subject: str | None
    body: str
    dlt: DltRegistration | None
    available_placeholders: list[str] = strawberry.field(
        description="What this event's messages may use, as `{{name}}`."
    )

    @classmethod
    def of(cls, t: TemplateText) -> NotificationTemplate:
        return cls(
            id=None
            if t.template_id is None
            else to_global_id("NotificationTemplate", t.template_id),
            is_default=t.template_id is None,
            channel=t.channel,
            event=t.event,
            language=t.language,
            subject=t.subject,
            body=t.body,
            dlt=DltRegistration.of(t.dlt),
            available_placeholders=sorted(EVENT_PLACEHOLDERS[t.event]),
        )


@strawberry.type
class PlaceholderValue:
    name: str
    value: str


@strawberry.type(
    description="A message rendered for a real customer, with what it costs: an SMS is "
    "GSM-7 (160 characters, 153 per part when longer; `^{}[]~|€\\` count twice) or UCS-2 "
    "(70, 67 per part) as soon as one character is outside GSM-7."
)
class NotificationPreview:
    template: NotificationTemplate
    body: str
    subject: str | None
    encoding: Encoding | None = strawberry.field(description="Null for email.")
    characters: int
    units: int = strawberry.field(description="Septets (GSM-7) or UTF-16 units (UCS-2).")
    segments: int = strawberry.field(description="SMS billed for this message (0 for email).")
    per_segment: int
    dlt: DltRegistration | None
    values: list[PlaceholderValue]
    warnings: list[str]

    @classmethod
    def of(cls, p: Preview) -> NotificationPreview:
        r = p.rendered
        return cls(
            template=NotificationTemplate.of(p.template),
            body=r.body,
            subject=r.subject,
            encoding=r.encoding,
            characters=r.characters,
            units=r.units,
            segments=r.segments,
            per_segment=r.per_segment,
            dlt=DltRegistration.of(r.dlt),
            values=[PlaceholderValue(name=k, value=v) for k, v in sorted(p.values.items())],
            warnings=[*p.warnings, *r.warnings],
        )


@strawberry.type
class NotificationPreferences:
    customer_id: strawberry.ID
    sms_transactional: bool
    sms_marketing: bool
    email_transactional: bool
    email_marketing: bool
    language: str
    timezone: str
    timezone_derived: bool = strawberry.field(
        description="True when no one set it: from the phone's country, else the business's."
    )
    quiet_hours_start: str = strawberry.field(description="HH:MM, the customer's time.")
    quiet_hours_end: str
    updated_at: datetime | None
    updated_by: str | None
    source: str | None

    @classmethod
    def of(cls, found: CustomerPreferences) -> NotificationPreferences:
        p, row = found.prefs, found.row
        return cls(
            customer_id=to_global_id("Customer", found.customer.id),
            sms_transactional=p.sms_transactional,
            sms_marketing=p.sms_marketing,
            email_transactional=p.email_transactional,
            email_marketing=p.email_marketing,
            language=p.language,
            timezone=p.timezone,
            timezone_derived=found.timezone_derived,
            quiet_hours_start=p.quiet_start.strftime("%H:%M"),
            quiet_hours_end=p.quiet_end.strftime("%H:%M"),
            updated_at=row.updated_at if row else None,
            updated_by=row.updated_by if row else None,
            source=row.source if row else None,
        )


@strawberry.type(description="Whether a message to this customer would go out now.")
class NotificationDecision:
    outcome: DecisionOutcome
    until: datetime | None = strawberry.field(description="DEFERRED: when quiet hours end.")
    reason: BlockReason | None

    @classmethod
    def of(cls, d: policy.Decision) -> NotificationDecision:
        if isinstance(d, policy.Deferred):
            return cls(outcome=DecisionOutcome.DEFERRED, until=d.until, reason=None)
        if isinstance(d, policy.Blocked):
            return cls(outcome=DecisionOutcome.BLOCKED, until=None, reason=d.reason)
        return cls(outcome=DecisionOutcome.ALLOWED, until=None, reason=None)


@strawberry.type(description="This calendar month's SMS (business timezone) and its limits.")
class SmsUsage:
    month: str
    messages: int
    segments: int
    quota: int | None = strawberry.field(description="Segments a month; null: no quota.")
    spend_cap: Money | None
    segment_price: Money | None
    spent: Money | None
    used_percent: Decimal | None = strawberry.field(
        description="The larger share of quota or spend cap used, in percent."
    )
    level: QuotaLevel = strawberry.field(description="WARNING from 80 %, EXCEEDED at 100 %.")

    @classmethod
    def of(cls, u: Usage, currency: str) -> SmsUsage:
        def money(v: Decimal | None) -> Money | None:
            return None if v is None else Money(amount=v, currency=currency)

        share = u.used_fraction
        return cls(
            month=u.month,
            messages=u.messages,
            segments=u.segments,
            quota=u.limits.quota,
            spend_cap=money(u.limits.spend_cap),
            segment_price=money(u.limits.segment_price),
            spent=None if u.spent is None else Money.of(u.spent, currency),
            used_percent=None if share is None else (share * 100).quantize(Decimal("0.1")),
            level=u.level,
        )
