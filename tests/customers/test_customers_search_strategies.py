"""Name searches answer the same whichever lookup the repository picks: a short walk of the
name index that finds the page (PROBE_WINDOW), ranking every match when it does not, and
the counter search's bands (active/inactive x starts with/contains)."""

from __future__ import annotations

from typing import Any

import pytest

from domain.customers.search_repository import CustomerSearchRepository
from tests.conftest import Actor, create_customer

NAMES = [
    "Anand Rao",
    "Sanjay Anand",
    "Anita Desai",
    "Kiran Anand",
    "Manoj Kumar",
    "Anjali Nair",
    "Ananya Iyer",
    "Priya Anandan",
    "Diana Fernandes",
    "Joanna Dsouza",
    "Banerjee Traders",
    "Anand",
    "Zubin Anand",
    "anand mehta",
    "Meena Shah",
    "ANAND STORES",
    "Pranav Anand",
]
INACTIVE = {"Kiran Anand", "Anjali Nair", "anand mehta"}

LIST = """
query($search: String, $first: Int, $after: String, $filter: CustomerFilterInput,
      $sort: CustomerSortInput) {
  customers(first: $first, after: $after, search: $search, filter: $filter, sort: $sort) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { name } }
  } }"""
SEARCH = """
query($term: String!, $limit: Int!) { searchCustomers(term: $term, limit: $limit) {
  exact { name } suggestions { name status } } }"""
DEACTIVATE = "mutation($id: ID!) { deactivateCustomer(input: { id: $id }) { __typename } }"


@pytest.fixture
async def shop(owner: Actor) -> Actor:
    for name in NAMES:
        created = await create_customer(owner, name=name)
        assert created["__typename"] == "CustomerPayload", created
        if name in INACTIVE:
            await owner.gql(DEACTIVATE, {"id": created["customer"]["id"]})
    return owner


def key(name: str) -> tuple[str, int]:
    return name.casefold(), NAMES.index(name)  # ids follow creation order


async def walk(actor: Actor, search: str, first: int, **variables: Any) -> list[str]:
    names: list[str] = []
    after = None
    while True:
        body = await actor.gql(
            LIST, {"search": search, "first": first, "after": after, **variables}
        )
        conn = body["data"]["customers"]
        names += [e["node"]["name"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            assert conn["totalCount"] == len(names)
            return names
        after = conn["pageInfo"]["endCursor"]


@pytest.mark.parametrize("window", [1, 3, 5_000])
async def test_name_pages_do_not_depend_on_the_lookup(
    shop: Actor, monkeypatch: pytest.MonkeyPatch, window: int
) -> None:
    monkeypatch.setattr(CustomerSearchRepository, "PROBE_WINDOW", window)
    for piece in ("an", "anand", "nan"):
        matching = sorted((n for n in NAMES if piece in n.casefold()), key=key)
        assert await walk(shop, piece, 2) == matching
        assert await walk(shop, piece, 50) == matching
        descending = {"sort": {"field": "NAME", "direction": "DESC"}}
        assert await walk(shop, piece, 3, **descending) == matching[::-1]
        active = [n for n in matching if n not in INACTIVE]
        assert await walk(shop, piece, 2, filter={"status": ["ACTIVE"]}) == active


@pytest.mark.parametrize("window", [1, 3, 5_000])
@pytest.mark.parametrize("limit", [1, 3, 50])
async def test_suggestion_bands_keep_the_ranking(
    shop: Actor, monkeypatch: pytest.MonkeyPatch, window: int, limit: int
) -> None:
    monkeypatch.setattr(CustomerSearchRepository, "PROBE_WINDOW", window)
    for term in ("anand", "nan", "Ana"):
        piece = term.casefold()
        exact = [n for n in NAMES if n.casefold() == piece]
        ranked = sorted(
            (n for n in NAMES if piece in n.casefold() and n not in exact),
            key=lambda n: (n in INACTIVE, not n.casefold().startswith(piece), *key(n)),
        )
        found = (await shop.gql(SEARCH, {"term": term, "limit": limit}))["data"]
        assert [c["name"] for c in found["searchCustomers"]["exact"]] == exact[:limit]
        assert [c["name"] for c in found["searchCustomers"]["suggestions"]] == ranked[:limit]
