"""Recording, editing and deleting counter purchases: totals by the money rules, customer
aggregates recomputed in the same transaction, audit entries, the walk-in guest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from domain.core.audit import AuditEvent
from khata.runtime import Runtime
from schema.relay import parse_global_id
from tests.conftest import Actor
from tests.purchases.helpers import DELETE, UPDATE, customer, item, new_customer, record


async def test_a_purchase_moves_the_customers_totals(owner: Actor) -> None:
    cid = await new_customer(owner)
    first = await record(
        owner,
        cid,
        [item("Rice 5kg", "320.50", "2"), item("Salt", "0.125", "3")],
        "UPI",
        purchasedAt="2026-01-10T10:00:00+05:30",
        notes="festival",
    )
    assert first["__typename"] == "PurchasePayload", first
    purchase = first["purchase"]
    # 2 x 320.50 + 3 x 0.125 (0.375 -> 0.38): each item at the currency's minor unit
    assert [i["total"]["amount"] for i in purchase["items"]] == ["641.00", "0.38"]
    assert purchase["items"][1]["unitPrice"]["amount"] == "0.125"
    assert purchase["total"] == {"amount": "641.38", "currency": "INR"}
    assert purchase["method"] == "UPI" and purchase["notes"] == "festival"
    assert purchase["purchasedOn"] == "2026-01-10"
    summary = first["customer"]["purchases"]
    assert summary["purchaseCount"] == 1 and summary["purchaseTotal"]["amount"] == "641.38"
    assert summary["firstPurchaseOn"] == summary["lastPurchaseOn"] == "2026-01-10"

    second = await record(owner, cid, [item("Oil", "200")], purchasedAt="2026-02-01T09:00:00Z")
    summary = second["customer"]["purchases"]
    assert summary["purchaseCount"] == 2
    assert summary["totalSpent"]["amount"] == "841.38"
    assert (summary["firstPurchaseOn"], summary["lastPurchaseOn"]) == ("2026-01-10", "2026-02-01")


async def test_edit_and_delete_recompute_and_leave_an_audit_entry(
    owner: Actor, runtime: Runtime
) -> None:
    cid = await new_customer(owner)
    a = (await record(owner, cid, [item("Tea", "100")], purchasedAt="2026-03-01T08:00:00Z"))[
        "purchase"
    ]
    await record(owner, cid, [item("Sugar", "50")], purchasedAt="2026-03-05T08:00:00Z")

    body = await owner.gql(
        UPDATE,
        {
            "input": {
                "id": a["id"],
                "items": [item("Tea", "100", "3")],
                "method": "CARD",
                "purchasedAt": "2026-03-09T08:00:00Z",
            }
        },
    )
    edited = body["data"]["updatePurchase"]
    assert edited["__typename"] == "PurchasePayload", edited
    assert edited["purchase"]["total"]["amount"] == "300.00"
    assert edited["purchase"]["method"] == "CARD"
    summary = edited["customer"]["purchases"]
    assert summary["purchaseTotal"]["amount"] == "350.00"
    assert (summary["firstPurchaseOn"], summary["lastPurchaseOn"]) == ("2026-03-05", "2026-03-09")

    body = await owner.gql(DELETE, {"input": {"id": a["id"]}})
    deleted = body["data"]["deletePurchase"]
    assert deleted["__typename"] == "DeletePurchasePayload", deleted
    summary = deleted["customer"]["purchases"]
    assert summary["purchaseCount"] == 1 and summary["purchaseTotal"]["amount"] == "50.00"
    assert summary["firstPurchaseOn"] == summary["lastPurchaseOn"] == "2026-03-05"

    async with runtime.db.read() as session:
        rows = (
            await session.scalars(
                select(AuditEvent)
                .where(
                    AuditEvent.target_type == "purchase",
                    AuditEvent.target_id == parse_global_id(a["id"])[1],
                )
                .order_by(AuditEvent.id)
            )
        ).all()
    assert [r.action for r in rows] == ["purchase.recorded", "purchase.updated", "purchase.deleted"]
    assert rows[1].data["before"]["total"] == "100.00"
    assert set(rows[1].data["fields"]) == {"items", "method", "purchasedAt", "total"}
    assert rows[2].data["total"] == "300.00"  # the deleted purchase, kept in the trail

    again = await owner.gql(DELETE, {"input": {"id": a["id"]}})
    assert again["data"]["deletePurchase"]["code"] == "NOT_FOUND"


async def test_walk_in_guest_is_made_once_and_marked(owner: Actor) -> None:
    first = await record(owner, None, [item("Soap", "40")])
    second = await record(owner, None, [item("Soap", "40")], "MPESA")
    guest = first["customer"]
    assert guest["isWalkIn"] is True and guest["name"] == "Walk-in guest"
    assert second["customer"]["id"] == guest["id"]
    assert second["customer"]["purchases"]["purchaseCount"] == 2
    other = await new_customer(owner)
    assert (await customer(owner, other))["isWalkIn"] is False


async def test_bad_purchases_are_refused_with_field_errors(owner: Actor) -> None:
    cid = await new_customer(owner)
    empty = await record(owner, cid, [])
    assert empty["__typename"] == "ValidationError"
    assert [f["field"] for f in empty["fields"]] == ["items"]
    bad = await record(owner, cid, [item(" ", "-1", "0")])
    assert {(f["field"], f["code"]) for f in bad["fields"]} == {
        ("items.0.name", "REQUIRED"),
        ("items.0.quantity", "OUT_OF_RANGE"),
        ("items.0.unitPrice", "NEGATIVE"),
    }
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    future = await record(owner, cid, [item("Tea", "1")], purchasedAt=tomorrow)
    assert future["fields"][0]["code"] == "IN_THE_FUTURE"
    currency = await record(owner, cid, [item("Tea", "1")], currency="XYZ")
    assert currency["fields"][0]["code"] == "INVALID_CURRENCY"
    assert (await customer(owner, cid))["purchases"]["purchaseCount"] == 0
