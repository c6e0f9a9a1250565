"""The ledger steps of service.py for a list of messages at once (a campaign lane's
batch), so a batch costs a fixed number of statements and transactions whatever its
size: its rows are made in one flush (idempotent by key), the rules are applied
set-based (the STOP list, consent, the marketing cap, quiet hours, the SMS quota counted
once), its attempts are written in one flush and its outcomes in another, the usage
counter bumped once.

The crash-safety rule of service.py holds unchanged: `start_many` commits the attempts
before their provider calls (the caller commits, then calls), and a row with an
unresolved attempt is never planned here: `plan_many` hands it back (`single`) for the
per-row pipeline, which looks it up and never resends an uncertain marketing message.
Rows whose rules are not set-based here (payment reminders) go the per-row way too."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from domain.core.tx import Tx
from domain.customers.models import Customer
from domain.notifications import messages, policy, preferences, quota
from domain.notifications.batch_repository import LedgerBatchRepository
from domain.notifications.compose import Draft
from domain.notifications.models import NotificationAttempt, NotificationLog, NotificationStatus
from domain.notifications.outcomes import accept, settle
from domain.notifications.policy import Allowed, Blocked, Deferred
from domain.notifications.port import Delivery, Outgoing, PermanentFailure, TemporaryFailure
from domain.notifications.service import Providers, new_row, outgoing
from domain.notifications.statuses import SETTLED
from domain.notifications.vocabulary import Channel, MessageKind

Outcome = Delivery | TemporaryFailure | PermanentFailure


@dataclass
class Plan:
    """What each row of a batch does next."""

    send: list[NotificationLog] = field(default_factory=list)
    single: list[int] = field(default_factory=list)  # the per-row pipeline's (see above)
    held: dict[int, datetime] = field(default_factory=dict)  # quiet hours: row -> until
    ended: dict[int, str | None] = field(default_factory=dict)  # settled: row -> error code


class Entries:
    """Status history rows and their effects, added to the session in one flush."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx
        self.rows: list[NotificationStatus] = []

    async def settle(self, row: NotificationLog, status: str, code: str | None) -> None:
        """outcomes.settle, with the history row kept for this batch's one flush."""
        await settle(self.tx, row, status, code, history=self.rows)

    async def flush(self) -> None:
        """The session's changes, then the history rows in one multi-row INSERT (the
        ORM inserts rows that need their ids back one by one on SQLite)."""
        await self.tx.session.flush()
        if self.rows:
            values = [_values(entry) for entry in self.rows]
            await self.tx.session.execute(insert(NotificationStatus), values)
        self.rows = []


def _values(obj: object) -> dict[str, Any]:
    """A new ORM object's columns as insert values, its id left to the database."""
    table = getattr(type(obj), "__table__")  # noqa: B009 - a mapped class's table
    return {c.key: getattr(obj, c.key) for c in table.columns if c.key != "id"}


async def record_many(
    tx: Tx,
    providers: Providers,
    keys: Sequence[str],
    draft_of: Callable[[str], Draft],
    business_id: int | None,
) -> dict[str, NotificationLog]:
    """The ledger rows under `keys`, locked; the missing ones are made from `draft_of(key)`
    (`pending`, or `failed` with the draft's reason), as service.record does per row."""
    repo = LedgerBatchRepository(tx.session, tx.viewer)
    rows = {r.idempotency_key: r for r in await repo.by_keys(keys)}
    made: list[tuple[NotificationLog, Draft]] = []
    for key in keys:
        if key not in rows:
            draft = draft_of(key)
            row = new_row(tx, key, draft, providers.of(draft.channel).name, business_id)
            made.append((row, draft))
            rows[key] = row
    if not made:
        return rows
    await tx.session.execute(insert(NotificationLog), [_values(row) for row, _ in made])
    rows = {r.idempotency_key: r for r in await repo.by_keys(keys)}
    made = [(rows[row.idempotency_key], draft) for row, draft in made]
    entries = Entries(tx)
    for row, draft in made:
        entries.rows.append(
            NotificationStatus(notification_id=row.id, status="pending", at=tx.now(), source="job")
        )
        if draft.failure is not None:
            row.error = draft.failure[1]
            await entries.settle(row, "failed", draft.failure[0])
    await entries.flush()
    return rows


async def plan_many(
    tx: Tx,
    rows: Sequence[NotificationLog],
    customers: Mapping[int, Customer],
    business_timezone: str,
) -> Plan:
    """service.next_step and rules.check for the rows of one business (`tx` acts for
    it), with every read done once for the batch. `customers`: the rows' customers (a
    missing one is gone: its message was addressed when it was made, no policy)."""
    plan = Plan()
    repo = LedgerBatchRepository(tx.session, tx.viewer)
    entries = Entries(tx)
    open_rows = []
    for row in rows:
        if row.status in SETTLED:
            plan.ended[row.id] = row.error_code
        elif row.event == messages.REMINDER or row.business_id is None:
            plan.single.append(row.id)
        else:
            open_rows.append(row)
    unresolved = await repo.unresolved_of([r.id for r in open_rows])
    plan.single += [r.id for r in open_rows if r.id in unresolved]
    open_rows = [r for r in open_rows if r.id not in unresolved]
    business_id = tx.viewer.require_business()
    sms = [r.recipient for r in open_rows if r.channel == "sms"]
    stopped = await repo.opted_out_of(business_id, sms)
    allowed: list[NotificationLog] = []
    prefs = await _preferences(repo, open_rows, customers, business_timezone)
    sent_today = await _marketing_today(tx, repo, open_rows, prefs)
    for row in open_rows:
        if row.channel == "sms" and row.recipient in stopped:
            await entries.settle(row, "opted_out", "OPTED_OUT")
            plan.ended[row.id] = "OPTED_OUT"
            continue
        found = prefs.get(int(row.customer_id or 0))
        if found is None:
            allowed.append(row)
            continue
        kind, channel = MessageKind(row.kind), Channel(row.channel)
        count = sent_today.get(int(row.customer_id or 0), 0)
        match policy.decide(kind, channel, found, tx.now(), marketing_sent_today=count):
            case Deferred(until) if row.event in messages.TOPIC_EVENTS or (
                kind is MessageKind.MARKETING
            ):
                row.due_at = until
                row.error_code = "QUIET_HOURS"
                row.error = f"held by the customer's quiet hours until {until.isoformat()}"
                plan.held[row.id] = until
            case Allowed() | Deferred():
                allowed.append(row)
            case Blocked(reason) if reason is policy.BlockReason.NO_CONSENT:
                row.error = f"the customer does not accept {kind.value} messages by {channel.value}"
                await entries.settle(row, "opted_out", "NO_CONSENT")
                plan.ended[row.id] = "NO_CONSENT"
            case _:
                row.error = "the customer had today's campaign message already"
                await entries.settle(row, "failed", "FREQUENCY_CAP")
                plan.ended[row.id] = "FREQUENCY_CAP"
    await _quota(tx, allowed, plan, entries)
    await entries.flush()
    return plan


async def _preferences(
    repo: LedgerBatchRepository,
    rows: Sequence[NotificationLog],
    customers: Mapping[int, Customer],
    business_timezone: str,
) -> dict[int, policy.Preferences]:
    wanted = sorted(
        {r.customer_id for r in rows if r.customer_id is not None and r.customer_id in customers}
    )
    saved = {p.customer_id: p for p in await repo.preferences_of(wanted)}
    return {c: preferences.effective(customers[c], saved.get(c), business_timezone) for c in wanted}


async def _marketing_today(
    tx: Tx,
    repo: LedgerBatchRepository,
    rows: Sequence[NotificationLog],
    prefs: Mapping[int, policy.Preferences],
) -> dict[int, int]:
    """Campaign messages each customer had today, counted from their own midnight."""
    midnights: dict[int, datetime] = {}
    for row in rows:
        customer = int(row.customer_id or 0)
        if row.kind == MessageKind.MARKETING.value and customer in prefs:
            local = tx.now().astimezone(ZoneInfo(prefs[customer].timezone))
            midnights[customer] = datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)
    if not midnights:
        return {}
    counts: dict[int, int] = defaultdict(int)
    for customer, sent_at in await repo.marketing_sent_to(
        sorted(midnights), min(midnights.values())
    ):
        if sent_at >= midnights[customer]:
            counts[customer] += 1
    return counts


async def _quota(tx: Tx, rows: Sequence[NotificationLog], plan: Plan, entries: Entries) -> None:
    """The month's usage read once; each SMS in turn must fit after the ones before it."""
    usage: quota.Usage | None = None
    for row in rows:
        if row.channel != "sms":
            plan.send.append(row)
            continue
        if usage is None:
            usage = await quota.current_usage(tx)
        try:
            usage = quota.check(usage, row.segments or 1)
        except quota.QuotaExceeded as exc:
            row.error = exc.message
            await entries.settle(row, "failed", str(exc.code))
            plan.ended[row.id] = str(exc.code)
            continue
        plan.send.append(row)


async def start_many(tx: Tx, row_ids: Sequence[int]) -> dict[int, Outgoing]:
    """service.start_attempt for many rows: one attempt each, written before the calls.
    A row settled meanwhile, or with an attempt of another run in flight, gets none."""
    repo = LedgerBatchRepository(tx.session, tx.viewer)
    rows = await repo.locked(row_ids)
    busy = await repo.unresolved_of([r.id for r in rows])
    entries = Entries(tx)
    attempts: list[NotificationAttempt] = []
    started: dict[int, Outgoing] = {}
    for row in rows:
        if row.status in SETTLED or row.id in busy:
            continue
        attempt = NotificationAttempt(
            id=uuid.uuid4().hex, notification_id=row.id, started_at=tx.now()
        )
        attempts.append(attempt)
        row.attempts += 1
        await entries.settle(row, "sending", None)
        started[row.id] = outgoing(row, attempt.id)
    tx.session.add_all(attempts)
    await entries.flush()
    return started


async def finish_many(tx: Tx, outcomes: Sequence[tuple[str, Outcome]]) -> None:
    """service.accepted / service.refused for many attempts; the SMS usage of the
    accepted ones is counted once per business (outcomes.accept leaves it to us)."""
    repo = LedgerBatchRepository(tx.session, tx.viewer)
    attempts = {a.id: a for a in await repo.attempts_of([a for a, _ in outcomes])}
    rows = {
        r.id: r for r in await repo.locked(sorted({a.notification_id for a in attempts.values()}))
    }
    entries = Entries(tx)
    usage: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for attempt_id, result in outcomes:
        attempt = attempts.get(attempt_id)
        row = rows.get(attempt.notification_id) if attempt else None
        if attempt is None or row is None:
            continue
        attempt.finished_at = tx.now()
        if isinstance(result, Delivery):
            attempt.outcome = "accepted"
            attempt.provider_message_id = result.message_id
            first = await accept(
                tx, row, result, source="api", history=entries.rows, count_usage=False
            )
            if first and row.channel == "sms":
                counted = usage[int(row.business_id or 0)]
                counted[0] += 1
                counted[1] += row.segments or 1
            continue
        attempt.error_code = result.code
        row.error = str(result)
        row.error_code = result.code
        if isinstance(result, PermanentFailure):
            attempt.outcome = "rejected"
            await entries.settle(row, "failed", result.code)
        else:
            attempt.outcome = "uncertain" if result.uncertain else "refused"
    await entries.flush()
    for business_id, (sent, segments) in usage.items():
        if business_id:
            await quota.record(messages.as_business(tx, business_id), segments, sent)
