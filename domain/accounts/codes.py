"""Error codes of the accounts context (shared ones are in domain.core.codes)."""

from __future__ import annotations

from domain.core.codes import ErrorCode


class AccountsCode(ErrorCode):
    # passwords
    WEAK_PASSWORD = "WEAK_PASSWORD"  # noqa: S105 (a code, not a password)
    REPETITIVE_PASSWORD = "REPETITIVE_PASSWORD"  # noqa: S105 (a code, not a password)
    PASSWORD_IS_EMAIL = "PASSWORD_IS_EMAIL"  # noqa: S105 (a code, not a password)
    COMMON_PASSWORD = "COMMON_PASSWORD"  # noqa: S105 (a code, not a password)
    # API keys
    INVALID_SCOPE = "INVALID_SCOPE"
    # business settings
    NOT_APPLICABLE = "NOT_APPLICABLE"
    MISMATCH = "MISMATCH"
