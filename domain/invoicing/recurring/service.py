"""Recurring schedules: saving (every template check createInvoice makes, so an
occurrence never fails on its lines), pause/resume, and issuing one occurrence.

The next occurrence is a business-local date; it is due once the business's own today
reaches it. Pausing skips: on resume the schedule continues from today, the occurrences
of the pause are not issued. An ended schedule (past its end date or count) stays ended
unless an update moves its end."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from domain.core.codes import CoreCode
from domain.core.errors import Conflict, ErrorCollector, NotFound, ValidationFailed
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.customers.models import Customer
from domain.customers.repository import CustomerRepository
from domain.invoicing import sending
from domain.invoicing import service as invoicing
from domain.invoicing.codes import InvoicingCode
from domain.invoicing.invoice_data import InvoiceOptions, invoice_options
from domain.invoicing.models import Invoice
from domain.invoicing.recurring.calendar import Rule
from domain.invoicing.recurring.models import Frequency, RecurringSchedule, ScheduleStatus
from domain.invoicing.recurring.repository import RecurringRepository
from domain.invoicing.recurring.template import stored_template, template_lines, template_options

MAX_INTERVAL = {Frequency.WEEKLY: 52, Frequency.MONTHLY: 24}
MAX_COUNT = 1000
MAX_DUE_DAYS = 365
CHANNELS = {"sms", "email"}


@dataclass
class ScheduleData(InvoiceOptions):
    """A schedule's rule and template (the invoice lines and options, as createInvoice
    takes them)."""

    customer_id: int
    frequency: Frequency
    start_date: date
    lines: list[invoicing.LineData]
    interval: int = 1
    weekday: int | None = None  # 0 = Monday; default: the start date's
    day_of_month: int | None = None  # 1-31; default: the start date's
    end_date: date | None = None
    count: int | None = None
    due_in_days: int | None = None  # default: the customer's payment terms
    send_on_create: bool = False
    send_channels: list[str] = field(default_factory=lambda: ["sms"])


def rule_of(s: RecurringSchedule) -> Rule:
    return Rule(Frequency(s.frequency), s.interval, s.start_date, s.weekday, s.day_of_month)


def schedule_data(s: RecurringSchedule) -> ScheduleData:
    """The saved schedule as input again (an update changes some of it)."""
    t = s.template
    return ScheduleData(
        customer_id=s.customer_id,
        frequency=Frequency(s.frequency),
        start_date=s.start_date,
        interval=s.interval,
        weekday=s.weekday,
        day_of_month=s.day_of_month,
        end_date=s.end_date,
        count=s.max_count,
        lines=template_lines(t),
        **template_options(t),
        due_in_days=t.get("due_in_days"),
        send_on_create=s.send_on_create,
        send_channels=list(s.send_channels),
    )


def invoice_data(s: RecurringSchedule, on: date) -> invoicing.InvoiceData:
    """The invoice of the occurrence on `on`: issued that day (its own date, also when a
    missed occurrence is caught up later)."""
    d = schedule_data(s)
    return invoicing.InvoiceData(
        customer_id=s.customer_id,
        lines=d.lines,
        issue_date=on,
        due_date=on + timedelta(days=d.due_in_days) if d.due_in_days is not None else None,
        **invoice_options(d),
        extra_event={"recurringScheduleId": s.id, "occurrenceDate": on.isoformat()},
    )


def _check_rule(d: ScheduleData, today: date, start_changed: bool) -> ErrorCollector:
    errors = ErrorCollector()
    if not 1 <= d.interval <= MAX_INTERVAL[d.frequency]:
        errors.add("interval", f"must be 1-{MAX_INTERVAL[d.frequency]}", CoreCode.OUT_OF_RANGE)
    if d.frequency is Frequency.WEEKLY:
        d.day_of_month = None
        d.weekday = d.start_date.weekday() if d.weekday is None else d.weekday
        if not 0 <= d.weekday <= 6:
            errors.add("weekday", "must be a day of the week", CoreCode.OUT_OF_RANGE)
    else:
        d.weekday = None
        d.day_of_month = d.start_date.day if d.day_of_month is None else d.day_of_month
        if not 1 <= d.day_of_month <= 31:
            errors.add("dayOfMonth", "must be 1-31", CoreCode.OUT_OF_RANGE)
    if start_changed and d.start_date < today:
        errors.add("startDate", "cannot be in the past", InvoicingCode.INVALID_DATE)
    if d.end_date is not None and d.end_date < d.start_date:
        errors.add("endDate", "cannot be before the start date", InvoicingCode.INVALID_DATE)
    if d.count is not None and not 1 <= d.count <= MAX_COUNT:
        errors.add("count", f"must be 1-{MAX_COUNT}", CoreCode.OUT_OF_RANGE)
    if d.due_in_days is not None and not 0 <= d.due_in_days <= MAX_DUE_DAYS:
        errors.add("dueInDays", f"must be 0-{MAX_DUE_DAYS}", CoreCode.OUT_OF_RANGE)
    d.send_channels = sorted({c.lower() for c in d.send_channels})
    if not d.send_channels or not set(d.send_channels) <= CHANNELS:
        errors.add("sendChannels", "choose sms and/or email", CoreCode.INVALID_CHOICE)
    return errors


async def _apply(tx: Tx, s: RecurringSchedule, d: ScheduleData, start_changed: bool) -> None:
    """Checks `d` (every bad field at once) and writes it onto `s` with its next date."""
    business = await invoicing.load_business(tx)
    today = invoicing.business_today(business, tx.now())
    errors = _check_rule(d, today, start_changed)
    customer = await CustomerRepository(tx.session, tx.viewer).get(d.customer_id)
    sample = dataclasses.replace(schedule_as_invoice(d), issue_date=d.start_date)
    try:
        currency, totals = invoicing.check_invoice(sample, customer, business, today)
    except ValidationFailed as exc:
        errors.merge(exc)
    errors.raise_if_any()
    d.place_of_supply = sample.place_of_supply  # as the tax engine normalised it
    for key, value in {
        "customer_id": d.customer_id,
        "frequency": d.frequency.value,
        "interval": d.interval,
        "weekday": d.weekday,
        "day_of_month": d.day_of_month,
        "start_date": d.start_date,
        "end_date": d.end_date,
        "max_count": d.count,
        "template": stored_template(d.lines, d, d.due_in_days),
        "estimated_total": totals.total,
        "currency": currency,
        "send_on_create": d.send_on_create,
        "send_channels": d.send_channels,
        "updated_at": tx.now(),
    }.items():
        setattr(s, key, value)
    begin = max(today, d.start_date)
    if s.last_date is not None:
        begin = max(begin, s.last_date + timedelta(days=1))
    _settle(s, rule_of(s).on_or_after(begin))
    if s.next_date is None and s.created_count == 0:
        raise ValidationFailed.one(
            "endDate", "no occurrence falls before the end date", InvoicingCode.INVALID_DATE
        )


def schedule_as_invoice(d: ScheduleData) -> invoicing.InvoiceData:
    return invoicing.InvoiceData(customer_id=d.customer_id, lines=d.lines, **invoice_options(d))


def _settle(s: RecurringSchedule, candidate: date) -> None:
    """`candidate` becomes the next date, or the schedule ends (its count is reached or
    the candidate is past its end date). A paused schedule stays paused."""
    done = s.max_count is not None and s.created_count >= s.max_count
    if done or (s.end_date is not None and candidate > s.end_date):
        s.status, s.next_date = ScheduleStatus.ENDED, None
        return
    s.next_date = candidate
    if s.status == ScheduleStatus.ENDED:
        s.status = ScheduleStatus.ACTIVE


async def create_schedule(tx: Tx, d: ScheduleData) -> RecurringSchedule:
    business_id = tx.viewer.require_business(Scope.INVOICES_WRITE)
    now = tx.now()
    s = RecurringSchedule(
        business_id=business_id,
        status=ScheduleStatus.ACTIVE,
        created_count=0,
        last_date=None,
        last_error=None,
        created_by=tx.viewer.actor_label,
        created_at=now,
    )
    await _apply(tx, s, d, start_changed=True)
    await RecurringRepository(tx.session, tx.viewer).add(s)
    return s


async def get_schedule(tx: Tx, schedule_id: int, *, lock: bool = False) -> RecurringSchedule:
    tx.viewer.require_business(Scope.INVOICES_READ)
    s = await RecurringRepository(tx.session, tx.viewer).get_row(
        RecurringSchedule, schedule_id, lock=lock
    )
    if s is None:
        raise NotFound("recurring schedule", schedule_id)
    return s


async def update_schedule(tx: Tx, schedule_id: int, changes: dict[str, Any]) -> RecurringSchedule:
    """`changes`: ScheduleData fields to replace (the customer stays)."""
    tx.viewer.require_business(Scope.INVOICES_WRITE)
    s = await get_schedule(tx, schedule_id, lock=True)
    before = schedule_data(s)
    changes.pop("customer_id", None)
    d = dataclasses.replace(before, **changes)
    await _apply(tx, s, d, start_changed=d.start_date != before.start_date)
    return s


async def pause_schedule(tx: Tx, schedule_id: int) -> RecurringSchedule:
    tx.viewer.require_business(Scope.INVOICES_WRITE)
    s = await get_schedule(tx, schedule_id, lock=True)
    if s.status != ScheduleStatus.ACTIVE:
        raise Conflict(f"the schedule is {s.status}, not active")
    s.status, s.updated_at = ScheduleStatus.PAUSED, tx.now()
    return s


async def resume_schedule(tx: Tx, schedule_id: int) -> RecurringSchedule:
    """Continues from today (the business's): occurrences of the pause are skipped."""
    tx.viewer.require_business(Scope.INVOICES_WRITE)
    s = await get_schedule(tx, schedule_id, lock=True)
    if s.status != ScheduleStatus.PAUSED:
        raise Conflict(f"the schedule is {s.status}, not paused")
    today = invoicing.business_today(await invoicing.load_business(tx), tx.now())
    begin = max(today, s.start_date)
    if s.last_date is not None:
        begin = max(begin, s.last_date + timedelta(days=1))
    s.status, s.last_error, s.updated_at = ScheduleStatus.ACTIVE, None, tx.now()
    _settle(s, rule_of(s).on_or_after(begin))
    return s


async def delete_schedule(tx: Tx, schedule_id: int) -> RecurringSchedule:
    """The schedule goes; the invoices it issued stay (their timeline names it)."""
    tx.viewer.require_business(Scope.INVOICES_WRITE)
    s = await get_schedule(tx, schedule_id, lock=True)
    await RecurringRepository(tx.session, tx.viewer).delete(s)
    return s


@dataclass
class Issued:
    on: date
    invoice: Invoice | None  # None: this date had been issued already
    more: bool  # the next occurrence is due too (catching up)


async def issue_next(tx: Tx, schedule_id: int, public_url: str) -> Issued | None:
    """Issues the schedule's next occurrence if it is due: claims (schedule, date) in the
    occurrence table, creates the invoice through the invoicing service, sends it when
    asked (the sendInvoice path), and moves the schedule on, all in the caller's
    transaction. None when nothing is due. The schedule row is locked first, so a
    concurrent scan waits here and then sees the moved schedule."""
    repo = RecurringRepository(tx.session, tx.viewer)
    s = await repo.get_row(RecurringSchedule, schedule_id, lock=True)
    if s is None or s.status != ScheduleStatus.ACTIVE or s.next_date is None:
        return None
    today = invoicing.business_today(await invoicing.load_business(tx), tx.now())
    on = s.next_date
    if on > today:
        return None
    invoice = None
    occurrence_id = await repo.claim_occurrence(s, on, tx.now())
    if occurrence_id is not None:
        invoice = await invoicing.create_invoice(tx, invoice_data(s, on))
        await repo.link_invoice(occurrence_id, invoice.id)
        s.created_count += 1
        if s.send_on_create:
            await sending.send_invoice(
                tx,
                invoice.id,
                list(s.send_channels),
                include_pdf=True,
                message=None,
                scheduled_at=None,
                public_url=public_url,
            )
    s.last_date, s.last_error, s.updated_at = on, None, tx.now()
    _settle(s, rule_of(s).after(on))
    more = s.status == ScheduleStatus.ACTIVE and s.next_date is not None and s.next_date <= today
    return Issued(on, invoice, more)


async def stop_on_error(tx: Tx, schedule_id: int, message: str) -> None:
    """An occurrence the invoicing service refused (say the customer was archived):
    the schedule pauses with the reason, for the owner to fix and resume."""
    s = await RecurringRepository(tx.session, tx.viewer).get_row(
        RecurringSchedule, schedule_id, lock=True
    )
    if s is not None and s.status == ScheduleStatus.ACTIVE:
        s.status, s.last_error, s.updated_at = ScheduleStatus.PAUSED, message[:500], tx.now()


async def _move_schedules(tx: Tx, source: Customer, target: Customer) -> int:
    """Merge mover: a merged customer's schedules follow it to the surviving customer."""
    return await RecurringRepository(tx.session, tx.viewer).move_customer(source.id, target.id)


def _register() -> None:
    from domain.customers.merge import register_mover

    register_mover("recurring_schedules", _move_schedules)


_register()
