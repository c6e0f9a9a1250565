"""The order status workflow as data: which status may follow which. Pure, so the rules
are read (and tested) in one place.

    DRAFT -> PENDING -> CONFIRMED -> PROCESSING -> OUT_FOR_DELIVERY -> DELIVERED
    any of those before DELIVERED -> CANCELLED (a reason is required)
    DELIVERED -> RETURNED
"""

from __future__ import annotations

from domain.core.codes import ErrorCode
from domain.core.errors import Conflict
from domain.orders.codes import OrdersCode
from domain.orders.models import OrderStatus as S

FORWARD: dict[S, S] = {
    S.DRAFT: S.PENDING,
    S.PENDING: S.CONFIRMED,
    S.CONFIRMED: S.PROCESSING,
    S.PROCESSING: S.OUT_FOR_DELIVERY,
    S.OUT_FOR_DELIVERY: S.DELIVERED,
}
CANCELLABLE = frozenset(FORWARD)  # every state before DELIVERED
TERMINAL = frozenset({S.CANCELLED, S.RETURNED})
# Orders still to be delivered: an expected delivery date before today makes them overdue.
AWAITING_DELIVERY = (S.PENDING, S.CONFIRMED, S.PROCESSING, S.OUT_FOR_DELIVERY)
# An invoice may be made from these (confirmed or later, not cancelled).
INVOICEABLE = frozenset({S.CONFIRMED, S.PROCESSING, S.OUT_FOR_DELIVERY, S.DELIVERED, S.RETURNED})


def allowed_from(current: S) -> list[S]:
    """The statuses `current` may move to, in workflow order."""
    out: list[S] = []
    if current in FORWARD:
        out.append(FORWARD[current])
    if current in CANCELLABLE:
        out.append(S.CANCELLED)
    if current is S.DELIVERED:
        out.append(S.RETURNED)
    return out


class IllegalTransition(Conflict):
    """The requested status cannot follow the current one."""

    code: ErrorCode = OrdersCode.ILLEGAL_TRANSITION

    def __init__(self, current: S, requested: S) -> None:
        allowed = ", ".join(s.name for s in allowed_from(current)) or "none"
        super().__init__(
            f"an order cannot go from {current.name} to {requested.name} (allowed: {allowed})"
        )
        self.current = current
        self.requested = requested
        self.allowed = allowed_from(current)


class StaleVersion(Conflict):
    """The client changed an order it saw at an older version: someone else moved it."""

    code: ErrorCode = OrdersCode.STALE_VERSION

    def __init__(self, current: S, version: int, expected: int) -> None:
        super().__init__(
            f"the order changed since version {expected}: it is {current.name} at version "
            f"{version}; reload it and decide again"
        )
        self.current = current
        self.version = version
        self.expected = expected


def check(current: S, requested: S) -> None:
    if requested not in allowed_from(current):
        raise IllegalTransition(current, requested)
