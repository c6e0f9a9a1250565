"""All SQL for notifications: the outbox event a delivery job is for, and the delivery
ledger. Every read goes through `read_policy`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, true

from domain.core.outbox import OutboxEvent
from domain.core.repository import TenantRepository, ViewerKind, unauthenticated
from domain.notifications.models import NotificationLog


class NotificationRepository(TenantRepository):
    def read_policy(self, model: Any) -> ColumnElement[bool]:
        """Delivery jobs run as a system actor with no business: they are handed an
        outbox id and read across businesses; anyone acting for a business reads its own
        ledger only."""
        v = self.viewer
        match v.kind:
            case ViewerKind.SYSTEM if v.business_id is None:
                return true()
            case ViewerKind.STAFF | ViewerKind.API_KEY | ViewerKind.SYSTEM:
                return self.business_rows(model)
            case ViewerKind.PERSON:
                return false()  # the portal issue: messages sent to the person
            case _:
                raise unauthenticated(v)

    async def event(self, outbox_id: str) -> OutboxEvent | None:
        return await self.s.scalar(self.readable(OutboxEvent).where(OutboxEvent.id == outbox_id))

    async def by_key(self, key: str) -> NotificationLog | None:
        return await self.s.scalar(
            self.readable(NotificationLog).where(NotificationLog.idempotency_key == key)
        )

    async def entry(self, row_id: int) -> NotificationLog | None:
        return await self.s.scalar(
            self.readable(NotificationLog).where(NotificationLog.id == row_id)
        )

    async def add(self, row: NotificationLog) -> None:
        self.s.add(row)
        await self.s.flush()
