"""Customer statements (opening balance, debits and credits with a running balance) and
aging buckets, for one customer or the whole business."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from domain.core.codes import CoreCode
from domain.core.errors import NotFound, ValidationFailed
from domain.core.money import currency_code, format_money
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.customers.models import Customer
from domain.customers.repository import CustomerRepository
from domain.invoicing.codes import InvoicingCode
from domain.invoicing.repository import CREDIT_NOTE_ENTRY, INVOICE_ENTRY
from domain.invoicing.service import load_business, local_today
from domain.invoicing.statement_repository import PURCHASE_ENTRY, StatementRepository

MAX_DAYS = 3660
ZERO = Decimal(0)


@dataclass
class StatementEntry:
    on: date
    kind: str  # invoice | payment | credit_note
    reference: str
    description: str
    debit: Decimal
    credit: Decimal
    balance: Decimal


@dataclass
class Statement:
    customer: Customer
    currency: str
    start: date
    end: date
    opening_balance: Decimal
    entries: list[StatementEntry]
    closing_balance: Decimal
    aging: dict[str, Decimal] = field(default_factory=dict)
    currencies: list[str] = field(default_factory=list)  # the customer's, one statement each


def aging_buckets(as_of: date) -> list[tuple[str, date | None, date | None]]:
    """Each bucket's due dates as (name, due on or after, due before): a balance is
    current until its due date passes, then 1-30 days past due, and so on."""
    day = timedelta(days=1)
    return [
        ("current", as_of, None),
        ("1-30", as_of - 30 * day, as_of),
        ("31-60", as_of - 60 * day, as_of - 30 * day),
        ("61-90", as_of - 90 * day, as_of - 60 * day),
        ("90+", None, as_of - 90 * day),
    ]


async def aging(
    repo: StatementRepository, customer_id: int | None, currency: str, as_of: date
) -> dict[str, Decimal]:
    """Today's open balances, aged as of `as_of`."""
    buckets = aging_buckets(as_of)
    sums = await repo.open_balance_by_due(customer_id, currency, [(f, b) for _, f, b in buckets])
    return _named(buckets, sums)


def _named(
    buckets: list[tuple[str, date | None, date | None]], sums: list[Decimal]
) -> dict[str, Decimal]:
    return {name: total for (name, _, _), total in zip(buckets, sums, strict=True)}


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


async def customer_statement(
    tx: Tx, customer_id: int, start: date, end: date, currency: str | None = None
) -> Statement:
    """One currency's statement (the business's own unless asked): amounts in different
    currencies never share a running balance. Its aging is as the books stood at its
    end: the invoices issued by then, less what was paid and credited by then."""
    tx.viewer.require_business(Scope.INVOICES_READ)
    if end < start:
        raise ValidationFailed.one("to", "must not be before from", InvoicingCode.INVALID_RANGE)
    if (end - start).days > MAX_DAYS:
        raise ValidationFailed.one("to", "a statement covers at most 10 years", CoreCode.TOO_LARGE)
    customer = await CustomerRepository(tx.session, tx.viewer).get(customer_id)
    if customer is None:
        raise NotFound("customer", customer_id)
    business = await load_business(tx)
    code = currency_code(currency, business.currency)
    tz = ZoneInfo(business.timezone)
    start_at, end_at = _local_midnight(start, tz), _local_midnight(end + timedelta(days=1), tz)
    repo = StatementRepository(tx.session, tx.viewer)
    opening = await repo.opening(customer_id, code, start, start_at)
    rows: list[tuple[date, int, int, StatementEntry]] = []
    for kind, row_id, day, at, reference, text, amount in await repo.entries(
        customer_id, code, start, end, start_at, end_at
    ):
        if kind == INVOICE_ENTRY:
            entry = StatementEntry(
                day, "invoice", reference, f"Invoice {reference}", amount, ZERO, ZERO
            )
        elif kind == PURCHASE_ENTRY:  # paid at once: debit and credit, balance unmoved
            entry = StatementEntry(
                day,
                "purchase",
                f"PUR-{row_id}",
                f"Counter purchase ({text})",
                amount,
                amount,
                ZERO,
            )
        else:
            day = at.astimezone(tz).date()
            if kind == CREDIT_NOTE_ENTRY:
                entry = StatementEntry(day, "credit_note", reference, text, ZERO, amount, ZERO)
            else:
                entry = StatementEntry(
                    day,
                    "payment",
                    reference or f"PAY-{row_id}",
                    f"Payment ({text})",
                    ZERO,
                    amount,
                    ZERO,
                )
        rows.append((day, kind, row_id, entry))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    balance = opening
    entries = []
    for _, _, _, entry in rows:
        balance += entry.debit - entry.credit
        entry.balance = balance
        entries.append(entry)
    today = local_today(tx, business)
    if end >= today:  # the books as they stand: the stored balances
        aged = await aging(repo, customer_id, code, today)
    else:
        buckets = aging_buckets(end)
        aged = _named(
            buckets,
            await repo.balance_by_due_as_of(
                customer_id, code, end, end_at, [(f, b) for _, f, b in buckets]
            ),
        )
    return Statement(
        customer,
        code,
        start,
        end,
        opening,
        entries,
        balance,
        aged,
        await repo.currencies(customer_id),
    )


async def business_aging(tx: Tx, currency: str | None = None) -> tuple[str, dict[str, Decimal]]:
    """The whole business's open balances in one currency (its own unless asked)."""
    tx.viewer.require_business(Scope.INVOICES_READ)
    business = await load_business(tx)
    code = currency_code(currency, business.currency)
    repo = StatementRepository(tx.session, tx.viewer)
    return code, await aging(repo, None, code, local_today(tx, business))


def statement_csv(statement: Statement) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["date", "type", "reference", "description", "debit", "credit", "balance"])
    writer.writerow(
        [
            statement.start.isoformat(),
            "opening",
            "",
            "Opening balance",
            "",
            "",
            format_money(statement.opening_balance, statement.currency),
        ]
    )
    for e in statement.entries:
        description = ("'" + e.description) if e.description[:1] in "=+-@" else e.description
        writer.writerow(
            [
                e.on.isoformat(),
                e.kind,
                e.reference,
                description,
                format_money(e.debit, statement.currency) if e.debit else "",
                format_money(e.credit, statement.currency) if e.credit else "",
                format_money(e.balance, statement.currency),
            ]
        )
    writer.writerow(
        [
            statement.end.isoformat(),
            "closing",
            "",
            "Closing balance",
            "",
            "",
            format_money(statement.closing_balance, statement.currency),
        ]
    )
    return out.getvalue()
