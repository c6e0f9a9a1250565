"""Businesses (tenants), their staff, sessions and integrator API keys."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from domain.core.orm import Base, IdType, MoneyColumn, id_column


class Business(Base):
    __tablename__ = "businesses"

    id: Mapped[int] = id_column()
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    timezone: Mapped[str] = mapped_column(String(64))
    tax_id: Mapped[str | None] = mapped_column(String(40))
    # India: the GST state code, for a business without a GSTIN (a GSTIN's state wins).
    state_code: Mapped[str | None] = mapped_column(String(2))
    invoice_prefix: Mapped[str] = mapped_column(String(12), default="INV")
    customer_prefix: Mapped[str] = mapped_column(String(12), default="CUST")
    order_prefix: Mapped[str] = mapped_column(String(12), default="ORD")
    # Customer status rules (domain.customers.status): None = the default threshold for
    # the currency; a customer with no sale in `lapse_days` days is lapsed.
    vip_threshold: Mapped[Decimal | None] = mapped_column(MoneyColumn())
    lapse_days: Mapped[int] = mapped_column(default=90, server_default="90")
    created_at: Mapped[datetime]


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = id_column()
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("business_id", "user_id"),)

    id: Mapped[int] = id_column()
    business_id: Mapped[int] = mapped_column(IdType, ForeignKey("businesses.id"), index=True)
    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime]


class AccessToken(Base):
    """Opaque, revocable session token; only its SHA-256 is stored."""

    __tablename__ = "access_tokens"

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    ip: Mapped[str | None] = mapped_column(String(64))


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = id_column()
    business_id: Mapped[int] = mapped_column(IdType, ForeignKey("businesses.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]]
    created_by: Mapped[int | None] = mapped_column(IdType)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class Invitation(Base):
    __tablename__ = "invitations"

    id: Mapped[int] = id_column()
    business_id: Mapped[int] = mapped_column(IdType, ForeignKey("businesses.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[int] = mapped_column(IdType)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]


class PasswordReset(Base):
    """A single-use password reset code, emailed to the account; only its SHA-256 is
    stored. Used up by a reset, and by any other reset of the same account."""

    __tablename__ = "password_resets"

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    ip: Mapped[str | None] = mapped_column(String(64))


class AuthThrottle(Base):
    """One counter of attempts (sign-in failures, reset requests) for a key within a
    window, kept in the database so every API process shares it. `key_hash` is the
    SHA-256 of what is counted (an IP, an email and an IP, an email): no address is
    stored here."""

    __tablename__ = "auth_throttles"

    scope: Mapped[str] = mapped_column(String(20), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int]
    window_started_at: Mapped[datetime]
    blocked_until: Mapped[datetime | None]
