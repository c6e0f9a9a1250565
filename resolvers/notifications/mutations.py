"""Mutations of message templates, customers' notification preferences and SMS limits."""

from __future__ import annotations

import strawberry

from domain.core import idempotency
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.notifications import (
    business_settings,
    preferences,
    quota,
    statement_mail,
    template_service,
)
from resolvers.access import needs
from resolvers.base import Info, business_currency, mutate
from schema.errors import result
from schema.relay import expect_id, to_global_id
from schema.types.notifications.inputs import (
    DeleteNotificationTemplateInput,
    SaveNotificationTemplateInput,
    UpdateNotificationPreferencesInput,
    UpdateSmsLimitsInput,
)
from schema.types.notifications.objects import (
    NotificationPreferences,
    NotificationTemplate,
    SmsUsage,
)
from schema.types.notifications.payloads import (
    DeleteNotificationTemplatePayload,
    NotificationPreferencesPayload,
    NotificationTemplatePayload,
    SmsLimitsPayload,
)
from schema.types.notifications.settings import (
    DeliverySettings,
    DeliverySettingsPayload,
    SendStatementInput,
    SendStatementPayload,
    UpdateDeliverySettingsInput,
)


@strawberry.type
class NotificationMutations:
    @strawberry.mutation(
        description="Owner/admin. Creates or replaces the template of a channel, event and "
        "language; unknown placeholders, malformed braces and a DLT text that does not "
        "match are ValidationErrors naming them.",
        extensions=[needs(Scope.NOTIFICATIONS_WRITE)],
    )
    async def save_notification_template(
        self, info: Info, input: SaveNotificationTemplateInput
    ) -> result("SaveNotificationTemplateResult", NotificationTemplatePayload):
        async def run(tx: Tx) -> NotificationTemplatePayload:
            row = await template_service.save_template(tx, input.to_domain())
            return NotificationTemplatePayload(
                template=NotificationTemplate.of(template_service.text_of(row))
            )

        return await mutate(info, run)

    @strawberry.mutation(
        description="Owner/admin. The built-in default takes the template's place.",
        extensions=[needs(Scope.NOTIFICATIONS_WRITE)],
    )
    async def delete_notification_template(
        self, info: Info, input: DeleteNotificationTemplateInput
    ) -> result("DeleteNotificationTemplateResult", DeleteNotificationTemplatePayload):
        async def run(tx: Tx) -> DeleteNotificationTemplatePayload:
            row_id = expect_id(input.id, "NotificationTemplate")
            default = await template_service.delete_template(tx, row_id)
            return DeleteNotificationTemplatePayload(
                deleted_id=to_global_id("NotificationTemplate", row_id),
                replaced_by=NotificationTemplate.of(default),
            )

        return await mutate(info, run)

    @strawberry.mutation(
        description="Staff record a customer's choices: consent per channel and kind, "
        "language, timezone, quiet hours. Consent changes are audited.",
        extensions=[needs(Scope.NOTIFICATIONS_WRITE)],
    )
    async def update_notification_preferences(
        self, info: Info, input: UpdateNotificationPreferencesInput
    ) -> result("UpdateNotificationPreferencesResult", NotificationPreferencesPayload):
        async def run(tx: Tx) -> NotificationPreferencesPayload:
            customer_id = expect_id(input.customer_id, "Customer", "customerId")
            found = await preferences.update_preferences(
                tx, customer_id, input.changes(), preferences.Source.STAFF
            )
            return NotificationPreferencesPayload(preferences=NotificationPreferences.of(found))

        return await mutate(info, run)

    @strawberry.mutation(
        description="Owner/admin. The business's monthly SMS quota and spend cap.",
        extensions=[needs(Scope.NOTIFICATIONS_WRITE)],
    )
    async def update_sms_limits(self, info: Info, input: UpdateSmsLimitsInput) -> result(
        "UpdateSmsLimitsResult", SmsLimitsPayload
    ):
        async def run(tx: Tx) -> SmsLimitsPayload:
            usage = await quota.update_limits(tx, input.to_domain())
            return SmsLimitsPayload(usage=SmsUsage.of(usage, await business_currency(info, tx)))

        return await mutate(info, run)

    @strawberry.mutation(
        description="Owner/admin. Email fallback of SMS per message kind and the monthly "
        "statement email.",
        extensions=[needs(Scope.NOTIFICATIONS_WRITE)],
    )
    async def update_delivery_settings(
        self, info: Info, input: UpdateDeliverySettingsInput
    ) -> result("UpdateDeliverySettingsResult", DeliverySettingsPayload):
        async def run(tx: Tx) -> DeliverySettingsPayload:
            found = await business_settings.update(
                tx,
                email_fallback_transactional=input.email_fallback_transactional,
                email_fallback_marketing=input.email_fallback_marketing,
                monthly_statements=input.monthly_statements,
            )
            return DeliverySettingsPayload(settings=DeliverySettings.of(found))

        return await mutate(info, run)

    @strawberry.mutation(
        description="Emails a customer's statement of a period with its PDF attached "
        "(the customer needs an email address). Idempotent with a key.",
        extensions=[needs(Scope.NOTIFICATIONS_WRITE)],
    )
    async def send_statement(self, info: Info, input: SendStatementInput) -> result(
        "SendStatementResult", SendStatementPayload
    ):
        async def run(tx: Tx) -> SendStatementPayload:
            customer_id = expect_id(input.customer_id, "Customer", "customerId")
            request = {"customerId": customer_id, "from": input.start, "to": input.end}
            outcome = await idempotency.once(
                tx,
                "sendStatement",
                input.idempotency_key,
                request,
                create=lambda: statement_mail.request_send(tx, customer_id, input.start, input.end),
                load=lambda id: statement_mail.get_send(tx, id),
            )
            return SendStatementPayload(
                request_id=strawberry.ID(str(outcome.record.outbox_id)),
                replayed=outcome.replayed,
            )

        return await mutate(info, run)
