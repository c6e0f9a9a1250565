"""The campaign sender: resumable, at most one message per recipient.

1. Start (`send_campaign` job, from the `campaign.started` outbox event): the recipient
   list is frozen once (INSERT ... SELECT under the campaign's row lock; a unique key
   campaign + customer), then `LANES` lane jobs are enqueued (two workers share them).
2. A lane claims a batch of recipients with one conditional UPDATE (pending ones, or
   claimed ones whose claimer went silent for `lease` seconds: a crashed worker) and
   sends it with a fixed number of transactions (domain/campaigns/batch_send.py): the
   ledger rows under `campaign:<campaign>:<recipient>` and the rules (opt-out and
   consent, the marketing cap, quiet hours, the SMS quota) in one, then the attempts of
   each group of messages committed before its provider calls, paced by the shared rate
   limiter, and the outcomes of each group in one. A row left with an unresolved
   attempt by a crash goes through the pipeline's per-row `deliver_row`: the look-up at
   the provider first (a marketing message the provider cannot account for is never
   resent).
3. A recipient held by quiet hours or a provider's busy signal waits (`due_at`); the scan
   (`scan`, run by the embedded timer and arq cron) releases it, starts due scheduled
   campaigns (a conditional UPDATE: exactly once) and re-enqueues lanes for work nobody
   is doing (stale claims after a crash). The last lane to find nothing open marks the
   campaign sent."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from domain.accounts import queries as accounts
from domain.accounts.models import Business
from domain.campaigns import batch_send, events, message, service
from domain.campaigns.models import Campaign, CampaignRecipient
from domain.campaigns.repository import OPEN_STATES, CampaignRepository
from domain.core import outbox
from domain.core.clock import Clock
from domain.core.db import Database
from domain.core.errors import ValidationFailed
from domain.core.failures import log_failure
from domain.core.outbox import JobQueue
from domain.core.tx import Tx
from domain.core.viewer import Viewer
from domain.notifications import service as ledger
from domain.notifications.compose import Draft
from domain.notifications.pipeline import Pipeline
from domain.notifications.port import TemporaryFailure
from domain.notifications.rules import Deferral
from domain.notifications.template_codes import TemplatesCode

log = logging.getLogger("khata.campaigns")
SCANNER = Viewer.system_actor("job:campaigns")  # reads every business's campaigns by id
LANES = 2
BATCH = 100  # recipients a lane claims at once (KHATA_CAMPAIGN_BATCH_SIZE)
GROUP = 25  # messages whose attempts (and then outcomes) are written in one transaction
LEASE_SECONDS = 30.0  # a claim older than this belongs to a worker that went silent
# (KHATA_CAMPAIGN_CLAIM_LEASE_SECONDS; longer than a batch takes at the provider's rate)
BUSY_RETRY_SECONDS = 5.0
QUOTA_CODES = {TemplatesCode.SMS_QUOTA_EXCEEDED.value, TemplatesCode.SMS_SPEND_CAP_EXCEEDED.value}


def ledger_key(campaign_id: int, recipient_id: int) -> str:
    return f"campaign:{campaign_id}:{recipient_id}"


def business_viewer(business_id: int) -> Viewer:
    return Viewer.system_actor("job:campaigns", business_id=business_id)


@dataclass
class Sender:
    db: Database
    clock: Clock
    pipeline: Pipeline
    jobs: JobQueue
    lease_seconds: float = LEASE_SECONDS
    batch: int = BATCH
    group: int = GROUP
    busy_seconds: float = BUSY_RETRY_SECONDS
    quota_codes: frozenset[str] = frozenset(QUOTA_CODES)
    businesses: dict[int, Business] = field(default_factory=dict)  # this job's, not global

    def tx(self, session: object, viewer: Viewer = SCANNER) -> Tx:
        return Tx(session, viewer, self.clock)  # type: ignore[arg-type]

    async def begin(self, outbox_id: str) -> str:
        """The `send_campaign` job: freeze the list once, then hand it to the lanes."""
        event = await outbox.get_event(self.db, outbox_id)
        if event is None or event.business_id is None:
            return "missing"
        campaign_id = int(event.payload["campaignId"])
        async with self.db.unit_of_work() as session:
            tx = self.tx(session, business_viewer(event.business_id))
            c = await CampaignRepository(tx.session, tx.viewer).campaign(campaign_id, lock=True)
            if c is None or c.status != "sending":
                return "not sending"
            await freeze(tx, c)
        await enqueue_lanes(self.jobs, campaign_id, outbox_id)
        return "started"

    async def lane(self, campaign_id: int) -> str:
        """Claims and sends batches until nothing is claimable, then finishes the campaign
        when nothing is open any more."""
        async with self.db.read() as session:
            c = await CampaignRepository(session, SCANNER).campaign(campaign_id)
        if c is None or c.status != "sending" or c.frozen_at is None:
            return "idle"
        viewer = business_viewer(c.business_id)
        token = uuid.uuid4().hex
        while True:
            async with self.db.unit_of_work() as session:
                r = CampaignRepository(session, viewer)
                now = self.clock.now()
                await r.release_waiting(campaign_id, now)
                stale = now - timedelta(seconds=self.lease_seconds)
                claimed = [x.id for x in await r.claim(campaign_id, token, now, stale, self.batch)]
            if not claimed:
                break
            renewing = asyncio.create_task(self.keep_claims(viewer, token))
            try:
                await self.send_batch(viewer, token, claimed)
            finally:
                renewing.cancel()
        return await self.finish(campaign_id, viewer)

    async def keep_claims(self, viewer: Viewer, token: str) -> None:
        """While a batch is in flight its claims are renewed every third of the lease.
        Without it a batch slower than the lease (rate limiter, a busy pool) was taken by
        other lanes mid-send: their runs found the attempts in flight and parked the
        recipients as waiting, the scan enqueued yet more lanes for the stale claims, and
        a 200-recipient campaign crawled at ~2 msg/s (bench/results/campaign.md)."""
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            try:
                await self.renew(viewer, token)
            except Exception as exc:  # the next beat tries again; the lease covers two
                log_failure(log, "campaign claim renewal failed", exc)

    async def renew(self, viewer: Viewer, token: str) -> int:
        async with self.db.unit_of_work() as session:
            return await CampaignRepository(session, viewer).renew_claims(token, self.clock.now())

    async def send_batch(self, viewer: Viewer, token: str, ids: list[int]) -> None:
        """A claimed batch (batch_send.py); whatever fails stays claimed, goes stale and
        is resumed by another lane."""
        try:
            prepared = await batch_send.prepare(self, viewer, token, ids)
            singles = (
                self.deliver_one(viewer, token, i.recipient_id, i.row_id) for i in prepared.single
            )
            await asyncio.gather(batch_send.send(self, viewer, token, prepared), *singles)
        except Exception as exc:
            log_failure(log, "campaign batch of %s recipients failed", exc, len(ids))

    async def one(self, viewer: Viewer, token: str, recipient_id: int) -> None:
        """One claimed recipient: a batch of one."""
        await self.send_batch(viewer, token, [recipient_id])

    async def deliver_one(
        self, viewer: Viewer, token: str, recipient_id: int, notification_id: int
    ) -> None:
        """The per-row pipeline, for a row a crashed run left with an unresolved attempt."""
        try:
            try:
                await self.pipeline.deliver_row(notification_id)
            except TemporaryFailure as exc:
                await self.wait(viewer, token, recipient_id, exc.retry_after or BUSY_RETRY_SECONDS)
                return
            except Deferral as held:
                await self.wait(viewer, token, recipient_id, until=held.until)
                return
            await self.done(viewer, token, recipient_id, notification_id)
        except Exception as exc:  # the claim goes stale and another lane resumes it
            log_failure(log, "campaign recipient %s failed", exc, recipient_id)

    def key(self, campaign_id: int, recipient_id: int) -> str:
        return ledger_key(campaign_id, recipient_id)

    async def business(self, tx: Tx, business_id: int) -> Business:
        business = self.businesses.get(business_id)
        if business is None:
            business = await accounts.viewer_business(tx)
            assert business is not None
            self.businesses[business_id] = business
        return business

    async def ledger_row(self, viewer: Viewer, token: str, recipient_id: int) -> int | None:
        """The recipient's ledger row, made once; None when it is no longer ours to send
        (reclaimed by another lane, or the campaign was cancelled)."""
        async with self.db.unit_of_work() as session:
            tx = self.tx(session, viewer)
            r = CampaignRepository(session, viewer)
            rec = await r.recipient(recipient_id, lock=True)
            if rec is None or rec.state != "claimed" or rec.claim != token:
                return None
            c = await r.campaign(rec.campaign_id)
            if c is None or c.status != "sending":
                rec.state = "cancelled"
                return None
            if rec.notification_id is None:
                draft = await self.draft(tx, r, c, rec)
                row = await ledger.record(
                    tx, self.pipeline.providers, ledger_key(c.id, rec.id), draft, c.business_id
                )
                rec.notification_id = row.id
            return rec.notification_id

    async def draft(
        self, tx: Tx, r: CampaignRepository, c: Campaign, rec: CampaignRecipient
    ) -> Draft:
        business = await self.business(tx, c.business_id)
        customer = await r.customer(rec.customer_id)
        name = customer.name if customer is not None else ""
        return self.compose(c, business, rec, name, service.today_of(tx, business))

    def compose(
        self, c: Campaign, business: Business, rec: CampaignRecipient, name: str, today: date
    ) -> Draft:
        common = {
            "customer_id": rec.customer_id,
            "campaign_id": c.id,
            "event": message.EVENT,
            "kind": "marketing",
        }
        try:
            text = message.render(c, business, name, rec.phone, today, self.pipeline.public_url)
        except ValidationFailed as exc:
            error = exc.errors[0]
            failure = (str(error.code), f"{error.field}: {error.message}")
            return Draft("sms", rec.phone, c.body, failure=failure, **common)  # type: ignore[arg-type]
        return Draft("sms", rec.phone, text.body, segments=text.segments, **common)  # type: ignore[arg-type]

    async def wait(
        self,
        viewer: Viewer,
        token: str,
        recipient_id: int,
        seconds: float = 0.0,
        *,
        until: datetime | None = None,
    ) -> None:
        async with self.db.unit_of_work() as session:
            rec = await CampaignRepository(session, viewer).recipient(recipient_id, lock=True)
            if rec is None or rec.claim != token or rec.state != "claimed":
                return
            rec.state = "waiting"
            rec.due_at = until or self.clock.now() + timedelta(seconds=seconds)

    async def done(
        self, viewer: Viewer, token: str, recipient_id: int, notification_id: int
    ) -> None:
        """The recipient is handled; an SMS quota refusal stops the rest of the campaign."""
        async with self.db.unit_of_work() as session:
            tx = self.tx(session, viewer)
            r = CampaignRepository(session, viewer)
            rec = await r.recipient(recipient_id, lock=True)
            if rec is None or rec.claim != token or rec.state != "claimed":
                return
            rec.state = "done"
            code = await r.ledger_error(notification_id)
            if code in QUOTA_CODES:
                await self.stop(tx, r, rec.campaign_id, code)

    async def stop(self, tx: Tx, r: CampaignRepository, campaign_id: int, code: str) -> None:
        """An SMS quota refusal: the recipients not yet claimed end `stopped`."""
        c = await r.campaign(campaign_id, lock=True)
        if c is not None and c.stop_reason is None:
            c.stop_reason = code
            c.updated_at = tx.now()
            await r.close_open(c.id, "stopped")

    async def finish(self, campaign_id: int, viewer: Viewer) -> str:
        async with self.db.unit_of_work() as session:
            tx = self.tx(session, viewer)
            r = CampaignRepository(session, viewer)
            c = await r.campaign(campaign_id, lock=True)
            if c is None or c.status != "sending":
                return "idle"
            states = await r.states(campaign_id)
            if any(states.get(s) for s in OPEN_STATES):
                return "open"
            c.status = "sent"
            c.finished_at = c.updated_at = tx.now()
            outbox.emit(
                tx,
                events.STATUS_CHANGED,
                {"campaignId": c.id, "status": c.status},
                business_id=c.business_id,
            )
            return "sent"


async def scan(
    db: Database,
    clock: Clock,
    jobs: JobQueue,
    lease_seconds: float = LEASE_SECONDS,
    limit: int = 100,
) -> int:
    """Due scheduled campaigns start (each exactly once: the status moves by a conditional
    UPDATE and the start event is written in the same transaction); campaigns in
    `sending` with work nobody is doing get their lanes again. Returns how many of
    either it found."""
    now = clock.now()
    async with db.read() as session:
        due = await CampaignRepository(session, SCANNER).due_scheduled(now, limit)
    for campaign_id in due:
        async with db.unit_of_work() as session:
            r = CampaignRepository(session, SCANNER)
            if not await r.start(campaign_id, now, scheduled_only=True):
                continue  # another scanner took it
            c = await r.campaign(campaign_id)
            assert c is not None
            outbox.emit(
                Tx(session, business_viewer(c.business_id), clock),
                events.STARTED,
                {"campaignId": c.id, "status": "sending"},
                job="send_campaign",
                business_id=c.business_id,
            )
    stale = now - timedelta(seconds=lease_seconds)
    async with db.read() as session:
        stuck = await CampaignRepository(session, SCANNER).sending_with_work(now, stale, limit)
    # job ids unique per scan: arq refuses an id whose result it still keeps, and lanes
    # enqueued twice only share the claims
    generation = f"scan-{uuid.uuid4().hex}"
    for campaign_id in stuck:
        await _resume(db, clock, jobs, campaign_id, generation)
    return len(due) + len(stuck)


async def _resume(
    db: Database, clock: Clock, jobs: JobQueue, campaign_id: int, generation: str
) -> None:
    """A campaign not frozen yet (its start job was lost) is frozen here; then its lanes
    are enqueued."""
    async with db.unit_of_work() as session:
        c = await CampaignRepository(session, SCANNER).campaign(campaign_id, lock=True)
        if c is None or c.status != "sending":
            return
        await freeze(Tx(session, business_viewer(c.business_id), clock), c)
    await enqueue_lanes(jobs, campaign_id, generation)


async def freeze(tx: Tx, c: Campaign) -> None:
    """The recipient list, written once (the caller holds the campaign's row lock)."""
    if c.frozen_at is not None:
        return
    business = await accounts.viewer_business(tx)
    if business is None:
        return
    r = CampaignRepository(tx.session, tx.viewer)
    c.recipient_count = await r.freeze(c, service.audience_of(c), business.timezone, tx.now())
    c.frozen_at = tx.now()


async def enqueue_lanes(jobs: JobQueue, campaign_id: int, generation: str) -> None:
    for lane in range(LANES):
        await jobs.enqueue(
            "send_campaign_lane",
            job_id=f"campaign:{campaign_id}:lane{lane}:{generation}",
            campaign_id=campaign_id,
        )
