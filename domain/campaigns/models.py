"""Campaigns (seed 004): a marketing SMS to an audience of a business's customers, and
its recipients, frozen when sending starts. A recipient row is the unit of work of the
sender: claimed with a conditional UPDATE, it becomes one delivery ledger row
(notification_log, key `campaign:<campaign>:<recipient>`), so a rerun after a crash finds
what was done and nobody is messaged twice."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from domain.core.orm import Base, IdType, MoneyColumn, id_column


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        Index("ix_campaigns_business_id_id", "business_id", "id"),
        Index("ix_campaigns_status_scheduled_at", "status", "scheduled_at"),
    )

    id: Mapped[int] = id_column()
    business_id: Mapped[int] = mapped_column(IdType, ForeignKey("businesses.id"))
    name: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)  # the SMS template, {{placeholders}}
    language: Mapped[str] = mapped_column(String(12))
    offer: Mapped[str | None] = mapped_column(String(160))  # fills {{offer}}
    offer_until: Mapped[date | None]  # fills {{date}} (else the day it is sent)
    dlt_entity_id: Mapped[str | None] = mapped_column(String(30))
    dlt_template_id: Mapped[str | None] = mapped_column(String(30))
    dlt_sender_id: Mapped[str | None] = mapped_column(String(6))
    dlt_text: Mapped[str | None] = mapped_column(Text)
    # inactive | vip | low_spenders | all_active | tags | customers (audience.py)
    audience: Mapped[str] = mapped_column(String(16))
    audience_days: Mapped[int | None]
    audience_amount: Mapped[Decimal | None] = mapped_column(MoneyColumn())
    audience_tags: Mapped[list[str]]
    audience_customer_ids: Mapped[list[Any]]
    # draft | scheduled | sending | sent | cancelled
    status: Mapped[str] = mapped_column(String(12))
    stop_reason: Mapped[str | None] = mapped_column(String(40))  # e.g. SMS_QUOTA_EXCEEDED
    scheduled_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    frozen_at: Mapped[datetime | None]  # the recipient list was written
    finished_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    recipient_count: Mapped[int] = mapped_column(default=0)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CampaignRecipient(Base):
    """One customer of a campaign. `state`: pending -> claimed (a sender works on it)
    -> done (its ledger row settled or in the provider's hands); waiting (quiet hours or
    a provider's busy signal: pending again at `due_at`); cancelled / stopped (the
    campaign was cancelled, or the SMS quota ran out, before its turn)."""

    __tablename__ = "campaign_recipients"
    __table_args__ = (
        UniqueConstraint("campaign_id", "customer_id"),
        Index("ix_campaign_recipients_campaign_id_state_id", "campaign_id", "state", "id"),
    )

    id: Mapped[int] = id_column()
    campaign_id: Mapped[int] = mapped_column(IdType, ForeignKey("campaigns.id"))
    business_id: Mapped[int] = mapped_column(IdType)
    customer_id: Mapped[int] = mapped_column(IdType)
    phone: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(10))
    claimed_at: Mapped[datetime | None]
    claim: Mapped[str | None] = mapped_column(String(32))  # the claimer's token
    due_at: Mapped[datetime | None]
    notification_id: Mapped[int | None] = mapped_column(IdType)
