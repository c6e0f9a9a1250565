"""Live customer events over a real WebSocket (graphql-transport-ws) against a real
uvicorn server; on the PostgreSQL run they travel through Redis. Fails if events stop."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import websockets
from websockets.typing import Subprotocol

from domain.core.outbox import stream_channel as channel_for
from khata.runtime import Runtime
from schema.relay import parse_global_id
from tests.conftest import Actor, sign_up

SUBSCRIPTION = """subscription { customerEvents { eventId topic customerId number name
  profileType status changedFields } }"""


async def _subscribe(server: str, actor: Actor | None) -> Any:
    ws = await websockets.connect(
        f"ws://{server}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
    )
    payload = (
        {"authorization": f"Bearer {actor.token}", "business": actor.business_id} if actor else {}
    )
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}}))
    return ws


async def _next(ws: Any) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if message["type"] != "ping":
            return message  # type: ignore[no-any-return]


async def test_staff_receive_live_customer_events(
    http: httpx.AsyncClient, server: str, runtime: Runtime
) -> None:
    actor = await sign_up(http, "ZA")
    business_id = parse_global_id(actor.business_id)[1]
    ws = await _subscribe(server, actor)
    try:
        await asyncio.wait_for(runtime.hub.wait_for_subscribers(channel_for(business_id)), 10)
        created = await actor.gql("""mutation { createCustomer(input: {name: "Thabo Nkosi",
            phone: "082 123 4567"}) { ... on CustomerPayload { customer { id number } } } }""")
        customer = created["data"]["createCustomer"]["customer"]
        message = await _next(ws)
        assert message["type"] == "next", message
        event = message["payload"]["data"]["customerEvents"]
        assert event["topic"] == "customer.created"
        assert event["customerId"] == customer["id"]
        assert event["name"] == "Thabo Nkosi" and event["profileType"] == "STUB"
        await actor.gql(
            """mutation($id: ID!) { updateCustomer(input: {id: $id, tags: ["vip"]}) {
            __typename } }""",
            {"id": customer["id"]},
        )
        event = (await _next(ws))["payload"]["data"]["customerEvents"]
        assert event["topic"] == "customer.updated" and event["changedFields"] == ["tags"]
    finally:
        await ws.close()


async def test_events_never_cross_businesses(
    http: httpx.AsyncClient, server: str, runtime: Runtime
) -> None:
    a = await sign_up(http, "IN")
    b = await sign_up(http, "KE")
    ws = await _subscribe(server, b)
    try:
        await asyncio.wait_for(
            runtime.hub.wait_for_subscribers(channel_for(parse_global_id(b.business_id)[1])), 10
        )
        await a.gql('mutation { createCustomer(input: {name: "Secret of A"}) { __typename } }')
        await b.gql('mutation { createCustomer(input: {name: "Visible to B"}) { __typename } }')
        event = (await _next(ws))["payload"]["data"]["customerEvents"]
        assert event["name"] == "Visible to B"  # A's event, published first, never arrived
    finally:
        await ws.close()


async def test_subscription_requires_a_signed_in_viewer(server: str) -> None:
    ws = await _subscribe(server, None)
    try:
        message = await _next(ws)
        assert message["type"] in ("error", "next")
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
    finally:
        await ws.close()


@pytest.mark.parametrize(
    ("token", "business", "reason"),
    [
        ("not-a-session-token", None, "session expired or signed out"),
        ("kk_nope_0123456789", None, "API key is invalid or revoked"),
        (None, "%%%", "business"),
    ],
)
async def test_a_bad_token_is_refused_at_connection_init(
    server: str, http: httpx.AsyncClient, token: str | None, business: str | None, reason: str
) -> None:
    """Refused at once with 4403 and the reason, never acknowledged: a client with a
    stale token learns it before it subscribes."""
    if token is None:  # a real token with a malformed business id
        token = (await sign_up(http, "KE")).token
    ws = await websockets.connect(
        f"ws://{server}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
    )
    payload: dict[str, str] = {"authorization": f"Bearer {token}"}
    if business is not None:
        payload["business"] = business
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), 10)  # the first frame would be connection_ack
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403
    assert reason in closed.value.rcvd.reason


async def test_a_good_token_is_acknowledged(server: str, http: httpx.AsyncClient) -> None:
    ws = await _subscribe(server, await sign_up(http, "OM"))  # asserts connection_ack
    await ws.close()


async def test_hub_survives_a_redis_connection_loss(runtime: Runtime) -> None:
    """Kill the pub/sub connection: current listeners are told to resubscribe (they may have
    missed events), and after the automatic reconnect new subscribers get events again."""
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    from domain.core.events import EventHub, SubscriptionClosed
    from tests.conftest import NAMESPACE, REDIS_URL

    own = runtime.hub.backend is None  # the SQLite run broadcasts in memory: use a Redis hub
    hub = EventHub(REDIS_URL, namespace=NAMESPACE) if own else runtime.hub
    if own:
        probe = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        try:
            await probe.ping()
        except (OSError, RedisError) as exc:
            pytest.skip(f"Redis is not reachable on this machine: {exc}")
        finally:
            await probe.aclose()
        await hub.connect()
    backend = hub.backend
    channel = "test:resilience"
    try:
        async with hub.subscribe(channel) as events:
            admin = Redis.from_url(REDIS_URL, decode_responses=True)
            try:  # cut only this hub's own listener, found by its connection name
                ours = [
                    c["id"]
                    for c in await admin.client_list(_type="pubsub")
                    if c["name"] == backend.client_name
                ]
                assert len(ours) == 1, ours
                killed = await admin.execute_command("CLIENT", "KILL", "ID", ours[0])
            finally:
                await admin.aclose()
            assert killed == 1
            with pytest.raises(SubscriptionClosed):
                await asyncio.wait_for(events.__anext__(), 15)
        await asyncio.wait_for(backend.connected.wait(), 15)
        async with hub.subscribe(channel) as events:
            await hub.publish(channel, {"id": "x", "topic": "after.reconnect", "payload": {}})
            message = await asyncio.wait_for(events.__anext__(), 15)
        assert message["topic"] == "after.reconnect"
        assert backend.reconnects >= 1
    finally:
        if own:
            await hub.disconnect()
