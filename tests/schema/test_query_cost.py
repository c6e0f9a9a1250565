"""The query cost limit (schema/cost.py): nested lists multiply, an operation over
KHATA_MAX_QUERY_COST is refused before it runs, normal front-end queries pass."""

from __future__ import annotations

from typing import Any

import graphql
import pytest

from domain.core.outbox import stream_channel
from domain.core.settings import Settings
from khata.runtime import Runtime
from schema.build import build_schema
from schema.cost import LIST_ITEMS, CostEstimator
from schema.relay import parse_global_id
from tests.conftest import Actor, count_statements, create_customer
from tests.realtime import connect, error_code, subscribe

SETTINGS = Settings()


def cost(document: str, variables: dict[str, Any] | None = None) -> int:
    estimator = CostEstimator(
        graphql.build_schema(build_schema(SETTINGS).as_str()), page_cap=SETTINGS.max_page_size
    )
    return estimator.operation_cost(graphql.parse(document).definitions, None, variables)


def nested(aliases: int, page: int) -> str:
    level = "id number total { amount }"
    for _ in range(2):
        level = f"id number customer {{ id name invoices(first: {page}) {{ {level} }} }}"
    body = f"edges {{ node {{ {level} }} }}"
    return (
        "{ "
        + " ".join(f"a{i}: invoices(first: {page}) {{ {body} }}" for i in range(aliases))
        + " }"
    )


def test_lists_multiply_through_the_depth() -> None:
    assert cost("{ viewer { role } }") == 2
    assert cost("{ customers(first: 10) { totalCount edges { node { id name } } } }") == (
        1 + 1 + 10 * (1 + 1 + 2)
    )
    # the default page and a variable count as what the server would use
    assert cost("{ customers { edges { node { id } } } }") == 1 + 20 * (1 + 2)
    assert (
        cost("query($n: Int) { customers(first: $n) { edges { cursor } } }", {"n": 3}) == 1 + 3 * 2
    )
    assert cost("query($n: Int = 7) { customers(first: $n) { edges { cursor } } }") == 1 + 7 * 2
    # asking for more than a page counts as a page
    assert cost("{ customers(first: 100000) { edges { cursor } } }") == 1 + 100 * 2
    # a list without a size argument counts LIST_ITEMS
    assert cost('{ invoice(id: "x") { lines { description } } }') == 1 + LIST_ITEMS * 2
    # fragments count in full
    assert cost(
        "{ customers(first: 2) { edges { node { ...F } } } } fragment F on Customer { id name }"
    ) == 1 + 2 * (1 + 1 + 2)
    assert cost(nested(19, 20)) > 500_000


async def test_a_costly_query_is_refused_before_it_runs(owner: Actor, runtime: Runtime) -> None:
    await create_customer(owner, name="Asha", phone="+919876543210")
    rt = runtime
    with count_statements(rt) as statements:
        body = await owner.gql(nested(19, 20), expect_errors=True)
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert error["extensions"]["limit"] == rt.settings.max_query_cost
    assert error["extensions"]["cost"] > rt.settings.max_query_cost
    assert "exceeds the limit" in error["message"]
    assert body.get("data") is None
    assert [s for s in statements if "invoice" in s.lower()] == []


@pytest.mark.parametrize(
    "document",
    [
        # the nested read of the invoicing benchmark: 50 customers x 5 invoices x lines
        """{ customers(first: 50) { edges { node { id number name
              financial { outstanding { amount currency } }
              invoices(first: 5) { id number status total { amount currency }
                lines { description quantity total { amount } } } } } } }""",
        """{ invoices(first: 100) { totalCount pageInfo { hasNextPage endCursor }
              edges { cursor node { id number status issueDate dueDate
                total { amount currency } balance { amount }
                customer { id name phone } } } } }""",
    ],
)
async def test_front_end_queries_stay_under_the_default(owner: Actor, document: str) -> None:
    assert cost(document) <= SETTINGS.max_query_cost
    body = await owner.gql(document)
    assert "errors" not in body


COSTLY_SUBSCRIPTION = """subscription { invoiceUpdates { invoice { customer {
  invoices(first: 100) { customer { invoices(first: 100) { id lines { description } } } } } } } }"""


async def test_a_costly_subscription_is_refused_before_it_subscribes(
    owner: Actor, server: str, runtime: Runtime
) -> None:
    """Strawberry's subscription stream ignores a result set by an `on_execute` hook: the
    limit raises instead, so the costly stream never starts."""
    assert cost(COSTLY_SUBSCRIPTION) > runtime.settings.max_query_cost
    ws = await connect(server, owner)
    try:
        await subscribe(ws, runtime, owner, COSTLY_SUBSCRIPTION, wait=False)
        assert await error_code(ws) == "QUERY_TOO_COSTLY"
        business_id = parse_global_id(owner.business_id)[1]
        assert runtime.hub.subscriber_count(stream_channel(business_id)) == 0
    finally:
        await ws.close()
