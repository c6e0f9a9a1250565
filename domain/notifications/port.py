"""The notification port. Providers (dev sink now; Twilio and SendGrid later) implement
these two small protocols and slot in without touching callers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Delivery:
    provider: str
    message_id: str | None


class TemporaryFailure(Exception):
    """Provider said "later" (429/5xx): the job retries after retry_after seconds."""

    def __init__(self, message: str, retry_after: float = 5.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentFailure(Exception):
    """Provider said "never" (invalid number, unsubscribed): recorded, not retried."""


class SmsSender(Protocol):
    name: str

    async def send_sms(self, to: str, body: str) -> Delivery: ...


class EmailSender(Protocol):
    name: str

    async def send_email(self, to: str, subject: str, body: str) -> Delivery: ...
