"""Dev sink: prints the message and reports it delivered; the ledger row is the record."""

from __future__ import annotations

import logging
import uuid

from domain.notifications.port import Delivery

log = logging.getLogger("khata.devsink")


class DevSink:
    name = "dev"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    async def send_sms(self, to: str, body: str) -> Delivery:
        self.sent.append(("sms", to, body))
        log.info("SMS to %s: %s", to, body)
        return Delivery(self.name, f"dev-{uuid.uuid4().hex[:12]}")

    async def send_email(self, to: str, subject: str, body: str) -> Delivery:
        self.sent.append(("email", to, f"{subject}\n{body}"))
        log.info("Email to %s: %s", to, subject)
        return Delivery(self.name, f"dev-{uuid.uuid4().hex[:12]}")
