"""What an invoice is made from (`InvoiceData`, `LineData`) and every check made before
one is written: fields, dates, the tax engine's totals, the columns its lines store.
Apart from the writes, so a recurring schedule's template or an order is checked by the
same rules as createInvoice."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from domain.accounts.models import Business
from domain.core.codes import CoreCode
from domain.core.errors import ErrorCollector, NotFound, ValidationFailed
from domain.core.gst import gst_state_code, gstin_state
from domain.core.money import is_currency_code
from domain.customers.models import Customer, CustomerStatus
from domain.invoicing import tax
from domain.invoicing.codes import InvoicingCode

TERMS_DAYS = {"due_on_receipt": 0, "net_15": 15, "net_30": 30, "net_60": 60}
MAX_LINES = 200


@dataclass
class LineData:
    description: str
    quantity: Decimal
    unit_price: Decimal
    unit: str | None = None
    discount_percent: Decimal | None = None
    discount_amount: Decimal | None = None
    tax_rate: Decimal | None = None


def line_data(source: Any) -> LineData:
    """The line of anything that holds a line's fields by the same names (a GraphQL line
    input, a stored order line)."""
    return LineData(**{f.name: getattr(source, f.name) for f in fields(LineData)})


@dataclass(kw_only=True)
class InvoiceOptions:
    """An invoice's options beside its customer, lines and dates, as createInvoice takes
    them: defined once for the invoice, a recurring schedule's template (which stores
    them for every occurrence) and the schedule's GraphQL input. Keyword-only, so a class
    built on it keeps its own positional fields first."""

    currency: str | None = None
    prices_include_tax: bool = False
    place_of_supply: str | None = None
    discount_percent: Decimal | None = None
    discount_amount: Decimal | None = None
    notes: str | None = None
    terms: str | None = None


OPTION_NAMES = tuple(f.name for f in fields(InvoiceOptions))


def invoice_options(source: Any) -> dict[str, Any]:
    """The `InvoiceOptions` fields of `source` by name, to pass on to another class
    built on it (a schedule's template to its invoices, an input to the domain)."""
    return {name: getattr(source, name) for name in OPTION_NAMES}


@dataclass
class InvoiceData(InvoiceOptions):
    customer_id: int
    lines: list[LineData]
    issue_date: date | None = None
    due_date: date | None = None
    template_id: int | None = None
    draft_id: int | None = None
    order_id: int | None = None  # the order this invoice bills (invoiceOrder)
    extra_event: dict[str, Any] = field(default_factory=dict)


def validate_lines(
    lines: list[LineData], errors: ErrorCollector, *, document: str = "invoice"
) -> None:
    """The lines' own fields; an order's lines (`document="order"`) follow the same rules."""
    if not lines:
        errors.add("lines", f"an {document} needs at least one line", CoreCode.REQUIRED)
    if len(lines) > MAX_LINES:
        errors.add("lines", f"at most {MAX_LINES} lines", CoreCode.TOO_MANY)
    for i, line in enumerate(lines):
        if not line.description.strip():
            errors.add(f"lines.{i}.description", "is required", CoreCode.REQUIRED)
        elif len(line.description) > 500:
            errors.add(
                f"lines.{i}.description", "must be at most 500 characters", CoreCode.TOO_LONG
            )
        if line.unit is not None and len(line.unit) > 20:
            errors.add(f"lines.{i}.unit", "must be at most 20 characters", CoreCode.TOO_LONG)


def compute(data: InvoiceData, business: Business, currency: str) -> tax.InvoiceTotals:
    lines = [
        tax.LineInput(
            description=line.description.strip(),
            quantity=line.quantity,
            unit_price=line.unit_price,
            unit=line.unit,
            discount_percent=line.discount_percent,
            discount_amount=line.discount_amount,
            tax_rate=line.tax_rate,
        )
        for line in data.lines
    ]
    ctx = tax.TaxContext(
        country=business.country,
        currency=currency,
        inclusive=data.prices_include_tax,
        seller_region=business_region(business),
        buyer_region=data.place_of_supply,
    )
    return tax.compute_invoice(
        lines,
        ctx,
        invoice_discount_percent=data.discount_percent,
        invoice_discount_amount=data.discount_amount,
    )


def checked_place_of_supply(
    given: str | None, business: Business, errors: ErrorCollector
) -> tuple[str | None, bool]:
    """The place of supply as stored, and whether it may be stored: blank is none; in
    India it is stored as the GST state code (a name that is no state is refused by the
    tax engine); longer than 10 characters is an error. Invoices and orders alike."""
    place = given if given is None or given.strip() else None
    if place is not None and business.country == "IN":
        place = gst_state_code(place) or place
    if place is not None and len(place) > 10:
        errors.add("placeOfSupply", "must be at most 10 characters", CoreCode.TOO_LONG)
        return place, False
    return place, True


def business_region(business: Business) -> str | None:
    """India GST: the seller's state is the first two digits of its GSTIN, else the state
    set on the business (`stateCode`)."""
    if business.country != "IN":
        return None
    return gstin_state(business.tax_id) or business.state_code


def prepare(
    data: InvoiceData, customer: Customer | None, business: Business, today: date
) -> tuple[str, date, date, tax.InvoiceTotals]:
    """Everything checkable before writing: a bad item fails alone, with every bad field."""
    if customer is None:
        raise NotFound("customer", data.customer_id)
    errors = ErrorCollector()
    if customer.status != CustomerStatus.ACTIVE:
        errors.add("customerId", f"customer is {customer.status}", InvoicingCode.CUSTOMER_INACTIVE)
    currency = (data.currency or business.currency).upper()
    if not is_currency_code(currency):
        errors.add("currency", "is not an ISO 4217 code", CoreCode.INVALID_CURRENCY)
    validate_lines(data.lines, errors)
    for name in ("notes", "terms"):
        value = getattr(data, name)
        if value and len(value) > 5000:
            errors.add(name, "must be at most 5000 characters", CoreCode.TOO_LONG)
    data.place_of_supply, _ = checked_place_of_supply(data.place_of_supply, business, errors)
    issue = data.issue_date or today
    due = data.due_date or issue + timedelta(days=TERMS_DAYS.get(customer.payment_terms, 0))
    if due < issue:
        errors.add("dueDate", "cannot be before the issue date", InvoicingCode.INVALID_DATE)
    totals = None
    try:
        totals = compute(data, business, currency)
    except ValidationFailed as exc:  # report every bad field at once, without repeats
        errors.merge(exc)
    errors.raise_if_any()
    assert totals is not None
    return currency, issue, due, totals


def check_invoice(
    data: InvoiceData, customer: Customer | None, business: Business, today: date
) -> tuple[str, tax.InvoiceTotals]:
    """Every check `create_invoice` makes, without writing: the currency and totals the
    invoice would get (a recurring schedule's template is checked when it is saved)."""
    currency, _, _, totals = prepare(data, customer, business, today)
    return currency, totals


def component_json(c: Any) -> dict[str, str]:
    """A tax component as invoices and orders store it."""
    return {"name": c.name, "rate": str(c.rate), "taxable": str(c.taxable), "amount": str(c.amount)}


def line_columns(position: int, src: LineData, lt: Any) -> dict[str, Any]:
    """The columns an invoice line and an order line share: what was asked and what the
    tax engine computed for it."""
    return {
        "position": position,
        "description": src.description.strip(),
        "quantity": src.quantity,
        "unit": src.unit,
        "unit_price": src.unit_price,
        "discount_percent": src.discount_percent,
        "discount_amount": src.discount_amount,
        "tax_rate": lt.tax_rate,
        "gross": lt.gross,
        "discount": lt.discount,
        "taxable": lt.taxable,
        "tax": lt.tax,
        "total": lt.total,
        "tax_components": [component_json(c) for c in lt.components],
    }
