"""Payloads of the message template, preference and SMS limit mutations."""

from __future__ import annotations

import strawberry

from schema.types.notifications.objects import (
    NotificationPreferences,
    NotificationTemplate,
    SmsUsage,
)


@strawberry.type
class NotificationTemplatePayload:
    template: NotificationTemplate


@strawberry.type
class DeleteNotificationTemplatePayload:
    deleted_id: strawberry.ID
    replaced_by: NotificationTemplate = strawberry.field(
        description="The built-in default now used in its place."
    )


@strawberry.type
class NotificationPreferencesPayload:
    preferences: NotificationPreferences


@strawberry.type
class SmsLimitsPayload:
    usage: SmsUsage
