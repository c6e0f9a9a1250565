"""Invoice messages: the SMS and email of an invoice send, payment receipts."""

from __future__ import annotations

from domain.core.outbox import OutboxEvent
from domain.core.tx import Tx
from domain.notifications.compose import Draft
from domain.notifications.models import NotificationLog


async def drafts(tx: Tx, event: OutboxEvent) -> list[Draft]:
    return []


async def accepted(tx: Tx, row: NotificationLog) -> None:
    return None
