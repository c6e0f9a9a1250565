"""The words every part of notifications shares: channels, events, kinds of message and
the placeholders each event offers."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"


class Event(StrEnum):
    INVOICE_SENT = "invoice_sent"
    PAYMENT_RECEIPT = "payment_receipt"
    PAYMENT_REMINDER = "payment_reminder"
    ORDER_STATUS = "order_status"
    WELCOME = "welcome"
    STATEMENT = "statement"
    CAMPAIGN = "campaign"


class MessageKind(StrEnum):
    """Consent is asked per kind: a customer may refuse offers and still get receipts.
    OTPs are asked for by the recipient a moment ago: no quiet hours, no consent check."""

    TRANSACTIONAL = "transactional"
    MARKETING = "marketing"
    OTP = "otp"


PLACEHOLDERS = (
    "name",
    "amount",
    "due_date",
    "link",
    "business",
    "offer",
    "invoice_number",
    "order_number",
    "status",
    "date",
)
_COMMON = ("name", "business", "link", "date")
EVENT_PLACEHOLDERS: dict[Event, frozenset[str]] = {
    Event.INVOICE_SENT: frozenset((*_COMMON, "amount", "due_date", "invoice_number")),
    Event.PAYMENT_RECEIPT: frozenset((*_COMMON, "amount", "invoice_number")),
    Event.PAYMENT_REMINDER: frozenset((*_COMMON, "amount", "due_date", "invoice_number")),
    Event.ORDER_STATUS: frozenset((*_COMMON, "order_number", "status")),
    Event.WELCOME: frozenset(_COMMON),
    Event.STATEMENT: frozenset((*_COMMON, "amount")),
    Event.CAMPAIGN: frozenset((*_COMMON, "offer")),
}
EVENT_KIND = {e: MessageKind.TRANSACTIONAL for e in Event} | {Event.CAMPAIGN: MessageKind.MARKETING}
