"""India's DLT rules (TRAI): commercial SMS to +91 numbers go out under a header (sender
id) and a content template registered by the business (the principal entity) on the
operators' DLT platform, and the operators drop a message whose text does not match its
registered template. The registered text marks each variable part with `{#var#}`, which
stands for at most 30 characters.

Two checks: when a template is saved, its text with every `{{placeholder}}` read as a
variable must be the registered text (same literal parts, same number of variables);
before a message goes out, the rendered text must match the registered pattern."""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.core.errors import FieldError, ValidationFailed
from domain.notifications.template_codes import TemplatesCode

MARKER = "{#var#}"
MAX_VARIABLE = 30  # characters one {#var#} may stand for
# any {#...#}; only {#var#} is accepted, the rest is named in the error
_MARKERS = re.compile(r"\{#([^{}#]*)#\}")
_ENTITY_OR_TEMPLATE_ID = re.compile(r"\d{12,25}")  # DLT issues 19-digit ids today
_HEADER = re.compile(r"[A-Za-z]{6}|\d{6}")  # 6 letters (service), 6 digits (promotional)


@dataclass(frozen=True)
class DltRegistration:
    entity_id: str  # the business's principal entity id (PE ID)
    template_id: str  # the content template id
    sender_id: str  # the registered header
    text: str  # the registered text, with {#var#} markers


def is_indian(phone: str | None) -> bool:
    return bool(phone) and str(phone).startswith("+91")


def check_registration(reg: DltRegistration, field: str = "dlt") -> None:
    """Ids and text in the shape DLT issues them, every problem at once."""
    errors = []
    if not _ENTITY_OR_TEMPLATE_ID.fullmatch(reg.entity_id):
        errors.append(FieldError(f"{field}.entityId", "must be the 12-25 digit DLT entity id"))
    if not _ENTITY_OR_TEMPLATE_ID.fullmatch(reg.template_id):
        errors.append(FieldError(f"{field}.templateId", "must be the 12-25 digit DLT template id"))
    if not _HEADER.fullmatch(reg.sender_id):
        errors.append(FieldError(f"{field}.senderId", "must be a 6-letter (or 6-digit) DLT header"))
    for found in _MARKERS.finditer(reg.text):
        if found.group() != MARKER:
            errors.append(
                FieldError(
                    f"{field}.text",
                    f"{found.group()} is not a DLT variable marker; use {MARKER}",
                    TemplatesCode.DLT_MALFORMED,
                )
            )
    if not reg.text.strip():
        errors.append(FieldError(f"{field}.text", "is required", TemplatesCode.DLT_MALFORMED))
    if errors:
        raise ValidationFailed(errors)


def _literals(registered: str) -> list[str]:
    return _normal(registered).split(MARKER)


def _normal(text: str) -> str:
    return text.replace("\r\n", "\n")


def check_template(literals: list[str], reg: DltRegistration, field: str = "body") -> None:
    """`literals` are the template's literal parts around its placeholders (one more
    than there are placeholders). They must be the registered text's parts around its
    markers."""
    want = _literals(reg.text)
    have = [_normal(part) for part in literals]
    if len(have) != len(want):
        raise ValidationFailed.one(
            field,
            f"has {len(have) - 1} placeholders where the DLT template registers "
            f"{len(want) - 1} {MARKER} variables",
            TemplatesCode.DLT_MISMATCH,
        )
    for index, (mine, theirs) in enumerate(zip(have, want, strict=True)):
        if mine != theirs:
            raise ValidationFailed.one(
                field,
                f"differs from the registered DLT text in part {index + 1}: "
                f"{_first_difference(mine, theirs)}",
                TemplatesCode.DLT_MISMATCH,
            )


def _first_difference(mine: str, theirs: str) -> str:
    at = next(
        (i for i, (a, b) in enumerate(zip(mine, theirs, strict=False)) if a != b),
        min(len(mine), len(theirs)),
    )
    return f"template has {mine[at : at + 12]!r}, registered {theirs[at : at + 12]!r}"


def pattern(reg: DltRegistration) -> re.Pattern[str]:
    """What the operators match: the literal parts exactly, each variable 0-30 characters
    of one line."""
    parts = [re.escape(p) for p in _literals(reg.text)]
    return re.compile(f"[^\\n]{{0,{MAX_VARIABLE}}}".join(parts))


def check_message(text: str, reg: DltRegistration, field: str = "body") -> None:
    if pattern(reg).fullmatch(_normal(text)) is None:
        raise ValidationFailed.one(
            field,
            f"the message does not match DLT template {reg.template_id} (a literal part "
            f"differs or a variable is longer than {MAX_VARIABLE} characters)",
            TemplatesCode.DLT_MISMATCH,
        )
