"""An open WebSocket outlives no credentials: sign-out, a revoked API key, removal from the
business and token expiry each close it (4401 / 4403 with the reason) and it takes no
further operation. Real uvicorn servers on loopback, graphql-transport-ws; on the
PostgreSQL run the revocation travels through Redis, and two app instances (two runtimes
sharing the database and the Redis hub, as two API processes) are tested on both runs."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import websockets
from websockets.typing import Subprotocol

from domain.core.clock import FrozenClock
from domain.core.events import EventHub
from domain.core.live import REVOCATIONS
from domain.core.outbox import stream_channel as channel_for
from khata.composition import build_runtime, create_app
from khata.runtime import Runtime
from schema.relay import parse_global_id
from tests.conftest import NAMESPACE, REDIS_URL, Actor, gql, serving, sign_up

SUBSCRIPTION = "subscription { customerEvents { eventId topic name } }"
CREATE_CUSTOMER = 'mutation { createCustomer(input: {name: "Asha"}) { __typename } }'


async def connect(server: str, bearer: str, business: str | None) -> Any:
    ws = await websockets.connect(
        f"ws://{server}/graphql",
        subprotocols=[Subprotocol("graphql-transport-ws")],
        max_size=None,
    )
    payload = {"authorization": f"Bearer {bearer}"}
    if business:
        payload["business"] = business
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
    return ws


async def subscribe(ws: Any, rt: Runtime, business_id: str, op: str = "1") -> None:
    """Subscribes to the business's customer events; returns once the process listens."""
    channel = channel_for(parse_global_id(business_id)[1])
    before = rt.hub.subscriber_count(channel)
    await ws.send(json.dumps({"id": op, "type": "subscribe", "payload": {"query": SUBSCRIPTION}}))
    await asyncio.wait_for(rt.hub.wait_for_subscribers(channel, before + 1), 10)


async def next_frame(ws: Any) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if message["type"] != "ping":
            return message  # type: ignore[no-any-return]


async def closed_with(ws: Any) -> tuple[int, str]:
    """Waits for the server's close frame (frames before it are skipped)."""
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None, "closed without a close frame"
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def assert_refused(ws: Any) -> None:
    """A closed socket takes no further subscribe or operation."""
    with pytest.raises(websockets.ConnectionClosed):
        await ws.send(
            json.dumps({"id": "again", "type": "subscribe", "payload": {"query": SUBSCRIPTION}})
        )


async def create_api_key(owner: Actor, scopes: list[str]) -> tuple[str, str]:
    body = await owner.gql(
        """mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
        ... on CreateApiKeyPayload { secret apiKey { id } } } }""",
        {"input": {"name": "integration", "scopes": scopes}},
    )
    created = body["data"]["createApiKey"]
    return created["apiKey"]["id"], created["secret"]


async def add_staff(owner: Actor, http: httpx.AsyncClient) -> Actor:
    email = f"staff-{uuid.uuid4().hex[:8]}@example.com"
    invited = await owner.gql(
        """mutation($input: InviteStaffInput!) { inviteStaff(input: $input) {
        ... on InvitePayload { token } } }""",
        {"input": {"email": email, "role": "STAFF"}},
    )
    body = await gql(
        http,
        """mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) {
        ... on AuthPayload { token user { id } } } }""",
        {
            "input": {
                "token": invited["data"]["inviteStaff"]["token"],
                "name": "Staff",
                "password": "another horse battery",
            }
        },
    )
    auth = body["data"]["acceptInvitation"]
    return Actor(
        auth["token"], owner.business_id, auth["user"]["id"], email, "another horse battery", http
    )


REMOVE_MEMBER = """mutation($input: RemoveMemberInput!) { removeMember(input: $input) {
  __typename ... on RemoveMemberPayload { member { user { id } role } }
  ... on UserError { code message } } }"""


async def test_logout_closes_the_sessions_open_sockets(
    http: httpx.AsyncClient, server: str, runtime: Runtime
) -> None:
    owner = await sign_up(http, "IN")
    ws = await connect(server, owner.token, owner.business_id)
    await subscribe(ws, runtime, owner.business_id)
    other = await connect(server, (await sign_up(http, "KE")).token, None)  # untouched
    body = await owner.gql("mutation { logout { __typename } }")
    assert body["data"]["logout"]["__typename"] == "LogoutPayload"
    assert await closed_with(ws) == (4401, "signed out")
    await assert_refused(ws)
    await other.send(json.dumps({"type": "ping"}))
    assert (await next_frame(other))["type"] == "pong"
    await other.close()


async def test_logout_over_the_socket_itself_ends_it(
    http: httpx.AsyncClient, server: str, runtime: Runtime
) -> None:
    """Signing out over the WebSocket ends that same socket: nothing more runs on it (it
    could create an API key after signing out)."""
    owner = await sign_up(http, "ZA")
    ws = await connect(server, owner.token, owner.business_id)
    await ws.send(
        json.dumps(
            {
                "id": "out",
                "type": "subscribe",
                "payload": {"query": "mutation { logout { __typename } }"},
            }
        )
    )
    assert await closed_with(ws) == (4401, "signed out")
    await assert_refused(ws)
    assert runtime.live is not None


async def test_revoking_an_api_key_closes_its_sockets(
    http: httpx.AsyncClient, server: str, runtime: Runtime
) -> None:
    owner = await sign_up(http, "KE")
    key_id, secret = await create_api_key(owner, ["CUSTOMERS_READ"])
    ws = await connect(server, secret, None)
    await subscribe(ws, runtime, owner.business_id)
    owners_ws = await connect(server, owner.token, owner.business_id)  # stays open
    await subscribe(owners_ws, runtime, owner.business_id)
    body = await owner.gql(
        "mutation($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { __typename } }",
        {"input": {"id": key_id}},
    )
    assert body["data"]["revokeApiKey"]["__typename"] == "ApiKeyPayload"
    assert await closed_with(ws) == (4401, "API key revoked")
    await assert_refused(ws)
    await owner.gql(CREATE_CUSTOMER)
    assert (await next_frame(owners_ws))["payload"]["data"]["customerEvents"]["name"] == "Asha"
    await owners_ws.close()


async def test_removing_a_member_closes_their_sockets_for_that_business(
    http: httpx.AsyncClient, server: str, runtime: Runtime
) -> None:
    owner = await sign_up(http, "IN")
    staff = await add_staff(owner, http)
    ws = await connect(server, staff.token, staff.business_id)
    await subscribe(ws, runtime, staff.business_id)
    body = await owner.gql(REMOVE_MEMBER, {"input": {"userId": staff.user_id}})
    removed = body["data"]["removeMember"]
    assert removed["__typename"] == "RemoveMemberPayload", removed
    assert removed["member"] == {"user": {"id": staff.user_id}, "role": "STAFF"}
    assert await closed_with(ws) == (4403, "removed from the business")
    await assert_refused(ws)
    # and the session no longer reaches the business over HTTP either
    again = await staff.gql("{ members { role } }", expect_errors=True)
    assert again["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    audit = await owner.gql(
        '{ auditEvents(first: 5, action: "staff.removed") { edges { node { action } } } }',
        expect_errors=True,
    )
    assert "errors" not in audit, audit
    assert [e["node"]["action"] for e in audit["data"]["auditEvents"]["edges"]] == ["staff.removed"]


async def test_remove_member_rules(http: httpx.AsyncClient) -> None:
    owner = await sign_up(http, "OM")
    staff = await add_staff(owner, http)
    # staff may not remove anyone
    body = await staff.gql(REMOVE_MEMBER, {"input": {"userId": owner.user_id}})
    assert body["data"]["removeMember"]["code"] == "PERMISSION_DENIED"
    # the last owner stays
    body = await owner.gql(REMOVE_MEMBER, {"input": {"userId": owner.user_id}})
    assert body["data"]["removeMember"] == {
        "__typename": "ConflictError",
        "code": "CONFLICT",
        "message": "a business keeps at least one owner",
    }
    # someone of another business is not found here; a malformed id is a validation error
    stranger = await sign_up(http, "KE")
    body = await owner.gql(REMOVE_MEMBER, {"input": {"userId": stranger.user_id}})
    assert body["data"]["removeMember"]["code"] == "NOT_FOUND"
    body = await owner.gql(REMOVE_MEMBER, {"input": {"userId": "nope"}})
    assert body["data"]["removeMember"]["__typename"] == "ValidationError"
    # an API key may not remove members
    _, secret = await create_api_key(owner, ["CUSTOMERS_READ"])
    body = await gql(
        http,
        REMOVE_MEMBER,
        {"input": {"userId": staff.user_id}},
        headers={"authorization": f"Bearer {secret}"},
    )
    assert body["data"]["removeMember"]["code"] == "PERMISSION_DENIED"


@pytest.fixture
async def clocked_server(runtime: Runtime) -> AsyncIterator[tuple[str, Runtime, FrozenClock]]:
    """A second app on the same database whose clock the test moves."""
    clock = FrozenClock(datetime.now(UTC).replace(microsecond=0))
    rt = build_runtime(runtime.settings, clock=clock)
    await rt.start(sweep=False)
    try:
        async with serving(create_app(rt.settings, runtime=rt)) as address:
            yield address, rt, clock
    finally:
        await rt.stop()


async def test_an_expired_session_closes_its_socket_at_expiry(
    clocked_server: tuple[str, Runtime, FrozenClock],
) -> None:
    server, rt, clock = clocked_server
    async with httpx.AsyncClient(base_url=f"http://{server}") as http:
        owner = await sign_up(http, "ZA")
    ws = await connect(server, owner.token, owner.business_id)
    await subscribe(ws, rt, owner.business_id)
    clock.advance(minutes=rt.settings.access_token_ttl_minutes - 1)
    await ws.send(json.dumps({"type": "ping"}))
    assert (await next_frame(ws))["type"] == "pong"  # not yet
    clock.advance(minutes=1)
    assert await closed_with(ws) == (4401, "session expired; sign in again")
    await assert_refused(ws)


async def _redis_reachable() -> bool:
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    probe = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await probe.ping()
        return True
    except (OSError, RedisError):
        return False
    finally:
        await probe.aclose()


@pytest.fixture
async def second_process(runtime: Runtime) -> AsyncIterator[tuple[str, Runtime, str, Runtime]]:
    """Two API processes on one database and one Redis hub: (address A, runtime A,
    address B, runtime B). The PostgreSQL run's runtimes already use Redis; the SQLite run
    gives both new runtimes a Redis hub of their own namespace."""
    if runtime.hub.backend is not None:
        a, rt_a = runtime, None
        namespace = NAMESPACE
    else:
        assert await _redis_reachable(), "the two-process test needs Redis"
        namespace = f"khata_test_{uuid.uuid4().hex[:8]}"
        rt_a = build_runtime(runtime.settings, hub=EventHub(REDIS_URL, namespace=namespace))
        await rt_a.start(sweep=False)
        a = rt_a
    rt_b = build_runtime(runtime.settings, hub=EventHub(REDIS_URL, namespace=namespace))
    await rt_b.start(sweep=False)
    try:
        async with (
            serving(create_app(a.settings, runtime=a)) as address_a,
            serving(create_app(rt_b.settings, runtime=rt_b)) as address_b,
        ):
            yield address_a, a, address_b, rt_b
    finally:
        await rt_b.stop()
        if rt_a is not None:
            await rt_a.stop()


async def test_a_revocation_in_one_process_closes_the_socket_in_another(
    second_process: tuple[str, Runtime, str, Runtime],
) -> None:
    address_a, rt_a, address_b, rt_b = second_process
    assert rt_a.hub.backend is not None and rt_b.hub.backend is not None  # Redis between them
    async with httpx.AsyncClient(base_url=f"http://{address_a}") as http_a:
        owner = await sign_up(http_a, "IN")
        staff = await add_staff(owner, http_a)
        key_id, secret = await create_api_key(owner, ["CUSTOMERS_READ"])
        on_b = {
            "session": await connect(address_b, owner.token, owner.business_id),
            "member": await connect(address_b, staff.token, staff.business_id),
            "key": await connect(address_b, secret, None),
        }
        for ws in on_b.values():
            await subscribe(ws, rt_b, owner.business_id)
        # events cross too: a change made through A reaches B's subscribers
        await owner.gql(CREATE_CUSTOMER)
        for ws in on_b.values():
            assert (await next_frame(ws))["payload"]["data"]["customerEvents"]["name"] == "Asha"

        await owner.gql(REMOVE_MEMBER, {"input": {"userId": staff.user_id}})
        assert await closed_with(on_b["member"]) == (4403, "removed from the business")
        await owner.gql(
            "mutation($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { __typename } }",
            {"input": {"id": key_id}},
        )
        assert await closed_with(on_b["key"]) == (4401, "API key revoked")
        await owner.gql("mutation { logout { __typename } }")
        assert await closed_with(on_b["session"]) == (4401, "signed out")
        for ws in on_b.values():
            await assert_refused(ws)
    assert rt_b.live is not None and rt_b.live.count() == 0


async def test_the_revocations_channel_is_namespaced(runtime: Runtime) -> None:
    assert runtime.hub.wire_name(REVOCATIONS) == f"{runtime.settings.redis_namespace}:revocations"


async def test_a_websocket_message_is_held_to_the_body_cap(
    http: httpx.AsyncClient, server: str, runtime: Runtime
) -> None:
    """A message larger than KHATA_MAX_BODY_BYTES closes the socket with 1009; one within
    the cap is served."""
    owner = await sign_up(http, "IN")
    cap = runtime.settings.max_body_bytes
    ws = await connect(server, owner.token, owner.business_id)
    padding = " " * (cap - 200)  # within the cap: an ordinary query with whitespace
    await ws.send(
        json.dumps(
            {"id": "ok", "type": "subscribe", "payload": {"query": "{ __typename" + padding + "}"}}
        )
    )
    assert (await next_frame(ws))["payload"] == {"data": {"__typename": "Query"}}
    await ws.send(
        json.dumps(
            {
                "id": "big",
                "type": "subscribe",
                "payload": {"query": "{ __typename }", "x": "y" * (3 * cap)},
            }
        )
    )
    assert await closed_with(ws) == (1009, "message too big")
    await assert_refused(ws)


@pytest.fixture
async def redis_served(runtime: Runtime, server: str) -> AsyncIterator[tuple[str, Runtime]]:
    """A server whose hub is on Redis: the suite's on the PostgreSQL run, else its own."""
    if runtime.hub.backend is not None:
        yield server, runtime
        return
    assert await _redis_reachable(), "this test needs Redis"
    rt = build_runtime(
        runtime.settings,
        hub=EventHub(REDIS_URL, namespace=f"khata_test_{uuid.uuid4().hex[:8]}"),
    )
    await rt.start(sweep=False)
    try:
        async with serving(create_app(rt.settings, runtime=rt)) as address:
            yield address, rt
    finally:
        await rt.stop()


async def test_a_pubsub_drop_tells_subscribers_to_resubscribe(
    redis_served: tuple[str, Runtime],
) -> None:
    """The Redis link of the hub is cut (only this hub's own connection, by CLIENT KILL ID):
    a subscriber gets an error with code RESUBSCRIBE (never "Unexpected error."), its
    socket stays open (its credentials still hold), and a new subscription on it gets
    events again once the hub has reconnected."""
    from redis.asyncio import Redis

    server, rt = redis_served
    async with httpx.AsyncClient(base_url=f"http://{server}") as http:
        owner = await sign_up(http, "KE")
        ws = await connect(server, owner.token, owner.business_id)
        await subscribe(ws, rt, owner.business_id)
        backend = rt.hub.backend
        admin = Redis.from_url(REDIS_URL, decode_responses=True)
        try:
            ours = [
                c["id"]
                for c in await admin.client_list(_type="pubsub")
                if c["name"] == backend.client_name
            ]
            assert len(ours) == 1, ours
            assert await admin.execute_command("CLIENT", "KILL", "ID", ours[0]) == 1
        finally:
            await admin.aclose()
        frame = await next_frame(ws)
        errors = frame["payload"] if frame["type"] == "error" else frame["payload"]["errors"]
        assert frame["id"] == "1"
        assert errors[0]["extensions"]["code"] == "RESUBSCRIBE", frame
        assert "resubscribe" in errors[0]["message"]
        await asyncio.wait_for(backend.connected.wait(), 15)
        await subscribe(ws, rt, owner.business_id, op="2")
        await owner.gql(CREATE_CUSTOMER)
        while (frame := await next_frame(ws))["id"] != "2":
            pass
        assert frame["payload"]["data"]["customerEvents"]["name"] == "Asha"
        await ws.close()
