"""All SQL for templates, preferences, the SMS quota settings and the usage counter.
Every read goes through `read_policy`; the usage counter is bumped by one atomic upsert."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.core.db import conflict_insert, run_last
from domain.core.repository import TenantRepository
from domain.notifications.template_models import (
    NotificationPreference,
    NotificationSettings,
    NotificationTemplate,
    SmsUsage,
)


class TemplateRepository(TenantRepository):
    """A business's message set-up is its own: staff, its keys and jobs acting for it
    read its rows. A portal person will read the preferences of the customer rows linked
    to them (the portal issue adds that branch here)."""

    async def delete(self, row: object) -> None:
        await self.s.delete(row)
        await self.s.flush()

    # -- templates --------------------------------------------------------------------
    async def template(self, template_id: int) -> NotificationTemplate | None:
        return await self.get_row(NotificationTemplate, template_id)

    async def template_for(
        self, channel: str, event: str, languages: Sequence[str]
    ) -> Sequence[NotificationTemplate]:
        """The business's templates of this channel and event in any of `languages`."""
        stmt = self.readable(NotificationTemplate).where(
            NotificationTemplate.channel == channel,
            NotificationTemplate.event == event,
            NotificationTemplate.language.in_(languages),
        )
        return (await self.s.scalars(stmt)).all()

    async def templates(
        self, channel: str | None = None, event: str | None = None
    ) -> Sequence[NotificationTemplate]:
        stmt = self.readable(NotificationTemplate)
        if channel is not None:
            stmt = stmt.where(NotificationTemplate.channel == channel)
        if event is not None:
            stmt = stmt.where(NotificationTemplate.event == event)
        order = (NotificationTemplate.channel, NotificationTemplate.event, NotificationTemplate.id)
        return (await self.s.scalars(stmt.order_by(*order))).all()

    # -- preferences ------------------------------------------------------------------
    async def preference(self, customer_id: int) -> NotificationPreference | None:
        return await self.s.scalar(
            self.readable(NotificationPreference).where(
                NotificationPreference.customer_id == customer_id
            )
        )

    # -- quota and usage --------------------------------------------------------------
    async def settings(self) -> NotificationSettings | None:
        return await self.s.scalar(self.readable(NotificationSettings))

    async def usage(self, month: str) -> SmsUsage | None:
        return await self.s.scalar(self.readable(SmsUsage).where(SmsUsage.month == month))

    async def add_usage(self, month: str, messages: int, segments: int) -> None:
        """One atomic upsert: concurrent senders add up, none overwrites another. It runs
        as the transaction's last write (db.run_last): the business's usage row is shared
        by all its sends, and holding its lock for the whole accept transaction made a
        burst of sends queue on it (bench/results/notifications.md)."""
        business_id = self.viewer.require_business()
        values = {
            "business_id": business_id,
            "month": month,
            "messages": messages,
            "segments": segments,
        }
        table: Any = SmsUsage.__table__
        stmt = conflict_insert(self.s, table).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["business_id", "month"],
            set_={
                "messages": table.c.messages + stmt.excluded.messages,
                "segments": table.c.segments + stmt.excluded.segments,
            },
        )
        run_last(self.s, stmt)
