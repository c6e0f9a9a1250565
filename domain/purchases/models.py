"""A counter purchase: a sale paid at once, its own record (not an invoice)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from domain.core.orm import Base, IdType, MoneyColumn, id_column


class PurchaseMethod(StrEnum):
    CASH = "cash"
    CARD = "card"
    UPI = "upi"
    MPESA = "mpesa"
    BANK_TRANSFER = "bank_transfer"
    OTHER = "other"


class Purchase(Base):
    __tablename__ = "purchases"
    __table_args__ = (
        # the customer's timeline and aggregates; the business's recent purchases
        Index(
            "ix_purchases_business_customer_at", "business_id", "customer_id", "purchased_at", "id"
        ),
        Index("ix_purchases_business_at", "business_id", "purchased_at", "id"),
    )

    id: Mapped[int] = id_column()
    business_id: Mapped[int] = mapped_column(IdType, ForeignKey("businesses.id"))
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customers.id"))
    # [{"name", "quantity", "unitPrice", "total"}] as decimal strings, in input order
    items: Mapped[list[Any]]
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[Decimal] = mapped_column(MoneyColumn())
    method: Mapped[str] = mapped_column(String(16))
    purchased_at: Mapped[datetime]
    # purchased_at's day in the business's time zone (aggregates and the lapse rule)
    purchased_on: Mapped[date] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
