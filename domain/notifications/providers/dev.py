"""Dev sink: prints the message and reports it delivered; the ledger row is the record."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from domain.notifications.port import Delivery, Outgoing

log = logging.getLogger("khata.devsink")


class DevSink:
    name = "dev"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []
        self.messages: list[Outgoing] = []
        self._ids: dict[str, str] = {}

    def _accept(self, channel: str, message: Outgoing, text: str) -> Delivery:
        self.sent.append((channel, message.to, text))
        self.messages.append(message)
        self._ids[message.attempt_id] = f"dev-{uuid.uuid4().hex[:12]}"
        return Delivery(self.name, self._ids[message.attempt_id])

    async def send_sms(self, message: Outgoing) -> Delivery:
        log.info("SMS to %s: %s", message.to, message.body)
        return self._accept("sms", message, message.body)

    async def send_email(self, message: Outgoing) -> Delivery:
        log.info("Email to %s: %s", message.to, message.subject)
        return self._accept("email", message, f"{message.subject}\n{message.body}")

    async def lookup(self, message: Outgoing, since: datetime) -> Delivery | None:
        found = self._ids.get(message.attempt_id)
        return Delivery(self.name, found) if found else None
