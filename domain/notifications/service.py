"""Deliver a notification described by an outbox event, exactly once per event."""

from __future__ import annotations

from dataclasses import dataclass

from domain.core.clock import Clock
from domain.core.db import Database
from domain.core.viewer import Viewer
from domain.notifications.models import NotificationLog
from domain.notifications.port import EmailSender, PermanentFailure, SmsSender, TemporaryFailure
from domain.notifications.repository import NotificationRepository

JOB = Viewer.system_actor("job:deliver")


@dataclass
class Providers:
    sms: SmsSender
    email: EmailSender


async def deliver(db: Database, providers: Providers, clock: Clock, outbox_id: str) -> str:
    """Idempotent: the ledger row keyed by the outbox id is claimed first; a rerun of a
    sent message returns "duplicate" without calling the provider again.
    TemporaryFailure propagates so the job runner retries."""
    async with db.unit_of_work() as session:
        repo = NotificationRepository(session, JOB)
        event = await repo.event(outbox_id)
        if event is None:
            return "missing"
        p = event.payload
        channel = str(p.get("channel", "sms"))
        key = f"{outbox_id}:{channel}"
        row = await repo.by_key(key)
        if row is not None and row.status in ("sent", "failed"):
            return "duplicate"
        provider = providers.sms if channel == "sms" else providers.email
        if row is None:
            row = NotificationLog(
                idempotency_key=key,
                business_id=event.business_id,
                customer_id=p.get("customerId"),
                channel=channel,
                recipient=str(p["to"]),
                subject=p.get("subject"),
                body=str(p["body"]),
                status="pending",
                provider=provider.name,
                attempts=0,
                created_at=clock.now(),
            )
            await repo.add(row)
        row.attempts += 1
        row_id = row.id
    try:
        if channel == "sms":
            result = await providers.sms.send_sms(str(p["to"]), str(p["body"]))
        else:
            result = await providers.email.send_email(
                str(p["to"]), str(p.get("subject") or ""), str(p["body"])
            )
    except TemporaryFailure as exc:
        async with db.unit_of_work() as session:
            log_row = await NotificationRepository(session, JOB).entry(row_id)
            if log_row is not None:
                log_row.error = str(exc)
        raise
    except PermanentFailure as exc:
        async with db.unit_of_work() as session:
            log_row = await NotificationRepository(session, JOB).entry(row_id)
            if log_row is not None:
                log_row.status, log_row.error = "failed", str(exc)
        return "failed"
    async with db.unit_of_work() as session:
        log_row = await NotificationRepository(session, JOB).entry(row_id)
        if log_row is not None:
            log_row.status = "sent"
            log_row.provider = result.provider
            log_row.provider_message_id = result.message_id
            log_row.sent_at = clock.now()
    return "sent"
