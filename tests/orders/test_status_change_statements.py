"""The SQL of one changeOrderStatus over HTTP, statement by statement: a regression (a
repeated load, a position set by a second UPDATE, a business read again) fails here with
the statement list that changed. The relay's background marks and the notification job
the change enqueues (run by a worker, not by the request) are outside the count."""

from __future__ import annotations

from typing import Any

import pytest

from khata.runtime import Runtime
from tests.conftest import Actor, count_statements
from tests.orders.helpers import customer_id, placed

# what a front end sends to move an order (and the realtime benchmark's request)
CHANGE = """mutation($input: ChangeOrderStatusInput!) { changeOrderStatus(input: $input) {
  __typename ... on OrderPayload { order { id status version } }
  ... on UserError { code message } } }"""

# who asks (one statement, outside a transaction on PostgreSQL); the order, locked; the
# change and its timeline entry; the stream position; the outbox row(s), positions included
EXPECTED = [
    "SELECT access_tokens",
    "SELECT orders",
    "UPDATE orders",
    "INSERT INTO order_events",
    "INSERT INTO stream_counters",
    "INSERT INTO outbox_events",
]


class Jobs:
    """Stands in for the job queue while a request is counted: the jobs it enqueues."""

    def __init__(self) -> None:
        self.enqueued: list[str] = []

    async def enqueue(self, task: str, *, job_id: str, **kwargs: Any) -> None:
        self.enqueued.append(task)


async def change(actor: Actor, order_id: str, status: str, version: int, **extra: Any) -> Any:
    wanted = {"orderId": order_id, "status": status, "expectedVersion": version, **extra}
    body = await actor.gql(CHANGE, {"input": wanted})
    return body["data"]["changeOrderStatus"]


def kinds(statements: list[str]) -> list[str]:
    """Each statement's verb and table: `SELECT orders`, `INSERT INTO outbox_events`."""
    out = []
    for statement in statements:
        words = statement.split()
        verb = words[0].upper()
        if verb == "SELECT":
            table = words[words.index("FROM") + 1]
            out.append(f"SELECT {table}")
        elif verb == "INSERT":
            out.append(f"INSERT INTO {words[2]}")
        else:
            out.append(f"{verb} {words[1]}")
    return out


@pytest.mark.parametrize(
    ("status", "extra"), [("CONFIRMED", {}), ("CANCELLED", {"reason": "changed their mind"})]
)
async def test_one_status_change_runs_six_statements(
    owner: Actor,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    status: str,
    extra: dict[str, Any],
) -> None:
    order = await placed(owner, await customer_id(owner))
    jobs = Jobs()
    monkeypatch.setattr(runtime.relay, "jobs", jobs)
    with count_statements(runtime) as seen:
        result = await change(owner, order["id"], status, 1, **extra)
    assert result["__typename"] == "OrderPayload", result
    assert result["order"]["version"] == 2
    # a cancellation is two events (status changed, cancelled): still one INSERT of both
    assert kinds(seen) == EXPECTED, seen
    assert jobs.enqueued == ["send_notification"]  # the customer's status message


async def test_a_stale_version_reads_and_writes_nothing_more(
    owner: Actor, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = await placed(owner, await customer_id(owner))
    jobs = Jobs()
    monkeypatch.setattr(runtime.relay, "jobs", jobs)
    assert (await change(owner, order["id"], "CONFIRMED", 1))["__typename"] == "OrderPayload"
    with count_statements(runtime) as seen:
        result = await change(owner, order["id"], "PROCESSING", 1)
    assert result["__typename"] == "OrderConflictError", result
    assert kinds(seen) == ["SELECT access_tokens", "SELECT orders"], seen
    assert jobs.enqueued == ["send_notification"]  # the first change's only
