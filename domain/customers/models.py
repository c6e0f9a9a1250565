"""Customers of a business, their addresses and tags, and the global network Person."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from domain.core.orm import Base, IdType, MoneyColumn, id_column, partial_index


class ProfileType(StrEnum):
    GUEST = "guest"
    STUB = "stub"
    FULL = "full"


PROFILE_RANK = {ProfileType.GUEST: 0, ProfileType.STUB: 1, ProfileType.FULL: 2}


class CustomerStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    SUSPENDED = "suspended"


class VipMode(StrEnum):
    """The owner's say on VIP: always, never, or by the business's threshold (auto)."""

    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


class Activity(StrEnum):
    """Computed: lapsed after the business's `lapse_days` without a sale. Not the
    soft-delete `status` (deactivateCustomer)."""

    ACTIVE = "active"
    LAPSED = "lapsed"


class PaymentTerms(StrEnum):
    DUE_ON_RECEIPT = "due_on_receipt"
    NET_15 = "net_15"
    NET_30 = "net_30"
    NET_60 = "net_60"


class PaymentMethod(StrEnum):
    CASH = "cash"
    CARD = "card"
    UPI = "upi"
    MPESA = "mpesa"
    BANK_TRANSFER = "bank_transfer"
    OTHER = "other"


class PaymentStatus(StrEnum):
    NONE = "none"
    GOOD = "good"
    WARNING = "warning"
    OVERDUE = "overdue"


# Worst first when two summaries meet (a merge); OVERDUE is never stored (see below).
STATUS_RANK = {PaymentStatus.NONE: 0, PaymentStatus.GOOD: 1, PaymentStatus.WARNING: 2}


def payment_status_on(stored: str, oldest_open_due: date | None, today: date) -> PaymentStatus:
    """A customer is overdue from the day after its oldest open invoice fell due: that
    depends on the day it is read, so it is derived here rather than stored, where it
    went stale as soon as a due date passed without a write. The stored status is the
    part that only writes change (none / good / warning)."""
    if oldest_open_due is not None and oldest_open_due < today:
        return PaymentStatus.OVERDUE
    return PaymentStatus(stored)


class AddressKind(StrEnum):
    HOME = "home"
    WORK = "work"
    OTHER = "other"


class Person(Base):
    """One network identity per verified E.164 phone, shared across businesses; a
    business only ever sees its own customer row, never the link's other ends."""

    __tablename__ = "persons"

    id: Mapped[int] = id_column()
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    phone_verified_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("business_id", "number"),
        Index("ix_customers_business_phone", "business_id", "phone"),
        Index(
            "ix_customers_business_email",
            "business_id",
            "email",
            postgresql_ops={"email": "text_pattern_ops"},
        ),
        Index(
            "ix_customers_business_phone_rev",
            "business_id",
            "phone_rev",
            postgresql_ops={"phone_rev": "text_pattern_ops"},
        ),
        # Exact phone/email matches also look at the secondary contacts; without these
        # an `email = x OR email_secondary = x` scans every row of the business.
        partial_index(
            "ix_customers_business_phone_secondary",
            "business_id",
            "phone_secondary",
            where="phone_secondary IS NOT NULL",
        ),
        partial_index(
            "ix_customers_business_email_secondary",
            "business_id",
            "email_secondary",
            where="email_secondary IS NOT NULL",
        ),
        # Name order for keyset pages; status and merged_into_id ride along so a name
        # search walks (or counts) this index alone, never the table (index-only scans).
        Index(
            "ix_customers_business_name",
            "business_id",
            "name_search",
            "id",
            "status",
            "merged_into_id",
        ),
        Index("ix_customers_business_outstanding", "business_id", "outstanding", "id"),
        Index("ix_customers_business_last_invoice", "business_id", "last_invoice_at", "id"),
        Index("ix_customers_business_activity", "business_id", "activity", "is_vip"),
        # one walk-in guest per business
        partial_index(
            "uq_customers_one_walk_in",
            "business_id",
            where="is_walk_in",
            unique=True,
        ),
        # PostgreSQL only: the trigram index leads with business_id (btree_gin), so a short
        # fragment reads this business's postings, not every tenant's.
        Index(
            "ix_customers_name_trgm",
            "business_id",
            "name_search",
            postgresql_using="gin",
            postgresql_ops={"name_search": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = id_column()
    business_id: Mapped[int] = mapped_column(IdType, ForeignKey("businesses.id"))
    number: Mapped[str] = mapped_column(String(24))
    person_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("persons.id"), index=True)
    profile_type: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(10), default=CustomerStatus.ACTIVE)
    # The effective VIP flag (vip_mode applied to the threshold rule), kept on write.
    is_vip: Mapped[bool] = mapped_column(default=False)
    vip_mode: Mapped[str] = mapped_column(String(8), default=VipMode.AUTO, server_default="auto")
    activity: Mapped[str] = mapped_column(
        String(8), default=Activity.ACTIVE, server_default="active"
    )
    # The business's walk-in guest: counter sales without a known customer.
    is_walk_in: Mapped[bool] = mapped_column(default=False, server_default="0")

    name: Mapped[str] = mapped_column(String(200))
    name_alt: Mapped[str | None] = mapped_column(String(200))  # second script, e.g. Arabic
    # casefold(name) [+ " | " + casefold(name_alt)]. Byte order ("C") on PostgreSQL, as
    # SQLite's BINARY: both engines sort names alike, and one btree serves both the name
    # order and `LIKE 'prefix%'` (under a linguistic collation it cannot do the latter).
    name_search: Mapped[str] = mapped_column(
        String(420).with_variant(String(420, collation="C"), "postgresql")
    )
    phone: Mapped[str | None] = mapped_column(String(20))
    phone_rev: Mapped[str | None] = mapped_column(String(20))
    phone_secondary: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    email_secondary: Mapped[str | None] = mapped_column(String(254))
    phone_verified: Mapped[bool] = mapped_column(default=False)
    email_verified: Mapped[bool] = mapped_column(default=False)

    business_type: Mapped[str | None] = mapped_column(String(60))
    tax_id: Mapped[str | None] = mapped_column(String(40))
    tags: Mapped[list[str]]
    notes: Mapped[str | None] = mapped_column(Text)
    payment_terms: Mapped[str] = mapped_column(String(16), default=PaymentTerms.DUE_ON_RECEIPT)
    credit_limit: Mapped[Decimal | None] = mapped_column(MoneyColumn())
    preferred_payment_method: Mapped[str | None] = mapped_column(String(16))
    auto_send_invoices: Mapped[bool] = mapped_column(default=False)
    reminders_enabled: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str] = mapped_column(String(12), default="en")
    # IANA zone for quiet hours; None: derived from the phone's country, else the
    # business's (domain.notifications.preferences.customer_timezone)
    timezone: Mapped[str | None] = mapped_column(String(64))
    preferences: Mapped[dict[str, Any]]

    total_billed: Mapped[Decimal] = mapped_column(MoneyColumn(), default=Decimal(0))
    total_paid: Mapped[Decimal] = mapped_column(MoneyColumn(), default=Decimal(0))
    outstanding: Mapped[Decimal] = mapped_column(MoneyColumn(), default=Decimal(0))
    invoice_count: Mapped[int] = mapped_column(default=0)
    last_invoice_at: Mapped[datetime | None]
    payment_status: Mapped[str] = mapped_column(String(10), default=PaymentStatus.NONE)
    # Earliest due date of the open invoices with a balance (payment_status_on).
    oldest_open_due: Mapped[date | None]
    avg_days_to_pay: Mapped[Decimal | None] = mapped_column(MoneyColumn())
    # Counter purchases (domain.purchases): money in the business's currency only,
    # count and dates (the business's local dates) of every purchase.
    purchase_total: Mapped[Decimal] = mapped_column(
        MoneyColumn(), default=Decimal(0), server_default="0"
    )
    purchase_count: Mapped[int] = mapped_column(default=0, server_default="0")
    first_purchase_on: Mapped[date | None]
    last_purchase_on: Mapped[date | None]
    # Overpayments kept for the customer (owner's choice); later invoices can use it.
    # Credit is money in one currency: the business's own is credit_balance, any other
    # is in other_credits ({"USD": "50.00"}); credit_in / add_credit pick the right one.
    credit_balance: Mapped[Decimal] = mapped_column(MoneyColumn(), default=Decimal(0))
    other_credits: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")

    merged_into_id: Mapped[int | None] = mapped_column(IdType)
    deactivated_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    def credit_in(self, currency: str, home: str) -> Decimal:
        """Credit kept in `currency`; `home` is the business's currency."""
        if currency == home:
            return self.credit_balance
        return Decimal(self.other_credits.get(currency, "0"))

    def add_credit(self, currency: str, home: str, delta: Decimal) -> None:
        """Moves the credit in `currency` by `delta` (negative to use it). The JSON map is
        replaced, not changed in place, so the ORM sees the change."""
        if currency == home:
            self.credit_balance += delta
            return
        left = self.credit_in(currency, home) + delta
        others = {k: v for k, v in self.other_credits.items() if k != currency}
        if left:
            others[currency] = str(left)
        self.other_credits = dict(sorted(others.items()))

    def credits(self, home: str) -> list[tuple[str, Decimal]]:
        return credit_list(home, self.credit_balance, self.other_credits)


def credit_list(home: str, balance: Decimal, others: dict[str, Any]) -> list[tuple[str, Decimal]]:
    """Every currency with credit, the business's own first (even at zero). A function of
    the two columns, so a view that holds only them lists credit the same way."""
    return [(home, balance)] + [(k, Decimal(v)) for k, v in sorted(others.items())]


class CustomerTag(Base):
    """Tags as rows so "customers tagged X" is an indexed lookup on every database."""

    __tablename__ = "customer_tags"
    __table_args__ = (Index("ix_customer_tags_business_tag", "business_id", "tag"),)

    customer_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(40), primary_key=True)
    business_id: Mapped[int] = mapped_column(IdType)


class CustomerAddress(Base):
    __tablename__ = "customer_addresses"
    __table_args__ = (
        # At most one default per customer, enforced by the database on both engines.
        partial_index(
            "uq_customer_addresses_one_default",
            "customer_id",
            where="is_default",
            unique=True,
        ),
    )

    id: Mapped[int] = id_column()
    business_id: Mapped[int] = mapped_column(IdType, index=True)
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8), default=AddressKind.HOME)
    label: Mapped[str | None] = mapped_column(String(60))
    building: Mapped[str | None] = mapped_column(String(120))
    street: Mapped[str | None] = mapped_column(String(200))
    area: Mapped[str | None] = mapped_column(String(120))
    city: Mapped[str | None] = mapped_column(String(120))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    delivery_notes: Mapped[str | None] = mapped_column(Text)
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]


class CustomerMerge(Base):
    __tablename__ = "customer_merges"

    id: Mapped[int] = id_column()
    business_id: Mapped[int] = mapped_column(IdType, index=True)
    source_id: Mapped[int] = mapped_column(IdType)
    target_id: Mapped[int] = mapped_column(IdType)
    merged_by: Mapped[str] = mapped_column(String(60))
    reason: Mapped[str | None] = mapped_column(Text)
    counts: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class ImportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class CustomerImport(Base):
    """One CSV import, run as a job chunk by chunk: `processed_rows` is where the next
    chunk starts, committed with the chunk, so a rerun of the job resumes there."""

    __tablename__ = "customer_imports"

    id: Mapped[int] = id_column()
    business_id: Mapped[int] = mapped_column(IdType, ForeignKey("businesses.id"), index=True)
    requested_by: Mapped[str] = mapped_column(String(80))
    on_duplicate: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12))
    # the file itself: loaded only by the job (deferred), dropped once the import is done
    csv: Mapped[str | None] = mapped_column(Text, deferred=True)
    total_rows: Mapped[int]
    processed_rows: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    merged: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class CustomerImportError(Base):
    """A row the import refused: its physical line in the file and every field problem."""

    __tablename__ = "customer_import_errors"
    __table_args__ = (Index("ix_customer_import_errors_import_id_id", "import_id", "id"),)

    id: Mapped[int] = id_column()
    business_id: Mapped[int] = mapped_column(IdType, ForeignKey("businesses.id"))
    import_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("customer_imports.id", ondelete="CASCADE")
    )
    line: Mapped[int]
    errors: Mapped[list[Any]]
