"""Finding customers: the counter search (exact first, then suggestions, a prefilled
"create new"), the customers connection (search, filters, sorts, keyset pages),
duplicate candidates and stats."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import update

from domain.customers.models import Customer
from khata.runtime import Runtime
from tests.conftest import Actor, count_statements

CREATE = """
mutation($input: CreateCustomerInput!) { createCustomer(input: $input) {
  __typename
  ... on CustomerPayload { customer { id number name phone email status profileType tags } }
  ... on UserError { code message }
} }"""

SEARCH = """
query($term: String!, $limit: Int! = 10) { searchCustomers(term: $term, limit: $limit) {
  exact { id name number phone financial { outstanding { amount currency } } }
  suggestions { id name number status }
  createNew { name phone email }
} }"""

LIST = """
query($first: Int, $after: String, $search: String, $filter: CustomerFilterInput,
      $sort: CustomerSortInput) {
  customers(first: $first, after: $after, search: $search, filter: $filter, sort: $sort) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name number } }
  } }"""

DUPLICATES = """
query($id: ID!) { customerDuplicates(id: $id) { reasons score customer { id name } } }"""

STATS = """
query { customerStats {
  total verified vip
  byStatus { key count } byProfileType { key count }
  totalBilled { amount currency } outstanding { amount currency }
  topByOutstanding { name financial { outstanding { amount } } }
} }"""

MERGE = """
mutation($input: MergeCustomersInput!) { mergeCustomers(input: $input) { __typename } }"""

DEACTIVATE = """mutation($id: ID!) { deactivateCustomer(input: { id: $id }) { __typename } }"""


def row_id(global_id: str) -> int:
    raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    return int(raw.partition(":")[2])


async def created(actor: Actor, **fields: Any) -> dict[str, Any]:
    result = (await actor.gql(CREATE, {"input": fields}))["data"]["createCustomer"]
    assert result["__typename"] == "CustomerPayload", result
    return result["customer"]  # type: ignore[no-any-return]


async def search(actor: Actor, term: str, limit: int = 10) -> dict[str, Any]:
    body = await actor.gql(SEARCH, {"term": term, "limit": limit})
    return body["data"]["searchCustomers"]  # type: ignore[no-any-return]


async def listing(actor: Actor, **variables: Any) -> dict[str, Any]:
    body = await actor.gql(LIST, variables)
    return body["data"]["customers"]  # type: ignore[no-any-return]


async def names(actor: Actor, **variables: Any) -> list[str]:
    conn = await listing(actor, first=100, **variables)
    assert conn["totalCount"] == len(conn["edges"])
    return [e["node"]["name"] for e in conn["edges"]]


async def set_columns(runtime: Runtime, customer_id: str, **values: Any) -> None:
    """Invoicing moves balances; until it exists a test arranges them in the table."""
    async with runtime.db.unit_of_work() as session:
        await session.execute(
            update(Customer).where(Customer.id == row_id(customer_id)).values(**values)
        )


@pytest.fixture
async def people(owner: Actor) -> dict[str, dict[str, Any]]:
    return {
        "kumar": await created(
            owner,
            name="Ramesh Kumar",
            phone="98765 43210",
            email="ramesh.kumar@example.com",
            tags=["farmer", "vip"],
        ),
        "sharma": await created(owner, name="Ramesh Sharma", phone="91234 56789", tags=["farmer"]),
        "suresh": await created(
            owner,
            name="Suresh Patel",
            phone="99887 76655",
            email="suresh@example.com",
            tags=["wholesale"],
        ),
        "anita": await created(owner, name="Anita Desai"),
        "ramesh": await created(owner, name="Ramesh", phone="90000 13210"),
    }


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [c["id"] for c in items]


# -- counter search ---------------------------------------------------------------------------
async def test_exact_name_is_case_insensitive(owner: Actor, people: dict[str, Any]) -> None:
    found = await search(owner, "  rAmEsH kUmAr ")
    assert ids(found["exact"]) == [people["kumar"]["id"]]
    assert people["kumar"]["id"] not in ids(found["suggestions"])
    assert found["createNew"] is None


async def test_exact_name_first_then_suggestions(owner: Actor, people: dict[str, Any]) -> None:
    found = await search(owner, "Ramesh")
    assert ids(found["exact"]) == [people["ramesh"]["id"]]
    assert set(ids(found["suggestions"])) == {people["kumar"]["id"], people["sharma"]["id"]}
    assert found["createNew"] is None


async def test_no_exact_match_offers_create_new(owner: Actor, people: dict[str, Any]) -> None:
    found = await search(owner, "Rames")
    assert found["exact"] == []
    assert set(ids(found["suggestions"])) == {
        people["kumar"]["id"],
        people["sharma"]["id"],
        people["ramesh"]["id"],
    }
    assert found["createNew"] == {"name": "Rames", "phone": None, "email": None}


@pytest.mark.parametrize(
    "typed", ["98765 43210", "+91-98765-43210", "098765 43210", "+919876543210"]
)
async def test_exact_phone_in_any_format(owner: Actor, people: dict[str, Any], typed: str) -> None:
    found = await search(owner, typed)
    assert ids(found["exact"]) == [people["kumar"]["id"]]
    assert found["createNew"] is None


async def test_exact_email_and_number(owner: Actor, people: dict[str, Any]) -> None:
    by_email = await search(owner, "Ramesh.Kumar@Example.com")
    assert ids(by_email["exact"]) == [people["kumar"]["id"]]
    assert by_email["createNew"] is None
    number = people["suresh"]["number"]
    by_number = await search(owner, number.lower())
    assert ids(by_number["exact"]) == [people["suresh"]["id"]]
    assert by_number["createNew"] is None


async def test_last_digits_suggest_without_exact(owner: Actor, people: dict[str, Any]) -> None:
    found = await search(owner, "3210")
    assert found["exact"] == []
    # Ends in 3210: Kumar (...43210) and Ramesh (...13210); never Sharma (...56789).
    assert set(ids(found["suggestions"])) == {people["kumar"]["id"], people["ramesh"]["id"]}
    assert found["createNew"] == {"name": None, "phone": None, "email": None}


async def test_unknown_phone_prefills_e164(owner: Actor, people: dict[str, Any]) -> None:
    found = await search(owner, "98111 22233")
    assert found["exact"] == [] and found["suggestions"] == []
    assert found["createNew"] == {"name": None, "phone": "+919811122233", "email": None}


async def test_unknown_email_prefills_email(owner: Actor, people: dict[str, Any]) -> None:
    found = await search(owner, "new.person@example.com")
    assert found["exact"] == []
    assert found["createNew"] == {"name": None, "phone": None, "email": "new.person@example.com"}


async def test_search_shows_balance(owner: Actor, runtime: Runtime, people: dict[str, Any]) -> None:
    await set_columns(runtime, people["kumar"]["id"], outstanding=Decimal("5000"))
    found = await search(owner, "+919876543210")
    assert found["exact"][0]["financial"]["outstanding"] == {"amount": "5000.00", "currency": "INR"}


async def test_search_puts_active_first_and_hides_merged(
    owner: Actor, people: dict[str, Any]
) -> None:
    await owner.gql(DEACTIVATE, {"id": people["kumar"]["id"]})
    found = await search(owner, "ramesh ")
    assert ids(found["suggestions"])[-1] == people["kumar"]["id"]
    assert found["suggestions"][-1]["status"] == "INACTIVE"

    body = await owner.gql(
        MERGE, {"input": {"sourceId": people["sharma"]["id"], "targetId": people["ramesh"]["id"]}}
    )
    assert body["data"]["mergeCustomers"]["__typename"] == "MergePayload"
    found = await search(owner, "Ramesh Sharma")
    assert found["exact"] == []
    assert people["sharma"]["id"] not in ids(found["suggestions"])
    by_phone = await search(owner, "91234 56789")
    # The merged row's phone now lives on the target as its secondary phone.
    assert ids(by_phone["exact"]) == [people["ramesh"]["id"]]


async def test_search_is_scoped_to_business(
    owner: Actor, other_owner: Actor, people: dict[str, Any]
) -> None:
    found = await search(other_owner, "Ramesh")
    assert found["exact"] == [] and found["suggestions"] == []
    found = await search(other_owner, "+919876543210")
    assert found["exact"] == []


async def test_like_wildcards_are_literal(owner: Actor, people: dict[str, Any]) -> None:
    assert (await search(owner, "%"))["suggestions"] == []
    assert (await search(owner, "_"))["suggestions"] == []
    assert await names(owner, search="%") == []
    assert await names(owner, search="r_mesh") == []


async def test_search_limit_and_blank_term(owner: Actor, people: dict[str, Any]) -> None:
    limited = await search(owner, "e", limit=2)
    assert len(limited["suggestions"]) == 2
    blank = await search(owner, "   ")
    assert blank == {"exact": [], "suggestions": [], "createNew": None}


# -- the customers connection ------------------------------------------------------------------
async def test_connection_search_forms(owner: Actor, people: dict[str, Any]) -> None:
    assert await names(owner, search="mesh") == ["Ramesh", "Ramesh Kumar", "Ramesh Sharma"]
    assert await names(owner, search="SURESH") == ["Suresh Patel"]
    assert await names(owner, search="6655") == ["Suresh Patel"]
    assert await names(owner, search="3210") == ["Ramesh", "Ramesh Kumar"]
    assert await names(owner, search="99887 76655") == ["Suresh Patel"]
    assert await names(owner, search="+91 99887-76655") == ["Suresh Patel"]
    assert await names(owner, search="ramesh.kumar@ex") == ["Ramesh Kumar"]
    assert await names(owner, search="suresh@") == ["Suresh Patel"]
    assert await names(owner, search=people["anita"]["number"]) == ["Anita Desai"]
    assert await names(owner, search="nobody") == []


async def test_connection_filters(owner: Actor, runtime: Runtime, people: dict[str, Any]) -> None:
    await owner.gql(DEACTIVATE, {"id": people["suresh"]["id"]})
    await set_columns(runtime, people["kumar"]["id"], outstanding=Decimal("500"))
    await set_columns(runtime, people["sharma"]["id"], outstanding=Decimal("1500.50"))
    await set_columns(runtime, people["ramesh"]["id"], outstanding=Decimal("99.99"))

    assert await names(owner, filter={"status": ["INACTIVE"]}) == ["Suresh Patel"]
    assert await names(owner, filter={"status": ["ACTIVE", "INACTIVE"]}) == [
        "Anita Desai",
        "Ramesh",
        "Ramesh Kumar",
        "Ramesh Sharma",
        "Suresh Patel",
    ]
    assert await names(owner, filter={"profileType": ["GUEST"]}) == ["Anita Desai"]
    assert await names(owner, filter={"tags": ["farmer", "vip"]}) == ["Ramesh Kumar"]
    assert await names(owner, filter={"tags": [" FARMER "]}) == ["Ramesh Kumar", "Ramesh Sharma"]
    assert await names(owner, filter={"tags": ["farmer", "wholesale"]}) == []
    assert await names(owner, filter={"hasEmail": True}) == ["Ramesh Kumar", "Suresh Patel"]
    assert await names(owner, filter={"hasEmail": False}) == [
        "Anita Desai",
        "Ramesh",
        "Ramesh Sharma",
    ]
    assert await names(owner, filter={"hasPhone": False}) == ["Anita Desai"]
    assert await names(owner, filter={"outstandingMin": "100"}) == ["Ramesh Kumar", "Ramesh Sharma"]
    assert await names(owner, filter={"outstandingMin": "99.99", "outstandingMax": "500"}) == [
        "Ramesh",
        "Ramesh Kumar",
    ]
    assert await names(owner, filter={"outstandingMax": "0"}) == ["Anita Desai", "Suresh Patel"]
    assert await names(
        owner, search="ramesh", filter={"tags": ["farmer"], "outstandingMin": "1000"}
    ) == ["Ramesh Sharma"]


async def test_connection_sorts(owner: Actor, runtime: Runtime, people: dict[str, Any]) -> None:
    alphabetical = ["Anita Desai", "Ramesh", "Ramesh Kumar", "Ramesh Sharma", "Suresh Patel"]
    assert await names(owner) == alphabetical
    assert await names(owner, sort={"field": "NAME", "direction": "DESC"}) == alphabetical[::-1]
    creation = ["Ramesh Kumar", "Ramesh Sharma", "Suresh Patel", "Anita Desai", "Ramesh"]
    assert await names(owner, sort={"field": "CREATED", "direction": "DESC"}) == creation[::-1]
    assert await names(owner, sort={"field": "CREATED", "direction": "ASC"}) == creation
    await set_columns(runtime, people["suresh"]["id"], outstanding=Decimal("10"))
    await set_columns(runtime, people["anita"]["id"], outstanding=Decimal("2"))
    by_balance = await names(owner, sort={"field": "OUTSTANDING", "direction": "DESC"})
    assert by_balance[:2] == ["Suresh Patel", "Anita Desai"]


async def walk(actor: Actor, first: int, **variables: Any) -> tuple[list[str], list[int]]:
    """Every page with `first` rows; returns the ids in order and each page's totalCount."""
    seen: list[str] = []
    totals: list[int] = []
    after = None
    for page_number in range(100):
        conn = await listing(actor, first=first, after=after, **variables)
        totals.append(conn["totalCount"])
        edges = conn["edges"]
        assert len(edges) <= first
        assert conn["pageInfo"]["hasPreviousPage"] is (page_number > 0)
        if edges:
            assert conn["pageInfo"]["startCursor"] == edges[0]["cursor"]
            assert conn["pageInfo"]["endCursor"] == edges[-1]["cursor"]
        seen.extend(e["node"]["id"] for e in edges)
        if not conn["pageInfo"]["hasNextPage"]:
            return seen, totals
        assert len(edges) == first
        after = conn["pageInfo"]["endCursor"]
    raise AssertionError("pagination did not end")


@pytest.mark.parametrize(
    "sort",
    [
        {"field": "NAME", "direction": "ASC"},
        {"field": "NAME", "direction": "DESC"},
        {"field": "CREATED", "direction": "DESC"},
        {"field": "CREATED", "direction": "ASC"},
        {"field": "OUTSTANDING", "direction": "DESC"},
        {"field": "OUTSTANDING", "direction": "ASC"},
        {"field": "LAST_INVOICE", "direction": "DESC"},
        {"field": "LAST_INVOICE", "direction": "ASC"},
    ],
)
async def test_keyset_pages_return_everyone_once_in_order(
    owner: Actor, runtime: Runtime, sort: dict[str, str]
) -> None:
    # Ties on every sort key, so the id tie-breaker has to carry the cursor.
    rows = []
    for i, name in enumerate(["Zed", "amy", "Amy", "bob", "Amy", "Cy", "zed", "Bob", "amy"]):
        c = await created(owner, name=name)
        balance = Decimal([0, 10, 10, 2.5, 0, 10, 7, 2.5, 0][i]).quantize(Decimal("0.01"))
        invoiced = None if i % 3 == 0 else datetime(2025, 1, 1 + i % 2, tzinfo=UTC)
        await set_columns(runtime, c["id"], outstanding=balance, last_invoice_at=invoiced)
        rows.append((c["id"], name.casefold(), balance, invoiced, row_id(c["id"])))

    descending = sort["direction"] == "DESC"
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    key = {
        "NAME": lambda r: (r[1], r[4]),
        "CREATED": lambda r: (r[4],),
        "OUTSTANDING": lambda r: (r[2], r[4]),
        "LAST_INVOICE": lambda r: (r[3] or epoch, r[4]),
    }[sort["field"]]
    expected = [r[0] for r in sorted(rows, key=key, reverse=descending)]

    one_page = await listing(owner, first=100, sort=sort)
    assert [e["node"]["id"] for e in one_page["edges"]] == expected
    for first in (1, 2, 4):
        seen, totals = await walk(owner, first, sort=sort)
        assert seen == expected, first
        assert set(totals) == {len(rows)}


async def test_pages_with_search_and_filter(owner: Actor) -> None:
    for i in range(5):
        await created(owner, name=f"Kiran {i}", tags=["route-a"] if i % 2 else [])
        await created(owner, name=f"Other {i}", tags=["route-a"])
    seen, totals = await walk(owner, 2, search="kiran")
    assert len(seen) == 5 and len(set(seen)) == 5 and set(totals) == {5}
    seen, totals = await walk(owner, 2, search="kiran", filter={"tags": ["route-a"]})
    assert len(seen) == 2 and set(totals) == {2}


async def test_bad_cursors_and_page_sizes_are_errors(owner: Actor, people: dict[str, Any]) -> None:
    async def error_code(**variables: Any) -> str:
        body = await owner.gql(LIST, variables, expect_errors=True)
        assert body.get("errors"), body
        return body["errors"][0]["extensions"]["code"]  # type: ignore[no-any-return]

    assert await error_code(first=2, after="not-a-cursor") == "VALIDATION_FAILED"
    assert await error_code(first=2, after="eyJ4IjoxfQ") == "VALIDATION_FAILED"
    name_cursor = (await listing(owner, first=2))["pageInfo"]["endCursor"]
    assert (
        await error_code(first=2, after=name_cursor, sort={"field": "CREATED", "direction": "ASC"})
        == "VALIDATION_FAILED"
    )
    assert (
        await error_code(first=2, after=name_cursor, sort={"field": "NAME", "direction": "DESC"})
        == "VALIDATION_FAILED"
    )
    assert await error_code(first=1000) == "VALIDATION_FAILED"
    assert await error_code(first=-1) == "VALIDATION_FAILED"
    empty = await listing(owner, first=0)
    assert empty["edges"] == [] and empty["totalCount"] == 5


async def test_connection_is_scoped_to_business(
    owner: Actor, other_owner: Actor, people: dict[str, Any]
) -> None:
    assert await names(other_owner) == []
    await created(other_owner, name="Wanjiru", phone="0722 123456")
    assert await names(other_owner, search="wanjiru") == ["Wanjiru"]
    assert "Wanjiru" not in await names(owner)


# -- duplicates and stats ----------------------------------------------------------------------
async def test_customer_duplicates(owner: Actor) -> None:
    subject = await created(
        owner, name="Ramesh Kumar", phone="98765 43210", email="ramesh@example.com"
    )
    same_phone = await created(owner, name="R K", phone="+91 98765 43210", allowDuplicatePhone=True)
    same_email = await created(owner, name="Someone Else", secondaryEmail="ramesh@example.com")
    similar = await created(owner, name="Ramesh Kumaar")
    await created(owner, name="Anita Desai")
    await created(owner, name="Ramesh Sharma Verma Iyer")

    body = await owner.gql(DUPLICATES, {"id": subject["id"]})
    found = {d["customer"]["id"]: d for d in body["data"]["customerDuplicates"]}
    assert set(found) == {same_phone["id"], same_email["id"], similar["id"]}
    assert found[same_phone["id"]]["reasons"] == ["same_phone"]
    assert found[same_email["id"]]["reasons"] == ["same_email"]
    assert found[similar["id"]]["reasons"] == ["similar_name"]
    scores = [d["score"] for d in body["data"]["customerDuplicates"]]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < s <= 1 for s in scores)

    # After merging one in, it is no longer a candidate.
    merged = await owner.gql(
        MERGE, {"input": {"sourceId": same_phone["id"], "targetId": subject["id"]}}
    )
    assert merged["data"]["mergeCustomers"]["__typename"] == "MergePayload"
    body = await owner.gql(DUPLICATES, {"id": subject["id"]})
    assert {d["customer"]["id"] for d in body["data"]["customerDuplicates"]} == {
        same_email["id"],
        similar["id"],
    }


async def test_customer_duplicates_of_foreign_customer_is_empty(
    owner: Actor, other_owner: Actor
) -> None:
    mine = await created(owner, name="Ramesh Kumar", phone="98765 43210")
    await created(other_owner, name="Ramesh Kumar")
    body = await other_owner.gql(DUPLICATES, {"id": mine["id"]})
    assert body["data"]["customerDuplicates"] == []


async def test_customer_stats(owner: Actor, other_owner: Actor, runtime: Runtime) -> None:
    await created(other_owner, name="Elsewhere", isVip=True)
    a = await created(owner, name="A", phone="9876500021", isVip=True)
    b = await created(
        owner, name="B", phone="9876500022", email="b@example.com", profileType="FULL"
    )
    c = await created(owner, name="C")
    d = await created(owner, name="D")
    e = await created(owner, name="E", phone="9876500023")
    await set_columns(
        runtime,
        a["id"],
        outstanding=Decimal("100.5"),
        total_billed=Decimal("200"),
        phone_verified=True,
    )
    await set_columns(runtime, b["id"], outstanding=Decimal("300"), total_billed=Decimal("300"))
    await set_columns(runtime, e["id"], outstanding=Decimal("7"), total_billed=Decimal("7"))
    await owner.gql(DEACTIVATE, {"id": c["id"]})
    merged = await owner.gql(MERGE, {"input": {"sourceId": d["id"], "targetId": c["id"]}})
    assert merged["data"]["mergeCustomers"]["__typename"] == "MergePayload"

    stats = (await owner.gql(STATS))["data"]["customerStats"]
    assert stats["total"] == 4  # the merged-away row is not a customer any more
    by_status = {x["key"]: x["count"] for x in stats["byStatus"]}
    assert by_status == {"active": 3, "inactive": 1}
    assert sum(by_status.values()) == stats["total"]
    by_type = {x["key"]: x["count"] for x in stats["byProfileType"]}
    assert by_type == {"guest": 1, "stub": 2, "full": 1}
    assert stats["vip"] == 1
    assert stats["verified"] == 1
    assert stats["totalBilled"] == {"amount": "507.00", "currency": "INR"}
    assert stats["outstanding"] == {"amount": "407.50", "currency": "INR"}
    assert [t["name"] for t in stats["topByOutstanding"]] == ["B", "A", "E"]
    assert stats["topByOutstanding"][0]["financial"]["outstanding"]["amount"] == "300.00"


async def test_alternate_script_and_unicode_names(owner: Actor) -> None:
    ahmed = await created(owner, name="Ahmed Al-Said", nameAlt="أحمد السعيد")
    emile = await created(owner, name="Émile Zola")
    assert await names(owner, search="السعيد") == ["Ahmed Al-Said"]
    assert await names(owner, search="ÉMILE") == ["Émile Zola"]
    found = await search(owner, "émile zola")
    assert ids(found["exact"]) == [emile["id"]]
    alt = await search(owner, "أحمد")
    assert ids(alt["suggestions"]) == [ahmed["id"]]


LIST_WITH_ADDRESSES = """
query { customers(first: 50) { totalCount edges { node {
  id name addresses { city isDefault } defaultAddress { city } } } } }"""


async def test_listing_with_addresses_has_no_n_plus_one(
    owner: Actor, other_owner: Actor, runtime: Runtime
) -> None:
    for i in range(2):
        await created(owner, name=f"Few {i}", addresses=[{"city": "Pune"}, {"city": "Goa"}])
    for i in range(12):
        await created(
            other_owner, name=f"Many {i}", addresses=[{"city": "Nairobi"}, {"city": "Mombasa"}]
        )

    async def statements(actor: Actor, expected_rows: int) -> int:
        with count_statements(runtime) as seen:
            body = await actor.gql(LIST_WITH_ADDRESSES)
        edges = body["data"]["customers"]["edges"]
        assert len(edges) == expected_rows
        assert all(len(e["node"]["addresses"]) == 2 for e in edges)
        assert all(e["node"]["defaultAddress"] is not None for e in edges)
        return len(seen)

    few = await statements(owner, 2)
    many = await statements(other_owner, 12)
    assert few == many
    assert many <= 8
