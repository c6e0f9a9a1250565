"""What a business sets up for its messages: templates (with India's DLT registration),
each customer's preferences, the monthly SMS quota, and the monthly usage counter the
quota is checked against."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column

from domain.core.orm import Base, IdType, MoneyColumn, id_column


class NotificationTemplate(Base):
    """A business's own text for one channel, event and language; where none is saved
    the built-in default (domain.notifications.defaults) is used."""

    __tablename__ = "notification_templates"
    __table_args__ = (UniqueConstraint("business_id", "channel", "event", "language"),)

    id: Mapped[int] = id_column()
    business_id: Mapped[int] = mapped_column(IdType, ForeignKey("businesses.id"))
    channel: Mapped[str] = mapped_column(String(8))
    event: Mapped[str] = mapped_column(String(24))
    language: Mapped[str] = mapped_column(String(12))
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # India (TRAI DLT): all four or none
    dlt_entity_id: Mapped[str | None] = mapped_column(String(30))
    dlt_template_id: Mapped[str | None] = mapped_column(String(30))
    dlt_sender_id: Mapped[str | None] = mapped_column(String(6))
    dlt_text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class NotificationPreference(Base):
    """A customer's choices for messages from the business the customer row belongs to.
    No row: every default (domain.notifications.policy.Preferences)."""

    __tablename__ = "notification_preferences"

    customer_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    business_id: Mapped[int] = mapped_column(IdType, ForeignKey("businesses.id"), index=True)
    sms_transactional: Mapped[bool] = mapped_column(default=True)
    sms_marketing: Mapped[bool] = mapped_column(default=True)
    email_transactional: Mapped[bool] = mapped_column(default=True)
    email_marketing: Mapped[bool] = mapped_column(default=True)
    quiet_start: Mapped[time | None]
    quiet_end: Mapped[time | None]
    # who changed them last and how: staff, portal, inbound_sms (STOP/START)
    updated_by: Mapped[str] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(String(12))
    updated_at: Mapped[datetime]


class NotificationSettings(Base):
    """Per-business limits on SMS, which go out on the platform's account: a monthly
    quota in segments and/or a monthly spend cap at a price per segment."""

    __tablename__ = "notification_settings"

    business_id: Mapped[int] = mapped_column(IdType, ForeignKey("businesses.id"), primary_key=True)
    sms_monthly_quota: Mapped[int | None]
    sms_spend_cap: Mapped[Decimal | None] = mapped_column(MoneyColumn())
    sms_segment_price: Mapped[Decimal | None] = mapped_column(MoneyColumn())
    # channel fallback SMS -> email (domain/notifications/fallback.py), per message kind
    email_fallback_transactional: Mapped[bool] = mapped_column(default=True, server_default=true())
    email_fallback_marketing: Mapped[bool] = mapped_column(default=False, server_default=false())
    # the monthly statement email to each customer with activity (opt-in)
    monthly_statements: Mapped[bool] = mapped_column(default=False, server_default=false())
    updated_at: Mapped[datetime]


class SmsUsage(Base):
    """SMS sent per business and calendar month (in the business's timezone), counted by
    the delivery pipeline as it sends (quota.record)."""

    __tablename__ = "sms_usage"

    business_id: Mapped[int] = mapped_column(IdType, ForeignKey("businesses.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-03"
    messages: Mapped[int] = mapped_column(default=0)
    segments: Mapped[int] = mapped_column(default=0)
