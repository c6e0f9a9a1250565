"""/metrics: off by default, bearer-guarded when on, Prometheus text with the series the
operators need; each app has its own registry."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets
from prometheus_client.parser import text_string_to_metric_families
from websockets.typing import Subprotocol

from domain.core.outbox import stream_channel as channel_for
from khata.composition import create_app
from khata.runtime import Runtime
from schema.metrics import Metrics, MetricsMiddleware
from schema.relay import parse_global_id
from tests.conftest import TEST_IP, create_customer, run_jobs, serving, sign_up

TOKEN = "scrape-token-0123456789"


def metrics_app(runtime: Runtime) -> Any:
    settings = runtime.settings.model_copy(update={"metrics_token": TOKEN})
    return create_app(settings, runtime=runtime)


@pytest.fixture
async def mclient(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=metrics_app(runtime), client=(TEST_IP, 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://khata.test") as c:
        yield c


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


async def scrape(c: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await c.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return samples(response.text)


async def test_metrics_are_off_by_default(client: httpx.AsyncClient) -> None:
    assert (await client.get("/metrics")).status_code == 404


async def test_metrics_need_the_token(mclient: httpx.AsyncClient) -> None:
    assert (await mclient.get("/metrics")).status_code == 404
    wrong = await mclient.get("/metrics", headers={"authorization": "Bearer nope"})
    assert wrong.status_code == 404


async def test_operations_counted_by_name_and_outcome(
    mclient: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await sign_up(mclient, "IN")
    await create_customer(owner, name="Metric Customer")
    await mclient.post("/graphql", json={"query": "query Broken { nope }"})
    await mclient.post(
        "/graphql", json={"query": "query Who { viewer { role } }"}, headers=owner.headers
    )
    await run_jobs(runtime)
    got = await scrape(mclient)
    ok = (("operation", "anonymous"), ("outcome", "ok"), ("type", "mutation"))
    assert got[("khata_graphql_requests_total", ok)] >= 2  # sign-up and createCustomer
    rejected = (("operation", "Broken"), ("outcome", "rejected"), ("type", "query"))
    assert got[("khata_graphql_requests_total", rejected)] == 1
    who = (("operation", "Who"), ("outcome", "ok"), ("type", "query"))
    assert got[("khata_graphql_requests_total", who)] == 1
    count = got[("khata_graphql_request_seconds_count", (("operation", "Who"), ("type", "query")))]
    assert count == 1
    for name in (
        "khata_outbox_pending",
        "khata_outbox_oldest_age_seconds",
        "khata_jobs_queued",
        "khata_jobs_running",
        "khata_jobs_failed_total",
        "khata_events_published_total",
        "khata_events_delivered_total",
        "khata_websockets_open",
        "khata_subscriptions_open",
    ):
        assert (name, ()) in got, name
    assert any(key[0] == "khata_db_pool_checked_out" for key in got)
    assert got[("khata_events_published_total", ())] >= 1  # customer.created was relayed


async def test_each_app_has_its_own_registry(runtime: Runtime) -> None:
    first, second = metrics_app(runtime), metrics_app(runtime)
    assert first.state.metrics.registry is not second.state.metrics.registry
    transport = httpx.ASGITransport(app=first, client=(TEST_IP, 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://khata.test") as c:
        await c.post("/graphql", json={"query": "query OnlyFirst { __typename }"})
    transport = httpx.ASGITransport(app=second, client=(TEST_IP, 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://khata.test") as c:
        got = await scrape(c)
    assert not any(dict(labels).get("operation") == "OnlyFirst" for _, labels in got)


@pytest.fixture
async def server(runtime: Runtime) -> AsyncIterator[str]:
    async with serving(metrics_app(runtime)) as address:
        yield address


async def test_open_sockets_and_subscriptions(server: str, runtime: Runtime) -> None:
    async with httpx.AsyncClient(base_url=f"http://{server}") as http:
        owner = await sign_up(http, "KE")
        async with websockets.connect(
            f"ws://{server}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
        ) as ws:
            payload = {"authorization": f"Bearer {owner.token}", "business": owner.business_id}
            await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
            query = "subscription { customerEvents { topic } }"
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
            channel = channel_for(parse_global_id(owner.business_id)[1])
            await asyncio.wait_for(runtime.hub.wait_for_subscribers(channel), 10)
            got = await scrape(http)
            assert got[("khata_websockets_open", ())] == 1
            assert got[("khata_subscriptions_open", ())] >= 1


async def test_socket_gauge_falls_when_the_socket_ends(runtime: Runtime) -> None:
    metrics = Metrics(runtime)
    seen = []

    async def socket_app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(samples(metrics.exposition().decode())[("khata_websockets_open", ())])

    guard = MetricsMiddleware(socket_app, metrics, TOKEN)
    await guard({"type": "websocket", "path": "/graphql", "headers": []}, None, None)  # type: ignore[arg-type]
    assert seen == [1]
    assert samples(metrics.exposition().decode())[("khata_websockets_open", ())] == 0


async def test_outbox_backlog_is_read_at_scrape_time(
    mclient: httpx.AsyncClient, runtime: Runtime
) -> None:
    from domain.core import outbox

    pending, oldest = await outbox.backlog(runtime.db)
    got = await scrape(mclient)
    assert got[("khata_outbox_pending", ())] == pending
    if oldest is None:
        assert got[("khata_outbox_oldest_age_seconds", ())] == 0
    else:
        assert got[("khata_outbox_oldest_age_seconds", ())] >= 0
