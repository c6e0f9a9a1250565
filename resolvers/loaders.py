"""Per-request DataLoaders. Each batch opens its own short read session, so concurrently
resolved fields never share an AsyncSession. They need of the request only what
`RequestScope` names (schema.context.Context is one)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from strawberry.dataloader import DataLoader

from domain.accounts.models import Business
from domain.core.clock import Clock
from domain.core.db import Database
from domain.core.errors import NotFound
from domain.core.tx import Tx
from domain.core.viewer import Viewer
from domain.customers import queries as customer_queries
from domain.customers.models import Customer, CustomerAddress
from domain.invoicing import queries as invoice_queries
from domain.invoicing.models import CreditNote, Invoice, InvoiceEvent, InvoiceLine, Payment
from domain.invoicing.recurring import queries as recurring_queries
from domain.invoicing.recurring.models import RecurringSchedule
from domain.invoicing.send_models import InvoiceSend
from domain.invoicing.sending import sends_for
from domain.invoicing.service import business_today, load_business
from domain.notifications import reminders
from domain.notifications.reminder_models import InvoiceReminder
from domain.notifications.reminder_schedule import ReminderPolicy
from domain.orders import queries as order_queries
from domain.orders.models import Order, OrderEvent, OrderLine
from domain.purchases import queries as purchase_queries

if TYPE_CHECKING:
    from sqlalchemy import Row

T = TypeVar("T")


class Services(Protocol):
    @property
    def db(self) -> Database: ...

    @property
    def clock(self) -> Clock: ...


class RequestScope(Protocol):
    """What the loaders need of a request: who asks, the services, its business cache."""

    @property
    def rt(self) -> Services: ...

    business_cache: dict[int, Any]

    async def require_viewer(self) -> Viewer: ...


def _grouped(rows: Sequence[Any], keys: Sequence[int], attr: str) -> list[list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[getattr(row, attr)].append(row)
    return [grouped.get(k, []) for k in keys]


class Loaders:
    """The request's DataLoaders, each made on first use: a subscription's event renews
    them (resolvers/stream.py) and most events use one or two, so an unused loader is never
    built (a DataLoader, its cache and the bound method tie a cycle to the Loaders that only
    the collector frees: issue 18 §4, bench/results/realtime.md)."""

    def __init__(self, ctx: RequestScope) -> None:
        self.ctx = ctx

    @cached_property
    def addresses(self) -> DataLoader[int, list[CustomerAddress]]:
        return DataLoader(self._addresses)

    @cached_property
    def customers(self) -> DataLoader[int, Customer | None]:
        return DataLoader(self._customers)

    @cached_property
    def invoice_lines(self) -> DataLoader[int, list[InvoiceLine]]:
        return DataLoader(self._lines)

    @cached_property
    def invoice_payments(self) -> DataLoader[int, list[Payment]]:
        return DataLoader(self._payments)

    @cached_property
    def invoice_credit_notes(self) -> DataLoader[int, list[CreditNote]]:
        return DataLoader(self._notes)

    @cached_property
    def invoice_events(self) -> DataLoader[int, list[InvoiceEvent]]:
        return DataLoader(self._events)

    @cached_property
    def invoice_sends(self) -> DataLoader[int, list[InvoiceSend]]:
        return DataLoader(self._sends)

    @cached_property
    def invoice_reminders(self) -> DataLoader[int, list[InvoiceReminder]]:
        return DataLoader(self._reminders)

    # one key (the viewer's business): concurrent fields share one read
    @cached_property
    def reminder_policies(self) -> DataLoader[int, ReminderPolicy]:
        return DataLoader(self._policies)

    @cached_property
    def customer_invoices(self) -> DataLoader[tuple[int, int], list[Invoice]]:
        return DataLoader(self._customer_invoices)

    @cached_property
    def other_currency_totals(self) -> DataLoader[int, list[Any]]:
        return DataLoader(self._other_currency_totals)

    @cached_property
    def order_lines(self) -> DataLoader[int, list[OrderLine]]:
        return DataLoader(self._order_lines)

    @cached_property
    def order_events(self) -> DataLoader[int, list[OrderEvent]]:
        return DataLoader(self._order_events)

    @cached_property
    def order_invoices(self) -> DataLoader[int, list[Invoice]]:
        return DataLoader(self._order_invoices)

    @cached_property
    def invoice_orders(self) -> DataLoader[int, Order | None]:
        return DataLoader(self._orders)

    @cached_property
    def customer_orders(self) -> DataLoader[tuple[int, int], list[Order]]:
        return DataLoader(self._customer_orders)

    # the customer timeline's objects, by id (domain.purchases.queries)
    @cached_property
    def purchases(self) -> DataLoader[int, Any]:
        return DataLoader(self._by_ids(purchase_queries.purchases_by_ids))

    @cached_property
    def invoices(self) -> DataLoader[int, Any]:
        return DataLoader(self._by_ids(purchase_queries.invoices_by_ids))

    @cached_property
    def payments(self) -> DataLoader[int, Any]:
        return DataLoader(self._by_ids(purchase_queries.payments_by_ids))

    @cached_property
    def orders(self) -> DataLoader[int, Any]:
        return DataLoader(self._by_ids(purchase_queries.orders_by_ids))

    # recurring invoices: a customer's schedules, a schedule's invoices (newest first)
    @cached_property
    def customer_schedules(self) -> DataLoader[int, list[RecurringSchedule]]:
        return DataLoader(self._customer_schedules)

    @cached_property
    def schedule_invoices(self) -> DataLoader[int, list[Invoice]]:
        return DataLoader(self._schedule_invoices)

    def _by_ids(
        self, fetch: Callable[[Tx, Sequence[int]], Awaitable[Sequence[Any]]]
    ) -> Callable[[Sequence[int]], Awaitable[list[Any]]]:
        async def load(ids: Sequence[int]) -> list[Any]:
            rows = await self._scoped(lambda tx: fetch(tx, ids))
            by_id = {r.id: r for r in rows}
            return [by_id.get(i) for i in ids]

        return load

    async def _scoped(self, fn: Callable[[Tx], Awaitable[T]]) -> T:
        """fn in a short read session of its own, as the request's viewer."""
        viewer = await self.ctx.require_viewer()
        async with self.ctx.rt.db.read() as session:
            return await fn(Tx(session, viewer, self.ctx.rt.clock))

    async def business_currency(self) -> str:
        return str((await self._business()).currency)

    async def business_today(self, business_id: int) -> date:
        """The business's own date now: overdue is by its calendar."""
        business = await self._business()
        if business.id != business_id:
            raise NotFound("business")
        return business_today(business, self.ctx.rt.clock.now())

    async def _business(self) -> Business:
        """The viewer's business, from the request's business cache; one read on a miss."""
        viewer = await self.ctx.require_viewer()
        business_id = viewer.require_business()
        cache = self.ctx.business_cache
        if business_id not in cache:
            cache[business_id] = await self._scoped(load_business)
        return cast(Business, cache[business_id])

    async def _addresses(self, ids: Sequence[int]) -> list[list[CustomerAddress]]:
        rows = await self._scoped(lambda tx: customer_queries.addresses_for(tx, ids))
        return _grouped(rows, ids, "customer_id")

    async def _customers(self, ids: Sequence[int]) -> list[Customer | None]:
        rows = await self._scoped(lambda tx: customer_queries.customers_by_ids(tx, ids))
        by_id = {r.id: r for r in rows}
        return [by_id.get(i) for i in ids]

    async def _lines(self, ids: Sequence[int]) -> list[list[InvoiceLine]]:
        rows = await self._scoped(lambda tx: invoice_queries.lines_for(tx, ids))
        return _grouped(rows, ids, "invoice_id")

    async def _payments(self, ids: Sequence[int]) -> list[list[Payment]]:
        rows = await self._scoped(lambda tx: invoice_queries.payments_for(tx, ids))
        return _grouped(rows, ids, "invoice_id")

    async def _notes(self, ids: Sequence[int]) -> list[list[CreditNote]]:
        rows = await self._scoped(lambda tx: invoice_queries.credit_notes_for(tx, ids))
        return _grouped(rows, ids, "invoice_id")

    async def _events(self, ids: Sequence[int]) -> list[list[InvoiceEvent]]:
        rows = await self._scoped(lambda tx: invoice_queries.events_for(tx, ids))
        return _grouped(rows, ids, "invoice_id")

    async def _sends(self, ids: Sequence[int]) -> list[list[InvoiceSend]]:
        rows = await self._scoped(lambda tx: sends_for(tx, list(ids)))
        return _grouped(rows, ids, "invoice_id")

    async def _reminders(self, ids: Sequence[int]) -> list[list[InvoiceReminder]]:
        rows = await self._scoped(lambda tx: reminders.reminders_for(tx, list(ids)))
        return _grouped(rows, ids, "invoice_id")

    async def _policies(self, business_ids: Sequence[int]) -> list[ReminderPolicy]:
        """The viewer's business's reminder policy (the only key a request asks for)."""
        policy = await self._scoped(reminders.business_policy)
        return [policy for _ in business_ids]

    async def _other_currency_totals(self, ids: Sequence[int]) -> list[list[Any]]:
        currency = await self.business_currency()
        rows = await self._scoped(
            lambda tx: invoice_queries.other_currency_totals(tx, ids, currency)
        )
        return _grouped(rows, ids, "customer_id")

    async def _newest(self, ids: list[int], per: int) -> Sequence[Invoice]:
        return await self._scoped(lambda tx: invoice_queries.newest_per_customer(tx, ids, per))

    async def newest_invoices_with_lines(
        self, customer_ids: list[int], per: int, with_lines: bool
    ) -> tuple[Sequence[Row[Any]], Sequence[Row[Any]]]:
        """The `per` newest invoices of each customer and, if asked, their lines, as plain
        rows: one session, two statements (a customers page's prefetch)."""
        return await self._scoped(
            lambda tx: invoice_queries.newest_rows_with_lines(tx, customer_ids, per, with_lines)
        )

    async def _customer_invoices(self, keys: Sequence[tuple[int, int]]) -> list[list[Invoice]]:
        """Keys are (customer id, how many newest); one window query per distinct count."""
        out: dict[tuple[int, int], list[Invoice]] = {}
        for per in {n for _, n in keys}:
            ids = [c for c, n in keys if n == per]
            rows = await self._newest(ids, per)
            for cid, group in zip(ids, _grouped(rows, ids, "customer_id"), strict=True):
                out[(cid, per)] = group
        return [out[k] for k in keys]

    async def _customer_schedules(self, ids: Sequence[int]) -> list[list[RecurringSchedule]]:
        rows = await self._scoped(lambda tx: recurring_queries.schedules_for_customers(tx, ids))
        return _grouped(rows, ids, "customer_id")

    async def _schedule_invoices(self, ids: Sequence[int]) -> list[list[Invoice]]:
        pairs = await self._scoped(lambda tx: recurring_queries.invoices_of(tx, ids))
        grouped: dict[int, list[Invoice]] = defaultdict(list)
        for schedule_id, invoice in pairs:
            grouped[schedule_id].append(invoice)
        return [grouped.get(i, []) for i in ids]

    async def _order_lines(self, ids: Sequence[int]) -> list[list[OrderLine]]:
        rows = await self._scoped(lambda tx: order_queries.lines_for(tx, ids))
        return _grouped(rows, ids, "order_id")

    async def _order_events(self, ids: Sequence[int]) -> list[list[OrderEvent]]:
        rows = await self._scoped(lambda tx: order_queries.events_for(tx, ids))
        return _grouped(rows, ids, "order_id")

    async def _order_invoices(self, ids: Sequence[int]) -> list[list[Invoice]]:
        rows = await self._scoped(lambda tx: invoice_queries.invoices_for_orders(tx, ids))
        return _grouped(rows, ids, "order_id")

    async def _orders(self, ids: Sequence[int]) -> list[Order | None]:
        rows = await self._scoped(lambda tx: order_queries.orders_by_ids(tx, ids))
        by_id = {r.id: r for r in rows}
        return [by_id.get(i) for i in ids]

    async def _customer_orders(self, keys: Sequence[tuple[int, int]]) -> list[list[Order]]:
        """Keys are (customer id, how many newest); one window query per distinct count."""
        out: dict[tuple[int, int], list[Order]] = {}
        for per in {n for _, n in keys}:
            ids = [c for c, n in keys if n == per]
            rows = await self._scoped(
                lambda tx, ids=ids, per=per: order_queries.newest_per_customer(tx, ids, per)  # type: ignore[misc]
            )
            for cid, group in zip(ids, _grouped(rows, ids, "customer_id"), strict=True):
                out[(cid, per)] = group
        return [out[k] for k in keys]
