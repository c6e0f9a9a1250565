"""Invoices, their lines and timeline, payments, credit notes, drafts and templates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from domain.core.orm import Base, IdType, MoneyColumn, id_column, partial_index


class InvoiceStatus(StrEnum):
    ISSUED = "issued"
    SENT = "sent"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    VOID = "void"


class PaymentMethodKind(StrEnum):
    CASH = "cash"
    CARD = "card"
    UPI = "upi"
    MPESA = "mpesa"
    BANK_TRANSFER = "bank_transfer"
    OTHER = "other"
    CREDIT = "credit"  # customer credit applied to an invoice


class PaymentState(StrEnum):
    COMPLETED = "completed"
    REVERSED = "reversed"


class DraftStatus(StrEnum):
    DRAFT = "draft"
    REVIEWED = "reviewed"
    CONVERTED = "converted"
    DISCARDED = "discarded"


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("business_id", "number"),
        Index(
            "ix_invoices_business_customer_issue", "business_id", "customer_id", "issue_date", "id"
        ),
        Index("ix_invoices_business_issue", "business_id", "issue_date", "id"),
        Index("ix_invoices_business_status_due", "business_id", "status", "due_date"),
    )

    id: Mapped[int] = id_column()
    business_id: Mapped[int] = mapped_column(IdType, ForeignKey("businesses.id"))
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customers.id"))
    number: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16), default=InvoiceStatus.ISSUED)
    currency: Mapped[str] = mapped_column(String(3))
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    prices_include_tax: Mapped[bool] = mapped_column(default=False)
    place_of_supply: Mapped[str | None] = mapped_column(String(10))
    discount_percent: Mapped[Decimal | None] = mapped_column(Numeric(9, 4))
    discount_amount: Mapped[Decimal | None] = mapped_column(MoneyColumn())
    subtotal: Mapped[Decimal] = mapped_column(MoneyColumn())
    discount_total: Mapped[Decimal] = mapped_column(MoneyColumn())
    tax_total: Mapped[Decimal] = mapped_column(MoneyColumn())
    total: Mapped[Decimal] = mapped_column(MoneyColumn())
    amount_paid: Mapped[Decimal] = mapped_column(MoneyColumn(), default=Decimal(0))
    amount_credited: Mapped[Decimal] = mapped_column(MoneyColumn(), default=Decimal(0))
    balance: Mapped[Decimal] = mapped_column(MoneyColumn())
    tax_components: Mapped[list[Any]] = mapped_column()
    notes: Mapped[str | None] = mapped_column(Text)
    terms: Mapped[str | None] = mapped_column(Text)
    payment_token: Mapped[str] = mapped_column(String(64), unique=True)
    void_reason: Mapped[str | None] = mapped_column(Text)
    voided_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    overdue_announced_on: Mapped[date | None]  # the day `invoice.overdue` went out
    draft_id: Mapped[int | None] = mapped_column(IdType)
    template_id: Mapped[int | None] = mapped_column(IdType)
    order_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("orders.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = id_column()
    business_id: Mapped[int] = mapped_column(IdType)
    invoice_id: Mapped[int] = mapped_column(IdType, ForeignKey("invoices.id"), index=True)
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


class InvoiceEvent(Base):
    """The invoice timeline: what happened, who did it, when."""

    __tablename__ = "invoice_events"

    id: Mapped[int] = id_column()
    business_id: Mapped[int] = mapped_column(IdType)
    invoice_id: Mapped[int] = mapped_column(IdType, ForeignKey("invoices.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(60))
    data: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("business_id", "idempotency_key"),
        partial_index(
            "uq_payments_provider_payment",
            "business_id",
            "provider",
            "provider_payment_id",
            where="provider_payment_id IS NOT NULL",
            unique=True,
        ),
        Index(
            "ix_payments_business_customer_received", "business_id", "customer_id", "received_at"
        ),
    )

    id: Mapped[int] = id_column()
    business_id: Mapped[int] = mapped_column(IdType)
    invoice_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("invoices.id"), index=True)
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customers.id"))
    amount: Mapped[Decimal] = mapped_column(MoneyColumn())  # applied to the invoice
    excess_to_credit: Mapped[Decimal] = mapped_column(MoneyColumn(), default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str | None] = mapped_column(String(120))
    received_at: Mapped[datetime]
    idempotency_key: Mapped[str] = mapped_column(String(120))
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(10), default=PaymentState.COMPLETED)
    provider: Mapped[str | None] = mapped_column(String(40))
    provider_payment_id: Mapped[str | None] = mapped_column(String(120))
    reversed_at: Mapped[datetime | None]
    reverse_reason: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime]


class CreditNote(Base):
    __tablename__ = "credit_notes"
    __table_args__ = (UniqueConstraint("business_id", "number"),)

    id: Mapped[int] = id_column()
    business_id: Mapped[int] = mapped_column(IdType)
    invoice_id: Mapped[int] = mapped_column(IdType, ForeignKey("invoices.id"), index=True)
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customers.id"), index=True)
    number: Mapped[str] = mapped_column(String(24))
    amount: Mapped[Decimal] = mapped_column(MoneyColumn())
    reason: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(60))


class InvoiceTemplate(Base):
    __tablename__ = "invoice_templates"
    __table_args__ = (
        partial_index(
            "uq_invoice_templates_one_default",
            "business_id",
            where="is_default",
            unique=True,
        ),
    )

    id: Mapped[int] = id_column()
    business_id: Mapped[int] = mapped_column(IdType, index=True)
    name: Mapped[str] = mapped_column(String(100))
    columns: Mapped[list[str]]
    show_tax_breakdown: Mapped[bool] = mapped_column(default=True)
    show_discount: Mapped[bool] = mapped_column(default=True)
    footer_terms: Mapped[str | None] = mapped_column(Text)
    payment_details: Mapped[dict[str, Any]]
    accent_color: Mapped[str] = mapped_column(String(7), default="#1F6FEB")
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]


class InvoiceDraft(Base):
    __tablename__ = "invoice_drafts"
    __table_args__ = (Index("ix_invoice_drafts_business_status", "business_id", "status", "id"),)

    id: Mapped[int] = id_column()
    business_id: Mapped[int] = mapped_column(IdType)
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customers.id"))
    status: Mapped[str] = mapped_column(String(12), default=DraftStatus.DRAFT)
    source: Mapped[str] = mapped_column(String(10))  # manual | generated
    prompt: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[float | None]
    warnings: Mapped[list[str]]
    suggestions: Mapped[list[str]]
    currency: Mapped[str] = mapped_column(String(3))
    lines: Mapped[list[Any]]
    discount_percent: Mapped[Decimal | None] = mapped_column(Numeric(9, 4))
    prices_include_tax: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)
    invoice_id: Mapped[int | None] = mapped_column(IdType)
    template_id: Mapped[int | None] = mapped_column(IdType)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class InvoiceDraftVersion(Base):
    """Each edit keeps the previous version of the draft, queryable."""

    __tablename__ = "invoice_draft_versions"
    __table_args__ = (UniqueConstraint("draft_id", "version"),)

    id: Mapped[int] = id_column()
    business_id: Mapped[int] = mapped_column(IdType)
    draft_id: Mapped[int] = mapped_column(IdType, ForeignKey("invoice_drafts.id"))
    version: Mapped[int]
    snapshot: Mapped[dict[str, Any]]
    actor: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime]
