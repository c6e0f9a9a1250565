"""Dev sink: reports every message delivered and keeps it (`sent`, and the ledger row holds
the body). The log names the attempt and a masked recipient only: bodies carry payment
links and codes, and recipients are personal data."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from domain.core.contact import mask_phone
from domain.notifications.port import Delivery, Outgoing

log = logging.getLogger("khata.devsink")


def mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


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
        log.info("SMS %s to %s accepted", message.attempt_id, mask_phone(message.to))
        return self._accept("sms", message, message.body)

    async def send_email(self, message: Outgoing) -> Delivery:
        log.info("Email %s to %s accepted", message.attempt_id, mask_email(message.to))
        return self._accept("email", message, f"{message.subject}\n{message.body}")

    async def lookup(self, message: Outgoing, since: datetime) -> Delivery | None:
        found = self._ids.get(message.attempt_id)
        return Delivery(self.name, found) if found else None
