"""All SQL of campaigns: the campaigns, their audiences (read from customers), the frozen
recipient lists with their claims, and the stats read from the delivery ledger. Every
read goes through `read_policy`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, false, func, insert, literal, or_, select
from sqlalchemy import update as sql_update

from domain.campaigns.audience import Audience, AudienceKind
from domain.campaigns.models import Campaign, CampaignRecipient
from domain.core.repository import TenantRepository
from domain.customers.models import Customer, CustomerStatus, CustomerTag
from domain.notifications.models import NotificationLog

# ledger codes of a message that was never sent by rule, not by failure: counted skipped
SKIP_CODES = ("FREQUENCY_CAP", "SMS_QUOTA_EXCEEDED", "SMS_SPEND_CAP_EXCEEDED")
OPEN_STATES = ("pending", "claimed", "waiting")


class CampaignRepository(TenantRepository):
    # the sender's scans (due schedules, stuck campaigns) run as a system actor with no
    # business and read every business's campaigns by id
    system_reads_across = True

    async def campaign(self, campaign_id: int, *, lock: bool = False) -> Campaign | None:
        stmt = self.readable(Campaign).where(Campaign.id == campaign_id)
        return await self.s.scalar(stmt.with_for_update() if lock else stmt)

    async def campaigns(self, after_id: int | None, limit: int) -> list[Campaign]:
        """Newest first, keyset on id."""
        stmt = self.readable(Campaign)
        if after_id is not None:
            stmt = stmt.where(Campaign.id < after_id)
        return list((await self.s.scalars(stmt.order_by(Campaign.id.desc()).limit(limit))).all())

    # audiences ------------------------------------------------------------------------

    def _audience(self, a: Audience, timezone: str, now: datetime) -> ColumnElement[bool]:
        spent = Customer.total_billed + Customer.purchase_total
        base = and_(
            self.business_rows(Customer),  # an audience is always one business's
            Customer.status == CustomerStatus.ACTIVE,
            Customer.merged_into_id.is_(None),
            Customer.is_walk_in == false(),
            Customer.phone.is_not(None),
        )
        match a.kind:
            case AudienceKind.INACTIVE:
                cutoff = _cutoff(now, timezone, int(a.days or 0))
                since = datetime.combine(cutoff, time(0), tzinfo=ZoneInfo(timezone))
                return and_(
                    base,
                    or_(Customer.last_purchase_on.is_(None), Customer.last_purchase_on < cutoff),
                    or_(
                        Customer.last_invoice_at.is_(None),
                        Customer.last_invoice_at < datetime.combine(cutoff, time(0), tzinfo=UTC),
                    ),
                    or_(
                        Customer.last_purchase_on.is_not(None),
                        Customer.last_invoice_at.is_not(None),
                        Customer.created_at < since.astimezone(UTC),
                    ),
                )
            case AudienceKind.VIP:
                return and_(base, spent > a.amount)
            case AudienceKind.LOW_SPENDERS:
                return and_(base, spent < a.amount)
            case AudienceKind.TAGS:
                tagged = select(CustomerTag.customer_id).where(
                    CustomerTag.tag.in_(a.tags), self.business_rows(CustomerTag)
                )
                return and_(base, Customer.id.in_(tagged))
            case AudienceKind.CUSTOMERS:
                return and_(base, Customer.id.in_(a.customer_ids))
            case _:
                return base

    async def audience_count(self, a: Audience, timezone: str, now: datetime) -> int:
        found = await self.s.scalar(
            select(func.count()).select_from(Customer).where(self._audience(a, timezone, now))
        )
        return int(found or 0)

    async def audience_sample(
        self, a: Audience, timezone: str, now: datetime, limit: int
    ) -> list[Customer]:
        stmt = select(Customer).where(self._audience(a, timezone, now))
        return list((await self.s.scalars(stmt.order_by(Customer.id).limit(limit))).all())

    async def customer(self, customer_id: int) -> Customer | None:
        return await self.s.scalar(
            select(Customer).where(self.business_rows(Customer), Customer.id == customer_id)
        )

    async def customers(self, ids: Sequence[int]) -> list[Customer]:
        """A batch's customers in one statement."""
        if not ids:
            return []
        found = await self.s.scalars(
            select(Customer).where(self.business_rows(Customer), Customer.id.in_(ids))
        )
        return list(found.all())

    async def foreign_ids(self, ids: Sequence[int]) -> list[int]:
        """The ids among `ids` that are not customers of this business."""
        own = await self.s.scalars(
            select(Customer.id).where(self.business_rows(Customer), Customer.id.in_(ids))
        )
        mine = set(own.all())
        return [i for i in ids if i not in mine]

    async def freeze(self, c: Campaign, a: Audience, timezone: str, now: datetime) -> int:
        """The recipient list, written once in one INSERT ... SELECT."""
        chosen = select(
            literal(c.id),
            literal(c.business_id),
            Customer.id,
            Customer.phone,
            literal("pending"),
        ).where(self._audience(a, timezone, now))
        chosen = chosen.order_by(Customer.id)  # recipients are sent in customer order
        cols = ["campaign_id", "business_id", "customer_id", "phone", "state"]
        await self.s.execute(insert(CampaignRecipient).from_select(cols, chosen))
        found = await self.s.scalar(
            select(func.count()).where(CampaignRecipient.campaign_id == c.id)
        )
        return int(found or 0)

    # recipients -------------------------------------------------------------------------

    async def claim(
        self, campaign_id: int, token: str, now: datetime, stale: datetime, limit: int
    ) -> list[CampaignRecipient]:
        """Claims up to `limit` open recipients with one conditional UPDATE: pending ones,
        and claimed ones whose claimer went silent before `stale` (a crashed worker). The
        condition is in the UPDATE itself, so two claimers never both take a row."""
        claimable = and_(
            CampaignRecipient.campaign_id == campaign_id,
            or_(
                CampaignRecipient.state == "pending",
                and_(CampaignRecipient.state == "claimed", CampaignRecipient.claimed_at < stale),
            ),
        )
        # rows another lane is claiming right now are passed over, not waited for: a
        # waiting claimer re-checked them after that commit, claimed none and ended,
        # leaving one lane to send the whole campaign (PostgreSQL; SQLite has one writer).
        # Two statements: PostgreSQL may run a LIMIT ... FOR UPDATE subquery of an UPDATE
        # more than once, and then claims more than `limit`.
        ids = list(
            await self.s.scalars(
                select(CampaignRecipient.id)
                .where(claimable)
                .order_by(CampaignRecipient.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        if not ids:
            return []
        await self.s.execute(
            sql_update(CampaignRecipient)
            .where(CampaignRecipient.id.in_(ids), claimable)
            .values(state="claimed", claim=token, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        found = await self.s.scalars(
            select(CampaignRecipient)
            .where(
                CampaignRecipient.campaign_id == campaign_id,
                CampaignRecipient.claim == token,
                CampaignRecipient.state == "claimed",
            )
            .order_by(CampaignRecipient.id)
        )
        return list(found.all())

    async def renew_claims(self, token: str, now: datetime) -> int:
        """A lane still at work on its batch: its claims stay younger than the lease, so
        no other lane (nor the scan) takes them while they wait in the rate limiter or
        for a connection. Rows the lane's own batch transactions hold are passed over, not
        waited for (they are being settled; two multi-row lockers in different orders
        could deadlock), and renewed at the next beat if still claimed."""
        ids = list(
            await self.s.scalars(
                select(CampaignRecipient.id)
                .where(CampaignRecipient.claim == token, CampaignRecipient.state == "claimed")
                .with_for_update(skip_locked=True)
            )
        )
        return await self._update_held(ids, token, claimed_at=now)

    async def claimed_batch(self, ids: Sequence[int], token: str) -> list[CampaignRecipient]:
        """The recipients among `ids` still claimed by `token`, locked, in id order."""
        if not ids:
            return []
        stmt = (
            self.readable(CampaignRecipient)
            .where(_held(ids, token))
            .order_by(CampaignRecipient.id)
            .with_for_update()
        )
        return list((await self.s.scalars(stmt)).all())

    async def release(
        self, ids: Sequence[int], token: str, state: str, due_at: datetime | None = None
    ) -> int:
        """Recipients among `ids` still claimed by `token` move to `state` (done,
        waiting until `due_at`, cancelled) in one UPDATE."""
        return await self._update_held(ids, token, state=state, due_at=due_at)

    async def _update_held(self, ids: Sequence[int], token: str, **values: Any) -> int:
        """Sets `values` on the recipients among `ids` that `token` still holds, in one
        UPDATE whose condition re-checks the claim (a lane that lost it changes nothing);
        how many changed."""
        if not ids:
            return 0
        done = await self.s.execute(
            sql_update(CampaignRecipient)
            .where(_held(ids, token))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(done, "rowcount", 0) or 0)

    async def recipient(self, recipient_id: int, *, lock: bool = False) -> CampaignRecipient | None:
        stmt = self.readable(CampaignRecipient).where(CampaignRecipient.id == recipient_id)
        return await self.s.scalar(stmt.with_for_update() if lock else stmt)

    async def close_open(self, campaign_id: int, state: str) -> int:
        """Recipients not yet claimed end in `state` (cancelled, stopped)."""
        done = await self.s.execute(
            sql_update(CampaignRecipient)
            .where(
                CampaignRecipient.campaign_id == campaign_id,
                CampaignRecipient.state.in_(("pending", "waiting")),
            )
            .values(state=state, due_at=None)
            .execution_options(synchronize_session=False)
        )
        return int(done.rowcount or 0)  # type: ignore[attr-defined]

    async def release_waiting(self, campaign_id: int, now: datetime) -> int:
        done = await self.s.execute(
            sql_update(CampaignRecipient)
            .where(
                CampaignRecipient.campaign_id == campaign_id,
                CampaignRecipient.state == "waiting",
                CampaignRecipient.due_at <= now,
            )
            .values(state="pending", due_at=None)
            .execution_options(synchronize_session=False)
        )
        return int(done.rowcount or 0)  # type: ignore[attr-defined]

    async def states(self, campaign_id: int) -> dict[str, int]:
        rows = await self.s.execute(
            self.readable(CampaignRecipient, CampaignRecipient.state, func.count())
            .where(CampaignRecipient.campaign_id == campaign_id)
            .group_by(CampaignRecipient.state)
        )
        return {str(s): int(n) for s, n in rows.all()}

    async def ledger_counts(self, campaign_id: int) -> tuple[int, ...]:
        """(messages, sent, delivered, failed, skipped, opted out) in one statement."""
        log = NotificationLog

        def where(cond: ColumnElement[bool]) -> Any:
            return func.count(case((cond, 1)))

        skipped = and_(log.status == "failed", log.error_code.in_(SKIP_CODES))
        failed = and_(log.status.in_(("failed", "undelivered", "bounced")), ~skipped)
        row = (
            await self.s.execute(
                self.readable(
                    log,
                    func.count(),
                    func.count(log.sent_at),
                    func.count(log.delivered_at),
                    where(failed),
                    where(skipped),
                    where(log.status == "opted_out"),
                ).where(log.campaign_id == campaign_id)
            )
        ).one()
        return tuple(int(v or 0) for v in row)

    async def ledger_error(self, notification_id: int) -> str | None:
        return await self.s.scalar(
            self.readable(NotificationLog, NotificationLog.error_code).where(
                NotificationLog.id == notification_id
            )
        )

    async def recipients_page(
        self, campaign_id: int, after_id: int | None, limit: int
    ) -> list[tuple[CampaignRecipient, NotificationLog | None]]:
        stmt = (
            self.readable(CampaignRecipient, CampaignRecipient, NotificationLog)
            .outerjoin(NotificationLog, NotificationLog.id == CampaignRecipient.notification_id)
            .where(CampaignRecipient.campaign_id == campaign_id)
        )
        if after_id is not None:
            stmt = stmt.where(CampaignRecipient.id > after_id)
        rows = await self.s.execute(stmt.order_by(CampaignRecipient.id).limit(limit))
        return [(r, n) for r, n in rows.all()]

    # the scans of the sender --------------------------------------------------------------

    async def due_scheduled(self, now: datetime, limit: int) -> list[int]:
        found = await self.s.scalars(
            self.readable(Campaign, Campaign.id)
            .where(Campaign.status == "scheduled", Campaign.scheduled_at <= now)
            .order_by(Campaign.scheduled_at)
            .limit(limit)
        )
        return list(found.all())

    async def start(self, campaign_id: int, now: datetime, *, scheduled_only: bool) -> bool:
        """scheduled (or draft) -> sending, exactly once: the condition is in the UPDATE."""
        allowed = ("scheduled",) if scheduled_only else ("draft", "scheduled")
        done = await self.s.execute(
            sql_update(Campaign)
            .where(Campaign.id == campaign_id, Campaign.status.in_(allowed))
            .values(status="sending", started_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(done.rowcount)  # type: ignore[attr-defined]

    async def sending_with_work(self, now: datetime, stale: datetime, limit: int) -> list[int]:
        """Campaigns in `sending` with work nobody is doing: not frozen yet, recipients
        pending, waiting and due, or claimed by a worker that went silent."""

        def having(*cond: ColumnElement[bool]) -> Any:
            mine = CampaignRecipient.campaign_id == Campaign.id
            return select(CampaignRecipient.id).where(mine, *cond).exists()

        recent = having(CampaignRecipient.claimed_at >= stale)  # a lane is at work
        found = await self.s.scalars(
            self.readable(Campaign, Campaign.id)
            .where(
                Campaign.status == "sending",
                or_(
                    Campaign.frozen_at.is_(None),
                    having(CampaignRecipient.state == "waiting", CampaignRecipient.due_at <= now),
                    having(
                        CampaignRecipient.state == "claimed", CampaignRecipient.claimed_at < stale
                    ),
                    and_(having(CampaignRecipient.state == "pending"), ~recent),
                ),
            )
            .order_by(Campaign.id)
            .limit(limit)
        )
        return list(found.all())


def _cutoff(now: datetime, timezone: str, days: int) -> date:
    from datetime import timedelta

    return now.astimezone(ZoneInfo(timezone)).date() - timedelta(days=days)


def _held(ids: Sequence[int], token: str) -> ColumnElement[bool]:
    """The recipients among `ids` still claimed by `token`."""
    return and_(
        CampaignRecipient.id.in_(ids),
        CampaignRecipient.claim == token,
        CampaignRecipient.state == "claimed",
    )
