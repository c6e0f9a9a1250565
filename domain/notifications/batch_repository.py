"""The SQL of the batch steps (domain/notifications/batch.py): each read takes a list of
ledger rows (or their keys, customers, phones) and answers in one statement, so a batch
costs the same number of statements whatever its size."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from domain.notifications.models import NotificationAttempt, NotificationLog, SmsOptOut
from domain.notifications.repository import NotificationRepository
from domain.notifications.template_models import NotificationPreference


class LedgerBatchRepository(NotificationRepository):
    async def by_keys(self, keys: Sequence[str]) -> list[NotificationLog]:
        """The rows under these idempotency keys, locked, in id order (two batches that
        share rows lock them in the same order)."""
        if not keys:
            return []
        stmt = (
            self.readable(NotificationLog)
            .where(NotificationLog.idempotency_key.in_(keys))
            .order_by(NotificationLog.id)
            .with_for_update()
        )
        return list((await self.s.scalars(stmt)).all())

    async def locked(self, row_ids: Sequence[int]) -> list[NotificationLog]:
        if not row_ids:
            return []
        stmt = (
            self.readable(NotificationLog)
            .where(NotificationLog.id.in_(row_ids))
            .order_by(NotificationLog.id)
            .with_for_update()
        )
        return list((await self.s.scalars(stmt)).all())

    async def unresolved_of(self, row_ids: Sequence[int]) -> set[int]:
        """The rows among `row_ids` with an attempt whose call may have gone through
        (no outcome, or `uncertain`): the per-row pipeline looks them up."""
        if not row_ids:
            return set()
        found = await self.s.scalars(
            self.readable(NotificationLog, NotificationAttempt.notification_id)
            .select_from(NotificationLog)
            .join(NotificationAttempt, NotificationAttempt.notification_id == NotificationLog.id)
            .where(
                NotificationAttempt.notification_id.in_(row_ids),
                (NotificationAttempt.outcome.is_(None))
                | (NotificationAttempt.outcome == "uncertain"),
            )
        )
        return set(found.all())

    async def attempts_of(self, attempt_ids: Sequence[str]) -> list[NotificationAttempt]:
        if not attempt_ids:
            return []
        found = await self.s.scalars(
            self.readable(NotificationLog, NotificationAttempt)
            .select_from(NotificationLog)
            .join(NotificationAttempt, NotificationAttempt.notification_id == NotificationLog.id)
            .where(NotificationAttempt.id.in_(attempt_ids))
        )
        return list(found.all())

    async def opted_out_of(self, business_id: int, phones: Sequence[str]) -> set[str]:
        if not phones:
            return set()
        found = await self.s.scalars(
            self.readable(SmsOptOut, SmsOptOut.phone).where(
                SmsOptOut.business_id == business_id, SmsOptOut.phone.in_(phones)
            )
        )
        return set(found.all())

    async def preferences_of(self, customer_ids: Sequence[int]) -> list[NotificationPreference]:
        if not customer_ids:
            return []
        found = await self.s.scalars(
            self.readable(NotificationPreference).where(
                NotificationPreference.customer_id.in_(customer_ids)
            )
        )
        return list(found.all())

    async def marketing_sent_to(
        self, customer_ids: Sequence[int], since: datetime
    ) -> list[tuple[int, datetime]]:
        """(customer, sent at) of campaign messages sent to these customers since `since`
        (the earliest of their local midnights: each is counted from its own)."""
        if not customer_ids:
            return []
        found = await self.s.execute(
            self.readable(
                NotificationLog, NotificationLog.customer_id, NotificationLog.sent_at
            ).where(
                NotificationLog.customer_id.in_(customer_ids),
                NotificationLog.kind == "marketing",
                NotificationLog.sent_at >= since,
            )
        )
        return [(int(c), s) for c, s in found.all()]
