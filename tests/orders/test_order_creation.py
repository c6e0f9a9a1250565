"""Creating and reading orders: numbering, totals by the invoicing tax engine, delivery
address copied onto the order, channel and placer, idempotency, validation."""

from __future__ import annotations

from datetime import timedelta

import httpx

from tests.conftest import Actor, gql, sign_up
from tests.invoicing.helpers import local_today
from tests.orders.helpers import create_order, customer_id, placed

BY_NUMBER = "query($n: String!) { orderByNumber(number: $n) { id number status } }"


async def test_numbers_are_gapless_per_business_with_the_business_prefix(
    client: httpx.AsyncClient,
) -> None:
    a = await sign_up(client)
    b = await sign_up(client)
    ca, cb = await customer_id(a), await customer_id(b)
    first = await placed(a, ca)
    refused = await create_order(a, ca, lines=[])  # a refusal spends no number
    assert refused["__typename"] == "ValidationError", refused
    second = await placed(a, ca)
    other = await placed(b, cb)
    assert [first["number"], second["number"]] == ["ORD-00001", "ORD-00002"]
    assert other["number"] == "ORD-00001"
    found = (await a.gql(BY_NUMBER, {"n": "ord-00002"}))["data"]["orderByNumber"]
    assert found == {"id": second["id"], "number": "ORD-00002", "status": "PENDING"}


async def test_a_business_sets_its_own_order_prefix(client: httpx.AsyncClient) -> None:
    body = await gql(
        client,
        """mutation($input: SignUpInput!) { signUp(input: $input) { __typename
          ... on SignUpPayload { auth { token user { id } } business { id orderPrefix } } } }""",
        {
            "input": {
                "email": "prefix-orders@example.com",
                "password": "correct horse battery",
                "name": "Owner",
                "business": {"name": "Prefixed", "country": "IN", "orderPrefix": "SO"},
            }
        },
    )
    result = body["data"]["signUp"]
    assert result["business"]["orderPrefix"] == "SO"
    actor = Actor(
        result["auth"]["token"],
        result["business"]["id"],
        result["auth"]["user"]["id"],
        "prefix-orders@example.com",
        "correct horse battery",
        client,
    )
    assert (await placed(actor, await customer_id(actor)))["number"] == "SO-00001"


async def test_totals_come_from_the_invoicing_tax_engine(owner: Actor) -> None:
    cid = await customer_id(owner)
    order = await placed(
        owner,
        cid,
        lines=[
            {"description": "Rice", "quantity": "2", "unitPrice": "100", "taxRate": "5"},
            {
                "description": "Oil",
                "quantity": "1",
                "unitPrice": "200",
                "taxRate": "18",
                "discountPercent": "10",
            },
        ],
    )
    assert order["subtotal"]["amount"] == "400.00"  # before the 20 of discount
    assert order["taxTotal"]["amount"] == "42.40"  # 5% of 200 + 18% of 180
    assert order["total"] == {"amount": "422.40", "currency": "INR"}
    # India, no place of supply: intra-state GST splits into CGST and SGST
    assert {t["name"] for t in order["taxes"]} == {"CGST", "SGST"}
    assert order["status"] == "PENDING" and order["version"] == 1
    assert order["channel"] == "COUNTER"
    assert order["placedBy"].startswith("user:")


async def test_delivery_address_is_copied_from_the_customer_or_given_once(
    owner: Actor,
) -> None:
    created = await gql(
        owner.client,
        """mutation($input: CreateCustomerInput!) { createCustomer(input: $input) {
          ... on CustomerPayload { customer { id addresses { id city } } } } }""",
        {
            "input": {
                "name": "Has Address",
                "addresses": [{"street": "1 MG Road", "city": "Pune", "isDefault": True}],
            }
        },
        headers=owner.headers,
    )
    customer = created["data"]["createCustomer"]["customer"]
    address_id = customer["addresses"][0]["id"]
    by_default = await placed(owner, customer["id"])
    assert by_default["deliveryAddress"]["city"] == "Pune"
    chosen = await placed(owner, customer["id"], deliveryAddressId=address_id)
    assert chosen["deliveryAddress"] == {
        "street": "1 MG Road",
        "city": "Pune",
        "country": "IN",
        "deliveryNotes": None,
    }
    one_off = await placed(
        owner, customer["id"], deliveryAddress={"street": "Stall 4", "city": "Mumbai"}
    )
    assert one_off["deliveryAddress"]["city"] == "Mumbai"
    both = await create_order(
        owner,
        customer["id"],
        deliveryAddressId=address_id,
        deliveryAddress={"street": "x", "city": "y"},
    )
    assert both["__typename"] == "ValidationError"
    assert [f["code"] for f in both["fields"]] == ["ADDRESS_CONFLICT"]
    # another customer's address is not this customer's
    other = await customer_id(owner, name="Someone Else")
    wrong = await create_order(owner, other, deliveryAddressId=address_id)
    assert wrong["__typename"] == "ValidationError"
    assert wrong["fields"][0]["field"] == "deliveryAddressId"


async def test_every_bad_field_is_reported_at_once(owner: Actor) -> None:
    cid = await customer_id(owner)
    yesterday = (local_today() - timedelta(days=1)).isoformat()
    result = await create_order(
        owner,
        cid,
        lines=[{"description": " ", "quantity": "1", "unitPrice": "5"}],
        expectedDeliveryDate=yesterday,
        currency="XYZ",
    )
    assert result["__typename"] == "ValidationError", result
    fields = {f["field"]: f["code"] for f in result["fields"]}
    assert fields == {
        "lines.0.description": "REQUIRED",
        "expectedDeliveryDate": "DELIVERY_IN_PAST",
        "currency": "INVALID_CURRENCY",
    }


async def test_idempotency_key_replays_the_first_order(owner: Actor) -> None:
    cid = await customer_id(owner)
    first = await create_order(owner, cid, idempotencyKey="order-1")
    again = await create_order(owner, cid, idempotencyKey="order-1")
    assert again["replayed"] is True
    assert again["order"]["id"] == first["order"]["id"]
    changed = await create_order(owner, cid, idempotencyKey="order-1", notes="something else")
    assert changed["__typename"] == "ConflictError", changed
    nxt = await placed(owner, cid)
    assert nxt["number"] == "ORD-00002"  # the replay took no number


async def test_drafts_start_as_draft_and_future_delivery_is_kept(owner: Actor) -> None:
    cid = await customer_id(owner)
    when = (local_today() + timedelta(days=3)).isoformat()
    order = await placed(owner, cid, draft=True, expectedDeliveryDate=when, channel="PHONE")
    assert order["status"] == "DRAFT"
    assert order["allowedNextStatuses"] == ["PENDING", "CANCELLED"]
    assert order["expectedDeliveryDate"] == when
    assert order["channel"] == "PHONE"
    assert order["isDeliveryOverdue"] is False


async def test_order_node_and_foreign_business(owner: Actor, other_owner: Actor) -> None:
    cid = await customer_id(owner)
    order = await placed(owner, cid)
    q = "query($id: ID!) { node(id: $id) { ... on Order { number } } order(id: $id) { id } }"
    mine = (await owner.gql(q, {"id": order["id"]}))["data"]
    assert mine == {"node": {"number": "ORD-00001"}, "order": {"id": order["id"]}}
    theirs = (await other_owner.gql(q, {"id": order["id"]}))["data"]
    assert theirs == {"node": None, "order": None}
    assert (await other_owner.gql(BY_NUMBER, {"n": "ORD-00001"}))["data"]["orderByNumber"] is None
    # the other business cannot place an order for this business's customer
    refused = await create_order(other_owner, cid)
    assert refused["__typename"] == "NotFoundError", refused
