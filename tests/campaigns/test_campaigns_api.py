"""Campaigns through the API: each audience picks its customers, the preview counts them
and prices the message in SMS segments with rendered samples, the message is checked like
a saved template (placeholders, DLT for India), seed 004's templates are offered, a
foreign business's ids are not found, the scopes are enforced and creation replays on its
idempotency key."""

from __future__ import annotations

from datetime import timedelta

from tests.accounts.helpers import _create_key
from tests.campaigns.helpers import (
    CAMPAIGNS,
    PREVIEW,
    TEMPLATES,
    create,
    created,
    customers,
    kenyan,
)
from tests.conftest import Actor, gql, sign_up
from tests.notifications.conftest import Desk
from tests.notifications.helpers import DLT
from tests.notifications.pipeline_helpers import customer
from tests.purchases.helpers import item, record


async def preview(actor: Actor, campaign_id: str) -> dict:  # type: ignore[type-arg]
    body = await actor.gql(PREVIEW, {"id": campaign_id})
    return body["data"]["previewCampaign"]  # type: ignore[no-any-return]


async def _recipients(actor: Actor, audience: dict) -> set[str]:  # type: ignore[type-arg]
    cid = await created(actor, audience=audience, body="Hi {{name}}!")
    got = await preview(actor, cid)
    names = {s["name"] for s in got["samples"]}
    assert got["recipients"] == len(names) or got["recipients"] > 3, got
    return names


async def test_each_audience_picks_its_customers(desk: Desk) -> None:
    owner = await sign_up(desk.client, "KE")
    long_ago = (desk.clock.now() - timedelta(days=60)).isoformat()
    lapsed = await customer(owner, name="Lapsed", phone="+254711000001")
    assert (await record(owner, lapsed, [item("Rice", "5000")], purchasedAt=long_ago))[
        "__typename"
    ] == "PurchasePayload"
    recent = await customer(owner, name="Recent", phone="+254711000002", tags=["wholesale"])
    await record(owner, recent, [item("Salt", "500")])
    await customer(owner, name="New", phone="+254711000003")
    await customer(owner, name="No phone", email="nophone@example.com")
    other = await sign_up(desk.client, "KE")
    await customer(other, name="Theirs", phone="+254711000009")

    assert await _recipients(owner, {"kind": "INACTIVE", "days": 30}) == {"Lapsed"}
    assert await _recipients(owner, {"kind": "VIP", "amount": "1000"}) == {"Lapsed"}
    assert await _recipients(owner, {"kind": "LOW_SPENDERS", "amount": "1000"}) == {
        "Recent",
        "New",
    }
    assert await _recipients(owner, {"kind": "ALL_ACTIVE"}) == {"Lapsed", "Recent", "New"}
    assert await _recipients(owner, {"kind": "TAGS", "tags": ["wholesale"]}) == {"Recent"}
    picked = {"kind": "CUSTOMERS", "customerIds": [recent, lapsed]}
    assert await _recipients(owner, picked) == {"Recent", "Lapsed"}


async def test_preview_counts_segments_and_renders_samples(desk: Desk) -> None:
    owner = await sign_up(desk.client, "KE")
    await customers(owner, kenyan(5, prefix="+2547121"))
    cid = await created(owner, body="Hi {{name}}, {{offer}} at {{business}}", offer="2 for 1")
    got = await preview(owner, cid)
    assert (got["recipients"], got["segmentsPerMessage"], got["estimatedSegments"]) == (5, 1, 5)
    assert len(got["samples"]) == 3
    first = got["samples"][0]
    assert first["body"].startswith("Hi Customer 000, 2 for 1 at ")
    assert first["encoding"] == "GSM-7" and "*" in first["phone"]  # masked
    # Swahili fits GSM-7; an Arabic text is UCS-2: 70 characters a segment
    arabic = "مرحبا {{name}} " + "عرض خاص لك اليوم فقط " * 4
    got = await preview(owner, await created(owner, body=arabic, language="ar"))
    assert got["samples"][0]["encoding"] == "UCS-2"
    assert got["segmentsPerMessage"] == 2 and got["estimatedSegments"] == 10


async def test_the_message_is_checked_like_a_template(desk: Desk) -> None:
    owner = await sign_up(desk.client, "KE")
    bad = await create(owner, body="Hi {{nme}}")
    assert bad["__typename"] == "ValidationError"
    assert bad["fields"][0]["code"] == "UNKNOWN_PLACEHOLDER"
    unavailable = await create(owner, body="Pay {{amount}}")
    assert unavailable["fields"][0]["code"] == "PLACEHOLDER_NOT_AVAILABLE"
    no_offer = await create(owner, body="Hi {{name}}: {{offer}}")
    assert (no_offer["__typename"], no_offer["fields"][0]["field"]) == ("ValidationError", "offer")
    audience = await create(owner, audience={"kind": "VIP"})
    assert audience["fields"][0] == {
        "field": "audience.amount",
        "code": "BAD_AUDIENCE",
        "message": "is required for vip",
    }
    mixed = await create(owner, audience={"kind": "ALL_ACTIVE", "days": 3})
    assert mixed["fields"][0]["field"] == "audience.days"
    huge = await create(owner, audience={"kind": "VIP", "amount": "1e400"})
    assert huge["__typename"] == "ValidationError", huge
    nul = await create(owner, name="Bad\x00name")
    assert nul["__typename"] == "ValidationError", nul


async def test_india_needs_a_dlt_registration_that_matches(desk: Desk) -> None:
    owner = await sign_up(desk.client, "IN")
    await customer(owner, name="Asha", phone="+919812345670")
    plain = await created(owner, body="Hi {{name}}, visit {{business}} this week")
    body = await owner.gql(PREVIEW, {"id": plain}, expect_errors=True)
    assert body["errors"][0]["extensions"]["fields"][0]["code"] == "DLT_NOT_REGISTERED"
    wrong = await create(owner, body="Hi {{name}} come back", dlt=DLT)
    assert wrong["fields"][0]["code"] == "DLT_MISMATCH"
    dlt = DLT | {"registeredText": "Hi {#var#}, visit {#var#} this week"}
    ok = await created(owner, body="Hi {{name}}, visit {{business}} this week", dlt=dlt)
    got = await preview(owner, ok)
    assert got["recipients"] == 1 and got["samples"][0]["body"].startswith("Hi Asha, visit ")


async def test_seed_templates_are_offered_and_valid(desk: Desk) -> None:
    owner = await sign_up(desk.client, "KE")
    templates = (await owner.gql(TEMPLATES))["data"]["campaignTemplates"]
    assert [t["key"] for t in templates] == ["win_back", "vip_thanks", "come_back"]
    for t in templates:
        offer = "a free gift" if "{{offer}}" in t["body"] else None
        assert (await create(owner, body=t["body"], offer=offer))["__typename"] == (
            "CampaignPayload"
        )


async def test_a_foreign_business_sees_nothing(desk: Desk) -> None:
    owner = await sign_up(desk.client, "KE")
    other = await sign_up(desk.client, "KE")
    theirs = await customer(other, phone="+254711000100")
    picked = await create(owner, audience={"kind": "CUSTOMERS", "customerIds": [theirs]})
    assert (picked["__typename"], picked["code"]) == ("NotFoundError", "NOT_FOUND")
    cid = await created(owner)
    for query, variables in (
        (PREVIEW, {"id": cid}),
        ("query($id: ID!) { campaign(id: $id) { id } }", {"id": cid}),
    ):
        body = await other.gql(query, variables, expect_errors=True)
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    from tests.campaigns.helpers import CANCEL, SEND

    for doc, field in ((SEND, "sendCampaign"), (CANCEL, "cancelCampaign")):
        got = (await other.gql(doc, {"input": {"id": cid}}))["data"][field]
        assert got["code"] == "NOT_FOUND", got
    assert (await other.gql(CAMPAIGNS))["data"]["campaigns"]["edges"] == []


async def test_scopes_and_idempotent_creation(desk: Desk) -> None:
    owner = await sign_up(desk.client, "KE")
    reader = (await _create_key(owner, ["CAMPAIGNS_READ"]))["secret"]
    nothing = (await _create_key(owner, ["CUSTOMERS_READ"]))["secret"]
    first = await create(owner, idempotencyKey="k-1")
    again = await create(owner, idempotencyKey="k-1")
    assert again["replayed"] is True
    assert again["campaign"]["id"] == first["campaign"]["id"]

    def as_key(secret: str) -> dict[str, str]:
        return {"authorization": f"Bearer {secret}"}

    listed = await gql(desk.client, CAMPAIGNS, headers=as_key(reader))
    assert len(listed["data"]["campaigns"]["edges"]) == 1
    from tests.campaigns.helpers import CREATE

    made = await gql(
        desk.client,
        CREATE,
        {"input": {"name": "x", "body": "Hi", "audience": {"kind": "ALL_ACTIVE"}}},
        headers=as_key(reader),
    )
    assert made["data"]["createCampaign"]["code"] == "PERMISSION_DENIED"
    refused = await gql(desk.client, CAMPAIGNS, headers=as_key(nothing), expect_errors=True)
    assert refused["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
