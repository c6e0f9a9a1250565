"""Real arq worker processes for the kill tests (tests/notifications/test_worker_kill.py,
tests/campaigns/test_worker_kill.py): each runs our own interpreter and worker module
against the test database, Redis and the fake Twilio; only the PIDs started here are ever
signalled. No sleeping on timing: `until` polls a condition up to a deadline."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable

from khata.runtime import Runtime
from tests.conftest import REDIS_URL
from tests.fakes.twilio_server import FakeTwilio
from tests.notifications.conftest import SENDER


async def until(check: Callable[[], Awaitable[bool]], within: float = 60.0) -> None:
    """Waits for a condition, polling, up to a deadline."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def arq_worker(
    rt: Runtime, fake: FakeTwilio, url: str, namespace: str, provider_timeout: float = 1.0
) -> subprocess.Popen[bytes]:
    """A worker sending through the Twilio SDK to the fake; the in-flight lease of an
    attempt is its provider timeout + 5 s (6 s by default)."""
    env = os.environ | {
        "KHATA_ENV": "test",
        "KHATA_LOG_LEVEL": "WARNING",
        "DATABASE_URL": rt.settings.database_url,
        "REDIS_URL": REDIS_URL,
        "KHATA_REDIS_NAMESPACE": namespace,
        "KHATA_SMS_PROVIDER": "twilio",
        "KHATA_TWILIO_ACCOUNT_SID": fake.account_sid,
        "KHATA_TWILIO_AUTH_TOKEN": fake.auth_token,
        "KHATA_TWILIO_FROM": SENDER,
        "KHATA_TWILIO_API_BASE_URL": url,
        "KHATA_PROVIDER_TIMEOUT_SECONDS": str(provider_timeout),
    }
    return subprocess.Popen(  # our own interpreter and module
        [sys.executable, "-m", "arq", "workers.arq_worker.WorkerSettings"], env=env
    )
