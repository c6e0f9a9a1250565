"""Error codes of the orders context (shared ones are in domain.core.codes)."""

from __future__ import annotations

from domain.core.codes import ErrorCode


class OrdersCode(ErrorCode):
    # the status workflow
    ILLEGAL_TRANSITION = "ILLEGAL_TRANSITION"
    STALE_VERSION = "STALE_VERSION"
    # invoicing an order
    ORDER_NOT_CONFIRMED = "ORDER_NOT_CONFIRMED"
    ALREADY_INVOICED = "ALREADY_INVOICED"
    # delivery
    ADDRESS_CONFLICT = "ADDRESS_CONFLICT"
    DELIVERY_IN_PAST = "DELIVERY_IN_PAST"
