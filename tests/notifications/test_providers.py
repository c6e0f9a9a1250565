"""The providers through the real Twilio and SendGrid SDKs against the fake servers: every
answer a provider gives maps to Delivery, TemporaryFailure (with Retry-After) or
PermanentFailure, and look-ups find an attempt again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.notifications.port import Attachment, Outgoing, PermanentFailure, TemporaryFailure
from domain.notifications.providers.sendgrid_email import SendGridEmail
from domain.notifications.providers.twilio_sms import TwilioSms
from tests.fakes.control import HANG, Busy
from tests.fakes.sendgrid_server import INVALID_ADDRESS, FakeSendGrid
from tests.fakes.twilio_server import INVALID_NUMBER, FakeTwilio
from tests.notifications.conftest import SENDER

SMS = Outgoing(attempt_id="att-1", to="+919876543210", body="Sharma Agro: INV-00001 Rs 120")
MAIL = Outgoing(
    attempt_id="att-2",
    to="ramesh@example.com",
    subject="Invoice INV-00001",
    body="Please find your invoice attached.",
    html="<p>Please find your invoice attached.</p>",
    attachments=(Attachment("INV-00001.pdf", b"%PDF-1.4 test"),),
)
SINCE = datetime.now(UTC) - timedelta(minutes=1)


async def test_twilio_accepts_and_sends_the_attempt_in_the_callback_url(
    fake_twilio: tuple[FakeTwilio, str], twilio_sms: TwilioSms
) -> None:
    fake, _ = fake_twilio
    delivery = await twilio_sms.send_sms(SMS)
    (stored,) = fake.messages
    assert delivery.provider == "twilio" and delivery.message_id == stored["sid"]
    assert (stored["to"], stored["from"], stored["body"]) == (SMS.to, SENDER, SMS.body)
    assert stored["callback"] == "http://khata.test/webhooks/twilio/status?attempt=att-1"
    found = await twilio_sms.lookup(SMS, SINCE)
    assert found is not None and found.message_id == stored["sid"]
    other = Outgoing(attempt_id="att-9", to=SMS.to, body="another text")
    assert await twilio_sms.lookup(other, SINCE) is None


async def test_twilio_busy_answers_are_temporary_with_retry_after(
    fake_twilio: tuple[FakeTwilio, str], twilio_sms: TwilioSms
) -> None:
    fake, _ = fake_twilio
    fake.control.next_sends(Busy(429, 7), Busy(503, None))
    with pytest.raises(TemporaryFailure) as busy:
        await twilio_sms.send_sms(SMS)
    assert (busy.value.retry_after, busy.value.code, busy.value.uncertain) == (7.0, "429", False)
    with pytest.raises(TemporaryFailure) as down:
        await twilio_sms.send_sms(SMS)
    assert (down.value.retry_after, down.value.code, down.value.uncertain) == (None, "503", True)
    assert fake.messages == [] and fake.control.sends == 2  # the SDK did not retry on its own


async def test_twilio_invalid_number_is_permanent_21211(
    fake_twilio: tuple[FakeTwilio, str], twilio_sms: TwilioSms
) -> None:
    with pytest.raises(PermanentFailure) as invalid:
        await twilio_sms.send_sms(Outgoing(attempt_id="a", to=INVALID_NUMBER, body="x"))
    assert invalid.value.code == "21211"


async def test_twilio_timeout_is_temporary_and_uncertain(
    fake_twilio: tuple[FakeTwilio, str], twilio_sms: TwilioSms
) -> None:
    fake, _ = fake_twilio
    fake.control.next_sends(HANG)
    with pytest.raises(TemporaryFailure) as hung:
        await twilio_sms.send_sms(SMS)
    assert hung.value.uncertain and hung.value.code == "timeout"


async def test_twilio_wrong_credentials_are_permanent(
    fake_twilio: tuple[FakeTwilio, str],
) -> None:
    fake, url = fake_twilio
    sms = TwilioSms(fake.account_sid, "wrong", SENDER, "http://k", api_base_url=url)
    try:
        with pytest.raises(PermanentFailure) as refused:
            await sms.send_sms(SMS)
        assert refused.value.code == "20003"
    finally:
        await sms.close()


async def test_sendgrid_accepts_with_parts_attachment_and_custom_arg(
    fake_sendgrid: tuple[FakeSendGrid, str], sendgrid_email: SendGridEmail
) -> None:
    fake, _ = fake_sendgrid
    delivery = await sendgrid_email.send_email(MAIL)
    (mail,) = fake.mails
    assert delivery.provider == "sendgrid" and delivery.message_id == mail["msg_id"]
    assert [c["type"] for c in mail["content"]] == ["text/plain", "text/html"]
    (attached,) = mail["attachments"]
    assert attached["filename"] == "INV-00001.pdf" and attached["type"] == "application/pdf"
    assert mail["custom_args"] == {"khata_attempt": "att-2"}
    found = await sendgrid_email.lookup(MAIL, SINCE)
    assert found is not None and found.message_id == mail["msg_id"]
    assert await sendgrid_email.lookup(SMS, SINCE) is None


async def test_sendgrid_failures_map_to_temporary_and_permanent(
    fake_sendgrid: tuple[FakeSendGrid, str], sendgrid_email: SendGridEmail
) -> None:
    fake, _ = fake_sendgrid
    fake.control.next_sends(Busy(429, 30), Busy(500, None), HANG)
    with pytest.raises(TemporaryFailure) as busy:
        await sendgrid_email.send_email(MAIL)
    assert (busy.value.retry_after, busy.value.uncertain) == (30.0, False)
    with pytest.raises(TemporaryFailure) as down:
        await sendgrid_email.send_email(MAIL)
    assert down.value.uncertain and down.value.code == "500"
    with pytest.raises(TemporaryFailure) as hung:
        await sendgrid_email.send_email(MAIL)
    assert hung.value.uncertain and hung.value.code == "timeout"
    bad = Outgoing(attempt_id="b", to=INVALID_ADDRESS, subject="s", body="b")
    with pytest.raises(PermanentFailure) as invalid:
        await sendgrid_email.send_email(bad)
    assert invalid.value.code == "400" and "valid address" in str(invalid.value)
    assert fake.mails == []
