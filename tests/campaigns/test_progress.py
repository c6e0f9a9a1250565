"""campaignProgress over a real WebSocket: the owner's staff see the campaign's status and
stats move as its messages go out, up to SENT; another business cannot follow it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from khata.composition import create_app
from khata.runtime import Runtime
from tests.campaigns.helpers import at_any_hour, created, customers, kenyan, send
from tests.conftest import run_jobs, serving, sign_up
from tests.realtime import connect, error_code, subscribe, update

PROGRESS = """subscription($id: ID!, $after: String) { campaignProgress(id: $id, after: $after) {
  cursor campaign { id status recipientCount } stats { recipients queued sent optedOut } } }"""


@pytest.fixture
async def live(real_providers: Runtime, hooks: httpx.AsyncClient) -> AsyncIterator[str]:
    async with serving(create_app(real_providers.settings, runtime=real_providers)) as address:
        yield address


@pytest.fixture
async def on_live(live: str) -> AsyncIterator[httpx.AsyncClient]:
    """Mutations through the serving runtime: its jobs send, its hub publishes."""
    async with httpx.AsyncClient(base_url=f"http://{live}") as client:
        yield client


async def test_progress_arrives_live_until_sent(
    live: str, real_providers: Runtime, on_live: httpx.AsyncClient
) -> None:
    rt = real_providers
    owner, other_owner = await sign_up(on_live, "KE"), await sign_up(on_live, "KE")
    phones = kenyan(3, prefix="+2547190")
    await at_any_hour(owner, await customers(owner, phones))
    cid = await created(owner)
    ws = await connect(live, owner)
    await subscribe(ws, rt, owner, PROGRESS, id=cid)
    sent = await send(owner, cid)
    assert sent["__typename"] == "CampaignPayload", sent
    await run_jobs(rt)
    seen = []
    while True:
        got = await update(ws, "campaignProgress")
        seen.append(got)
        if got["campaign"]["status"] == "SENT":
            break
    assert seen[0]["campaign"]["status"] == "SENDING"
    last = seen[-1]
    assert last["campaign"]["recipientCount"] == 3
    assert (last["stats"]["recipients"], last["stats"]["sent"], last["stats"]["queued"]) == (
        3,
        3,
        0,
    )
    sent_counts = [s["stats"]["sent"] for s in seen]
    assert sent_counts == sorted(sent_counts)  # never backwards
    await ws.close()

    theirs = await connect(live, other_owner)
    await subscribe(theirs, rt, other_owner, PROGRESS, wait=False, id=cid)
    assert await error_code(theirs) == "NOT_FOUND"
    await theirs.close()
