"""Who is asking is read per request: a session token is one query (its memberships and
businesses with it), reads never commit, and an API key's last-used time is written in a
transaction of its own, at most once a minute."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event

from khata.runtime import Runtime
from tests.accounts.helpers import _bearer, _create_key
from tests.conftest import Actor, count_statements, gql
from workers.runner import InProcessRunner

STATS = "{ customerStats { total } }"
PAGE = "{ customers(first: 1) { totalCount edges { node { id } } } }"


@contextmanager
def count_commits(rt: Runtime) -> Iterator[list[Any]]:
    seen: list[Any] = []

    def listener(conn: Any) -> None:
        seen.append(conn)

    for engine in rt.db.engines:
        event.listen(engine.sync_engine, "commit", listener)
    try:
        yield seen
    finally:
        for engine in rt.db.engines:
            event.remove(engine.sync_engine, "commit", listener)


async def test_a_session_token_is_one_query_and_a_read_commits_nothing(
    owner: Actor, runtime: Runtime
) -> None:
    if isinstance(runtime.jobs, InProcessRunner):  # earlier tests' jobs commit first
        await runtime.jobs.drain()
    await runtime.relay.flush()  # the sign-up's outbox marks land now, not during the read
    with count_statements(runtime) as statements, count_commits(runtime) as commits:
        await owner.gql(PAGE)
    identity = [s for s in statements if "access_tokens" in s]
    assert len(identity) == 1, identity
    assert "memberships" in identity[0] and "businesses" in identity[0]
    # the business read with the identity serves the request
    assert not any("FROM businesses" in s for s in statements if s not in identity)
    assert commits == []


async def test_an_api_key_use_is_recorded_once_a_minute_outside_the_read(
    client: httpx.AsyncClient, owner: Actor, runtime: Runtime
) -> None:
    secret = (await _create_key(owner, ["CUSTOMERS_READ"]))["secret"]
    await runtime.relay.flush()  # earlier mutations' outbox marks land before we count
    with count_statements(runtime) as statements, count_commits(runtime) as commits:
        await gql(client, STATS, headers=_bearer(secret))
    assert len(commits) == 1  # the last-used time, in its own transaction
    assert any(s.lstrip().upper().startswith("UPDATE API_KEYS") for s in statements)
    with count_statements(runtime) as statements, count_commits(runtime) as commits:
        await gql(client, STATS, headers=_bearer(secret))
    assert commits == []
    assert not any(s.lstrip().upper().startswith("UPDATE") for s in statements)
