"""The notification port. Providers (dev sink, Twilio, SendGrid) implement these two small
protocols and slot in without touching callers.

Every call carries the ledger's attempt id (`Outgoing.attempt_id`), recorded before the
call: the provider sends it back in status callbacks and finds the message by it (or by
recipient and text) when a crash left us unsure whether it accepted."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str = "application/pdf"


@dataclass(frozen=True)
class Outgoing:
    """One message as a provider sends it."""

    attempt_id: str
    to: str
    body: str  # the SMS text, or the email's plain-text part
    subject: str = ""
    html: str | None = None
    attachments: tuple[Attachment, ...] = field(default=())
    # India (TRAI): the DLT principal entity id and content template id of an SMS
    dlt_entity_id: str | None = None
    dlt_template_id: str | None = None


@dataclass(frozen=True)
class Delivery:
    provider: str
    message_id: str | None
    status: str = "sent"  # what the provider said of it (a look-up may know more)


class TemporaryFailure(Exception):
    """Provider said "later" (429/5xx) or did not answer: the job retries, no sooner than
    `retry_after` seconds when the provider said so. `uncertain`: the provider may have
    accepted the message (timeout, 5xx), so the next try looks it up before resending."""

    def __init__(
        self,
        message: str,
        retry_after: float | None = None,
        *,
        code: str | None = None,
        uncertain: bool = False,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.code = code
        self.uncertain = uncertain


class PermanentFailure(Exception):
    """Provider said "never" (invalid number or address, unsubscribed): recorded, not
    retried. `code` is the provider's error code (Twilio 21211, an HTTP status...)."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class SmsSender(Protocol):
    name: str

    async def send_sms(self, message: Outgoing) -> Delivery: ...

    async def lookup(self, message: Outgoing, since: datetime) -> Delivery | None:
        """The provider's record of this attempt, or None when it shows none."""
        ...


class EmailSender(Protocol):
    name: str

    async def send_email(self, message: Outgoing) -> Delivery: ...

    async def lookup(self, message: Outgoing, since: datetime) -> Delivery | None: ...
