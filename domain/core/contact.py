"""Phone and email normalisation: E.164 via phonenumbers, emails via email-validator."""

from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from domain.core.codes import CoreCode
from domain.core.errors import ValidationFailed

_PHONEISH = re.compile(r"^[+\d(][\d\s().\-/]*$")


def normalize_phone(raw: str, region: str, field: str = "phone") -> str:
    """Parse a phone as typed at a counter ("98765 43210", "0722 123456") into E.164."""
    text = raw.strip()
    if not text or not _PHONEISH.match(text):
        raise ValidationFailed.one(field, "is not a phone number", CoreCode.INVALID_PHONE)
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region.upper())
    except phonenumbers.NumberParseException:
        raise ValidationFailed.one(field, "is not a phone number", CoreCode.INVALID_PHONE) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed.one(
            field, f"is not a valid number for region {region.upper()}", CoreCode.INVALID_PHONE
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def try_normalize_phone(raw: str, region: str) -> str | None:
    try:
        return normalize_phone(raw, region)
    except ValidationFailed:
        return None


def phone_digits(raw: str) -> str:
    return "".join(ch for ch in raw if ch.isdigit())


def looks_like_phone(term: str) -> bool:
    return bool(_PHONEISH.match(term.strip())) and len(phone_digits(term)) >= 4


def mask_phone(e164: str | None) -> str | None:
    """+919876543210 -> +91 ******3210: enough to recognise, not enough to harvest."""
    if not e164:
        return None
    try:
        number = phonenumbers.parse(e164)
        cc = f"+{number.country_code}"
        national = str(number.national_number)
    except phonenumbers.NumberParseException:
        return "*" * max(len(e164) - 4, 0) + e164[-4:]
    return f"{cc} {'*' * max(len(national) - 4, 0)}{national[-4:]}"


def format_phone(e164: str | None) -> str | None:
    if not e164:
        return None
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalize_email(raw: str, field: str = "email") -> str:
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationFailed.one(field, str(exc), CoreCode.INVALID_EMAIL) from None
    return result.normalized.lower()


def region_of_country(country: str) -> str:
    return country.upper()
