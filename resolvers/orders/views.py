"""Domain rows of orders as schema types, in the business's own calendar."""

from __future__ import annotations

from domain.core.tx import Tx
from domain.orders.models import Order as OrderRow
from resolvers.base import Info
from resolvers.invoicing.views import _today
from schema.types.orders.objects import Order


async def order_view(info: Info, tx: Tx, row: OrderRow) -> Order:
    return Order.from_row(row, await _today(info, tx))
