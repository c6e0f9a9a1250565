"""The nested read (see bench/invoicing.py): a customers page prefetches its customers'
newest invoices and their lines in one session; invoice and line views are computed as
read. It must answer exactly what the per-customer path answers, in a constant number of
SQL statements, and a sign-out must bite at once."""

from __future__ import annotations

from typing import Any

import httpx

from domain.core.contact import mask_phone
from khata.runtime import Runtime
from tests.conftest import Actor, count_statements, gql
from tests.invoicing.helpers import customer_id, invoice

NESTED = """query($n: Int!) { customers(first: 10) { edges { node { id name
  invoices(first: $n) { id number status isOverdue total { amount currency }
    taxes { name rate amount { amount } }
    lines { position description quantity unit unitPrice { amount } taxRate
            total { amount } taxes { name amount { amount } } } } } } } }"""
ONE = """query($id: ID!, $n: Int!) { customer(id: $id) { id name
  invoices(first: $n) { id number status isOverdue total { amount currency }
    taxes { name rate amount { amount } }
    lines { position description quantity unit unitPrice { amount } taxRate
            total { amount } taxes { name amount { amount } } } } } }"""


async def _customers(owner: Actor, count: int = 3, per: int = 4) -> list[str]:
    ids = []
    for c in range(count):
        cid = await customer_id(owner, name=f"Nested {c}", phone=f"+9198765432{c:02d}")
        ids.append(cid)
        for i in range(per):
            created = await invoice(
                owner,
                cid,
                [
                    {"description": f"Rice {c}-{i}", "quantity": "2.5", "unitPrice": "41.20"},
                    {"description": "Delivery", "quantity": "1", "unitPrice": "50", "taxRate": "5"},
                ],
                issueDate=f"2026-09-{i + 1:02d}",
            )
            assert created["__typename"] == "InvoicePayload", created
    return ids


async def test_prefetched_page_answers_like_the_per_customer_path(
    owner: Actor, runtime: Runtime
) -> None:
    await _customers(owner)
    page = (await owner.gql(NESTED, {"n": 3}))["data"]["customers"]["edges"]
    assert len(page) == 3
    for edge in page:
        alone = (await owner.gql(ONE, {"id": edge["node"]["id"], "n": 3}))["data"]["customer"]
        assert edge["node"] == alone  # same invoices, same lines, same figures
        assert [i["number"] for i in alone["invoices"]] == sorted(
            (i["number"] for i in alone["invoices"]), reverse=True
        )
        assert all(len(i["lines"]) == 2 for i in alone["invoices"])
    # the token with its memberships and businesses, the page, the invoices, their lines
    for n in (1, 5):
        with count_statements(runtime) as statements:
            await owner.gql(NESTED, {"n": n})
        assert len(statements) == 4, [s[:70] for s in statements]


async def test_aliases_fragments_and_variables(owner: Actor) -> None:
    await _customers(owner, count=2, per=3)
    query = """query($n: Int!) { customers(first: 5) { edges { ...E } } }
    fragment E on CustomerEdge { node { ... on Customer {
      few: invoices(first: $n) { number }
      more: invoices(first: 3) { number lines { description } }
      phone phoneMasked } } }"""
    for n in (1, 2, 3, 7):
        edges = (await owner.gql(query, {"n": n}))["data"]["customers"]["edges"]
        for edge in edges:
            node = edge["node"]
            assert len(node["more"]) == 3 and all(len(i["lines"]) == 2 for i in node["more"])
            assert [i["number"] for i in node["few"]] == [i["number"] for i in node["more"]][
                : min(n, 3)
            ]
            assert node["phoneMasked"] == mask_phone(node["phone"]) is not None


async def test_nulls_and_empty_lists(owner: Actor) -> None:
    cid = await customer_id(owner, name="Nullable")
    body = await owner.gql(
        """query($id: ID!) { customer(id: $id) { id name nameAlt email phoneDisplay
        invoices { id } } }""",
        {"id": cid},
    )
    node = body["data"]["customer"]
    assert node["nameAlt"] is None and node["email"] is None and node["invoices"] == []
    assert node["phoneDisplay"] is None


async def test_sign_out_bites_at_once(client: httpx.AsyncClient, owner: Actor) -> None:
    query = "{ customers(first: 1) { edges { node { id } } } }"
    login = """mutation($input: LoginInput!) { login(input: $input) { __typename
      ... on AuthPayload { token } } }"""
    token = (
        await gql(client, login, {"input": {"email": owner.email, "password": owner.password}})
    )["data"]["login"]["token"]
    headers = {"authorization": f"Bearer {token}", "x-khata-business": owner.business_id}
    for _ in range(3):
        assert (await gql(client, query, headers=headers))["data"]["customers"] is not None
    out = await gql(client, "mutation { logout { __typename } }", headers=headers)
    assert out["data"]["logout"]["__typename"] == "LogoutPayload"
    body: dict[str, Any] = await gql(client, query, headers=headers, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
