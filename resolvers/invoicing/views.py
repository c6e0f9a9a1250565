"""Domain rows of invoicing as schema types, in the business's own calendar."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import strawberry

from domain.core.money import quantum
from domain.core.tx import Tx
from domain.invoicing import service, statements
from domain.invoicing.models import Invoice as InvoiceRow
from resolvers.base import Info
from schema.types.common import Money
from schema.types.invoicing.objects import (
    Invoice,
)
from schema.types.invoicing.reports import AgingBuckets, Statement, StatementEntry


async def _today(info: Info, tx: Tx) -> date:
    cache = info.context.business_cache
    if tx.business_id not in cache:
        cache[tx.business_id] = await service.load_business(tx)
    return service.local_today(tx, cache[tx.business_id])


async def _view(info: Info, tx: Tx, row: InvoiceRow) -> Invoice:
    return Invoice.from_row(row, await _today(info, tx), info.context.rt.settings.public_url)


def _money_map(s: statements.Statement) -> Statement:
    cur = s.currency
    q = quantum(cur)

    def money(amount: Decimal) -> Money:  # Money.of without its per-call lookups
        return Money(amount=amount.quantize(q, ROUND_HALF_UP), currency=cur)

    zero = money(Decimal(0))  # one shared object for the empty side of every entry
    return Statement(
        customer_id=strawberry.ID(""),
        currency=cur,
        start=s.start,
        end=s.end,
        opening_balance=money(s.opening_balance),
        entries=[
            StatementEntry(
                date=e.on,
                kind=e.kind,
                reference=e.reference,
                description=e.description,
                debit=money(e.debit) if e.debit else zero,
                credit=money(e.credit) if e.credit else zero,
                balance=money(e.balance),
            )
            for e in s.entries
        ],
        closing_balance=money(s.closing_balance),
        aging=AgingBuckets.of(s.aging, cur),
        pdf_url=None,
        currencies=s.currencies,
        csv_of=lambda: statements.statement_csv(s),
    )
