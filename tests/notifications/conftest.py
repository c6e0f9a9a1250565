"""The fake provider servers on loopback, and providers of the real SDKs pointed at them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from domain.core.clock import FrozenClock
from domain.notifications.providers.sendgrid_email import SendGridEmail
from domain.notifications.providers.twilio_sms import TwilioSms
from domain.notifications.service import Providers
from khata.composition import build_runtime, create_app
from khata.runtime import Runtime
from tests.conftest import serving
from tests.fakes.sendgrid_server import FakeSendGrid
from tests.fakes.twilio_server import FakeTwilio

SENDER = "+15005550006"
TIMEOUT = 1.0  # how long a hanging fake is waited for


@pytest.fixture
async def fake_twilio() -> AsyncIterator[tuple[FakeTwilio, str]]:
    fake = FakeTwilio()
    async with serving(fake.app) as address:
        try:
            yield fake, f"http://{address}"
        finally:
            fake.control.closing.set()


@pytest.fixture
async def fake_sendgrid() -> AsyncIterator[tuple[FakeSendGrid, str]]:
    fake = FakeSendGrid()
    async with serving(fake.app) as address:
        try:
            yield fake, f"http://{address}"
        finally:
            fake.control.closing.set()


@pytest.fixture
async def twilio_sms(fake_twilio: tuple[FakeTwilio, str]) -> AsyncIterator[TwilioSms]:
    fake, url = fake_twilio
    sms = TwilioSms(
        fake.account_sid,
        fake.auth_token,
        SENDER,
        "http://khata.test",
        api_base_url=url,
        timeout=TIMEOUT,
    )
    yield sms
    await sms.close()


@pytest.fixture
def sendgrid_email(fake_sendgrid: tuple[FakeSendGrid, str]) -> SendGridEmail:
    fake, url = fake_sendgrid
    return SendGridEmail(fake.api_key, "billing@khata.test", host=url, timeout=TIMEOUT)


@pytest.fixture
async def real_providers(
    runtime: Runtime, twilio_sms: TwilioSms, sendgrid_email: SendGridEmail
) -> AsyncIterator[Runtime]:
    """A runtime on the suite's database whose providers are the real SDKs on the fakes."""
    rt = build_runtime(runtime.settings, providers=Providers(sms=twilio_sms, email=sendgrid_email))
    await rt.start(sweep=False)
    try:
        yield rt
    finally:
        await rt.stop()


@pytest.fixture
async def hooks(
    real_providers: Runtime,
    fake_twilio: tuple[FakeTwilio, str],
    fake_sendgrid: tuple[FakeSendGrid, str],
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app whose settings hold the fakes' webhook secrets."""
    settings = real_providers.settings.model_copy(
        update={
            "public_url": "http://khata.test",
            "twilio_auth_token": fake_twilio[0].auth_token,
            "sendgrid_webhook_public_key": fake_sendgrid[0].public_key,
        }
    )
    app = create_app(settings, runtime=real_providers)
    transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 443))
    async with httpx.AsyncClient(transport=transport, base_url="http://khata.test") as client:
        yield client


@dataclass
class Desk:
    """A runtime whose providers are the SDKs on the fakes and whose clock the test moves,
    an app on it (webhook secrets of the fakes) and an owner signed up through it."""

    rt: Runtime
    clock: FrozenClock
    client: httpx.AsyncClient
    twilio: FakeTwilio
    sendgrid: FakeSendGrid


# 06:00 UTC: 11:30 in India, 09:00 in Nairobi, outside the default quiet hours; the last
# one before now, never ahead of the fakes' wall clock (a provider look-up finds messages
# created since the attempt started: between 00:00 and 06:00 UTC today's 06:00 lay in the
# fake's future and a message Twilio took was never found)
_NOW = datetime.now(UTC)
MORNING = _NOW.replace(hour=6, minute=0, second=0, microsecond=0) - timedelta(
    days=1 if _NOW.hour < 6 else 0
)


# short: a link in a DLT-registered SMS is one variable, at most 30 characters
PUBLIC_URL = "http://k.test"


@pytest.fixture
async def desk(
    runtime: Runtime,
    sendgrid_email: SendGridEmail,
    fake_twilio: tuple[FakeTwilio, str],
    fake_sendgrid: tuple[FakeSendGrid, str],
) -> AsyncIterator[Desk]:
    clock = FrozenClock(MORNING)
    # status callbacks go to the desk app's public URL, so the fake's signed callbacks
    # verify there
    twilio_sms = TwilioSms(
        fake_twilio[0].account_sid,
        fake_twilio[0].auth_token,
        SENDER,
        PUBLIC_URL,
        api_base_url=fake_twilio[1],
        timeout=TIMEOUT,
    )
    settings = runtime.settings.model_copy(
        update={
            "public_url": PUBLIC_URL,
            "twilio_auth_token": fake_twilio[0].auth_token,
            "sendgrid_webhook_public_key": fake_sendgrid[0].public_key,
        }
    )
    providers = Providers(sms=twilio_sms, email=sendgrid_email)
    rt = build_runtime(settings, providers=providers, clock=clock)
    await rt.start(sweep=False)
    transport = httpx.ASGITransport(
        app=create_app(settings, runtime=rt), client=("198.51.100.21", 443)
    )
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://khata.test") as c:
            yield Desk(rt, clock, c, fake_twilio[0], fake_sendgrid[0])
    finally:
        await rt.stop()
        await twilio_sms.close()
