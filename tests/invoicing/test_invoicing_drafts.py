"""Drafts from plain language, versions, conversion with a send request, suggestions."""

from __future__ import annotations

from typing import Any

from domain.core.outbox import OutboxEvent
from khata.runtime import Runtime
from tests.conftest import Actor, create_customer

DRAFT = """id status source confidence warnings currency version
  lines { description quantity unit unitPrice discountPercent }
  totals { subtotal { amount } taxTotal { amount } total { amount } }"""
GENERATE = (
    """mutation($c: ID!, $p: String!) { generateInvoiceDraft(input: { customerId: $c, prompt: $p }) {
  __typename ... on DraftPayload { draft { %s } } ... on ValidationError { fields { field code } }
  ... on UserError { code } } }"""
    % DRAFT
)


async def _customer(actor: Actor) -> str:
    return (await create_customer(actor, name="Farmer Ramesh", phone="98450 12345"))["customer"][
        "id"
    ]  # type: ignore[no-any-return]


async def test_generate_draft_from_prompt_then_convert_and_send(
    owner: Actor, runtime: Runtime
) -> None:
    cid = await _customer(owner)
    body = await owner.gql(GENERATE, {"c": cid, "p": "2 bags urea @ 266 and 1 DAP 1350"})
    result = body["data"]["generateInvoiceDraft"]
    assert result["__typename"] == "DraftPayload", result
    draft = result["draft"]
    assert draft["source"] == "generated"
    lines = [(line["quantity"], line["unitPrice"]) for line in draft["lines"]]
    assert lines == [("2", "266.00"), ("1", "1350.00")]
    assert 0 < draft["confidence"] <= 1
    assert draft["totals"]["subtotal"]["amount"] == "1882.00"
    converted = await owner.gql(
        """mutation($id: ID!) { convertDraftToInvoice(input: { id: $id,
        send: {channels: ["sms", "email"], message: "Thank you!"} }) { __typename
        ... on ConvertDraftPayload { sendRequestId draft { status }
            invoice { number status sentAt total { amount } timeline { kind data } } } } }""",
        {"id": draft["id"]},
    )
    payload = converted["data"]["convertDraftToInvoice"]
    # nothing has been sent yet: the request is pending, the invoice stays ISSUED
    assert payload["draft"]["status"] == "CONVERTED" and payload["invoice"]["status"] == "ISSUED"
    assert payload["invoice"]["sentAt"] is None
    kinds = [e["kind"] for e in payload["invoice"]["timeline"]]
    assert "send_requested" in kinds and "sent" not in kinds, kinds
    async with runtime.db.read() as session:
        event = await session.get(OutboxEvent, payload["sendRequestId"])
    assert event is not None and event.topic == "invoice.send_requested"
    assert event.payload["channels"] == ["email", "sms"] and event.payload["includePdf"] is True
    assert (
        "customerPhone" not in event.payload  # pub/sub carries no contact data
        and "/pay/" in event.payload["paymentLink"]
    )
    assert event.payload["number"] == payload["invoice"]["number"]
    again = await owner.gql(
        """mutation($id: ID!) { convertDraftToInvoice(input: { id: $id }) { __typename } }""",
        {"id": draft["id"]},
    )
    assert again["data"]["convertDraftToInvoice"]["__typename"] == "ConflictError"


async def test_missing_price_comes_from_history_or_blocks_conversion(owner: Actor) -> None:
    cid = await _customer(owner)
    draft = (await owner.gql(GENERATE, {"c": cid, "p": "3 bags potash"}))["data"][
        "generateInvoiceDraft"
    ]["draft"]
    assert draft["lines"][0]["unitPrice"] is None and draft["totals"] is None
    assert any("price" in w.lower() for w in draft["warnings"])
    blocked = await owner.gql(
        """mutation($id: ID!) { convertDraftToInvoice(input: { id: $id }) { __typename
        ... on ValidationError { fields { field code } } } }""",
        {"id": draft["id"]},
    )
    assert blocked["data"]["convertDraftToInvoice"]["fields"] == [
        {"field": "lines.0.unitPrice", "code": "REQUIRED"}
    ]
    await owner.gql(
        """mutation($c: ID!) { createInvoice(input: {customerId: $c, lines: [
        {description: "potash", quantity: "1", unitPrice: "900", unit: "bag"}]}) { __typename } }""",
        {"c": cid},
    )
    later = (await owner.gql(GENERATE, {"c": cid, "p": "3 bags potash"}))["data"][
        "generateInvoiceDraft"
    ]["draft"]
    assert later["lines"][0]["unitPrice"] == "900.00"
    assert later["confidence"] > draft["confidence"]


async def test_edits_keep_versions(owner: Actor) -> None:
    cid = await _customer(owner)
    created = await owner.gql(
        """mutation($c: ID!) { createInvoiceDraft(input: {customerId: $c,
        lines: [{description: "Hosting", quantity: "1", unitPrice: "15000"}]}) {
        ... on DraftPayload { draft { id version } } } }""",
        {"c": cid},
    )
    draft_id = created["data"]["createInvoiceDraft"]["draft"]["id"]
    for price in ("16000", "17000"):
        await owner.gql(
            """mutation($id: ID!, $p: Decimal!) { updateInvoiceDraft(input: {id: $id,
            lines: [{description: "Hosting", quantity: "1", unitPrice: $p}]}) { __typename } }""",
            {"id": draft_id, "p": price},
        )
    body = await owner.gql(
        """query($id: ID!) { invoiceDraft(id: $id) { version lines { unitPrice } }
        invoiceDraftVersions(id: $id) { version snapshot } }""",
        {"id": draft_id},
    )
    assert body["data"]["invoiceDraft"] == {"version": 3, "lines": [{"unitPrice": "17000.00"}]}
    versions = body["data"]["invoiceDraftVersions"]
    assert [v["version"] for v in versions] == [1, 2]
    assert [v["snapshot"]["lines"][0]["unit_price"] for v in versions] == ["15000", "16000"]


async def test_other_business_cannot_see_or_convert_drafts(
    owner: Actor, other_owner: Actor
) -> None:
    cid = await _customer(owner)
    draft = (await owner.gql(GENERATE, {"c": cid, "p": "1 bag urea @ 266"}))["data"][
        "generateInvoiceDraft"
    ]["draft"]
    body = await other_owner.gql(
        "query($id: ID!) { invoiceDraft(id: $id) { id } }", {"id": draft["id"]}
    )
    assert body["data"]["invoiceDraft"] is None
    stolen = await other_owner.gql(
        "mutation($id: ID!) { convertDraftToInvoice(input: { id: $id }) { __typename } }",
        {"id": draft["id"]},
    )
    assert stolen["data"]["convertDraftToInvoice"]["__typename"] == "NotFoundError"
    gen = await other_owner.gql(GENERATE, {"c": cid, "p": "1 bag urea @ 266"})
    assert gen["data"]["generateInvoiceDraft"]["__typename"] == "NotFoundError"


async def test_monthly_pattern_is_suggested(owner: Actor) -> None:
    cid = await _customer(owner)
    for month in ("2026-07-05", "2026-08-05", "2026-09-04", "2026-10-05"):
        await owner.gql(
            """mutation($c: ID!, $d: Date!) { createInvoice(input: {customerId: $c, issueDate: $d, lines: [
            {description: "Web hosting", quantity: "1", unitPrice: "15000", unit: "month"}]}) { __typename } }""",
            {"c": cid, "d": month},
        )
    body = await owner.gql(
        "query($c: ID!) { suggestInvoices(customerId: $c) { cadence nextDate reasoning lines { description unitPrice } } }",
        {"c": cid},
    )
    suggestions = body["data"]["suggestInvoices"]
    assert len(suggestions) == 1
    s = suggestions[0]
    assert s["cadence"] == "monthly" and s["nextDate"].startswith("2026-11")
    assert s["lines"] == [{"description": "Web hosting", "unitPrice": "15000.00"}]
    assert "monthly" in s["reasoning"]


async def test_templates_one_default(owner: Actor) -> None:
    make = """mutation($n: String!, $d: Boolean!) { createInvoiceTemplate(input: {name: $n, makeDefault: $d,
        paymentDetails: {upi_id: "shop@upi"}}) { __typename ... on TemplatePayload { template { name isDefault } } } }"""
    first: dict[str, Any] = await owner.gql(make, {"n": "Classic", "d": False})
    assert first["data"]["createInvoiceTemplate"]["template"]["isDefault"] is True
    await owner.gql(make, {"n": "Modern", "d": True})
    body = await owner.gql("{ invoiceTemplates { name isDefault } }")
    assert body["data"]["invoiceTemplates"] == [
        {"name": "Classic", "isDefault": False},
        {"name": "Modern", "isDefault": True},
    ]


async def test_draft_preview_html_and_pdf(owner: Actor, client) -> None:  # type: ignore[no-untyped-def]
    cid = await _customer(owner)
    draft = (await owner.gql(GENERATE, {"c": cid, "p": "2 bags urea @ 266 <script>x</script>"}))[
        "data"
    ]["generateInvoiceDraft"]["draft"]
    body = await owner.gql(
        "query($id: ID!) { invoiceDraftPreview(id: $id) { html pdfUrl } }", {"id": draft["id"]}
    )
    preview = body["data"]["invoiceDraftPreview"]
    assert "Farmer Ramesh" in preview["html"] and "<script>x" not in preview["html"]
    pdf = await client.get(preview["pdfUrl"].removeprefix("http://127.0.0.1:8000"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
