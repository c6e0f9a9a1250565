"""The delivery ledger: every SMS/email we tried, its provider id and final status."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from domain.core.orm import Base, IdType, id_column


class NotificationLog(Base):
    __tablename__ = "notification_log"
    __table_args__ = (Index("ix_notification_log_business_id_id", "business_id", "id"),)

    id: Mapped[int] = id_column()
    # One row per outbox event and channel: a job that runs twice finds it and stops.
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    business_id: Mapped[int | None] = mapped_column(IdType)
    customer_id: Mapped[int | None] = mapped_column(IdType)
    channel: Mapped[str] = mapped_column(String(8))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))  # pending | sent | failed
    provider: Mapped[str] = mapped_column(String(20))
    provider_message_id: Mapped[str | None] = mapped_column(String(100))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
