"""Queries of message templates, previews, preferences and SMS usage."""

from __future__ import annotations

import strawberry

from domain.core.viewer import Scope
from domain.notifications import business_settings, preferences, quota, template_service
from domain.notifications.templates import TemplateText
from domain.notifications.vocabulary import Channel, Event, MessageKind
from resolvers.access import needs
from resolvers.base import Info, business_currency, reading
from schema.relay import expect_id
from schema.types.notifications.inputs import PreviewNotificationInput
from schema.types.notifications.objects import (
    NotificationDecision,
    NotificationPreferences,
    NotificationPreview,
    NotificationTemplate,
    SmsUsage,
)
from schema.types.notifications.settings import DeliverySettings


@strawberry.type
class NotificationQueries:
    @strawberry.field(
        description="Every template asked for: the business's own where saved, else the "
        "built-in default (en, hi, sw, ar).",
        extensions=[needs(Scope.NOTIFICATIONS_READ)],
    )
    async def notification_templates(
        self,
        info: Info,
        channel: Channel | None = None,
        event: Event | None = None,
        language: str | None = None,
    ) -> list[NotificationTemplate]:
        async with reading(info) as tx:
            found = await template_service.effective_templates(tx, channel, event, language)
            return [NotificationTemplate.of(t) for t in found]

    @strawberry.field(
        description="A message rendered with a real customer: text, SMS encoding, characters "
        "and segments (what it costs). A DLT mismatch is an error, as it would be at send.",
        extensions=[needs(Scope.NOTIFICATIONS_READ)],
    )
    async def preview_notification(
        self, info: Info, input: PreviewNotificationInput
    ) -> NotificationPreview:
        chosen: TemplateText | int | tuple[Channel, Event]
        if input.template_id is not None:
            chosen = expect_id(input.template_id, "NotificationTemplate", "templateId")
        elif input.template is not None:
            chosen = input.template.to_domain()
        else:
            chosen = (input.channel or Channel.SMS, input.event or Event.INVOICE_SENT)
        customer_id = expect_id(input.customer_id, "Customer", "customerId")
        values = input.values()
        link_base = info.context.rt.settings.public_url
        async with reading(info) as tx:
            found = await template_service.preview(tx, chosen, customer_id, values, link_base)
            return NotificationPreview.of(found)

    @strawberry.field(extensions=[needs(Scope.NOTIFICATIONS_READ)])
    async def notification_preferences(
        self, info: Info, customer_id: strawberry.ID
    ) -> NotificationPreferences:
        row_id = expect_id(customer_id, "Customer", "customerId")
        async with reading(info) as tx:
            return NotificationPreferences.of(await preferences.get_preferences(tx, row_id))

    @strawberry.field(
        description="Would a message of this kind go to the customer now? Consent and quiet "
        "hours (the marketing frequency cap needs the day's count, which the sender has).",
        extensions=[needs(Scope.NOTIFICATIONS_READ)],
    )
    async def notification_decision(
        self,
        info: Info,
        customer_id: strawberry.ID,
        channel: Channel,
        kind: MessageKind = MessageKind.TRANSACTIONAL,
    ) -> NotificationDecision:
        row_id = expect_id(customer_id, "Customer", "customerId")
        async with reading(info) as tx:
            return NotificationDecision.of(
                await preferences.decision_now(tx, row_id, channel, kind)
            )

    @strawberry.field(
        description="This month's SMS usage against the quota and spend cap.",
        extensions=[needs(Scope.NOTIFICATIONS_READ)],
    )
    async def sms_usage(self, info: Info) -> SmsUsage:
        async with reading(info) as tx:
            usage = await quota.current_usage(tx)
            return SmsUsage.of(usage, await business_currency(info, tx))

    @strawberry.field(
        description="The business's delivery settings (email fallback, monthly statements).",
        extensions=[needs(Scope.NOTIFICATIONS_READ)],
    )
    async def delivery_settings(self, info: Info) -> DeliverySettings:
        async with reading(info) as tx:
            return DeliverySettings.of(await business_settings.current(tx))
