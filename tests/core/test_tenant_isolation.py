"""Business B can neither read, search, change, merge nor `node()` business A's customers,
nor learn that they exist: a foreign id answers exactly like a missing one."""

from __future__ import annotations

from sqlalchemy import select

from domain.customers.models import Customer as CustomerRow
from khata.runtime import Runtime
from schema.relay import parse_global_id, to_global_id
from tests.conftest import Actor, create_customer

RESULT = "__typename ... on UserError { code message }"


async def test_foreign_customers_are_invisible(
    owner: Actor, other_owner: Actor, runtime: Runtime
) -> None:
    a = (
        await create_customer(
            owner,
            name="Ramesh Secret",
            phone="98765 12345",
            email="ramesh.secret@example.com",
            addresses=[{"city": "Pune", "street": "1 MG Road"}],
        )
    )["customer"]
    a_id, a_address = a["id"], a["addresses"][0]["id"]
    missing = to_global_id("Customer", 10**9)
    b = other_owner

    for cid in (a_id, missing):
        body = await b.gql(
            "query($id: ID!) { customer(id: $id) { id } node(id: $id) { id } "
            "customerDuplicates(id: $id) { customer { id } } }",
            {"id": cid},
        )
        assert body["data"] == {"customer": None, "node": None, "customerDuplicates": []}

    for term in ("Ramesh", "12345", "+919876512345", "ramesh.secret@example.com", a["number"]):
        body = await b.gql(
            "query($t: String!) { searchCustomers(term: $t) { exact { id } suggestions { id } } "
            "customers(first: 50, search: $t) { totalCount edges { node { id } } } }",
            {"t": term},
        )
        found = body["data"]
        assert (
            found["searchCustomers"]["exact"] == []
            and found["searchCustomers"]["suggestions"] == []
        )
        assert found["customers"]["totalCount"] == 0 and found["customers"]["edges"] == []

    mutations = [
        (
            'mutation($id: ID!) { updateCustomer(input: {id: $id, name: "Hijack"}) { %s } }',
            {"id": a_id},
        ),
        ("mutation($id: ID!) { deactivateCustomer(input: { id: $id }) { %s } }", {"id": a_id}),
        ("mutation($id: ID!) { reactivateCustomer(input: { id: $id }) { %s } }", {"id": a_id}),
        (
            'mutation($id: ID!) { upgradeCustomer(input: {id: $id, to: FULL, email: "x@example.com"}) { %s } }',
            {"id": a_id},
        ),
        (
            'mutation($id: ID!) { addCustomerAddress(input: { customerId: $id, address: {city: "Nairobi"} }) { %s } }',
            {"id": a_id},
        ),
        (
            "mutation($id: ID!) { removeCustomerAddress(input: { id: $id }) { %s } }",
            {"id": a_address},
        ),
        (
            "mutation($id: ID!) { setDefaultCustomerAddress(input: { id: $id }) { %s } }",
            {"id": a_address},
        ),
        (
            'mutation($id: ID!) { updateCustomerAddress(input: { id: $id, address: {city: "Mombasa"} }) { %s } }',
            {"id": a_address},
        ),
    ]
    for template, variables in mutations:
        body = await b.gql(template % RESULT, variables)
        outcome = next(iter(body["data"].values()))
        assert outcome["__typename"] == "NotFoundError", (template, outcome)

    mine = (await create_customer(b, name="B's own"))["customer"]["id"]
    for source, target in ((a_id, mine), (mine, a_id)):
        body = await b.gql(
            "mutation($s: ID!, $t: ID!) { mergeCustomers(input: {sourceId: $s, targetId: $t}) { %s } }"
            % RESULT,
            {"s": source, "t": target},
        )
        assert body["data"]["mergeCustomers"]["__typename"] == "NotFoundError"

    # A's record is untouched by all of the above.
    body = await owner.gql(
        "query($id: ID!) { customer(id: $id) { name status addresses { city } } }", {"id": a_id}
    )
    assert body["data"]["customer"] == {
        "name": "Ramesh Secret",
        "status": "ACTIVE",
        "addresses": [{"city": "Pune"}],
    }


async def test_same_phone_in_two_businesses_shares_one_person_but_not_data(
    owner: Actor,
    client,
    runtime: Runtime,  # type: ignore[no-untyped-def]
) -> None:
    from tests.conftest import sign_up

    other_india = await sign_up(client, "IN")
    a = (
        await create_customer(
            owner, name="Shared Person", phone="+91 99887 76655", notes="A's notes"
        )
    )["customer"]
    auto = await other_india.gql("""mutation { autoRegisterCustomer(input: {phone: "9988776655"}) {
        ... on AutoRegisterPayload { created customer { id name notes } } } }""")
    b = auto["data"]["autoRegisterCustomer"]
    assert b["created"] is True  # B learns nothing from A's existing record
    assert b["customer"]["id"] != a["id"] and b["customer"]["notes"] is None
    async with runtime.db.read() as session:
        rows = (
            await session.scalars(
                select(CustomerRow).where(
                    CustomerRow.id.in_(
                        [parse_global_id(a["id"])[1], parse_global_id(b["customer"]["id"])[1]]
                    )
                )
            )
        ).all()
    assert len(rows) == 2 and rows[0].person_id is not None
    assert rows[0].person_id == rows[1].person_id  # one network identity for the portal
    assert rows[0].business_id != rows[1].business_id
