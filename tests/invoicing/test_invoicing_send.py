"""`sendInvoice` records a pending send request: nothing is delivered yet, so the invoice
keeps its status and has no `sentAt`."""

from __future__ import annotations

from tests.conftest import Actor, create_customer

CREATE = """mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) { __typename
  ... on InvoicePayload { invoice { id status } } } }"""
SEND = """mutation($input: SendInvoiceInput!) { sendInvoice(input: $input) { __typename
  ... on SendInvoicePayload { requestId invoice { status sentAt timeline { kind data } } }
  ... on UserError { code message } } }"""


async def test_send_invoice_is_pending_not_sent(owner: Actor) -> None:
    cid = (await create_customer(owner, name="Send Customer", phone="98450 12399"))["customer"][
        "id"
    ]
    created = await owner.gql(
        CREATE,
        {
            "input": {
                "customerId": cid,
                "lines": [{"description": "Seeds", "quantity": "1", "unitPrice": "100"}],
            }
        },
    )
    inv = created["data"]["createInvoice"]["invoice"]
    assert inv["status"] == "ISSUED"
    body = await owner.gql(
        SEND,
        {
            "input": {
                "invoiceId": inv["id"],
                "channels": ["SMS", "email"],
                "scheduledAt": "2030-01-01T09:00:00Z",
            }
        },
    )
    result = body["data"]["sendInvoice"]
    assert result["__typename"] == "SendInvoicePayload", result
    assert result["requestId"]
    assert result["invoice"]["status"] == "ISSUED" and result["invoice"]["sentAt"] is None
    pending = [e for e in result["invoice"]["timeline"] if e["kind"] == "send_requested"]
    assert len(pending) == 1 and pending[0]["data"]["channels"] == ["email", "sms"]
    assert pending[0]["data"]["scheduledAt"].startswith("2030-01-01T09:00")
    assert not any(e["kind"] in ("sent", "status_changed") for e in result["invoice"]["timeline"])
