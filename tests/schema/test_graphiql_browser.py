"""GraphiQL in a real browser: Debian's Chromium, driven by Playwright, against a real
uvicorn server, with every request to anything but this server blocked. The page must
load all its assets from the API, run a signed-in query typed into its editors, and
receive a subscription event over graphql-transport-ws (text frames)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import websockets
from playwright.async_api import Browser, Page, Route, async_playwright, expect
from playwright.async_api import TimeoutError as PlaywrightTimeout
from websockets.typing import Subprotocol

from domain.core.outbox import stream_channel as channel_for
from khata.runtime import Runtime
from schema.relay import parse_global_id
from tests.conftest import Actor, sign_up

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
WAIT_MS = 20_000  # upper bound for the page to react; assertions return as soon as it does


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    assert Path(CHROMIUM).exists(), (
        f"{CHROMIUM} is missing: `make .venv/.installed` installs it as root, "
        "or run `apt-get install chromium`"
    )
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        await chromium.close()


class Watched:
    """A page whose outside requests are refused and whose failures are recorded."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.blocked: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url}: {r.failure}"))
        page.on(
            "response",
            lambda r: self.failed.append(f"{r.url}: HTTP {r.status}") if r.status >= 400 else None,
        )
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    async def refuse_outside(self, route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            await route.continue_()
        else:
            self.blocked.append(route.request.url)
            await route.abort()

    def assert_clean(self) -> None:
        assert self.blocked == [], f"the page reached beyond the API: {self.blocked}"
        assert self.failed == [], f"requests failed: {self.failed}"
        assert self.errors == [], f"the page logged errors: {self.errors}"


@pytest.fixture
async def graphiql(browser: Browser, server: str) -> AsyncIterator[Watched]:
    context = await browser.new_context()
    watched = Watched(await context.new_page())
    await context.route("**/*", watched.refuse_outside)
    try:
        response = await watched.page.goto(f"http://{server}/graphql", wait_until="load")
        # the page must work under its strict policy (no 'unsafe-inline')
        assert response is not None
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self' 'sha256-" in policy and "unsafe" not in policy, policy
        try:
            await watched.page.wait_for_selector(
                ".graphiql-query-editor .CodeMirror", timeout=WAIT_MS
            )
        except PlaywrightTimeout:
            watched.assert_clean()  # names what the page could not load
            raise
        yield watched
    finally:
        await context.close()


async def type_into(page: Page, editor: str, text: str) -> None:
    """Replace an editor's text the way a user pastes it."""
    await page.locator(f"{editor} .CodeMirror").click()
    await page.keyboard.press("Control+A")
    await page.keyboard.insert_text(text)


async def set_headers(page: Page, headers: dict[str, str]) -> None:
    await page.get_by_text("Headers", exact=True).click()
    await type_into(
        page, ".graphiql-editor-tool .graphiql-editor:not(.hidden)", json.dumps(headers)
    )


async def test_graphiql_runs_a_signed_in_query_with_no_outside_network(
    graphiql: Watched, http: httpx.AsyncClient
) -> None:
    owner = await sign_up(http, "IN")
    page = graphiql.page
    await type_into(
        page,
        ".graphiql-query-editor",
        "{ viewer { role user { id } activeBusiness { id name } } }",
    )
    await set_headers(page, {"authorization": f"Bearer {owner.token}"})
    await page.locator(".graphiql-execute-button").click()

    result = page.locator(".result-window")
    await expect(result).to_contain_text(owner.user_id, timeout=WAIT_MS)
    await expect(result).to_contain_text(owner.business_id)
    await expect(result).to_contain_text('"role": "OWNER"')
    graphiql.assert_clean()
    # the stylesheets really applied: the editor is laid out, not raw unstyled text
    assert await page.locator(".graphiql-execute-button").is_visible()


async def test_graphiql_receives_a_subscription_event(
    graphiql: Watched, http: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await sign_up(http, "KE")
    # a second business: the socket must act for the one named in GraphiQL's headers
    second = await owner.gql(
        """mutation { createBusiness(input: {name: "Second shop", country: "KE"}) {
        __typename ... on BusinessPayload { business { id } } } }"""
    )
    assert second["data"]["createBusiness"]["__typename"] == "BusinessPayload", second
    page = graphiql.page
    await type_into(
        page, ".graphiql-query-editor", "subscription { customerEvents { topic name } }"
    )
    await set_headers(
        page, {"authorization": f"Bearer {owner.token}", "x-khata-business": owner.business_id}
    )
    await page.locator(".graphiql-execute-button").click()
    channel = channel_for(parse_global_id(owner.business_id)[1])
    await asyncio.wait_for(runtime.hub.wait_for_subscribers(channel), WAIT_MS / 1000)

    await create_customer(owner, "Wanjiru Kamau")
    result = page.locator(".result-window")
    await expect(result).to_contain_text("Wanjiru Kamau", timeout=WAIT_MS)
    await expect(result).to_contain_text("customer.created")
    graphiql.assert_clean()


async def create_customer(owner: Actor, name: str) -> None:
    body = await owner.gql(
        "mutation($name: String!) { createCustomer(input: {name: $name}) { __typename } }",
        {"name": name},
    )
    assert body["data"]["createCustomer"]["__typename"] == "CustomerPayload", body


async def test_protocol_messages_are_text_frames(server: str) -> None:
    """Browser clients (graphql-ws) parse text frames only; a binary frame arrives as a
    Blob and the client drops the connection."""
    async with websockets.connect(
        f"ws://{server}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        ack = await asyncio.wait_for(ws.recv(), 10)
        assert isinstance(ack, str) and json.loads(ack)["type"] == "connection_ack"
        await ws.send(json.dumps({"type": "ping"}))
        pong = await asyncio.wait_for(ws.recv(), 10)
        assert isinstance(pong, str) and json.loads(pong)["type"] == "pong"
        await ws.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "{ __typename }"}})
        )
        result = await asyncio.wait_for(ws.recv(), 10)
        assert isinstance(result, str) and json.loads(result)["type"] == "next"
