"""The ledger steps of a delivery. Each takes a Tx and never commits; the pipeline
(domain/notifications/pipeline.py) runs each in its own short transaction (the rules and
the attempt of a row share one: `next_step(start=True)`) and calls the provider between
them, outside any transaction.

An attempt found without an outcome (the worker died, the call timed out) is looked up
at the provider and adopted or resent by the rule of domain/notifications/resend_rule.py.
The outcome of a step is written by domain/notifications/outcomes.py (`settle`, `accept`).

Before any send, the row passes the rules (`rules.check`): the customer's consent (the
preferences and the STOP list), the marketing frequency cap, quiet hours (the job is
deferred to their end: `Deferral`) and, for SMS, the business's monthly quota."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from html import escape as html_escape

from domain.core.outbox import OutboxEvent
from domain.core.tx import Tx
from domain.core.viewer import Viewer
from domain.notifications import rules
from domain.notifications.compose import Draft, compose
from domain.notifications.live import status_changed
from domain.notifications.models import NotificationAttempt, NotificationLog, NotificationStatus
from domain.notifications.outcomes import accept, settle
from domain.notifications.port import (
    Delivery,
    EmailSender,
    Outgoing,
    PermanentFailure,
    SmsSender,
    TemporaryFailure,
)
from domain.notifications.repository import NotificationRepository
from domain.notifications.statuses import SETTLED, advance

JOB = Viewer.system_actor("job:deliver")  # a delivery job reads across businesses
RETRIES_EXHAUSTED = "RETRIES_EXHAUSTED"


@dataclass
class Providers:
    sms: SmsSender
    email: EmailSender

    def of(self, channel: str) -> SmsSender | EmailSender:
        return self.sms if channel == "sms" else self.email


@dataclass(frozen=True)
class Step:
    """What the job does next for one ledger row: nothing (`done`), look the unresolved
    attempt up (`reconcile`), or call the provider with a new attempt (`send`)."""

    action: str
    row_id: int
    channel: str = "sms"
    message: Outgoing | None = None
    since: datetime | None = None


def _new_row(
    tx: Tx, key: str, draft: Draft, provider: str, business_id: int | None
) -> NotificationLog:
    return NotificationLog(
        idempotency_key=key,
        business_id=business_id,
        customer_id=draft.customer_id,
        invoice_id=draft.invoice_id,
        order_id=draft.order_id,
        campaign_id=draft.campaign_id,
        event=draft.event,
        kind=draft.kind,
        channel=draft.channel,
        recipient=draft.to,
        subject=draft.subject,
        body=draft.body,
        segments=draft.segments,
        attachment=draft.attachment,
        dlt_entity_id=draft.dlt_entity_id,
        dlt_template_id=draft.dlt_template_id,
        fallback_of=draft.fallback_of,
        status="pending",
        provider=provider,
        attempts=0,
        resends=0,
        created_at=tx.now(),
    )


@dataclass(frozen=True)
class Planned:
    """A ledger row of an event, with what the pipeline needs before reading it again:
    its channel (the rate limiter's key) and whether an attachment must be rendered."""

    row_id: int
    channel: str
    attachment: str | None = None


async def plan(
    tx: Tx, providers: Providers, outbox_id: str, public_url: str = "", *, looked: bool = False
) -> list[Planned] | str:
    """The ledger rows of an outbox event, one per message (customer and channel), created
    on first sight (a rerun finds them and composes nothing again); "missing" when the
    event is gone. `looked`: the caller has just found none (`planned`), so they are not
    read again here."""
    repo = NotificationRepository(tx.session, tx.viewer)
    event = await repo.event(outbox_id)
    if event is None:
        return "missing"
    existing = [] if looked else await repo.plan_of(outbox_id)
    if existing:
        return [Planned(*found) for found in existing]
    return await compose_rows(tx, providers, event, public_url)


async def planned(tx: Tx, outbox_id: str) -> list[Planned]:
    """The ledger rows already made for an event (one statement; none yet: empty)."""
    repo = NotificationRepository(tx.session, tx.viewer)
    return [Planned(*found) for found in await repo.plan_of(outbox_id)]


async def compose_rows(
    tx: Tx, providers: Providers, event: OutboxEvent, public_url: str = ""
) -> list[Planned]:
    """The event's messages composed and recorded `pending` (a draft that must not go out
    is recorded failed with its reason), in the caller's transaction. The delivery job
    does this on first sight of an event; `sendInvoice` does it in its own transaction
    (domain/notifications/upfront.py), so its job starts at the rules and the attempt. New rows and
    their first status entries are written in one batch each."""
    drafts = await compose(tx, event, public_url)
    key, business = f"{event.id}:", event.business_id
    rows = [
        _new_row(tx, key + d.channel, d, providers.of(d.channel).name, business) for d in drafts
    ]
    tx.session.add_all(rows)
    await tx.session.flush()  # one INSERT for the rows (their ids), one for the statuses
    tx.session.add_all(
        NotificationStatus(notification_id=r.id, status="pending", at=tx.now(), source="job")
        for r in rows
    )
    for row, draft in zip(rows, drafts, strict=True):
        if draft.failure is not None:
            row.error = draft.failure[1]
            await settle(tx, row, "failed", draft.failure[0])
    await tx.session.flush()
    return [Planned(r.id, r.channel, r.attachment) for r in rows]


async def prepare(
    tx: Tx, providers: Providers, outbox_id: str, public_url: str = ""
) -> list[int] | str:
    """The ids of `plan`'s rows."""
    planned = await plan(tx, providers, outbox_id, public_url)
    return planned if isinstance(planned, str) else [p.row_id for p in planned]


async def record(
    tx: Tx, providers: Providers, key: str, draft: Draft, business_id: int | None
) -> NotificationLog:
    """The ledger row of one message under its idempotency key, created on first sight
    (`pending`, or `failed` with the draft's reason when it must not go out)."""
    repo = NotificationRepository(tx.session, tx.viewer)
    row = await repo.by_key(key)
    if row is not None:
        return row
    row = _new_row(tx, key, draft, providers.of(draft.channel).name, business_id)
    await repo.add(row)
    await repo.add(
        NotificationStatus(notification_id=row.id, status="pending", at=tx.now(), source="job")
    )
    if draft.failure is not None:
        row.error = draft.failure[1]
        await settle(tx, row, "failed", draft.failure[0])
    return row


async def held(tx: Tx, row_id: int, until: datetime) -> None:
    """A message in the customer's quiet hours: it waits until `until` (the sweep)."""
    repo = NotificationRepository(tx.session, tx.viewer)
    row = await repo.entry(row_id, lock=True)
    if row is None or row.status in SETTLED:
        return
    row.due_at = until
    row.error_code = "QUIET_HOURS"
    row.error = f"held by the customer's quiet hours until {until.isoformat()}"


def outgoing(row: NotificationLog, attempt_id: str) -> Outgoing:
    """An email gets an HTML part beside its plain text."""
    html = None
    if row.channel == "email":
        paragraphs = html_escape(row.body).split("\n\n")
        html = "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in paragraphs)
    return Outgoing(
        attempt_id=attempt_id,
        to=row.recipient,
        body=row.body,
        subject=row.subject or "",
        html=html,
        dlt_entity_id=row.dlt_entity_id,
        dlt_template_id=row.dlt_template_id,
    )


async def next_step(
    tx: Tx, row_id: int, lease_seconds: float = 15.0, *, start: bool = False
) -> Step:
    """An attempt without an outcome younger than `lease_seconds` (longer than a provider
    call may take) may still be running in another worker: the job comes back later
    rather than racing it. `start`: a row that passes the rules gets its attempt recorded
    in this same transaction (under the row lock taken here), returned as the step's
    `message`: one transaction instead of two before the provider call, and the attempt
    is still committed before it. The caller renders a row's attachment before asking."""
    repo = NotificationRepository(tx.session, tx.viewer)
    row = await repo.entry(row_id, lock=True)
    if row is None or row.status in SETTLED:
        return Step("done", row_id)
    # an attempt row is written with `attempts += 1` (_start, batch.start_many): a row
    # never tried has none to look for
    unresolved = await repo.unresolved_attempt(row.id) if row.attempts else None
    if unresolved is not None and unresolved.outcome is None:
        age = (tx.now() - unresolved.started_at).total_seconds()
        if age < lease_seconds:
            raise TemporaryFailure("an attempt may be in flight", lease_seconds - age)
    if unresolved is not None:
        return Step(
            "reconcile",
            row.id,
            row.channel,
            outgoing(row, unresolved.id),
            unresolved.started_at,
        )
    if row.channel == "sms" and await repo.opted_out(row.business_id, row.recipient):
        await settle(tx, row, "opted_out", "OPTED_OUT")
        return Step("skipped", row.id)
    refusal = await rules.check(tx, repo, row)  # raises Deferral in quiet hours
    if refusal is not None:
        row.error = refusal.reason
        await settle(tx, row, refusal.status, refusal.code)
        return Step("skipped", row.id)
    if start:
        return Step("send", row.id, row.channel, await _start(tx, repo, row))
    return Step("send", row.id, row.channel)


async def give_up(tx: Tx, row_ids: list[int], reason: str, lease_seconds: float = 15.0) -> None:
    """The job's last try ended on a temporary failure: every row of it not settled yet
    ends `failed` (RETRIES_EXHAUSTED, with the reason) instead of staying `sending`. A row
    whose attempt may still be running in another worker (younger than the lease) is left
    to that worker."""
    repo = NotificationRepository(tx.session, tx.viewer)
    for row_id in row_ids:
        row = await repo.entry(row_id, lock=True)
        if row is None or row.status in SETTLED:
            continue
        if await _in_flight(tx, repo, row, lease_seconds):
            continue
        row.error = reason
        row.due_at = None
        await settle(tx, row, "failed", RETRIES_EXHAUSTED)


async def _in_flight(
    tx: Tx, repo: NotificationRepository, row: NotificationLog, lease_seconds: float
) -> bool:
    """An attempt without an outcome, younger than the lease: maybe still running."""
    attempt = await repo.unresolved_attempt(row.id)
    if attempt is None or attempt.outcome is not None:
        return False
    return (tx.now() - attempt.started_at).total_seconds() < lease_seconds


async def start_attempt(tx: Tx, row_id: int) -> Outgoing | None:
    """Records the attempt (committed before the provider is called). Checked again under
    the row lock: another run of the same job (arq runs at least once) may have started an
    attempt since this one's `next_step`; then this run comes back later and reconciles
    rather than calling the provider a second time."""
    repo = NotificationRepository(tx.session, tx.viewer)
    row = await repo.entry(row_id, lock=True)
    if row is None or row.status in SETTLED:
        return None
    if await repo.unresolved_attempt(row.id) is not None:
        raise TemporaryFailure("another attempt of this message is in flight", 15.0)
    return await _start(tx, repo, row)


async def _start(tx: Tx, repo: NotificationRepository, row: NotificationLog) -> Outgoing:
    """The attempt row and the `sending` status, written at commit in one flush."""
    attempt = NotificationAttempt(id=uuid.uuid4().hex, notification_id=row.id, started_at=tx.now())
    tx.session.add(attempt)
    row.attempts += 1
    entry = advance(row, "sending", tx.now(), source="job")
    if entry is not None:
        tx.session.add(entry)
        status_changed(tx, row)
    return outgoing(row, attempt.id)


async def adopt(tx: Tx, repo: NotificationRepository, row: NotificationLog, d: Delivery) -> None:
    """A status callback for an attempt whose accept we never committed (the worker died
    after the provider took it, or the callback beat our commit): the message is accepted
    exactly as on the normal path, effects included (the invoice becomes SENT)."""
    if row.status in SETTLED:
        row.provider, row.provider_message_id = d.provider, d.message_id
        return
    await accept(tx, row, d, source="webhook")


async def accepted(tx: Tx, attempt_id: str, delivery: Delivery) -> None:
    repo = NotificationRepository(tx.session, tx.viewer)
    attempt = await repo.attempt(attempt_id)
    row = await repo.entry(attempt.notification_id, lock=True) if attempt else None
    if attempt is None or row is None:
        return
    attempt.outcome = "accepted"
    attempt.finished_at = tx.now()
    attempt.provider_message_id = delivery.message_id
    await accept(tx, row, delivery, source="api")


async def refused(tx: Tx, attempt_id: str, exc: TemporaryFailure | PermanentFailure) -> None:
    """A failed call: temporary ones leave the row to retry (uncertain ones are looked up
    first); permanent ones settle it as failed, never retried."""
    repo = NotificationRepository(tx.session, tx.viewer)
    attempt = await repo.attempt(attempt_id)
    row = await repo.entry(attempt.notification_id, lock=True) if attempt else None
    if attempt is None or row is None:
        return
    attempt.finished_at = tx.now()
    attempt.error_code = exc.code
    row.error = str(exc)
    row.error_code = exc.code
    if isinstance(exc, PermanentFailure):
        attempt.outcome = "rejected"
        await settle(tx, row, "failed", exc.code)
        return
    attempt.outcome = "uncertain" if exc.uncertain else "refused"


def new_row(
    tx: Tx, key: str, draft: Draft, provider: str, business_id: int | None
) -> NotificationLog:
    """A ledger row for `draft`, not yet added: batch.py adds a batch's rows at once."""
    return _new_row(tx, key, draft, provider, business_id)
