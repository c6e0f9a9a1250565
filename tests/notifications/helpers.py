"""GraphQL documents and small helpers of the notification template tests."""

from __future__ import annotations

from typing import Any

from tests.conftest import Actor, create_customer

TEMPLATE_FIELDS = """id isDefault channel event language subject body availablePlaceholders
  dlt { entityId templateId senderId registeredText }"""
SAVE = f"""mutation($input: SaveNotificationTemplateInput!) {{
  saveNotificationTemplate(input: $input) {{ __typename
    ... on NotificationTemplatePayload {{ template {{ {TEMPLATE_FIELDS} }} }}
    ... on ValidationError {{ code message fields {{ field code message }} }}
    ... on UserError {{ code message }} }} }}"""
DELETE = f"""mutation($id: ID!) {{ deleteNotificationTemplate(input: {{ id: $id }}) {{
  __typename
  ... on DeleteNotificationTemplatePayload {{ deletedId replacedBy {{ {TEMPLATE_FIELDS} }} }}
  ... on UserError {{ code message }} }} }}"""
TEMPLATES = f"""query($channel: NotificationChannel, $event: NotificationEvent, $language: String) {{
  notificationTemplates(channel: $channel, event: $event, language: $language) {{
    {TEMPLATE_FIELDS} }} }}"""
PREVIEW = """query($input: PreviewNotificationInput!) { previewNotification(input: $input) {
  body subject encoding characters units segments perSegment warnings
  values { name value } dlt { entityId templateId senderId }
  template { id isDefault language event channel } } }"""
PREFERENCES_FIELDS = """customerId smsTransactional smsMarketing emailTransactional
  emailMarketing language timezone timezoneDerived quietHoursStart quietHoursEnd source"""
PREFERENCES = f"""query($id: ID!) {{ notificationPreferences(customerId: $id) {{
  {PREFERENCES_FIELDS} }} }}"""
UPDATE_PREFERENCES = f"""mutation($input: UpdateNotificationPreferencesInput!) {{
  updateNotificationPreferences(input: $input) {{ __typename
    ... on NotificationPreferencesPayload {{ preferences {{ {PREFERENCES_FIELDS} }} }}
    ... on ValidationError {{ code fields {{ field code message }} }}
    ... on UserError {{ code message }} }} }}"""
DECISION = """query($id: ID!, $channel: NotificationChannel!, $kind: MessageKind!) {
  notificationDecision(customerId: $id, channel: $channel, kind: $kind) {
    outcome until reason } }"""
USAGE_FIELDS = """month messages segments quota usedPercent level
  spendCap { amount currency } segmentPrice { amount } spent { amount currency }"""
USAGE = f"{{ smsUsage {{ {USAGE_FIELDS} }} }}"
LIMITS = f"""mutation($input: UpdateSmsLimitsInput!) {{ updateSmsLimits(input: $input) {{
  __typename ... on SmsLimitsPayload {{ usage {{ {USAGE_FIELDS} }} }}
  ... on ValidationError {{ code fields {{ field code }} }}
  ... on UserError {{ code message }} }} }}"""

DLT = {
    "entityId": "1201160000000012345",
    "templateId": "1207160000000067890",
    "senderId": "SHRMAG",
    "registeredText": "Dear {#var#}, {#var#} is due on {#var#} for bill {#var#}. "
    "Pay {#var#} -{#var#}",
}
DLT_BODY = (
    "Dear {{name}}, {{amount}} is due on {{due_date}} for bill {{invoice_number}}. "
    "Pay {{link}} -{{business}}"
)


async def customer(actor: Actor, **fields: Any) -> str:
    made = await create_customer(actor, **fields)
    assert made["__typename"] == "CustomerPayload", made
    return str(made["customer"]["id"])


async def save(actor: Actor, **input: Any) -> dict[str, Any]:
    return (await actor.gql(SAVE, {"input": input}))["data"]["saveNotificationTemplate"]  # type: ignore[no-any-return]


async def preview(actor: Actor, **input: Any) -> dict[str, Any]:
    return (await actor.gql(PREVIEW, {"input": input}))["data"]["previewNotification"]  # type: ignore[no-any-return]


def error_codes(body: dict[str, Any]) -> list[Any]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors", [])]
