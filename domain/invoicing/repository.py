"""All SQL for invoices, their lines, events, payments and credit notes. Every read goes
through `read_policy` (what the viewer may see); writes carry the business id their
service set from the viewer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    case,
    func,
    or_,
    select,
    update,
)

from domain.core.repository import TenantRepository
from domain.invoicing.models import (
    CreditNote,
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    InvoiceStatus,
    Payment,
)

OPEN = (InvoiceStatus.ISSUED, InvoiceStatus.SENT, InvoiceStatus.PARTIALLY_PAID)
# statement_entries' first column; also the order of entries on one day
INVOICE_ENTRY, CREDIT_NOTE_ENTRY, PAYMENT_ENTRY = 0, 1, 2


@dataclass
class InvoiceFilter:
    statuses: Sequence[str] = ()
    overdue_on: date | None = None  # only invoices overdue on this business-local date
    customer_id: int | None = None
    issued_from: date | None = None
    issued_to: date | None = None
    total_min: Decimal | None = None
    total_max: Decimal | None = None
    number: str | None = None
    currency: str | None = None


class InvoiceRepository(TenantRepository):
    """Invoices, lines, events, payments and credit notes: the business's own. A system
    actor with no business is a trusted server-side lookup (a verified webhook, a
    payment link) that found its row first."""

    system_reads_across = True

    async def get(self, invoice_id: int, *, lock: bool = False) -> Invoice | None:
        return await self.get_row(Invoice, invoice_id, lock=lock)

    async def by_number(self, number: str) -> Invoice | None:
        return await self.s.scalar(self.readable(Invoice).where(Invoice.number == number))

    async def by_payment_token(self, token: str, *, lock: bool = False) -> Invoice | None:
        stmt = self.readable(Invoice).where(Invoice.payment_token == token)
        if lock:
            stmt = stmt.with_for_update()
        return await self.s.scalar(stmt)

    async def lock(self, invoice: Invoice) -> None:
        """Row lock on PostgreSQL (SQLite writers are already serialised)."""
        await self.s.execute(select(Invoice.id).where(Invoice.id == invoice.id).with_for_update())
        await self.s.refresh(invoice)

    def _filtered(self, f: InvoiceFilter) -> Any:
        conditions: list[ColumnElement[bool]] = []
        if f.statuses:
            conditions.append(Invoice.status.in_(f.statuses))
        if f.overdue_on is not None:
            conditions += [
                Invoice.status.in_(OPEN),
                Invoice.due_date < f.overdue_on,
                Invoice.balance > 0,
            ]
        if f.customer_id is not None:
            conditions.append(Invoice.customer_id == f.customer_id)
        if f.issued_from is not None:
            conditions.append(Invoice.issue_date >= f.issued_from)
        if f.issued_to is not None:
            conditions.append(Invoice.issue_date <= f.issued_to)
        if f.total_min is not None:
            conditions.append(Invoice.total >= f.total_min)
        if f.total_max is not None:
            conditions.append(Invoice.total <= f.total_max)
        if f.number:
            conditions.append(Invoice.number.like(f"%{f.number.upper()}%"))
        if f.currency is not None:
            conditions.append(Invoice.currency == f.currency)
        return self.readable(Invoice).where(*conditions)

    async def page(
        self,
        f: InvoiceFilter,
        first: int,
        after: tuple[Any, int] | None,
        sort: str,
        descending: bool,
    ) -> tuple[Sequence[Invoice], bool]:
        expr: Any = {
            "issue_date": Invoice.issue_date,
            "due_date": Invoice.due_date,
            "total": Invoice.total,
            "balance": Invoice.balance,
        }.get(sort, Invoice.id)
        stmt = self._filtered(f)
        if after is not None:
            value, last_id = after
            if expr is Invoice.id:
                stmt = stmt.where(Invoice.id < last_id if descending else Invoice.id > last_id)
            elif descending:
                stmt = stmt.where(or_(expr < value, and_(expr == value, Invoice.id < last_id)))
            else:
                stmt = stmt.where(or_(expr > value, and_(expr == value, Invoice.id > last_id)))
        order = [expr.desc(), Invoice.id.desc()] if descending else [expr.asc(), Invoice.id.asc()]
        if expr is Invoice.id:
            order = order[:1]
        rows = (await self.s.scalars(stmt.order_by(*order).limit(first + 1))).all()
        return rows[:first], len(rows) > first

    async def count(self, f: InvoiceFilter) -> int:
        sub = self._filtered(f).with_only_columns(Invoice.id).subquery()
        return int((await self.s.execute(select(func.count()).select_from(sub))).scalar_one())

    async def totals(self, f: InvoiceFilter) -> tuple[int, Decimal, Decimal, Decimal]:
        """Count, total, paid and balance of the matching non-void invoices, summed in SQL."""
        sub = self._filtered(f).where(Invoice.status != InvoiceStatus.VOID).subquery()
        row = (
            await self.s.execute(
                select(
                    func.count(sub.c.id),
                    func.coalesce(func.sum(sub.c.total), 0),
                    func.coalesce(func.sum(sub.c.amount_paid), 0),
                    func.coalesce(func.sum(sub.c.balance), 0),
                )
            )
        ).one()
        return int(row[0]), Decimal(row[1]), Decimal(row[2]), Decimal(row[3])

    def _lines_of(self, invoice_ids: Sequence[int], *columns: Any) -> Any:
        return (
            self.readable(InvoiceLine, *columns)
            .where(InvoiceLine.invoice_id.in_(invoice_ids))
            .order_by(InvoiceLine.invoice_id, InvoiceLine.position)
        )

    async def lines_for(self, invoice_ids: Sequence[int]) -> Sequence[InvoiceLine]:
        return (await self.s.scalars(self._lines_of(invoice_ids))).all()

    async def lines_as_written(self, invoice_ids: Sequence[int]) -> Sequence[InvoiceLine]:
        """The invoices' lines in the order they were written (a later price wins)."""
        stmt = (
            self.readable(InvoiceLine)
            .where(InvoiceLine.invoice_id.in_(invoice_ids))
            .order_by(InvoiceLine.id)
        )
        return (await self.s.scalars(stmt)).all()

    async def line_rows_for(self, invoice_ids: Sequence[int]) -> Sequence[Row[Any]]:
        """As lines_for, as plain rows for read-only views."""
        stmt = self._lines_of(invoice_ids, *InvoiceLine.__table__.columns)
        return (await self.s.execute(stmt)).all()

    async def history(self, customer_id: int, limit: int) -> Sequence[Invoice]:
        """The customer's live (not void) invoices, oldest first, at most `limit`."""
        stmt = (
            self.readable(Invoice)
            .where(Invoice.customer_id == customer_id, Invoice.status != InvoiceStatus.VOID)
            .order_by(Invoice.issue_date, Invoice.id)
            .limit(limit)
        )
        return (await self.s.scalars(stmt)).all()

    async def for_orders(self, order_ids: Sequence[int]) -> Sequence[Invoice]:
        """The invoices made from these orders (invoiceOrder), oldest first."""
        stmt = (
            self.readable(Invoice)
            .where(Invoice.order_id.in_(order_ids))
            .order_by(Invoice.order_id, Invoice.id)
        )
        return (await self.s.scalars(stmt)).all()

    async def payments_for(self, invoice_ids: Sequence[int]) -> Sequence[Payment]:
        stmt = (
            self.readable(Payment)
            .where(Payment.invoice_id.in_(invoice_ids))
            .order_by(Payment.invoice_id, Payment.received_at, Payment.id)
        )
        return (await self.s.scalars(stmt)).all()

    async def credit_notes_for(self, invoice_ids: Sequence[int]) -> Sequence[CreditNote]:
        stmt = (
            self.readable(CreditNote)
            .where(CreditNote.invoice_id.in_(invoice_ids))
            .order_by(CreditNote.invoice_id, CreditNote.id)
        )
        return (await self.s.scalars(stmt)).all()

    async def events_for(self, invoice_ids: Sequence[int]) -> Sequence[InvoiceEvent]:
        stmt = (
            self.readable(InvoiceEvent)
            .where(InvoiceEvent.invoice_id.in_(invoice_ids))
            .order_by(InvoiceEvent.invoice_id, InvoiceEvent.id)
        )
        return (await self.s.scalars(stmt)).all()

    async def newest_per_customer(
        self, customer_ids: Sequence[int], per_customer: int
    ) -> Sequence[Invoice]:
        """The N newest invoices of each customer in one statement (window function)."""
        stmt = self._newest(customer_ids, per_customer, select(Invoice))
        return (await self.s.scalars(stmt)).all()

    async def newest_rows_per_customer(
        self, customer_ids: Sequence[int], per_customer: int
    ) -> Sequence[Row[Any]]:
        """As newest_per_customer, as plain rows (every column, attribute access by column
        name) for read-only views: no ORM identity map or instance state to build."""
        stmt = self._newest(customer_ids, per_customer, select(*Invoice.__table__.columns))
        return (await self.s.execute(stmt)).all()

    def _newest(
        self, customer_ids: Sequence[int], per_customer: int, base: Select[Any]
    ) -> Select[Any]:
        ranked = (
            self.readable(
                Invoice,
                Invoice.id,
                func.row_number()
                .over(
                    partition_by=Invoice.customer_id,
                    order_by=(Invoice.issue_date.desc(), Invoice.id.desc()),
                )
                .label("rank"),
            )
            .where(Invoice.customer_id.in_(customer_ids))
            .subquery()
        )
        return (
            base.join(ranked, ranked.c.id == Invoice.id)
            .where(ranked.c.rank <= per_customer)
            .order_by(Invoice.customer_id, Invoice.issue_date.desc(), Invoice.id.desc())
        )

    async def payment_by_key(self, key: str) -> Payment | None:
        return await self.s.scalar(self.readable(Payment).where(Payment.idempotency_key == key))

    async def payment_by_provider_id(self, provider: str, provider_id: str) -> Payment | None:
        return await self.s.scalar(
            self.readable(Payment).where(
                Payment.provider == provider,
                Payment.provider_payment_id == provider_id,
            )
        )

    async def credit_note(self, note_id: int) -> CreditNote | None:
        return await self.get_row(CreditNote, note_id)

    async def payment(self, payment_id: int, *, lock: bool = False) -> Payment | None:
        return await self.get_row(Payment, payment_id, lock=lock)

    async def customers_totals(
        self,
        customer_ids: Sequence[int],
        currency: str,
        *,
        paid_rows_for: Sequence[int] | None = None,
    ) -> dict[int, dict[str, Any]]:
        """One grouped query for the summaries of the given customers.
        Money (billed, paid, outstanding) counts invoices in `currency` only; counts, dates
        and status count every live invoice. `paid_rows` (for the average days to pay) is
        read for `paid_rows_for` only, by default for every customer; the others get None
        (their paid invoices did not change)."""
        live = and_(
            self.read_policy(Invoice),
            Invoice.customer_id.in_(customer_ids),
            Invoice.status != InvoiceStatus.VOID,
        )
        mine = Invoice.currency == currency

        def money(amount: Any) -> Any:
            return func.coalesce(func.sum(case((mine, amount), else_=0)), 0)

        rows = (
            await self.s.execute(
                select(
                    Invoice.customer_id,
                    money(Invoice.total - Invoice.amount_credited),
                    money(Invoice.amount_paid),
                    money(Invoice.balance),
                    func.count(Invoice.id),
                    func.max(Invoice.issue_date),
                    func.min(
                        case(
                            (and_(Invoice.status.in_(OPEN), Invoice.balance > 0), Invoice.due_date)
                        )
                    ),
                    func.coalesce(
                        func.sum(
                            case((Invoice.status == InvoiceStatus.PARTIALLY_PAID, 1), else_=0)
                        ),
                        0,
                    ),
                )
                .where(live)
                .group_by(Invoice.customer_id)
            )
        ).all()
        wanted = list(customer_ids if paid_rows_for is None else paid_rows_for)
        paid: dict[int, list[Any]] = {cid: [] for cid in wanted}
        if wanted:
            for cid, issued, paid_at in (
                await self.s.execute(
                    self.readable(
                        Invoice, Invoice.customer_id, Invoice.issue_date, Invoice.paid_at
                    ).where(
                        Invoice.customer_id.in_(wanted),
                        Invoice.status == InvoiceStatus.PAID,
                    )
                )
            ).all():
                paid[cid].append((issued, paid_at))
        out: dict[int, dict[str, Any]] = {
            cid: {
                "billed": Decimal(0),
                "paid": Decimal(0),
                "outstanding": Decimal(0),
                "count": 0,
                "last_issue": None,
                "oldest_due": None,
                "partial": 0,
                "paid_rows": paid.get(cid),
            }
            for cid in customer_ids
        }
        for row in rows:
            out[row[0]] |= {
                "billed": Decimal(row[1]),
                "paid": Decimal(row[2]),
                "outstanding": Decimal(row[3]),
                "count": int(row[4]),
                "last_issue": row[5],
                "oldest_due": row[6],
                "partial": int(row[7]),
            }
        return out

    async def other_currency_totals(
        self, customer_ids: Sequence[int], currency: str
    ) -> Sequence[Any]:
        """Per customer and currency other than `currency` (the business's, which the stored
        summary holds): billed, paid, outstanding and how many live invoices."""
        return (
            await self.s.execute(
                select(
                    Invoice.customer_id,
                    Invoice.currency,
                    func.sum(Invoice.total - Invoice.amount_credited).label("billed"),
                    func.sum(Invoice.amount_paid).label("paid"),
                    func.sum(Invoice.balance).label("outstanding"),
                    func.count(Invoice.id).label("invoices"),
                )
                .where(
                    self.read_policy(Invoice),
                    Invoice.customer_id.in_(customer_ids),
                    Invoice.status != InvoiceStatus.VOID,
                    Invoice.currency != currency,
                )
                .group_by(Invoice.customer_id, Invoice.currency)
                .order_by(Invoice.customer_id, Invoice.currency)
            )
        ).all()

    async def move_customer(self, source_id: int, target_id: int) -> int:
        moved = 0
        for model in (Invoice, Payment, CreditNote):
            result = await self.s.execute(
                update(model)
                .where(self.read_policy(model), model.customer_id == source_id)  # type: ignore[attr-defined]
                .values(customer_id=target_id)
            )
            if model is Invoice:
                moved = int(result.rowcount or 0)  # type: ignore[attr-defined]
        return moved
