"""The notification job reads the customer's phone and email by the customer's id when it
composes a business event's messages, never from the event's payload: contact data in a
payload (which also travels on Redis pub/sub for the live streams) is neither needed nor
trusted, so payload builders may leave it out."""

from __future__ import annotations

from domain.core import outbox
from domain.core.tx import Tx
from domain.core.viewer import Viewer
from schema.relay import expect_id
from tests.conftest import sign_up
from tests.notifications.conftest import Desk
from tests.notifications.ledger_helpers import run_send
from tests.notifications.pipeline_helpers import customer, rows_of


async def test_a_receipt_goes_to_the_customers_stored_contacts_not_the_payloads(
    desk: Desk,
) -> None:
    owner = await sign_up(desk.client, "KE")
    cid = await customer(owner, phone="+254712345721", email="stored@example.com")
    business = expect_id(owner.business_id, "Business")
    payload = {
        "customerId": expect_id(cid, "Customer"),
        "invoiceId": 1,
        "number": "INV-00001",
        "amount": "120.00",
        "currency": "KES",
        # stale or foreign contact data in the payload: ignored
        "customerPhone": "+254799999999",
        "customerEmail": "payload@example.com",
    }
    async with desk.rt.db.unit_of_work() as session:
        tx = Tx(session, Viewer.system_actor("test", business_id=business), desk.clock)
        event = outbox.emit(tx, "invoice.payment_received", payload)
    assert await run_send(desk.rt, event.id) == "sent"
    assert [m["to"] for m in desk.twilio.messages] == ["+254712345721"]
    assert [m["to"] for m in desk.sendgrid.mails] == ["stored@example.com"]
    rows = await rows_of(desk.rt, cid)
    assert sorted(r.recipient for r in rows) == ["+254712345721", "stored@example.com"]
