"""The reference for the nested-read benchmark: a plain Strawberry + DataLoader + SQLAlchemy
app over Khata's tables, written the straightforward way, serving the same query shape:

    { customers(first: 50) { edges { node { id name invoices(first: 5) {
        id number total { amount currency } lines { description quantity total { amount } }
    } } } } }

Two variants, both with a per-request DataLoader per relation (`Customer.invoices`: one
window-function query for the page; `Invoice.lines`: one IN query), an async resolver per
parent object for each relation, no parser or validation cache, Strawberry's default JSON
encoding (`json.dumps`), the bearer token checked against the database on every request
(one statement: token joined with the membership of the business in `X-Khata-Business`),
a default SQLAlchemy async engine (no pre-ping) and one short session per loader batch:

- "plain" (the reference the issue describes, and the brief: "async resolvers per field"):
  the entity types wrap their ORM rows and every field is an `async def` resolver reading
  the row, the way ORM-backed Strawberry types are often written;
- "lean": scalars as plain attributes of types built from the rows; only the relations are
  async. It shows how much of the difference is that one habit.

Both produce the same JSON as Khata for this query (same global ids, money quantized to
the currency's minor units, quantities without padding), which `bench.invoicing` checks
before it measures. A benchmark baseline, not part of the product: no error policy, no
limits.
"""

from __future__ import annotations

import base64
import hashlib
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import strawberry
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.dataloader import DataLoader

from domain.customers.models import Customer as CustomerRow
from domain.invoicing.models import Invoice as InvoiceRow
from domain.invoicing.models import InvoiceLine as InvoiceLineRow

MINOR_UNITS = {"INR": 2, "KES": 2, "ZAR": 2, "USD": 2, "OMR": 3, "JPY": 0}


def global_id(type_name: str, row_id: int) -> strawberry.ID:
    raw = base64.urlsafe_b64encode(f"{type_name}:{row_id}".encode()).decode()
    return strawberry.ID(raw.rstrip("="))


def parse_id(value: str) -> int:
    raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    return int(raw.partition(":")[2])


def plain(value: Decimal) -> Decimal:
    """10.0000 -> 10, 2.5000 -> 2.5 (no exponent)."""
    return Decimal(format(value.normalize(), "f"))


def money(amount: Decimal, currency: str) -> Money:
    quantum = Decimal(1).scaleb(-MINOR_UNITS.get(currency, 2))
    return Money(amount=amount.quantize(quantum, rounding=ROUND_HALF_UP), currency=currency)


@strawberry.type
class Money:
    amount: Decimal
    currency: str


# ---- "plain": every field an async resolver over its ORM row (the issue's reference) ----
@strawberry.type(name="InvoiceLine")
class PlainInvoiceLine:
    row: strawberry.Private[InvoiceLineRow]
    currency_code: strawberry.Private[str]

    @strawberry.field
    async def description(self) -> str:
        return self.row.description

    @strawberry.field
    async def quantity(self) -> Decimal:
        return plain(self.row.quantity)

    @strawberry.field
    async def unit(self) -> str | None:
        return self.row.unit

    @strawberry.field
    async def unit_price(self) -> Money:
        return Money(amount=plain(self.row.unit_price), currency=self.currency_code)

    @strawberry.field
    async def total(self) -> Money:
        return money(self.row.total, self.currency_code)


@strawberry.type(name="Invoice")
class PlainInvoice:
    row: strawberry.Private[InvoiceRow]

    @strawberry.field
    async def id(self) -> strawberry.ID:
        return global_id("Invoice", self.row.id)

    @strawberry.field
    async def number(self) -> str:
        return self.row.number

    @strawberry.field
    async def status(self) -> str:
        return self.row.status

    @strawberry.field
    async def currency(self) -> str:
        return self.row.currency

    @strawberry.field
    async def issue_date(self) -> str:
        return self.row.issue_date.isoformat()

    @strawberry.field
    async def total(self) -> Money:
        return money(self.row.total, self.row.currency)

    @strawberry.field
    async def balance(self) -> Money:
        return money(self.row.balance, self.row.currency)

    @strawberry.field
    async def lines(self, info: strawberry.Info) -> list[PlainInvoiceLine]:
        rows = await info.context["loaders"].lines.load(self.row.id)
        return [PlainInvoiceLine(row=r, currency_code=self.row.currency) for r in rows]


@strawberry.type(name="Customer")
class PlainCustomer:
    row: strawberry.Private[CustomerRow]

    @strawberry.field
    async def id(self) -> strawberry.ID:
        return global_id("Customer", self.row.id)

    @strawberry.field
    async def number(self) -> str:
        return self.row.number

    @strawberry.field
    async def name(self) -> str:
        return self.row.name

    @strawberry.field
    async def phone(self) -> str | None:
        return self.row.phone

    @strawberry.field
    async def invoices(self, info: strawberry.Info, first: int = 5) -> list[PlainInvoice]:
        rows = await info.context["loaders"].invoices.load((self.row.id, max(1, min(first, 20))))
        return [PlainInvoice(row=r) for r in rows]


# ---- "lean": scalars as plain attributes, only relations async (a tighter baseline) ----
@strawberry.type(name="InvoiceLine")
class LeanInvoiceLine:
    description: str
    quantity: Decimal
    unit: str | None
    unit_price: Money
    total: Money


@strawberry.type(name="Invoice")
class LeanInvoice:
    id: strawberry.ID
    number: str
    status: str
    currency: str
    issue_date: str
    total: Money
    balance: Money
    row_id: strawberry.Private[int]

    @strawberry.field
    async def lines(self, info: strawberry.Info) -> list[LeanInvoiceLine]:
        rows = await info.context["loaders"].lines.load(self.row_id)
        return [
            LeanInvoiceLine(
                description=r.description,
                quantity=plain(r.quantity),
                unit=r.unit,
                unit_price=Money(amount=plain(r.unit_price), currency=self.currency),
                total=money(r.total, self.currency),
            )
            for r in rows
        ]


@strawberry.type(name="Customer")
class LeanCustomer:
    id: strawberry.ID
    number: str
    name: str
    phone: str | None
    row_id: strawberry.Private[int]

    @strawberry.field
    async def invoices(self, info: strawberry.Info, first: int = 5) -> list[LeanInvoice]:
        rows = await info.context["loaders"].invoices.load((self.row_id, max(1, min(first, 20))))
        return [
            LeanInvoice(
                id=global_id("Invoice", r.id),
                row_id=r.id,
                number=r.number,
                status=r.status,
                currency=r.currency,
                issue_date=r.issue_date.isoformat(),
                total=money(r.total, r.currency),
                balance=money(r.balance, r.currency),
            )
            for r in rows
        ]


def lean_customer(c: CustomerRow) -> LeanCustomer:
    return LeanCustomer(
        id=global_id("Customer", c.id), row_id=c.id, number=c.number, name=c.name, phone=c.phone
    )


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(name="CustomerEdge")
class PlainCustomerEdge:
    cursor: str
    node: PlainCustomer


@strawberry.type(name="CustomerConnection")
class PlainCustomerConnection:
    edges: list[PlainCustomerEdge]
    page_info: PageInfo


@strawberry.type(name="CustomerEdge")
class LeanCustomerEdge:
    cursor: str
    node: LeanCustomer


@strawberry.type(name="CustomerConnection")
class LeanCustomerConnection:
    edges: list[LeanCustomerEdge]
    page_info: PageInfo


class Loaders:
    def __init__(self, sessions: async_sessionmaker[Any], business_id: int) -> None:
        self.sessions = sessions
        self.business_id = business_id
        self.invoices: DataLoader[tuple[int, int], list[InvoiceRow]] = DataLoader(self._invoices)
        self.lines: DataLoader[int, list[InvoiceLineRow]] = DataLoader(self._lines)

    async def _invoices(self, keys: Sequence[tuple[int, int]]) -> list[list[InvoiceRow]]:
        """The N newest invoices of each customer: one window-function query per batch."""
        per = max(n for _, n in keys)
        ids = [c for c, _ in keys]
        ranked = (
            select(
                InvoiceRow.id,
                func.row_number()
                .over(
                    partition_by=InvoiceRow.customer_id,
                    order_by=(InvoiceRow.issue_date.desc(), InvoiceRow.id.desc()),
                )
                .label("rank"),
            )
            .where(InvoiceRow.business_id == self.business_id, InvoiceRow.customer_id.in_(ids))
            .subquery()
        )
        stmt = (
            select(InvoiceRow)
            .join(ranked, ranked.c.id == InvoiceRow.id)
            .where(ranked.c.rank <= per)
            .order_by(InvoiceRow.customer_id, InvoiceRow.issue_date.desc(), InvoiceRow.id.desc())
        )
        async with self.sessions() as session:
            rows = (await session.scalars(stmt)).all()
        grouped: dict[int, list[InvoiceRow]] = defaultdict(list)
        for row in rows:
            grouped[row.customer_id].append(row)
        return [grouped[c][:n] for c, n in keys]

    async def _lines(self, invoice_ids: Sequence[int]) -> list[list[InvoiceLineRow]]:
        stmt = (
            select(InvoiceLineRow)
            .where(
                InvoiceLineRow.business_id == self.business_id,
                InvoiceLineRow.invoice_id.in_(invoice_ids),
            )
            .order_by(InvoiceLineRow.invoice_id, InvoiceLineRow.position)
        )
        async with self.sessions() as session:
            rows = (await session.scalars(stmt)).all()
        grouped: dict[int, list[InvoiceLineRow]] = defaultdict(list)
        for line in rows:
            grouped[line.invoice_id].append(line)
        return [grouped[i] for i in invoice_ids]


AUTH = text(
    "SELECT m.business_id FROM access_tokens t JOIN memberships m ON m.user_id = t.user_id "
    "WHERE t.token_hash = :hash AND t.revoked_at IS NULL AND t.expires_at > :now "
    "AND m.business_id = :business"
)


async def customer_page(
    info: strawberry.Info, first: int, after: str | None
) -> tuple[list[tuple[str, CustomerRow]], bool]:
    ctx = info.context
    business_id = await ctx["authenticate"]()
    limit = max(1, min(first, 100))
    stmt = (
        select(CustomerRow)
        .where(CustomerRow.business_id == business_id)
        .order_by(CustomerRow.name_search, CustomerRow.id)
        .limit(limit + 1)
    )
    if after:
        name, _, last_id = base64.b64decode(after).decode().rpartition("|")
        stmt = stmt.where(
            (CustomerRow.name_search > name)
            | ((CustomerRow.name_search == name) & (CustomerRow.id > int(last_id)))
        )
    async with ctx["sessions"]() as session:
        rows = (await session.scalars(stmt)).all()
    page = [
        (base64.b64encode(f"{c.name_search}|{c.id}".encode()).decode(), c) for c in rows[:limit]
    ]
    return page, len(rows) > limit


@strawberry.type(name="Query")
class PlainQuery:
    @strawberry.field
    async def customers(
        self, info: strawberry.Info, first: int = 20, after: str | None = None
    ) -> PlainCustomerConnection:
        page, more = await customer_page(info, first, after)
        return PlainCustomerConnection(
            edges=[PlainCustomerEdge(cursor=cur, node=PlainCustomer(row=c)) for cur, c in page],
            page_info=PageInfo(has_next_page=more, end_cursor=page[-1][0] if page else None),
        )


@strawberry.type(name="Query")
class LeanQuery:
    @strawberry.field
    async def customers(
        self, info: strawberry.Info, first: int = 20, after: str | None = None
    ) -> LeanCustomerConnection:
        page, more = await customer_page(info, first, after)
        return LeanCustomerConnection(
            edges=[LeanCustomerEdge(cursor=cur, node=lean_customer(c)) for cur, c in page],
            page_info=PageInfo(has_next_page=more, end_cursor=page[-1][0] if page else None),
        )


SCHEMAS = {
    "plain": strawberry.Schema(query=PlainQuery),
    "lean": strawberry.Schema(query=LeanQuery),
}


class ReferenceGraphQL(GraphQL):
    def __init__(self, engine: AsyncEngine, variant: str) -> None:
        super().__init__(SCHEMAS[variant], graphql_ide=None)
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def get_context(self, request: Request, response: Any = None) -> dict[str, Any]:  # type: ignore[override]
        context: dict[str, Any] = {"request": request, "sessions": self.sessions}

        async def authenticate() -> int:
            auth = request.headers.get("authorization") or ""
            business = parse_id(request.headers.get("x-khata-business") or "")
            token_hash = hashlib.sha256(auth.removeprefix("Bearer ").strip().encode()).hexdigest()
            async with self.sessions() as session:
                found = await session.scalar(
                    AUTH,
                    {"hash": token_hash, "now": datetime.now(UTC), "business": business},
                )
            if found is None:
                raise PermissionError("not signed in to that business")
            context["loaders"] = Loaders(self.sessions, int(found))
            return int(found)

        context["authenticate"] = authenticate
        return context


def create_app(
    database_url: str, variant: str = "plain", pool_size: int = 10
) -> tuple[Starlette, AsyncEngine]:
    """variant "plain" (the issue's reference) or "lean" (see the module docstring)."""
    engine = create_async_engine(database_url, pool_size=pool_size, max_overflow=pool_size)
    graphql = ReferenceGraphQL(engine, variant)

    async def healthz(_: Request) -> Any:
        from starlette.responses import JSONResponse

        return JSONResponse({"status": "ok"})

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz),
        ]
    )
    return app, engine
