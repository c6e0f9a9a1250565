"""Error codes of the customers context (shared ones are in domain.core.codes)."""

from __future__ import annotations

from domain.core.codes import ErrorCode


class CustomersCode(ErrorCode):
    DUPLICATE_PHONE = "DUPLICATE_PHONE"
    DUPLICATE = "DUPLICATE"
    INCOMPLETE = "INCOMPLETE"
    MULTIPLE_DEFAULTS = "MULTIPLE_DEFAULTS"
    NOT_AN_UPGRADE = "NOT_AN_UPGRADE"
    SAME_CUSTOMER = "SAME_CUSTOMER"
    BAD_HEADER = "BAD_HEADER"
    MALFORMED = "MALFORMED"  # CSV the csv module cannot read
    CELL_TOO_LARGE = "CELL_TOO_LARGE"
    TOO_MANY_ROWS = "TOO_MANY_ROWS"
