"""Invoices, payments, credit notes, statements and the payment webhook, end to end"""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from domain.invoicing.models import Payment
from khata.runtime import Runtime
from tests.conftest import (
    Actor,
)
from tests.invoicing.helpers import _rid, customer_id, invoice, pay


async def test_one_idempotency_key_gives_one_payment_under_concurrency(
    owner: Actor, runtime: Runtime
) -> None:
    cid = await customer_id(owner)
    inv = (
        await invoice(
            owner,
            cid,
            [{"description": "Seeds", "quantity": "1", "unitPrice": "1000", "taxRate": "0"}],
        )
    )["invoice"]
    results = await asyncio.gather(*(pay(owner, inv["id"], "400", "pay-once-1") for _ in range(20)))
    assert all(r["__typename"] == "PaymentPayload" for r in results), results
    assert len({r["payment"]["id"] for r in results}) == 1
    assert sum(not r["replayed"] for r in results) == 1
    async with runtime.db.read() as session:
        count = await session.scalar(
            select(func.count(Payment.id)).where(
                Payment.idempotency_key == "pay-once-1", Payment.invoice_id == int(_rid(inv["id"]))
            )
        )
    assert count == 1
    final = await owner.gql(
        "query($id: ID!) { invoice(id: $id) { balance { amount } status } }", {"id": inv["id"]}
    )
    assert final["data"]["invoice"] == {"balance": {"amount": "600.00"}, "status": "PARTIALLY_PAID"}
    conflict = await pay(owner, inv["id"], "401", "pay-once-1")
    assert conflict["__typename"] == "ConflictError"


async def test_concurrent_payments_never_go_below_zero(owner: Actor) -> None:
    cid = await customer_id(owner)
    inv = (
        await invoice(
            owner,
            cid,
            [{"description": "Tractor hire", "quantity": "1", "unitPrice": "1000", "taxRate": "0"}],
        )
    )["invoice"]
    results = await asyncio.gather(*(pay(owner, inv["id"], "300", f"split-{i}") for i in range(10)))
    ok = [r for r in results if r["__typename"] == "PaymentPayload"]
    refused = [r for r in results if r["__typename"] == "ValidationError"]
    assert len(ok) == 3 and len(refused) == 7
    assert all(r["fields"][0]["code"] == "OVERPAYMENT" for r in refused)
    final = await owner.gql(
        "query($id: ID!) { invoice(id: $id) { balance { amount } amountPaid { amount } } }",
        {"id": inv["id"]},
    )
    assert final["data"]["invoice"] == {
        "balance": {"amount": "100.00"},
        "amountPaid": {"amount": "900.00"},
    }


async def test_overpayment_kept_as_credit_then_used(owner: Actor) -> None:
    cid = await customer_id(owner)
    first = (
        await invoice(
            owner, cid, [{"description": "A", "quantity": "1", "unitPrice": "100", "taxRate": "0"}]
        )
    )["invoice"]
    paid = await pay(owner, first["id"], "150", "over-1", keepExcessAsCredit=True)
    assert (
        paid["invoice"]["status"] == "PAID"
        and paid["payment"]["excessToCredit"]["amount"] == "50.00"
    )
    second = (
        await invoice(
            owner, cid, [{"description": "B", "quantity": "1", "unitPrice": "80", "taxRate": "0"}]
        )
    )["invoice"]
    used = await owner.gql(
        """mutation($id: ID!) { applyCustomerCredit(input: { invoiceId: $id, idempotencyKey: "credit-1" }) {
        __typename ... on PaymentPayload { invoice { balance { amount } status } } } }""",
        {"id": second["id"]},
    )
    assert used["data"]["applyCustomerCredit"]["invoice"] == {
        "balance": {"amount": "30.00"},
        "status": "PARTIALLY_PAID",
    }
    body = await owner.gql(
        "query($id: ID!) { customer(id: $id) { creditBalance { amount } } }", {"id": cid}
    )
    assert body["data"]["customer"]["creditBalance"]["amount"] == "0.00"


async def test_reverse_credit_note_and_void_rules(owner: Actor) -> None:
    cid = await customer_id(owner)
    inv = (
        await invoice(
            owner,
            cid,
            [{"description": "Pump", "quantity": "1", "unitPrice": "500", "taxRate": "0"}],
        )
    )["invoice"]
    paid = await pay(owner, inv["id"], "200", "rev-1")
    void = await owner.gql(
        """mutation($id: ID!) { voidInvoice(input: { id: $id, reason: "typo" }) { __typename } }""",
        {"id": inv["id"]},
    )
    assert void["data"]["voidInvoice"]["__typename"] == "ConflictError"
    reversed_ = await owner.gql(
        """mutation($id: ID!) { reversePayment(input: { id: $id, reason: "bounced" }) {
        __typename ... on PaymentPayload { payment { state } invoice { balance { amount } status } } } }""",
        {"id": paid["payment"]["id"]},
    )
    assert reversed_["data"]["reversePayment"]["invoice"] == {
        "balance": {"amount": "500.00"},
        "status": "ISSUED",
    }
    assert reversed_["data"]["reversePayment"]["payment"]["state"] == "REVERSED"
    note = await owner.gql(
        """mutation($id: ID!) { issueCreditNote(input: { invoiceId: $id, amount: "120", reason: "damaged" }) {
        __typename ... on CreditNotePayload { creditNote { number amount { amount } } invoice { balance { amount } } } } }""",
        {"id": inv["id"]},
    )
    result = note["data"]["issueCreditNote"]
    assert result["creditNote"] == {"number": "CN-00001", "amount": {"amount": "120.00"}}
    assert result["invoice"]["balance"]["amount"] == "380.00"
    void = await owner.gql(
        """mutation($id: ID!) { voidInvoice(input: { id: $id, reason: "duplicate" }) {
        __typename ... on InvoicePayload { invoice { status balance { amount } timeline { kind } } } } }""",
        {"id": inv["id"]},
    )
    voided = void["data"]["voidInvoice"]["invoice"]
    assert voided["status"] == "VOID" and voided["balance"]["amount"] == "0.00"
    kinds = [e["kind"] for e in voided["timeline"]]
    assert kinds[0] == "issued" and "payment_recorded" in kinds and "payment_reversed" in kinds
    assert "credit_note_issued" in kinds and kinds[-1] == "voided"
