"""GraphQL documents and helpers of the campaign tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from domain.campaigns.models import CampaignRecipient
from khata.runtime import Runtime
from schema.relay import expect_id
from tests.conftest import Actor
from tests.notifications.conftest import Desk
from tests.notifications.pipeline_helpers import customer

CAMPAIGN_FIELDS = """id name body status stopReason recipientCount scheduledAt startedAt
  finishedAt cancelledAt audience { kind days amount tags customerIds }"""
ERRORS = """... on ValidationError { code message fields { field code message } }
    ... on UserError { code message }"""
CREATE = f"""mutation($input: CreateCampaignInput!) {{ createCampaign(input: $input) {{
  __typename ... on CampaignPayload {{ replayed campaign {{ {CAMPAIGN_FIELDS} }} }} {ERRORS} }} }}"""
SEND = f"""mutation($input: SendCampaignInput!) {{ sendCampaign(input: $input) {{
  __typename ... on CampaignPayload {{ replayed campaign {{ {CAMPAIGN_FIELDS} }} }} {ERRORS} }} }}"""
SCHEDULE = f"""mutation($input: ScheduleCampaignInput!) {{ scheduleCampaign(input: $input) {{
  __typename ... on CampaignPayload {{ replayed campaign {{ {CAMPAIGN_FIELDS} }} }} {ERRORS} }} }}"""
CANCEL = f"""mutation($input: CancelCampaignInput!) {{ cancelCampaign(input: $input) {{
  __typename ... on CampaignPayload {{ campaign {{ {CAMPAIGN_FIELDS} }} }} {ERRORS} }} }}"""
PREVIEW = """query($id: ID!) { previewCampaign(id: $id) { recipients segmentsPerMessage
  estimatedSegments samples { customerId name phone body segments encoding } } }"""
STATS = """query($id: ID!) { campaignStats(id: $id) { recipients queued sent delivered failed
  skipped optedOut cancelled } }"""
CAMPAIGN = f"""query($id: ID!) {{ campaign(id: $id) {{ {CAMPAIGN_FIELDS} }} }}"""
CAMPAIGNS = f"""query($first: Int, $after: String) {{ campaigns(first: $first, after: $after) {{
  edges {{ cursor node {{ {CAMPAIGN_FIELDS} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"""
RECIPIENTS = """query($id: ID!, $first: Int, $after: String) {
  campaignRecipients(id: $id, first: $first, after: $after) {
  edges { cursor node { customerId phone state status errorCode messageId sentAt deliveredAt } }
  pageInfo { hasNextPage endCursor } } }"""
TEMPLATES = "{ campaignTemplates { key name audience body } }"

WIN_BACK = "Hi {{name}}! We missed you! Get 20% off on your next visit. Valid till {{date}}."


async def create(actor: Actor, **input: Any) -> dict[str, Any]:
    input.setdefault("name", "Diwali offer")
    input.setdefault("body", WIN_BACK)
    input.setdefault("audience", {"kind": "ALL_ACTIVE"})
    body = await actor.gql(CREATE, {"input": input})
    return body["data"]["createCampaign"]  # type: ignore[no-any-return]


async def created(actor: Actor, **input: Any) -> str:
    made = await create(actor, **input)
    assert made["__typename"] == "CampaignPayload", made
    return str(made["campaign"]["id"])


async def send(actor: Actor, campaign_id: str, **extra: Any) -> dict[str, Any]:
    body = await actor.gql(SEND, {"input": {"id": campaign_id, **extra}})
    return body["data"]["sendCampaign"]  # type: ignore[no-any-return]


async def stats(actor: Actor, campaign_id: str) -> dict[str, int]:
    return (await actor.gql(STATS, {"id": campaign_id}))["data"]["campaignStats"]  # type: ignore[no-any-return]


async def campaign(actor: Actor, campaign_id: str) -> dict[str, Any]:
    return (await actor.gql(CAMPAIGN, {"id": campaign_id}))["data"]["campaign"]  # type: ignore[no-any-return]


async def customers(actor: Actor, phones: list[str]) -> list[str]:
    return [await customer(actor, name=f"Customer {p[-3:]}", phone=p) for p in phones]


async def at_any_hour(actor: Actor, customer_ids: list[str]) -> None:
    """No quiet hours for these customers: tests on the real clock (worker processes, live
    subscriptions) must not depend on the time of day, as campaign messages wait for the
    end of the customer's quiet hours (21:00-08:00 by default)."""
    from tests.notifications.helpers import UPDATE_PREFERENCES

    for cid in customer_ids:
        change = {"customerId": cid, "quietHours": {"start": "00:00", "end": "00:00"}}
        done = await actor.gql(UPDATE_PREFERENCES, {"input": change})
        assert done["data"]["updateNotificationPreferences"]["__typename"].endswith("Payload")


def kenyan(n: int, start: int = 0, prefix: str = "+2547120") -> list[str]:
    """`n` distinct Kenyan mobile numbers."""
    return [f"{prefix}{start + i:05d}" for i in range(n)]


def sent_to(desk: Desk, phones: list[str]) -> dict[str, int]:
    """Messages the fake Twilio took per phone (the count that proves no duplicates)."""
    counts = dict.fromkeys(phones, 0)
    for m in desk.twilio.messages:
        if m["to"] in counts:
            counts[m["to"]] += 1
    return counts


async def recipient_rows(rt: Runtime, campaign_id: str) -> list[CampaignRecipient]:
    async with rt.db.read() as session:
        rows = await session.scalars(
            select(CampaignRecipient)
            .where(CampaignRecipient.campaign_id == expect_id(campaign_id, "Campaign"))
            .order_by(CampaignRecipient.id)
        )
        return list(rows.all())
