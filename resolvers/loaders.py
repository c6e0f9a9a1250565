"""Per-request DataLoaders. Each batch opens its own short read session, so concurrently
resolved fields never share an AsyncSession."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from domain.customers.models import CustomerAddress
from domain.customers.repository import CustomerRepository

if TYPE_CHECKING:
    from schema.context import Context


class Loaders:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.addresses: DataLoader[int, list[CustomerAddress]] = DataLoader(self._addresses)

    async def _addresses(self, customer_ids: Sequence[int]) -> list[list[CustomerAddress]]:
        viewer = await self.ctx.require_viewer()
        business_id = viewer.require_business()
        async with self.ctx.rt.db.read() as session:
            rows = await CustomerRepository(session).addresses_for(business_id, customer_ids)
        grouped: dict[int, list[CustomerAddress]] = defaultdict(list)
        for row in rows:
            grouped[row.customer_id].append(row)
        return [grouped.get(cid, []) for cid in customer_ids]
