"""Customers over GraphQL: progressive profiles, contact parsing, partial updates,"""

from __future__ import annotations

import asyncio
import base64
import re

import httpx
from sqlalchemy import func, select

from domain.core.outbox import OutboxEvent
from domain.notifications.models import NotificationLog
from khata.runtime import Runtime
from tests.conftest import Actor, run_jobs, sign_up
from tests.customers.helpers import (
    auto_register,
    create,
    created,
    field_codes,
)
from workers.runner import InProcessRunner


def row_id(global_id: str) -> int:
    raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    return int(raw.partition(":")[2])


async def _welcome_events(runtime: Runtime, customer_row_id: int) -> list[OutboxEvent]:
    async with runtime.db.read() as session:
        rows = (
            await session.scalars(
                select(OutboxEvent).where(OutboxEvent.topic == "customer.welcome")
            )
        ).all()
    return [r for r in rows if r.payload.get("customerId") == customer_row_id]


async def _log_rows(runtime: Runtime, recipient: str) -> list[NotificationLog]:
    async with runtime.db.read() as session:
        return list(
            (
                await session.scalars(
                    select(NotificationLog).where(NotificationLog.recipient == recipient)
                )
            ).all()
        )


NODE = """query($id: ID!) { node(id: $id) { __typename ... on Customer { name number } } }"""


async def test_auto_register_twice_same_phone_returns_same_customer(owner: Actor) -> None:
    first = await auto_register(owner, phone="98765 43210", name="Ramesh Kumar")
    assert first["__typename"] == "AutoRegisterPayload", first
    assert first["created"] is True
    assert first["customer"]["profileType"] == "STUB"
    assert first["customer"]["phone"] == "+919876543210"
    again = await auto_register(owner, phone="+91-98765-43210", name="Someone Else")
    assert again["created"] is False
    assert again["customer"]["id"] == first["customer"]["id"]
    assert again["customer"]["name"] == "Ramesh Kumar"
    third = await auto_register(owner, phone="098765 43210")
    assert third["created"] is False and third["customer"]["id"] == first["customer"]["id"]
    total = await owner.gql("query { customers { totalCount } }")
    assert total["data"]["customers"]["totalCount"] == 1


async def test_auto_register_finds_customer_created_by_hand(owner: Actor) -> None:
    existing = await created(owner, name="Ramesh", phone="9876543210")
    found = await auto_register(owner, phone="+919876543210")
    assert found["created"] is False
    assert found["customer"]["id"] == existing["id"]


async def test_auto_register_without_name_masks_phone(owner: Actor) -> None:
    result = await auto_register(owner, phone="98765 43210")
    assert result["created"] is True
    name = result["customer"]["name"]
    assert "3210" in name and "98765" not in name


async def test_auto_register_invalid_phone(owner: Actor) -> None:
    result = await auto_register(owner, phone="12ab")
    assert field_codes(result) == {"phone": "INVALID_PHONE"}


async def test_auto_register_is_per_business(owner: Actor, client: httpx.AsyncClient) -> None:
    other_india = await sign_up(client, "IN")
    a = await auto_register(owner, phone="9876543210", name="Ramesh")
    b = await auto_register(other_india, phone="9876543210", name="Ramesh")
    assert a["created"] is True and b["created"] is True
    assert a["customer"]["id"] != b["customer"]["id"]


async def test_auto_register_welcome_sms_sent_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    # A business of its own country so the recipient is unique to this test.
    actor = await sign_up(client, "ZA")
    result = await auto_register(actor, phone="082 555 0199", name="Thandi", sendWelcomeSms=True)
    assert result["created"] is True and result["welcomeSmsQueued"] is True
    e164 = result["customer"]["phone"]
    assert e164 == "+27825550199"
    await run_jobs(runtime)

    rows = await _log_rows(runtime, e164)
    assert len(rows) == 1
    log_row = rows[0]
    assert log_row.channel == "sms"
    assert log_row.status == "sent"
    assert log_row.customer_id == row_id(result["customer"]["id"])
    assert log_row.sent_at is not None
    assert "Welcome" in log_row.body
    sms_sent = [m for m in runtime.providers.sms.sent if m[1] == e164]  # type: ignore[attr-defined]
    assert len(sms_sent) == 1

    events = await _welcome_events(runtime, row_id(result["customer"]["id"]))
    assert len(events) == 1
    outbox_id = events[0].id
    assert log_row.idempotency_key.startswith(outbox_id)

    # arq may run a job twice (new job id, same outbox row): no second row, no second send.
    await runtime.jobs.enqueue(
        "send_notification", job_id=f"{outbox_id}-again", outbox_id=outbox_id
    )
    await run_jobs(runtime)
    if isinstance(runtime.jobs, InProcessRunner):
        assert runtime.jobs.results[f"{outbox_id}-again"] == "duplicate"
    assert len(await _log_rows(runtime, e164)) == 1
    assert len([m for m in runtime.providers.sms.sent if m[1] == e164]) == 1  # type: ignore[attr-defined]

    # Registering the same phone again finds the customer and queues no second welcome.
    again = await auto_register(actor, phone="+27 82 555 0199", sendWelcomeSms=True)
    assert again["created"] is False and again["welcomeSmsQueued"] is False
    await run_jobs(runtime)
    assert len(await _log_rows(runtime, e164)) == 1


async def test_welcome_sms_links_only_to_pages_that_exist(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    actor = await sign_up(client, "KE")
    result = await auto_register(actor, phone="0722 555 019", name="Wanjiru", sendWelcomeSms=True)
    (event,) = await _welcome_events(runtime, row_id(result["customer"]["id"]))
    body = event.payload["body"]
    assert "/portal" not in body
    for url in re.findall(r"https?://\S+", body):
        path = url.split("://", 1)[1].partition("/")[2]
        response = await client.get("/" + path)
        assert response.status_code != 404, url


async def test_auto_register_without_welcome_sends_nothing(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    actor = await sign_up(client, "KE")
    result = await auto_register(actor, phone="0733 555 019", name="Otieno")
    assert result["welcomeSmsQueued"] is False
    await run_jobs(runtime)
    async with runtime.db.read() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(NotificationLog)
            .where(NotificationLog.recipient == result["customer"]["phone"])
        )
    assert count == 0


async def test_concurrent_auto_register_creates_one_customer(owner: Actor) -> None:
    results = await asyncio.gather(
        *(
            auto_register(owner, phone=typed, name="Ramesh")
            for typed in ("98765 43210", "+919876543210", "098765-43210", "9876543210")
        )
    )
    assert all(r["__typename"] == "AutoRegisterPayload" for r in results), results
    assert sorted(r["created"] for r in results) == [False, False, False, True]
    assert len({r["customer"]["id"] for r in results}) == 1
    total = await owner.gql("query { customers { totalCount } }")
    assert total["data"]["customers"]["totalCount"] == 1


async def test_concurrent_creates_get_distinct_contiguous_numbers(owner: Actor) -> None:
    results = await asyncio.gather(*(created(owner, name=f"C{i}") for i in range(6)))
    numbers = sorted(r["number"] for r in results)
    assert numbers == [f"CUST-{i:05d}" for i in range(1, 7)]


async def test_node_lookup_is_tenant_scoped(owner: Actor, other_owner: Actor) -> None:
    customer = await created(owner, name="Ramesh")
    mine = (await owner.gql(NODE, {"id": customer["id"]}))["data"]["node"]
    assert mine == {"__typename": "Customer", "name": "Ramesh", "number": "CUST-00001"}
    assert (await other_owner.gql(NODE, {"id": customer["id"]}))["data"]["node"] is None


async def test_phone_display_and_mask(owner: Actor) -> None:
    customer = await created(owner, name="Ramesh", phone="98765 43210")
    body = await owner.gql(
        "query($id: ID!) { customer(id: $id) { phoneMasked phoneDisplay } }", {"id": customer["id"]}
    )
    assert body["data"]["customer"] == {
        "phoneMasked": "+91 ******3210",
        "phoneDisplay": "+91 98765 43210",
    }


async def test_too_many_tags(owner: Actor) -> None:
    result = await create(owner, name="Tagged", tags=[f"t{i}" for i in range(21)])
    assert field_codes(result) == {"tags": "TOO_MANY"}
    ok = await created(owner, name="Tagged", tags=[f"t{i}" for i in range(20)] + ["T0"])
    assert len(ok["tags"]) == 20


async def test_auto_register_blank_name_falls_back_to_masked_phone(owner: Actor) -> None:
    result = await auto_register(owner, phone="98765 43210", name="   ")
    assert result["__typename"] == "AutoRegisterPayload", result
    assert result["customer"]["name"].endswith("3210")


async def test_auto_register_bad_email_reports_email(owner: Actor) -> None:
    result = await auto_register(owner, phone="98765 43210", name="R", email="nope")
    assert field_codes(result) == {"email": "INVALID_EMAIL"}
    total = await owner.gql("query { customers { totalCount } }")
    assert total["data"]["customers"]["totalCount"] == 0
