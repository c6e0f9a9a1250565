"""One row per `sendInvoice` request: sent at once, or held until `send_at`. A held send
is claimed by the due-scan job with one conditional UPDATE (status `scheduled` ->
`started`), so two workers start it once; until then it can be cancelled."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from domain.core.orm import Base, IdType, id_column


class SendStatus(StrEnum):
    SCHEDULED = "scheduled"
    STARTED = "started"
    CANCELLED = "cancelled"


class InvoiceSend(Base):
    __tablename__ = "invoice_sends"
    __table_args__ = (
        Index("ix_invoice_sends_status_send_at", "status", "send_at"),
        Index("ix_invoice_sends_business_id_invoice_id", "business_id", "invoice_id"),
    )

    id: Mapped[int] = id_column()
    business_id: Mapped[int] = mapped_column(IdType)
    invoice_id: Mapped[int] = mapped_column(IdType, ForeignKey("invoices.id"))
    status: Mapped[str] = mapped_column(String(16))
    send_at: Mapped[datetime]
    channels: Mapped[list[str]]
    # what the outbox event of the send carries (PDF, message, payment link)
    options: Mapped[dict[str, Any]]
    # the outbox event that asked for the send (sent now) or started it (at send_at)
    request_id: Mapped[str | None] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(60))
