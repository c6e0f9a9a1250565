"""Error codes of the purchases context (shared ones are in domain.core.codes)."""

from __future__ import annotations

from domain.core.codes import ErrorCode


class PurchasesCode(ErrorCode):
    IN_THE_FUTURE = "IN_THE_FUTURE"
    NOT_A_CUSTOMER_TO_SELL_TO = "NOT_A_CUSTOMER_TO_SELL_TO"
