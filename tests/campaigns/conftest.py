"""The notifications tests' fixtures: fake Twilio and SendGrid on loopback, the real SDKs
pointed at them, and the `desk` (a runtime on a controlled clock with an app on it)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from khata.composition import create_app
from tests.notifications import conftest as notifications
from tests.notifications.conftest import (  # noqa: F401
    fake_sendgrid,
    fake_twilio,
    hooks,
    real_providers,
    sendgrid_email,
    twilio_sms,
)

desk = notifications.desk


@pytest.fixture
async def callbacks(desk: notifications.Desk) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app on the desk's runtime whose public URL is the one the Twilio
    SDK's status callbacks were addressed to (their signatures cover it)."""
    settings = desk.rt.settings.model_copy(update={"public_url": notifications.PUBLIC_URL})
    transport = httpx.ASGITransport(
        app=create_app(settings, runtime=desk.rt), client=("198.51.100.22", 443)
    )
    async with httpx.AsyncClient(transport=transport, base_url=notifications.PUBLIC_URL) as client:
        yield client
