"""`sendInvoice` now delivers: an SMS with the amount, business name and payment link and
an email with plain-text and HTML parts, each on the ledger; the invoice becomes SENT and
its timeline shows each channel's send."""

from __future__ import annotations

from khata.runtime import Runtime
from schema.relay import expect_id
from tests.conftest import Actor, create_customer, run_jobs
from tests.notifications.ledger_helpers import ledger

CREATE = """mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) { __typename
  ... on InvoicePayload { invoice { id status } } } }"""
SEND = """mutation($input: SendInvoiceInput!) { sendInvoice(input: $input) { __typename
  ... on SendInvoicePayload { requestId } ... on UserError { code message } } }"""
READ = """query($id: ID!) { node(id: $id) { ... on Invoice { status sentAt timeline { kind data } } } }"""


async def test_send_invoice_delivers_sms_and_email_and_marks_it_sent(
    runtime: Runtime, owner: Actor
) -> None:
    customer = await create_customer(
        owner, name="Asha Rao", phone="98450 12311", email="asha@example.com"
    )
    created = await owner.gql(
        CREATE,
        {
            "input": {
                "customerId": customer["customer"]["id"],
                "lines": [{"description": "Seeds", "quantity": "2", "unitPrice": "150"}],
            }
        },
    )
    invoice_id = created["data"]["createInvoice"]["invoice"]["id"]
    sent = await owner.gql(SEND, {"input": {"invoiceId": invoice_id, "channels": ["SMS", "EMAIL"]}})
    request_id = sent["data"]["sendInvoice"]["requestId"]
    await run_jobs(runtime)
    await runtime.relay.flush()
    rows = await ledger(runtime, request_id)
    assert sorted((r.channel, r.status) for r in rows) == [("email", "sent"), ("sms", "sent")]
    assert all(r.invoice_id == expect_id(invoice_id, "Invoice") for r in rows)
    sms = next(r for r in rows if r.channel == "sms")
    assert (
        sms.recipient == "+919845012311"
        and "354.00" in sms.body
        and sms.body.startswith("Shop ")
        and "/pay/" in sms.body
    )
    email = next(r for r in rows if r.channel == "email")
    assert email.recipient == "asha@example.com" and (email.subject or "").startswith("Invoice")
    read = (await owner.gql(READ, {"id": invoice_id}))["data"]["node"]
    assert read["status"] == "SENT" and read["sentAt"]
    sends = [e["data"]["channels"] for e in read["timeline"] if e["kind"] == "sent"]
    assert sorted(sends) == [["email"], ["sms"]]
    # a second run of the job sends nothing more
    await runtime.jobs.enqueue("send_notification", job_id=f"{request_id}-2", outbox_id=request_id)
    await run_jobs(runtime)
    assert len(await ledger(runtime, request_id)) == 2
