"""Message templates: the placeholder language, its checks, and `render`, the pure
function the delivery pipeline calls with data it has loaded.

A template text is literal text with `{{placeholder}}` slots (spaces inside the braces
allowed). A lone `{` or `}` is literal text (it costs two GSM-7 septets); `{{` without
its `}}`, a `}}` without its `{{`, an empty or nested slot are malformed. Every problem is
a typed ValidationError naming the placeholder and where it is."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from babel.core import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency

from domain.core.errors import ErrorCollector, ValidationFailed
from domain.core.money import quantize
from domain.notifications import dlt, segments
from domain.notifications.dlt import DltRegistration
from domain.notifications.template_codes import TemplatesCode
from domain.notifications.vocabulary import EVENT_PLACEHOLDERS, PLACEHOLDERS, Channel, Event

_SLOT = re.compile(r"\{\{|\}\}")
_NAME = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*")
MAX_BODY = {Channel.SMS: 1600, Channel.EMAIL: 20_000}  # 10 SMS parts; a long email
MAX_SUBJECT = 200


@dataclass(frozen=True)
class Parsed:
    """A template text split at its slots: literals[i], names[i], literals[i+1], ..."""

    literals: list[str]
    names: list[str]


def parse(text: str, field: str = "body") -> Parsed:
    """Split `text` at its `{{name}}` slots; malformed braces raise."""
    literals: list[str] = []
    names: list[str] = []
    pos = 0
    start = 0
    while (found := _SLOT.search(text, pos)) is not None:
        at = found.start()
        if found.group() == "}}":
            raise _malformed(field, f"'}}}}' at character {at + 1} closes no '{{{{'")
        close = text.find("}}", at + 2)
        if close < 0:
            raise _malformed(field, f"'{{{{' at character {at + 1} is never closed by '}}}}'")
        inner = text[at + 2 : close]
        if "{" in inner or "}" in inner:
            raise _malformed(field, f"'{{{{' at character {at + 1} holds a brace inside")
        named = _NAME.fullmatch(inner)
        if named is None:
            shown = inner.strip() or "an empty slot"
            raise _malformed(field, f"{{{{{inner}}}}} at character {at + 1}: {shown!r} is no name")
        literals.append(text[start:at])
        names.append(named.group(1))
        pos = start = close + 2
    literals.append(text[start:])
    return Parsed(literals, names)


def _malformed(field: str, message: str) -> ValidationFailed:
    return ValidationFailed.one(field, message, TemplatesCode.MALFORMED_PLACEHOLDER)


def check_placeholders(parsed: Parsed, event: Event, errors: ErrorCollector, field: str) -> None:
    offered = EVENT_PLACEHOLDERS[event]
    for name in dict.fromkeys(parsed.names):
        if name not in PLACEHOLDERS:
            errors.add(
                field,
                f"unknown placeholder {{{{{name}}}}}; known: {', '.join(PLACEHOLDERS)}",
                TemplatesCode.UNKNOWN_PLACEHOLDER,
            )
        elif name not in offered:
            errors.add(
                field,
                f"placeholder {{{{{name}}}}} is not available for {event.name} messages; "
                f"available: {', '.join(sorted(offered))}",
                TemplatesCode.PLACEHOLDER_NOT_AVAILABLE,
            )


@dataclass(frozen=True)
class TemplateText:
    """What render needs of a template: a business's saved one or a built-in default."""

    channel: Channel
    event: Event
    language: str
    body: str
    subject: str | None = None
    dlt: DltRegistration | None = None
    template_id: int | None = None  # None: the built-in default


def validate(t: TemplateText) -> None:
    """The save-time checks: placeholders known and offered by the event, braces well
    formed, lengths, and the DLT registration (ids and text) matching the body."""
    errors = ErrorCollector()
    if not t.body.strip():
        errors.add("body", "is required", TemplatesCode.MISSING_VALUE)
    if len(t.body) > MAX_BODY[t.channel]:
        errors.add("body", f"must be at most {MAX_BODY[t.channel]} characters")
    body = _parsed_or_collect(t.body, "body", errors)
    if body is not None:
        check_placeholders(body, t.event, errors, "body")
    if t.channel is Channel.SMS and t.subject:
        errors.add("subject", "an SMS has no subject", TemplatesCode.SUBJECT_NOT_ALLOWED)
    if t.channel is Channel.EMAIL:
        if not (t.subject or "").strip():
            errors.add("subject", "an email needs a subject", TemplatesCode.MISSING_VALUE)
        elif len(t.subject or "") > MAX_SUBJECT:
            errors.add("subject", f"must be at most {MAX_SUBJECT} characters")
        subject = _parsed_or_collect(t.subject or "", "subject", errors)
        if subject is not None:
            check_placeholders(subject, t.event, errors, "subject")
        if t.dlt is not None:
            errors.add("dlt", "DLT registration is for SMS only", TemplatesCode.DLT_MALFORMED)
    errors.raise_if_any()
    if t.dlt is not None and body is not None:
        dlt.check_registration(t.dlt)
        dlt.check_template(body.literals, t.dlt)


def _parsed_or_collect(text: str, field: str, errors: ErrorCollector) -> Parsed | None:
    try:
        return parse(text, field)
    except ValidationFailed as exc:
        errors.errors.extend(exc.errors)
        return None


# What the caller passes per placeholder: Decimal for amount, date for due_date and
# date, text for the rest. Formatting is render's job (babel, the message's locale).
Value = str | Decimal | date


@dataclass(frozen=True)
class Recipient:
    phone: str | None = None  # E.164; +91 brings in the DLT rules
    email: str | None = None


@dataclass(frozen=True)
class Rendered:
    body: str
    subject: str | None
    encoding: segments.Encoding | None  # None for email
    segments: int  # SMS parts (0 for email)
    characters: int
    units: int  # septets or UTF-16 units (what the segment limit counts)
    per_segment: int
    language: str
    template_id: int | None
    dlt: DltRegistration | None
    warnings: list[str] = field(default_factory=list)

    @property
    def dlt_entity_id(self) -> str | None:
        return self.dlt.entity_id if self.dlt else None

    @property
    def dlt_template_id(self) -> str | None:
        return self.dlt.template_id if self.dlt else None

    @property
    def sender_id(self) -> str | None:
        return self.dlt.sender_id if self.dlt else None


def message_locale(language: str, country: str) -> Locale:
    """The language as spoken in the business's country (hi_IN, sw_KE, ar_OM), else the
    bare language, else English."""
    for name in (f"{language}_{country}", language):
        try:
            return Locale.parse(name)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse("en")


def format_amount(amount: Decimal, currency: str, locale: Locale, *, gsm_only: bool) -> str:
    """Money in the locale's form. In an SMS whose text is otherwise GSM-7, a symbol
    outside that alphabet (₹, non-breaking spaces) would turn the whole message into
    UCS-2 and halve what one SMS holds: there the ISO code is written instead."""
    text = format_currency(quantize(amount, currency), currency, locale=locale)
    if not gsm_only:
        return text
    text = text.replace("\u00a0", " ").replace("\u202f", " ")
    if not segments.is_gsm7(text):
        pattern = locale.currency_formats["standard"].pattern.replace("¤", "¤¤")
        text = format_currency(quantize(amount, currency), currency, locale=locale, format=pattern)
        text = text.replace("\u00a0", " ").replace("\u202f", " ")
    return re.sub(rf"^{currency}(?=\d)", f"{currency} ", text)  # "INR 5", not "INR5"


def render(
    template: TemplateText,
    values: Mapping[str, Value],
    *,
    currency: str,
    country: str,
    recipient: Recipient | None = None,
) -> Rendered:
    """The message for one recipient. SMS to +91 needs the template's DLT registration,
    and the text must match it; both are typed errors otherwise."""
    body = parse(template.body)
    subject = parse(template.subject) if template.subject else None
    locale = message_locale(template.language, country)
    gsm_only = template.channel is Channel.SMS and segments.is_gsm7("".join(body.literals))
    text = _fill(body, values, currency, locale, gsm_only)
    title = _fill(subject, values, currency, locale, False) if subject else None
    indian = template.channel is Channel.SMS and dlt.is_indian((recipient or Recipient()).phone)
    if indian:
        if template.dlt is None:
            raise ValidationFailed.one(
                "dlt",
                "an SMS to an Indian number needs a template registered on DLT "
                "(entity id, template id, header); save one for this event",
                TemplatesCode.DLT_NOT_REGISTERED,
            )
        dlt.check_message(text, template.dlt)
    if template.channel is Channel.EMAIL:
        return Rendered(
            text, title, None, 0, len(text), len(text), 0, template.language,
            template.template_id, None,
        )  # fmt: skip
    counted = segments.count(text)
    return Rendered(
        text,
        None,
        counted.encoding,
        counted.segments,
        counted.characters,
        counted.units,
        counted.per_segment,
        template.language,
        template.template_id,
        template.dlt,
    )


def _fill(
    parsed: Parsed, values: Mapping[str, Value], currency: str, locale: Locale, gsm_only: bool
) -> str:
    out = [parsed.literals[0]]
    for name, literal in zip(parsed.names, parsed.literals[1:], strict=True):
        out.append(_value(name, values, currency, locale, gsm_only))
        out.append(literal)
    return "".join(out)


def _value(
    name: str, values: Mapping[str, Value], currency: str, locale: Locale, gsm_only: bool
) -> str:
    if name not in values or values[name] is None:
        raise ValidationFailed.one(
            name, f"no value for {{{{{name}}}}}", TemplatesCode.MISSING_VALUE
        )
    value = values[name]
    if isinstance(value, Decimal):
        return format_amount(value, currency, locale, gsm_only=gsm_only)
    if isinstance(value, date):
        return str(format_date(value, "medium", locale=locale))
    return str(value)
