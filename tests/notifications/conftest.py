"""The fake provider servers on loopback, and providers of the real SDKs pointed at them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

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
