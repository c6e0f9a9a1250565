"""Signed provider webhooks move the ledger forward: valid, tampered, unsigned, stale,
replayed and out-of-order callbacks; email opens and clicks; STOP / START replies."""

from __future__ import annotations

import time

import httpx
from sqlalchemy import func, select

from domain.notifications.models import NotificationStatus, SmsOptOut
from khata.runtime import Runtime
from tests.conftest import Actor
from tests.fakes.sendgrid_server import FakeSendGrid
from tests.fakes.twilio_server import FakeTwilio
from tests.notifications.ledger_helpers import history, ledger, queue_message, run_send
from tests.notifications.test_ledger import PHONE, _business


async def _statuses(rt: Runtime) -> int:
    async with rt.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(NotificationStatus)) or 0)


async def test_twilio_callbacks_signed_replayed_and_out_of_order(
    real_providers: Runtime,
    owner: Actor,
    fake_twilio: tuple[FakeTwilio, str],
    hooks: httpx.AsyncClient,
) -> None:
    fake, _ = fake_twilio
    oid = await queue_message(real_providers, _business(owner), channel="sms", to=PHONE, body="A")
    assert await run_send(real_providers, oid) == "sent"
    sid = fake.messages[0]["sid"]
    before = await _statuses(real_providers)
    unsigned = await fake.status_callback(hooks, sid, "delivered", unsigned=True)
    tampered = await fake.status_callback(hooks, sid, "failed", tamper=True)
    assert (unsigned.status_code, tampered.status_code) == (401, 403)
    assert await _statuses(real_providers) == before  # nothing written
    assert (await fake.status_callback(hooks, sid, "delivered")).json()["status"] == "applied"
    replay = await fake.status_callback(hooks, sid, "delivered")
    assert replay.status_code == 200 and replay.json()["status"] == "replayed"
    late = await fake.status_callback(hooks, sid, "sent")  # arrives after delivered
    assert late.json()["status"] == "ignored"
    (row,) = await ledger(real_providers, oid)
    assert row.status == "delivered" and row.delivered_at is not None
    assert await history(real_providers, row.id) == ["pending", "sending", "accepted", "delivered"]


async def test_a_failed_callback_keeps_the_error_code(
    real_providers: Runtime,
    owner: Actor,
    fake_twilio: tuple[FakeTwilio, str],
    hooks: httpx.AsyncClient,
) -> None:
    fake, _ = fake_twilio
    oid = await queue_message(real_providers, _business(owner), channel="sms", to=PHONE, body="B")
    await run_send(real_providers, oid)
    sid = fake.messages[0]["sid"]
    assert (await fake.status_callback(hooks, sid, "undelivered", error_code="30003")).is_success
    (row,) = await ledger(real_providers, oid)
    assert (row.status, row.error_code) == ("undelivered", "30003")


async def test_sendgrid_events_signed_stale_opens_and_clicks(
    real_providers: Runtime,
    owner: Actor,
    fake_sendgrid: tuple[FakeSendGrid, str],
    hooks: httpx.AsyncClient,
) -> None:
    fake, _ = fake_sendgrid
    oid = await queue_message(
        real_providers, _business(owner), channel="email", to="c@example.com", subject="S", body="B"
    )
    await run_send(real_providers, oid)
    (mail,) = fake.mails
    delivered, opened, clicked = (fake.event(mail, k) for k in ("delivered", "open", "click"))
    before = await _statuses(real_providers)
    assert (await fake.post_events(hooks, [delivered], unsigned=True)).status_code == 401
    assert (await fake.post_events(hooks, [delivered], tamper=True)).status_code == 403
    stale = await fake.post_events(hooks, [delivered], timestamp=int(time.time()) - 3600)
    assert stale.status_code == 403 and stale.json()["error"] == "stale"
    assert await _statuses(real_providers) == before
    # a click that arrives before the open, then the open, then the delivery
    first = await fake.post_events(hooks, [clicked, opened, delivered])
    assert first.json()["events"] == ["applied", "ignored", "ignored"]
    again = await fake.post_events(hooks, [clicked, opened, delivered])
    # replays change nothing (events that moved nothing are not recorded, so not "replayed")
    assert again.json()["events"] == ["replayed", "ignored", "ignored"]
    (row,) = await ledger(real_providers, oid)
    assert row.status == "clicked"
    assert row.opened_at and row.clicked_at and row.delivered_at


async def test_stop_opts_out_of_sms_and_start_opts_back_in(
    real_providers: Runtime,
    owner: Actor,
    fake_twilio: tuple[FakeTwilio, str],
    hooks: httpx.AsyncClient,
) -> None:
    fake, _ = fake_twilio
    business = _business(owner)
    phone = "+254712345678"
    await run_send(
        real_providers,
        await queue_message(real_providers, business, channel="sms", to=phone, body="1"),
    )
    reply = await fake.inbound(hooks, "http://khata.test", phone, " acha ", "+15005550006")
    assert reply.status_code == 200
    async with real_providers.db.read() as session:
        opt = await session.get(SmsOptOut, (business, phone))
    assert opt is not None and opt.keyword == "ACHA"
    blocked = await queue_message(real_providers, business, channel="sms", to=phone, body="2")
    assert await run_send(real_providers, blocked) == "sent"
    (row,) = await ledger(real_providers, blocked)
    assert row.status == "opted_out" and len(fake.messages) == 1
    await fake.inbound(hooks, "http://khata.test", phone, "START", "+15005550006")
    again = await queue_message(real_providers, business, channel="sms", to=phone, body="3")
    await run_send(real_providers, again)
    assert len(fake.messages) == 2
