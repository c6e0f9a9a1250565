"""Channel fallback SMS -> email through the real SDKs and the fakes: an invoice SMS that
cannot reach the customer (invalid number, an `undelivered` callback, no phone, STOP) is
followed by the email version, linked on the ledger; never when the email was asked for
too, and not when the business turned fallback off."""

from __future__ import annotations

from domain.notifications.models import NotificationLog
from tests.conftest import Actor, run_jobs, sign_up
from tests.fakes.twilio_server import INVALID_NUMBER
from tests.notifications.conftest import SENDER, Desk
from tests.notifications.helpers import UPDATE_PREFERENCES
from tests.notifications.pipeline_helpers import customer, invoice, rows_of, send

SETTINGS = """mutation($input: UpdateDeliverySettingsInput!) { updateDeliverySettings(
  input: $input) { __typename ... on DeliverySettingsPayload { settings {
  emailFallbackTransactional emailFallbackMarketing monthlyStatements } }
  ... on UserError { code message } } }"""
READ_SETTINGS = "{ deliverySettings { emailFallbackTransactional emailFallbackMarketing } }"


async def _settle(desk: Desk) -> None:
    """Runs jobs until none is left: a fallback is a job its SMS's job (or callback)
    queues after it commits."""
    for _ in range(3):
        await run_jobs(desk.rt)
        await desk.rt.relay.flush()


async def _customer(owner: Actor, phone: str | None, email: str) -> str:
    fields: dict[str, object] = {"email": email, "allowDuplicatePhone": True}
    fields |= {"phone": phone} if phone else {}
    cid = await customer(owner, **fields)
    always = {"customerId": cid, "quietHours": {"start": "00:00", "end": "00:00"}}
    await owner.gql(UPDATE_PREFERENCES, {"input": always})
    return cid


def _mails_to(desk: Desk, email: str) -> list[dict[str, object]]:
    return [m for m in desk.sendgrid.mails if m["to"] == email]


def _pair(rows: list[NotificationLog]) -> tuple[NotificationLog, NotificationLog]:
    sms, email = (next(r for r in rows if r.channel == c) for c in ("sms", "email"))
    return sms, email


async def test_an_invalid_number_falls_back_to_the_email_version(desk: Desk) -> None:
    owner = await sign_up(desk.client, "KE")
    cid = await _customer(owner, INVALID_NUMBER, "fb1@example.com")
    inv = await invoice(owner, cid)
    await send(owner, inv["id"], "SMS")
    await _settle(desk)
    sms, email = _pair(await rows_of(desk.rt, cid))
    assert (sms.status, sms.error_code) == ("failed", "21211")
    assert (email.status, email.fallback_of, email.recipient) == (
        "accepted",
        sms.id,
        "fb1@example.com",
    )
    assert email.invoice_id == sms.invoice_id and email.attachment == "invoice_pdf"
    [mail] = _mails_to(desk, "fb1@example.com")
    assert str(mail["subject"]).startswith(f"Invoice {inv['number']}")
    # the job again, and the fallback's job again: still one email
    await desk.rt.jobs.enqueue(
        "send_notification", job_id="again", outbox_id=sms.idempotency_key[:-4]
    )
    await _settle(desk)
    assert len(await rows_of(desk.rt, cid)) == 2 and len(_mails_to(desk, "fb1@example.com")) == 1


async def test_an_undelivered_callback_falls_back_to_email(desk: Desk) -> None:
    owner = await sign_up(desk.client, "KE")
    cid = await _customer(owner, "+254712345701", "fb2@example.com")
    await send(owner, (await invoice(owner, cid))["id"], "SMS")
    await _settle(desk)
    [sms] = await rows_of(desk.rt, cid)
    assert sms.status == "accepted" and _mails_to(desk, "fb2@example.com") == []
    sid = str(sms.provider_message_id)
    reply = await desk.twilio.status_callback(desk.client, sid, "undelivered", error_code="30003")
    assert reply.json()["status"] == "applied"
    await _settle(desk)
    sms, email = _pair(await rows_of(desk.rt, cid))
    assert (sms.status, email.status, email.fallback_of) == ("undelivered", "accepted", sms.id)
    assert len(_mails_to(desk, "fb2@example.com")) == 1
    # a replayed or later failure callback makes no second fallback
    await desk.twilio.status_callback(desk.client, sid, "failed", error_code="30003")
    await _settle(desk)
    assert len(await rows_of(desk.rt, cid)) == 2


async def test_no_phone_or_stop_sends_the_email_version(desk: Desk) -> None:
    owner = await sign_up(desk.client, "KE")
    no_phone = await _customer(owner, None, "fb3@example.com")
    await send(owner, (await invoice(owner, no_phone))["id"], "SMS")
    await _settle(desk)
    sms, email = _pair(await rows_of(desk.rt, no_phone))
    assert (sms.status, sms.error_code, sms.attempts) == ("failed", "NO_PHONE", 0)
    assert (email.status, email.fallback_of) == ("accepted", sms.id)

    stopped = await _customer(owner, "+254712345702", "fb4@example.com")
    await desk.twilio.inbound(desk.client, "http://k.test", "+254712345702", "START", SENDER)
    await send(owner, (await invoice(owner, stopped))["id"], "SMS")
    await _settle(desk)
    reply = await desk.twilio.inbound(desk.client, "http://k.test", "+254712345702", "STOP", SENDER)
    assert reply.status_code == 200
    await send(owner, (await invoice(owner, stopped))["id"], "SMS")
    await _settle(desk)
    rows = await rows_of(desk.rt, stopped)
    assert [(r.channel, r.status) for r in rows] == [
        ("sms", "accepted"),
        ("sms", "opted_out"),
        ("email", "accepted"),
    ]
    assert rows[2].fallback_of == rows[1].id


async def test_no_fallback_when_email_was_asked_for_or_the_business_turned_it_off(
    desk: Desk,
) -> None:
    owner = await sign_up(desk.client, "KE")
    both = await _customer(owner, INVALID_NUMBER, "fb5@example.com")
    await send(owner, (await invoice(owner, both))["id"], "SMS", "EMAIL")
    await _settle(desk)
    sms, email = _pair(await rows_of(desk.rt, both))
    assert sms.status == "failed" and email.fallback_of is None
    assert len(_mails_to(desk, "fb5@example.com")) == 1  # the one asked for, not a second

    read = (await owner.gql(READ_SETTINGS))["data"]["deliverySettings"]
    assert read == {"emailFallbackTransactional": True, "emailFallbackMarketing": False}
    off = await owner.gql(SETTINGS, {"input": {"emailFallbackTransactional": False}})
    assert off["data"]["updateDeliverySettings"]["settings"] == {
        "emailFallbackTransactional": False,
        "emailFallbackMarketing": False,
        "monthlyStatements": False,
    }
    alone = await _customer(owner, INVALID_NUMBER, "fb6@example.com")
    await send(owner, (await invoice(owner, alone))["id"], "SMS")
    await _settle(desk)
    [sms] = await rows_of(desk.rt, alone)
    assert sms.status == "failed" and _mails_to(desk, "fb6@example.com") == []
