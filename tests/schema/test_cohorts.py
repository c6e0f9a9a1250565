"""Subscription groups over real WebSockets (uvicorn on loopback; on the PostgreSQL run the
events travel through Redis): identical subscriptions of one audience share one execution
and the same payload text; other variables or audiences get groups of their own; a slow
member never stalls its group and is told it fell behind; a revoked member is closed while
its group goes on."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from domain.core.outbox import stream_channel as channel_for
from domain.core.settings import Settings
from domain.core.stream import encode_cursor, start_positions
from khata.composition import build_runtime, create_app
from khata.runtime import Runtime
from schema.http.cohorts import Cohorts
from schema.relay import parse_global_id
from tests.accounts.test_revocation import closed_with, create_api_key
from tests.conftest import Actor, gql, serving, sign_up
from tests.schema.ws_helpers import next_frame, next_text, open_socket, send_subscribe

CREATE = "mutation($n: String!) { createCustomer(input: {name: $n}) { __typename } }"


def business_of(actor: Actor) -> int:
    return parse_global_id(actor.business_id)[1]


def members(cohorts: Cohorts, business_id: int) -> list[int]:
    """Member counts of the business's groups (audience: kind, business, ...)."""
    return sorted(
        len(g.members) for g in cohorts.groups.values() if g.key.audience[1] == business_id
    )


async def ready(cohorts: Cohorts, rt: Runtime, business_id: int, counts: list[int]) -> None:
    """The groups have these members and each group's stream listens on the channel."""
    await asyncio.wait_for(cohorts.wait_until(lambda: members(cohorts, business_id) == counts), 10)
    await asyncio.wait_for(rt.hub.wait_for_subscribers(channel_for(business_id), len(counts)), 10)


def payload_text(frame: str, op: str) -> str:
    """The frame without its operation id: what every member of a group shares."""
    head = f'{{"id":"{op}","type":"next","payload":'
    assert frame.startswith(head) and frame.endswith("}"), frame
    return frame[len(head) : -1]


@asynccontextmanager
async def second_process(
    runtime: Runtime, **changes: Any
) -> AsyncIterator[tuple[str, Runtime, Any]]:
    """A second API process on the same database and hub, with these settings changed:
    its address, runtime and app, served until the block ends."""
    settings: Settings = runtime.settings.model_copy(update=changes)
    rt = build_runtime(settings)
    await rt.start(sweep=False)
    app = create_app(settings, runtime=rt)
    try:
        async with serving(app) as address:
            yield address, rt, app
    finally:
        await rt.stop()


async def test_members_of_one_group_share_one_execution_and_identical_frames(
    http: httpx.AsyncClient, server: str, app: Any, runtime: Runtime
) -> None:
    cohorts: Cohorts = app.state.cohorts
    owner = await sign_up(http, "IN")
    bid = business_of(owner)
    first = await open_socket(server, owner.token, owner.business_id)
    second = await open_socket(server, owner.token, owner.business_id)
    try:
        await send_subscribe(first, "a")
        await ready(cohorts, runtime, bid, [1])
        await owner.gql(CREATE, {"n": "Before the second"})
        early = json.loads(await next_text(first))["payload"]["data"]["customerEvents"]
        await send_subscribe(second, "b")
        await ready(cohorts, runtime, bid, [2])
        await owner.gql(CREATE, {"n": "Shared"})
        a, b = await next_text(first), await next_text(second)
        assert payload_text(a, "a") == payload_text(b, "b")  # the same text, byte for byte
        assert json.loads(b)["payload"]["data"]["customerEvents"]["name"] == "Shared"
        assert early["name"] == "Before the second"  # the late joiner got only later events
        (group,) = [g for g in cohorts.groups.values() if g.key.audience[1] == bid]
        assert group.delivered == 2  # executed once per event, not once per member
    finally:
        await first.close()
        await second.close()


RESUME = """subscription($after: String) { customerEvents(after: $after) { cursor name } }"""


async def test_clients_resuming_from_one_cursor_each_get_the_whole_backlog(
    http: httpx.AsyncClient, server: str, app: Any, runtime: Runtime
) -> None:
    """After a drop every member of a group holds the same last cursor and resumes with
    it: a later one joins the first one's group mid-stream, gets what it published first
    and misses nothing; the backlog is executed once for both."""
    cohorts: Cohorts = app.state.cohorts
    owner = await sign_up(http, "IN")
    bid = business_of(owner)
    first = await open_socket(server, owner.token, owner.business_id)
    await send_subscribe(first, "s", RESUME, {"after": None})
    await ready(cohorts, runtime, bid, [1])
    await owner.gql(CREATE, {"n": "Seen"})
    cursor = (await next_frame(first))["payload"]["data"]["customerEvents"]["cursor"]
    await first.close()
    for name in ("Missed 1", "Missed 2", "Missed 3"):
        await owner.gql(CREATE, {"n": name})
    a = await open_socket(server, owner.token, owner.business_id)
    b = await open_socket(server, owner.token, owner.business_id)
    try:
        await send_subscribe(a, "a", RESUME, {"after": cursor})
        got_a = [(await next_frame(a))["payload"]["data"]["customerEvents"]["name"]]
        await send_subscribe(b, "b", RESUME, {"after": cursor})  # a is mid-stream now
        got_b = [(await next_frame(b))["payload"]["data"]["customerEvents"]["name"]]
        for _ in range(2):
            got_a.append((await next_frame(a))["payload"]["data"]["customerEvents"]["name"])
            got_b.append((await next_frame(b))["payload"]["data"]["customerEvents"]["name"])
        assert got_a == got_b == ["Missed 1", "Missed 2", "Missed 3"]
        await owner.gql(CREATE, {"n": "Live"})
        for ws in (a, b):
            assert (await next_frame(ws))["payload"]["data"]["customerEvents"]["name"] == "Live"
        (group,) = [g for g in cohorts.groups.values() if g.key.audience[1] == bid]
        assert len(group.members) == 2
        assert group.delivered == 4  # three missed and one live, executed once for both
    finally:
        await a.close()
        await b.close()


@pytest.fixture
async def short_replay(runtime: Runtime) -> AsyncIterator[tuple[str, Runtime, Any]]:
    """A second API process whose members buffer (and groups replay) at most 3 frames."""
    async with second_process(runtime, ws_member_buffer=3) as process:
        yield process


async def test_a_resumer_after_a_long_replay_runs_a_group_of_its_own(
    short_replay: tuple[str, Runtime, Any],
) -> None:
    """A group replays at most a member buffer of frames to later resumers: past that, a
    resumer from the same cursor starts its own group and still gets the whole backlog."""
    server, rt, app = short_replay
    cohorts: Cohorts = app.state.cohorts
    async with httpx.AsyncClient(base_url=f"http://{server}") as http:
        owner = await sign_up(http, "IN")
        bid = business_of(owner)
        cursor = encode_cursor({bid: (await start_positions(rt.db, [bid], None))[bid]})
        names = [f"Missed {n}" for n in range(4)]
        for name in names:
            await owner.gql(CREATE, {"n": name})
        a = await open_socket(server, owner.token, owner.business_id)
        b = await open_socket(server, owner.token, owner.business_id)
        try:
            await send_subscribe(a, "a", RESUME, {"after": cursor})
            got_a = [(await next_frame(a))["payload"]["data"]["customerEvents"] for _ in names]
            await send_subscribe(b, "b", RESUME, {"after": cursor})  # a's group is past 3
            got_b = [(await next_frame(b))["payload"]["data"]["customerEvents"] for _ in names]
            assert [e["name"] for e in got_a] == [e["name"] for e in got_b] == names
            # two groups (the key's newest in `cohorts.groups`), each with its own stream
            assert members(cohorts, bid) == [1]
            assert rt.hub.subscriber_count(channel_for(bid)) == 2
        finally:
            await a.close()
            await b.close()


async def test_other_variables_or_audiences_get_their_own_group(
    http: httpx.AsyncClient, server: str, app: Any, runtime: Runtime
) -> None:
    cohorts: Cohorts = app.state.cohorts
    owner = await sign_up(http, "KE")
    bid = business_of(owner)
    _, secret = await create_api_key(owner, ["CUSTOMERS_READ"])
    query = """subscription($full: Boolean!) { customerEvents { name
        eventId @include(if: $full) } }"""
    full = await open_socket(server, owner.token, owner.business_id)
    brief = await open_socket(server, owner.token, owner.business_id)
    integrator = await open_socket(server, secret, None)
    try:
        await send_subscribe(full, "1", query, {"full": True})
        await send_subscribe(brief, "1", query, {"full": False})
        await send_subscribe(integrator, "1", query, {"full": True})
        await ready(cohorts, runtime, bid, [1, 1, 1])
        audiences = {g.key.audience for g in cohorts.groups.values() if g.key.audience[1] == bid}
        assert len(audiences) == 2  # the owner's and the key's (scopes differ)
        await owner.gql(CREATE, {"n": "Wanjiru"})
        got_full = (await next_frame(full))["payload"]["data"]["customerEvents"]
        got_brief = (await next_frame(brief))["payload"]["data"]["customerEvents"]
        got_key = (await next_frame(integrator))["payload"]["data"]["customerEvents"]
        assert set(got_full) == {"name", "eventId"} and got_brief == {"name": "Wanjiru"}
        assert got_key == got_full
    finally:
        for ws in (full, brief, integrator):
            await ws.close()


@pytest.fixture
async def small_buffers(runtime: Runtime) -> AsyncIterator[tuple[str, Runtime, Any]]:
    """A second API process (same database and hub settings) whose members buffer 16
    frames."""
    async with second_process(runtime, ws_member_buffer=16) as process:
        yield process


async def test_a_slow_member_never_stalls_its_group_and_is_told_it_fell_behind(
    small_buffers: tuple[str, Runtime, Any],
) -> None:
    server, rt, app = small_buffers
    cohorts: Cohorts = app.state.cohorts
    async with httpx.AsyncClient(base_url=f"http://{server}") as http:
        owner = await sign_up(http, "ZA")
    bid = business_of(owner)
    slow = await open_socket(server, owner.token, owner.business_id, receive_buffer=4096)
    fast = await open_socket(server, owner.token, owner.business_id)
    try:
        await send_subscribe(slow, "slow")
        await send_subscribe(fast, "fast")
        await ready(cohorts, rt, bid, [2])
        events = 200  # 20 MB of frames: far more than the slow socket can buffer (its
        # kernel buffers, 16 frames of its own); each published once the fast member has the
        # one before (the fast member keeps up, the slow one reads nothing)
        name = "x" * 100_000
        got: list[str] = []
        head = (await start_positions(rt.db, [bid], None))[bid]
        for n in range(events):  # published straight to the business's stream channel
            payload = {"customerId": n, "number": f"C{n}", "name": name}
            payload |= {"profileType": "STUB", "status": "ACTIVE"}
            message: dict[str, object] = {"id": str(n), "topic": "customer.updated"}
            message |= {"payload": payload, "businessId": bid, "position": head + 1 + n}
            await rt.hub.publish(channel_for(bid), message)
            frame = await next_frame(fast)
            got.append(frame["payload"]["data"]["customerEvents"]["eventId"])
        assert got == [str(n) for n in range(events)]  # all of them, while slow read nothing
        seen: list[str] = []
        while (frame := await next_frame(slow))["type"] == "next":
            seen.append(frame["payload"]["data"]["customerEvents"]["eventId"])
        assert frame["type"] == "error" and frame["id"] == "slow", frame
        assert frame["payload"][0]["extensions"]["code"] == "FELL_BEHIND"
        assert seen == [str(n) for n in range(len(seen))] and len(seen) < events
        assert members(cohorts, bid) == [1]  # the fast one goes on alone
    finally:
        await slow.close()
        await fast.close()


async def test_revoking_the_first_member_closes_it_and_the_group_goes_on(
    http: httpx.AsyncClient, server: str, app: Any, runtime: Runtime
) -> None:
    """The group runs with its first member's audience, not its connection: that member's
    sign-out closes its socket (4401), and the other member keeps receiving."""
    cohorts: Cohorts = app.state.cohorts
    owner = await sign_up(http, "OM")
    bid = business_of(owner)
    first_token = owner.token
    await owner.sign_in_again()  # a second session of the same user: the same audience
    first = await open_socket(server, first_token, owner.business_id)
    second = await open_socket(server, owner.token, owner.business_id)
    try:
        await send_subscribe(first, "1")
        await ready(cohorts, runtime, bid, [1])
        await send_subscribe(second, "1")
        await ready(cohorts, runtime, bid, [2])
        body = await gql(
            http,
            "mutation { logout { __typename } }",
            headers={"authorization": f"Bearer {first_token}"},
        )
        assert body["data"]["logout"]["__typename"] == "LogoutPayload"
        assert await closed_with(first) == (4401, "signed out")
        await asyncio.wait_for(cohorts.wait_until(lambda: members(cohorts, bid) == [1]), 10)
        name = f"After {uuid.uuid4().hex[:6]}"
        await owner.gql(CREATE, {"n": name})
        assert (await next_frame(second))["payload"]["data"]["customerEvents"]["name"] == name
    finally:
        await second.close()


@pytest.fixture
async def renewing(runtime: Runtime) -> AsyncIterator[tuple[str, Runtime, Any]]:
    """A second API process whose groups renew their stream every 3 events."""
    async with second_process(runtime, subscription_renew_events=3) as process:
        yield process


async def test_renewal_keeps_delivery_gapless(renewing: tuple[str, Runtime, Any]) -> None:
    """The group's stream is renewed after every 3 events, resuming after the last cursor:
    the subscriber sees every event once, in order, while customers are created in bursts
    (some commit while a renewal is under way)."""
    server, rt, app = renewing
    cohorts: Cohorts = app.state.cohorts
    async with httpx.AsyncClient(base_url=f"http://{server}") as http:
        owner = await sign_up(http, "IN")
        bid = business_of(owner)
        ws = await open_socket(server, owner.token, owner.business_id)
        try:
            await send_subscribe(ws, "r", "subscription { customerEvents { name cursor } }")
            await ready(cohorts, rt, bid, [1])
            (group,) = [g for g in cohorts.groups.values() if g.key.audience[1] == bid]
            names = [f"Renewed {n}" for n in range(11)]
            got: list[dict[str, str]] = []
            for burst in (names[:4], names[4:5], names[5:11]):
                await asyncio.gather(*(owner.gql(CREATE, {"n": n}) for n in burst))
                for _ in burst:
                    got.append((await next_frame(ws))["payload"]["data"]["customerEvents"])
            assert sorted(e["name"] for e in got) == sorted(names)  # each once, none missing
            cursors = [e["cursor"] for e in got]
            assert len(set(cursors)) == len(cursors)
            assert group.renewals >= 3
        finally:
            await ws.close()
