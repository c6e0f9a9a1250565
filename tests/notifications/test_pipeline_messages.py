"""Business events become messages written from the business's templates and arrive at
the fake providers through the real SDKs: an invoice send (a DLT-registered SMS with a
short link on our domain, an email with the invoice PDF), a Hindi override as UCS-2, an
SMS to +91 without a DLT template recorded failed, a payment receipt and an order status
message; one message per event, customer and channel."""

from __future__ import annotations

import re

from domain.notifications import segments
from tests.conftest import create_customer, run_jobs, sign_up
from tests.notifications.conftest import Desk
from tests.notifications.helpers import DLT, DLT_BODY, save
from tests.notifications.ledger_helpers import ledger, run_send
from tests.notifications.pipeline_helpers import PAY, customer, invoice, rows_of, send
from tests.orders.helpers import placed

SHORT = re.compile(r"http://k\.test/p/([A-Za-z0-9_-]+)")


async def test_invoice_sms_follows_the_dlt_template_with_a_short_link_and_email_has_the_pdf(
    desk: Desk,
) -> None:
    owner = await sign_up(desk.client, "IN")
    saved = await save(owner, channel="SMS", event="INVOICE_SENT", body=DLT_BODY, dlt=DLT)
    assert saved["__typename"] == "NotificationTemplatePayload", saved
    cid = await customer(owner, phone="98450 12311", email="asha@example.com")
    inv = await invoice(owner, cid)
    request = await send(owner, inv["id"], "SMS", "EMAIL")
    await run_jobs(desk.rt)
    [sms] = [m for m in desk.twilio.messages if m["to"] == "+919845012311"]
    assert sms["body"].startswith("Dear Asha Rao, INR 300.00 is due on ")
    # the DLT ids travel with the SMS and are on its ledger row
    assert (sms["dlt_entity_id"], sms["dlt_template_id"]) == (DLT["entityId"], DLT["templateId"])
    assert f"for bill {inv['number']}. Pay http://k.test/p/" in sms["body"]
    [mail] = [m for m in desk.sendgrid.mails if m["to"] == "asha@example.com"]
    assert mail["subject"] == f"Invoice {inv['number']} from " + sms["body"].rsplit("-", 1)[1]
    texts = {c["type"]: c["value"] for c in mail["content"]}
    assert texts["text/plain"].startswith("Hello Asha Rao,") and "<p>" in texts["text/html"]
    [(filename, kind, pdf)] = mail["files"]
    assert filename == f"invoice-{inv['number']}.pdf" and kind == "application/pdf"
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF") and len(pdf) > 1000
    rows = await ledger(desk.rt, request)
    assert sorted((r.channel, r.status, r.attachment) for r in rows) == [
        ("email", "accepted", "invoice_pdf"),
        ("sms", "accepted", None),
    ]
    [sms_row] = [r for r in rows if r.channel == "sms"]
    assert (sms_row.dlt_entity_id, sms_row.dlt_template_id) == (
        DLT["entityId"],
        DLT["templateId"],
    )

    # the short link: unguessable, resolves to the payment page, expires
    code = SHORT.search(sms["body"]).group(1)  # type: ignore[union-attr]
    assert len(code) == 11  # 64 random bits
    hop = await desk.client.get(f"/p/{code}")
    assert hop.status_code == 302 and hop.headers["location"] == inv["paymentLink"]
    page = await desk.client.get(hop.headers["location"].removeprefix("http://k.test"))
    assert page.status_code == 200 and page.json()["invoice"] == inv["number"]
    assert (await desk.client.get(f"/p/{code[:-1]}x{code[-1]}")).status_code == 404
    # a second send reuses the invoice's link
    again = await send(owner, inv["id"], "SMS")
    await run_jobs(desk.rt)
    [second] = await ledger(desk.rt, again)
    assert SHORT.search(second.body).group(1) == code  # type: ignore[union-attr]
    desk.clock.advance(days=91)
    assert (await desk.client.get(f"/p/{code}")).status_code == 410


async def test_sms_to_india_without_a_dlt_template_ends_failed_with_the_reason(
    desk: Desk,
) -> None:
    owner = await sign_up(desk.client, "IN")
    cid = await customer(owner, phone="98450 12312")
    inv = await invoice(owner, cid)
    request = await send(owner, inv["id"], "SMS")
    await run_jobs(desk.rt)
    [row] = await ledger(desk.rt, request)
    assert (row.status, row.error_code, row.attempts) == ("failed", "DLT_NOT_REGISTERED", 0)
    assert "registered on DLT" in (row.error or "")
    assert not [m for m in desk.twilio.messages if m["to"] == "+919845012312"]
    assert await run_send(desk.rt, request) == "duplicate"  # settled: never retried


async def test_a_hindi_override_arrives_as_ucs2_text(desk: Desk) -> None:
    owner = await sign_up(desk.client, "IN")
    body = "{{business}}: बिल {{invoice_number}} का भुगतान करें: {{link}}"
    saved = await save(owner, channel="SMS", event="INVOICE_SENT", language="hi", body=body)
    assert saved["__typename"] == "NotificationTemplatePayload", saved
    made = await create_customer(owner, name="Ravi", phone="+254712345670", language="hi")
    cid = made["customer"]["id"]
    inv = await invoice(owner, cid)
    request = await send(owner, inv["id"], "SMS")
    await run_jobs(desk.rt)
    [sms] = [m for m in desk.twilio.messages if m["to"] == "+254712345670"]
    assert f": बिल {inv['number']} का भुगतान करें: http://k.test/p/" in sms["body"]
    counted = segments.count(sms["body"])
    assert counted.encoding is segments.Encoding.UCS_2
    [row] = await ledger(desk.rt, request)
    assert row.body == sms["body"] and row.segments == counted.segments
    # no DLT registration outside India: no DLT ids go with the message
    assert (sms["dlt_entity_id"], row.dlt_entity_id, row.dlt_template_id) == (None, None, None)


async def test_a_payment_sends_a_receipt_once_per_channel(desk: Desk) -> None:
    owner = await sign_up(desk.client, "KE")
    cid = await customer(owner, phone="+254712345671", email="wanjiru@example.com")
    inv = await invoice(owner, cid)
    paid = await owner.gql(
        PAY,
        {"input": {"invoiceId": inv["id"], "amount": "120", "method": "CASH",
                   "idempotencyKey": "receipt-1"}},
    )  # fmt: skip
    assert paid["data"]["recordPayment"]["__typename"] == "PaymentPayload", paid
    await run_jobs(desk.rt)
    [sms] = [m for m in desk.twilio.messages if m["to"] == "+254712345671"]
    assert f"Received Ksh120.00 for {inv['number']}. Thank you, Asha Rao!" in sms["body"]
    [mail] = [m for m in desk.sendgrid.mails if m["to"] == "wanjiru@example.com"]
    assert mail["subject"].startswith("Payment received - ") and not mail["files"]
    rows = await rows_of(desk.rt, cid, "invoice.payment_received")
    assert sorted(r.channel for r in rows) == ["email", "sms"]
    outbox_id = rows[0].idempotency_key.split(":")[0]
    assert await run_send(desk.rt, outbox_id) == "duplicate"
    assert len(await rows_of(desk.rt, cid, "invoice.payment_received")) == 2


async def test_an_order_status_change_sends_the_order_status_sms(desk: Desk) -> None:
    owner = await sign_up(desk.client, "KE")
    cid = await customer(owner, phone="+254712345672")
    order = await placed(owner, cid)
    changed = await owner.gql(
        """mutation($input: ChangeOrderStatusInput!) { changeOrderStatus(input: $input) {
        __typename } }""",
        {"input": {"orderId": order["id"], "status": "CONFIRMED", "expectedVersion": 1}},
    )
    assert changed["data"]["changeOrderStatus"]["__typename"] == "OrderPayload", changed
    await run_jobs(desk.rt)
    [sms] = [m for m in desk.twilio.messages if m["to"] == "+254712345672"]
    assert f"Your order {order['number']} is now confirmed." in sms["body"]
    [row] = await rows_of(desk.rt, cid, "order.status_changed")
    assert row.order_id is not None and row.status == "accepted"
