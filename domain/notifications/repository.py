"""All SQL for notifications: the outbox event a delivery job is for, the delivery ledger
with its attempts and status history, and SMS opt-outs. Every read goes through
`read_policy`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select

from domain.core.outbox import OutboxEvent
from domain.core.repository import TenantRepository
from domain.notifications.models import (
    NotificationAttempt,
    NotificationLog,
    NotificationStatus,
    ShortLink,
    SmsOptOut,
)


class NotificationRepository(TenantRepository):
    """Delivery jobs and provider webhooks run as a system actor with no business: they
    are handed an outbox id, an attempt id or a provider message id and read across
    businesses; anyone acting for a business reads its own ledger only."""

    system_reads_across = True

    def _attempts(self) -> Any:
        """Attempts carry no business: they are readable through their ledger row."""
        return (
            select(NotificationAttempt)
            .join(NotificationLog, NotificationLog.id == NotificationAttempt.notification_id)
            .where(self.read_policy(NotificationLog))
        )

    async def event(self, outbox_id: str) -> OutboxEvent | None:
        return await self.get_row(OutboxEvent, outbox_id)

    async def by_key(self, key: str) -> NotificationLog | None:
        return await self.s.scalar(
            self.readable(NotificationLog).where(NotificationLog.idempotency_key == key)
        )

    async def fallback_for(self, sms_row_id: int) -> NotificationLog | None:
        """The fallback email of an SMS row, if one was made."""
        return await self.s.scalar(
            self.readable(NotificationLog).where(NotificationLog.fallback_of == sms_row_id)
        )

    async def rows_of(self, outbox_id: str) -> list[int]:
        """The ledger rows already made for an outbox event (keys `<outbox id>:<channel>`)."""
        found = await self.s.scalars(
            self.readable(NotificationLog, NotificationLog.id)
            .where(NotificationLog.idempotency_key.startswith(f"{outbox_id}:"))
            .order_by(NotificationLog.id)
        )
        return list(found.all())

    async def plan_of(self, outbox_id: str) -> list[tuple[int, str, str | None]]:
        """(id, channel, attachment) of the ledger rows already made for an outbox event."""
        found = await self.s.execute(
            self.readable(
                NotificationLog,
                NotificationLog.id,
                NotificationLog.channel,
                NotificationLog.attachment,
            )
            .where(NotificationLog.idempotency_key.startswith(f"{outbox_id}:"))
            .order_by(NotificationLog.id)
        )
        return [(r[0], r[1], r[2]) for r in found.all()]

    async def entry(self, row_id: int, *, lock: bool = False) -> NotificationLog | None:
        return await self.get_row(NotificationLog, row_id, lock=lock)

    async def by_provider_id(self, provider: str, message_id: str) -> NotificationLog | None:
        return await self.s.scalar(
            self.readable(NotificationLog)
            .where(
                NotificationLog.provider == provider,
                NotificationLog.provider_message_id == message_id,
            )
            .with_for_update()
        )

    async def attempt(self, attempt_id: str) -> NotificationAttempt | None:
        return await self.s.scalar(self._attempts().where(NotificationAttempt.id == attempt_id))

    async def unresolved_attempt(self, row_id: int) -> NotificationAttempt | None:
        """The latest attempt of a row whose provider call may have gone through: no
        outcome (the process died during the call) or `uncertain` (timeout, 5xx)."""
        return await self.s.scalar(
            self._attempts()
            .where(
                NotificationAttempt.notification_id == row_id,
                (NotificationAttempt.outcome.is_(None))
                | (NotificationAttempt.outcome == "uncertain"),
            )
            .order_by(NotificationAttempt.started_at.desc())
            .limit(1)
        )

    async def has_event(self, event_key: str) -> bool:
        found = await self.s.scalar(
            select(func.count())
            .select_from(NotificationStatus)
            .where(NotificationStatus.event_key == event_key)
        )
        return bool(found)

    async def history(self, row_ids: Sequence[int]) -> list[NotificationStatus]:
        if not row_ids:
            return []
        readable = self.readable(NotificationLog, NotificationLog.id).where(
            NotificationLog.id.in_(row_ids)
        )
        return list(
            (
                await self.s.scalars(
                    select(NotificationStatus)
                    .where(NotificationStatus.notification_id.in_(readable))
                    .order_by(NotificationStatus.notification_id, NotificationStatus.id)
                )
            ).all()
        )

    async def opted_out(self, business_id: int | None, phone: str) -> bool:
        if business_id is None:
            return False
        found = await self.s.scalar(
            self.readable(SmsOptOut.phone).where(
                SmsOptOut.business_id == business_id, SmsOptOut.phone == phone
            )
        )
        return found is not None

    async def opt_out(self, row: SmsOptOut) -> None:
        existing = await self.s.get(SmsOptOut, (row.business_id, row.phone))
        if existing is None:
            self.s.add(row)
            await self.s.flush()

    async def opt_in(self, business_id: int, phone: str) -> bool:
        existing = await self.s.get(SmsOptOut, (business_id, phone))
        if existing is not None:
            await self.s.delete(existing)
            await self.s.flush()
        return existing is not None

    async def short_link(self, code: str) -> ShortLink | None:
        return await self.s.scalar(self.readable(ShortLink).where(ShortLink.code == code))

    async def short_link_of(
        self, business_id: int, invoice_id: int, target: str
    ) -> ShortLink | None:
        """The latest link of an invoice to this target (the payment token is stable)."""
        return await self.s.scalar(
            self.readable(ShortLink)
            .where(
                ShortLink.business_id == business_id,
                ShortLink.invoice_id == invoice_id,
                ShortLink.target == target,
            )
            .order_by(ShortLink.expires_at.desc())
            .limit(1)
            .with_for_update()
        )

    async def due(self, now: datetime, limit: int) -> list[tuple[str, datetime]]:
        """(idempotency key, due time) of messages held by quiet hours that are due; a
        campaign's messages are not among them (its sender releases its own)."""
        found = await self.s.execute(
            self.readable(NotificationLog, NotificationLog.idempotency_key, NotificationLog.due_at)
            .where(
                NotificationLog.status == "pending",
                NotificationLog.campaign_id.is_(None),
                NotificationLog.due_at.is_not(None),
                NotificationLog.due_at <= now,
            )
            .order_by(NotificationLog.due_at)
            .limit(limit)
        )
        return [(r[0], r[1]) for r in found.all()]

    async def marketing_sent_since(self, customer_id: int, since: datetime) -> int:
        """Campaign messages that went to a customer since `since` (the frequency cap)."""
        found = await self.s.scalar(
            self.readable(NotificationLog, func.count()).where(
                NotificationLog.customer_id == customer_id,
                NotificationLog.kind == "marketing",
                NotificationLog.sent_at >= since,
            )
        )
        return int(found or 0)

    async def last_sms_to(self, phone: str) -> NotificationLog | None:
        """The latest SMS ledger row to a phone: whose business an inbound reply is for."""
        return await self.s.scalar(
            self.readable(NotificationLog)
            .where(NotificationLog.channel == "sms", NotificationLog.recipient == phone)
            .order_by(NotificationLog.id.desc())
            .limit(1)
        )

    async def entries(
        self,
        *,
        customer_id: int | None = None,
        invoice_id: int | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        after_id: int | None = None,
        limit: int = 100,
    ) -> list[NotificationLog]:
        """Ledger rows of this viewer's business, newest first."""
        stmt = self.readable(NotificationLog)
        if customer_id is not None:
            stmt = stmt.where(NotificationLog.customer_id == customer_id)
        if invoice_id is not None:
            stmt = stmt.where(NotificationLog.invoice_id == invoice_id)
        if since is not None:
            stmt = stmt.where(NotificationLog.created_at >= since)
        if until is not None:
            stmt = stmt.where(NotificationLog.created_at < until)
        if after_id is not None:
            stmt = stmt.where(NotificationLog.id < after_id)
        stmt = stmt.order_by(NotificationLog.id.desc()).limit(limit)
        return list((await self.s.scalars(stmt)).all())

    async def report(self, since: datetime, until: datetime) -> list[tuple[Any, ...]]:
        """Per channel, in one aggregate statement: messages, accepted by the provider,
        delivered, failed (failed or undelivered), bounced, opted out, opened, clicked."""
        log = NotificationLog

        def where(cond: ColumnElement[bool]) -> Any:
            return func.count(case((cond, 1)))

        rows = await self.s.execute(
            self.readable(
                log,
                log.channel,
                func.count(),
                func.count(log.sent_at),
                func.count(log.delivered_at),
                where(log.status.in_(("failed", "undelivered"))),
                where(log.status == "bounced"),
                where(log.status == "opted_out"),
                func.count(log.opened_at),
                func.count(log.clicked_at),
            )
            .where(log.created_at >= since, log.created_at < until)
            .group_by(log.channel)
            .order_by(log.channel)
        )
        return [tuple(r) for r in rows.all()]
