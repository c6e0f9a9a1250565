"""Customer statements (opening balance, debits and credits with a running balance) and
aging buckets, for one customer or the whole business."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from domain.core.errors import NotFound, ValidationFailed
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.customers.models import Customer
from domain.customers.repository import CustomerRepository
from domain.invoicing.models import Invoice, PaymentMethodKind
from domain.invoicing.repository import InvoiceRepository
from domain.invoicing.service import load_business, local_today

BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")
MAX_DAYS = 3660


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


def bucket(days_past_due: int) -> str:
    if days_past_due <= 0:
        return "current"
    if days_past_due <= 30:
        return "1-30"
    if days_past_due <= 60:
        return "31-60"
    if days_past_due <= 90:
        return "61-90"
    return "90+"


def aging_of(invoices: Sequence[Invoice], as_of: date) -> dict[str, Decimal]:
    result = dict.fromkeys(BUCKETS, Decimal(0))
    for invoice in invoices:
        if invoice.balance > 0:
            result[bucket((as_of - invoice.due_date).days)] += invoice.balance
    return result


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


async def customer_statement(tx: Tx, customer_id: int, start: date, end: date) -> Statement:
    business_id = tx.viewer.require_business(Scope.CUSTOMERS_READ)
    if end < start:
        raise ValidationFailed.one("to", "must not be before from", "INVALID_RANGE")
    if (end - start).days > MAX_DAYS:
        raise ValidationFailed.one("to", "a statement covers at most 10 years", "TOO_LARGE")
    customer = await CustomerRepository(tx.session).get(business_id, customer_id)
    if customer is None:
        raise NotFound("customer", customer_id)
    business = await load_business(tx)
    tz = ZoneInfo(business.timezone)
    start_at, end_at = _local_midnight(start, tz), _local_midnight(end + timedelta(days=1), tz)
    repo = InvoiceRepository(tx.session)
    before_invoices = await repo.statement_invoices(business_id, customer_id, start, None, None)
    before_payments = await repo.statement_payments(business_id, customer_id, None, None, start_at)
    before_notes = await repo.statement_credit_notes(business_id, customer_id, None, None, start_at)
    money_in = [p for p in before_payments if p.method != PaymentMethodKind.CREDIT]
    opening = (
        sum((i.total for i in before_invoices), Decimal(0))
        - sum((p.amount + p.excess_to_credit for p in money_in), Decimal(0))
        - sum((n.amount for n in before_notes), Decimal(0))
    )
    rows: list[tuple[date, int, int, StatementEntry]] = []
    for inv in await repo.statement_invoices(business_id, customer_id, None, start, end):
        rows.append(
            (
                inv.issue_date,
                0,
                inv.id,
                StatementEntry(
                    inv.issue_date,
                    "invoice",
                    inv.number,
                    f"Invoice {inv.number}",
                    inv.total,
                    Decimal(0),
                    Decimal(0),
                ),
            )
        )
    for note in await repo.statement_credit_notes(business_id, customer_id, start_at, end_at, None):
        day = note.issued_at.astimezone(tz).date()
        rows.append(
            (
                day,
                1,
                note.id,
                StatementEntry(
                    day,
                    "credit_note",
                    note.number,
                    note.reason,
                    Decimal(0),
                    note.amount,
                    Decimal(0),
                ),
            )
        )
    for pay in await repo.statement_payments(business_id, customer_id, start_at, end_at, None):
        if pay.method == PaymentMethodKind.CREDIT:
            continue
        day = pay.received_at.astimezone(tz).date()
        rows.append(
            (
                day,
                2,
                pay.id,
                StatementEntry(
                    day,
                    "payment",
                    pay.reference or f"PAY-{pay.id}",
                    f"Payment ({pay.method})",
                    Decimal(0),
                    pay.amount + pay.excess_to_credit,
                    Decimal(0),
                ),
            )
        )
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    balance = opening
    entries = []
    for _, _, _, entry in rows:
        balance += entry.debit - entry.credit
        entry.balance = balance
        entries.append(entry)
    open_invoices = await repo.open_invoices(business_id, customer_id)
    as_of = min(end, local_today(tx, business))
    return Statement(
        customer,
        business.currency,
        start,
        end,
        opening,
        entries,
        balance,
        aging_of(open_invoices, as_of),
    )


async def business_aging(tx: Tx) -> dict[str, Decimal]:
    business_id = tx.viewer.require_business(Scope.CUSTOMERS_READ)
    business = await load_business(tx)
    invoices = await InvoiceRepository(tx.session).open_invoices(business_id, None)
    return aging_of(invoices, local_today(tx, business))


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
            statement.opening_balance,
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
                e.debit or "",
                e.credit or "",
                e.balance,
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
            statement.closing_balance,
        ]
    )
    return out.getvalue()
