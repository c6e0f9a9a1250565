"""The delivery ledger: one row per logical message (event + customer + channel) with its
provider id and status; each provider call is an attempt recorded before the call; every
status the message went through is kept with its time and the provider's error code."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from domain.core.orm import Base, IdType, id_column


class NotificationLog(Base):
    __tablename__ = "notification_log"
    __table_args__ = (
        Index("ix_notification_log_business_id_id", "business_id", "id"),
        Index("ix_notification_log_business_id_customer_id", "business_id", "customer_id"),
        Index("ix_notification_log_business_id_invoice_id", "business_id", "invoice_id"),
        Index("ix_notification_log_provider_message_id", "provider_message_id"),
        Index("ix_notification_log_fallback_of", "fallback_of", unique=True),
        Index("ix_notification_log_campaign_id", "campaign_id"),
    )

    id: Mapped[int] = id_column()
    # One row per outbox event and channel: a job that runs twice finds it and stops.
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    business_id: Mapped[int | None] = mapped_column(IdType)
    customer_id: Mapped[int | None] = mapped_column(IdType)
    invoice_id: Mapped[int | None] = mapped_column(IdType)
    order_id: Mapped[int | None] = mapped_column(IdType)
    campaign_id: Mapped[int | None] = mapped_column(IdType)
    event: Mapped[str | None] = mapped_column(String(80))  # the outbox topic
    kind: Mapped[str] = mapped_column(
        String(16), default="transactional", server_default="transactional"
    )  # or marketing
    channel: Mapped[str] = mapped_column(String(8))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    segments: Mapped[int | None]
    # India: the DLT principal entity id and content template id the SMS went out with
    dlt_entity_id: Mapped[str | None] = mapped_column(String(25))
    dlt_template_id: Mapped[str | None] = mapped_column(String(25))
    # a fallback email: the SMS row it stands in for (one fallback per SMS at most)
    fallback_of: Mapped[int | None] = mapped_column(IdType)
    # what goes with the message besides its text: "invoice_pdf" (rendered at send time)
    attachment: Mapped[str | None] = mapped_column(String(20))
    # a message held by the customer's quiet hours goes out at this time (UTC); the
    # periodic sweep (domain/notifications/deferrals.py) runs its job again then
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    # pending | sending | accepted | sent | delivered | undelivered | failed | bounced |
    # opened | clicked | opted_out (domain/notifications/statuses.py orders them)
    status: Mapped[str] = mapped_column(String(12))
    provider: Mapped[str] = mapped_column(String(20))
    provider_message_id: Mapped[str | None] = mapped_column(String(100))
    error: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(40))
    attempts: Mapped[int] = mapped_column(default=0)
    resends: Mapped[int] = mapped_column(
        default=0, server_default="0"
    )  # sends after an unresolved attempt
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    status_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]
    clicked_at: Mapped[datetime | None]


class NotificationAttempt(Base):
    """One provider call, written and committed before the call; its id travels with the
    message (Twilio status callback URL, SendGrid custom argument). An attempt without an
    outcome after a crash, or `uncertain` after a timeout, is looked up before resending."""

    __tablename__ = "notification_attempts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("notification_log.id"), index=True
    )
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    # accepted | refused (not taken, e.g. 429) | rejected (permanent) | uncertain | found
    # (a look-up found it) | lost (a look-up did not)
    outcome: Mapped[str | None] = mapped_column(String(12))
    provider_message_id: Mapped[str | None] = mapped_column(String(100))
    error_code: Mapped[str | None] = mapped_column(String(40))


class NotificationStatus(Base):
    """The status history of a ledger row, oldest first."""

    __tablename__ = "notification_statuses"

    id: Mapped[int] = id_column()
    notification_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("notification_log.id"), index=True
    )
    status: Mapped[str] = mapped_column(String(12))
    at: Mapped[datetime]
    error_code: Mapped[str | None] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(12))  # api | webhook | lookup | job
    # The provider's event id when it has one: a replayed event is recorded once.
    event_key: Mapped[str | None] = mapped_column(String(120), unique=True)


class SmsOptOut(Base):
    """A phone that replied STOP (or a localised equivalent) to a business's messages; START
    removes the row. Read by the sending pipeline (and the templates branch's policy)."""

    __tablename__ = "sms_opt_outs"

    business_id: Mapped[int] = mapped_column(IdType, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(IdType)
    keyword: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime]


class ShortLink(Base):
    """A short link on Khata's own domain (`/p/<code>`) to a longer path of it (an
    invoice's payment page): short enough for an SMS, unguessable (the code is 64 random
    bits), one per invoice, living as long as messages keep using it."""

    __tablename__ = "short_links"
    __table_args__ = (Index("ix_short_links_business_id_invoice_id", "business_id", "invoice_id"),)

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    business_id: Mapped[int] = mapped_column(IdType)
    invoice_id: Mapped[int | None] = mapped_column(IdType)
    target: Mapped[str] = mapped_column(String(300))  # a path on our domain: /pay/<token>
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class StatementSend(Base):
    """A statement email asked for (`sendStatement`) or due (the monthly job): which
    customer and period, and the outbox event that delivers it. The monthly job's rows
    carry an occurrence ("monthly:2026-11"), unique per business and customer, so a
    month's statement goes out once however many runs and workers see it."""

    __tablename__ = "statement_sends"
    __table_args__ = (
        UniqueConstraint("business_id", "customer_id", "occurrence"),
        Index("ix_statement_sends_business_id_id", "business_id", "id"),
    )

    id: Mapped[int] = id_column()
    business_id: Mapped[int] = mapped_column(IdType)
    customer_id: Mapped[int] = mapped_column(IdType)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    occurrence: Mapped[str | None] = mapped_column(String(40))
    outbox_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]
