"""Orders, their lines and their status timeline."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from domain.core.orm import Base, IdType, MoneyColumn, id_column


class OrderStatus(StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    CONFIRMED = "confirmed"
    PROCESSING = "processing"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    RETURNED = "returned"


class OrderChannel(StrEnum):
    COUNTER = "counter"
    PHONE = "phone"
    PORTAL = "portal"
    INTEGRATION = "integration"


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("business_id", "number"),
        Index("ix_orders_business_placed", "business_id", "placed_at", "id"),
        Index("ix_orders_business_customer_placed", "business_id", "customer_id", "placed_at"),
        Index("ix_orders_business_status_delivery", "business_id", "status", "expected_delivery"),
    )

    id: Mapped[int] = id_column()
    business_id: Mapped[int] = mapped_column(IdType, ForeignKey("businesses.id"))
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customers.id"))
    number: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.PENDING)
    version: Mapped[int] = mapped_column(default=1)
    channel: Mapped[str] = mapped_column(String(12))
    placed_by: Mapped[str] = mapped_column(String(60))  # actor label: user:1, api_key:2
    currency: Mapped[str] = mapped_column(String(3))
    prices_include_tax: Mapped[bool] = mapped_column(default=False)
    place_of_supply: Mapped[str | None] = mapped_column(String(10))
    subtotal: Mapped[Decimal] = mapped_column(MoneyColumn())
    discount_total: Mapped[Decimal] = mapped_column(MoneyColumn())
    tax_total: Mapped[Decimal] = mapped_column(MoneyColumn())
    total: Mapped[Decimal] = mapped_column(MoneyColumn())
    tax_components: Mapped[list[Any]] = mapped_column()
    # a copy, so a later edit of the customer's address book does not move the order
    delivery_address: Mapped[dict[str, Any] | None] = mapped_column()
    delivery_address_id: Mapped[int | None] = mapped_column(IdType)
    expected_delivery: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    placed_at: Mapped[datetime]
    status_changed_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class OrderLine(Base):
    __tablename__ = "order_lines"

    id: Mapped[int] = id_column()
    business_id: Mapped[int] = mapped_column(IdType)
    order_id: Mapped[int] = mapped_column(IdType, ForeignKey("orders.id"), index=True)
    position: Mapped[int]
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    unit: Mapped[str | None] = mapped_column(String(20))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    discount_percent: Mapped[Decimal | None] = mapped_column(Numeric(9, 4))
    discount_amount: Mapped[Decimal | None] = mapped_column(MoneyColumn())
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(9, 4))
    gross: Mapped[Decimal] = mapped_column(MoneyColumn())
    discount: Mapped[Decimal] = mapped_column(MoneyColumn())
    taxable: Mapped[Decimal] = mapped_column(MoneyColumn())
    tax: Mapped[Decimal] = mapped_column(MoneyColumn())
    total: Mapped[Decimal] = mapped_column(MoneyColumn())
    tax_components: Mapped[list[Any]] = mapped_column()


class OrderEvent(Base):
    """The order timeline: every change of status (and of the expected delivery date),
    who made it, when, with the note they gave."""

    __tablename__ = "order_events"

    id: Mapped[int] = id_column()
    business_id: Mapped[int] = mapped_column(IdType)
    order_id: Mapped[int] = mapped_column(IdType, ForeignKey("orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # created | status | delivery | invoiced
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(60))
    note: Mapped[str | None] = mapped_column(Text)
    expected_delivery: Mapped[date | None] = mapped_column(Date)  # the new date, if changed
    version: Mapped[int]
    created_at: Mapped[datetime]
