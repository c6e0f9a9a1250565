"""When every pooled database connection stays busy past the pool's timeout, a request is
told to retry (RateLimitedError / extensions code SERVICE_BUSY with a retry-after), never
an INTERNAL error after a long wait (bench/results/notifications.md: a burst of sends
exhausted the pool)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest

from khata.composition import build_runtime, create_app
from khata.runtime import Runtime
from tests.conftest import TEST_IP, gql, sign_up

CREATE = """mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { __typename
  ... on CustomerPayload { customer { name } }
  ... on RateLimitedError { code retryAfterSeconds } } }"""
COUNT = "{ customers(first: 1) { totalCount } }"


@pytest.fixture
async def tiny(runtime: Runtime) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    """The same database behind an app whose pool has one connection (and one in
    overflow) and gives up waiting for one after 50 ms."""
    settings = runtime.settings.model_copy(update={"db_pool_size": 1, "db_pool_timeout": 0.05})
    rt = build_runtime(settings)
    await rt.start(sweep=False, live=False)
    transport = httpx.ASGITransport(app=create_app(settings, runtime=rt), client=(TEST_IP, 5555))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://khata.test") as c:
            yield rt, c
    finally:
        await rt.stop()


async def test_an_exhausted_pool_answers_service_busy_and_a_retry_succeeds(
    client: httpx.AsyncClient, tiny: tuple[Runtime, httpx.AsyncClient]
) -> None:
    rt, tiny_client = tiny
    owner = await sign_up(client, "KE")
    actor = dataclasses.replace(owner, client=tiny_client)
    variables = {"input": {"name": "Asha", "phone": "+254700000111"}}
    async with AsyncExitStack() as held:  # every connection of the tiny pools checked out
        for engine in rt.db.engines:
            for _ in range(2):
                await held.enter_async_context(engine.connect())
        busy = (await actor.gql(CREATE, variables))["data"]["createCustomer"]
        assert busy == {
            "__typename": "RateLimitedError",
            "code": "SERVICE_BUSY",
            "retryAfterSeconds": 1,
        }
        read = await gql(tiny_client, COUNT, headers=actor.headers, expect_errors=True)
        assert read["errors"][0]["extensions"]["code"] == "SERVICE_BUSY"
    # the connections are free again: the same request goes through
    done = (await actor.gql(CREATE, variables))["data"]["createCustomer"]
    assert done == {"__typename": "CustomerPayload", "customer": {"name": "Asha"}}
    assert (await actor.gql(COUNT))["data"]["customers"]["totalCount"] == 1
