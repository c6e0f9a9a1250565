"""Error codes of notification templates, DLT, preferences and the SMS quota (shared ones
are in domain.core.codes). Kept apart from the delivery pipeline's codes so the two
halves of the notifications context grow without touching one file."""

from __future__ import annotations

from domain.core.codes import ErrorCode


class TemplatesCode(ErrorCode):
    UNKNOWN_PLACEHOLDER = "UNKNOWN_PLACEHOLDER"
    PLACEHOLDER_NOT_AVAILABLE = "PLACEHOLDER_NOT_AVAILABLE"  # known, but not for this event
    MALFORMED_PLACEHOLDER = "MALFORMED_PLACEHOLDER"
    MISSING_VALUE = "MISSING_VALUE"  # a placeholder the caller gave no value for
    UNSUPPORTED_LANGUAGE = "UNSUPPORTED_LANGUAGE"
    SUBJECT_NOT_ALLOWED = "SUBJECT_NOT_ALLOWED"  # SMS has no subject
    DLT_NOT_REGISTERED = "DLT_NOT_REGISTERED"  # SMS to +91 without DLT registration
    DLT_MISMATCH = "DLT_MISMATCH"  # the text does not match the registered template
    DLT_MALFORMED = "DLT_MALFORMED"  # registered text or ids in a form DLT never issues
    SMS_QUOTA_EXCEEDED = "SMS_QUOTA_EXCEEDED"
    SMS_SPEND_CAP_EXCEEDED = "SMS_SPEND_CAP_EXCEEDED"
