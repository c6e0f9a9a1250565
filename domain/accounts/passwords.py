"""The password policy of NIST SP 800-63B (5.1.1.2): length, not composition.

- At least 10 characters (at most 256; spaces and any Unicode allowed), no rules about
  digits, capitals or symbols.
- Not a common or breached password: the 30,000 most common passwords of the Xato
  corpus of leaked credentials, as shipped by the `zxcvbn` package (MIT), compared
  case-insensitively and also with spaces and separators removed ("Password 1234" and
  "password1234" are the same guess).
- Not one character repeated, nor a handful of characters ("abababababab"), nor a run
  of consecutive characters ("1234567890", "abcdefghijk").
- Not the account's own email address or its local part.

Every failed rule is a field error on `password` with its own code."""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

from domain.accounts.codes import AccountsCode
from domain.core.codes import CoreCode
from domain.core.errors import ErrorCollector

MIN_LENGTH = 10
MAX_LENGTH = 256
MIN_DISTINCT = 4  # fewer distinct characters than this is a pattern, not a secret
_SEPARATORS = re.compile(r"[\W_]+")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """Loaded once, on first use: the list is fixed data shipped with the package."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.casefold() for word in FREQUENCY_LISTS["passwords"])


def _is_run(text: str) -> bool:
    """Consecutive code points, up or down: 0123456789, abcdefghij, 9876543210."""
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(text)}
    return steps in ({1}, {-1})


def check_password(
    password: str, errors: ErrorCollector, *, email: str | None = None, field: str = "password"
) -> None:
    """Add a field error for each rule the password breaks (nothing when it is fine)."""
    if len(password) < MIN_LENGTH:
        errors.add(field, f"must be at least {MIN_LENGTH} characters", AccountsCode.WEAK_PASSWORD)
        return
    if len(password) > MAX_LENGTH:
        errors.add(field, f"must be at most {MAX_LENGTH} characters", CoreCode.TOO_LONG)
        return
    folded = password.casefold()
    squeezed = _SEPARATORS.sub("", folded)
    if len(set(folded)) < MIN_DISTINCT or _is_run(folded) or _is_run(squeezed):
        errors.add(
            field,
            "is a repeated or sequential pattern; choose a phrase",
            AccountsCode.REPETITIVE_PASSWORD,
        )
        return
    if email:
        address = email.strip().casefold()
        local = address.split("@", 1)[0]
        if folded.strip() in (address, local) or squeezed in (
            _SEPARATORS.sub("", address),
            _SEPARATORS.sub("", local),
        ):
            errors.add(field, "must not be your email address", AccountsCode.PASSWORD_IS_EMAIL)
            return
    common = common_passwords()
    if folded in common or squeezed in common or folded.strip() in common:
        errors.add(
            field,
            "is among the most common leaked passwords; choose another",
            AccountsCode.COMMON_PASSWORD,
        )
