"""View models for rendered invoices and statements (PDF and HTML).

They hold exactly what a document shows, already computed by the invoicing services:
the renderers do no arithmetic beyond formatting. Amounts are ``Decimal`` in the
document's currency; rates are percentages (``Decimal("18")`` is 18 %).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from typing import Any, Literal

ColumnName = Literal["description", "quantity", "unit", "unit_price", "discount", "tax", "total"]
ALL_COLUMNS: tuple[ColumnName, ...] = (
    "description",
    "quantity",
    "unit",
    "unit_price",
    "discount",
    "tax",
    "total",
)
StatementKind = Literal["invoice", "payment", "credit_note", "opening"]


@dataclass(frozen=True)
class PartyBlock:
    """A business or customer as printed: name, an optional name in another script,
    address lines and contact details."""

    name: str
    name_alt: str | None = None
    lines: list[str] = field(default_factory=list)
    tax_id: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class DocumentLine:
    description: str
    quantity: Decimal
    unit: str | None
    unit_price: Decimal
    discount: Decimal  # amount taken off this line
    tax_rate: Decimal  # percent
    tax: Decimal
    total: Decimal


@dataclass(frozen=True)
class TaxLine:
    name: str  # "CGST", "SGST", "IGST", "VAT", ...
    rate: Decimal  # percent
    amount: Decimal


def stored_lines(lines: Iterable[Any]) -> list[DocumentLine]:
    """The document lines of stored invoice or order lines (both keep these columns)."""
    return [
        DocumentLine(
            line.description,
            line.quantity,
            line.unit,
            line.unit_price,
            line.discount,
            line.tax_rate,
            line.tax,
            line.total,
        )
        for line in lines
    ]


def stored_taxes(components: Iterable[dict[str, str]]) -> list[TaxLine]:
    """The tax lines of an invoice's or order's stored tax components."""
    return [TaxLine(c["name"], Decimal(c["rate"]), Decimal(c["amount"])) for c in components]


@dataclass(frozen=True)
class PaymentDetails:
    bank_name: str | None = None
    account_name: str | None = None
    account_number: str | None = None
    ifsc_or_branch: str | None = None
    mpesa_paybill: str | None = None
    mpesa_account: str | None = None
    upi_id: str | None = None

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) pairs for the fields that are set, in print order."""
        pairs = [
            ("Bank", self.bank_name),
            ("Account name", self.account_name),
            ("Account number", self.account_number),
            ("IFSC / Branch", self.ifsc_or_branch),
            ("M-Pesa paybill", self.mpesa_paybill),
            ("M-Pesa account", self.mpesa_account),
            ("UPI ID", self.upi_id),
        ]
        return [(label, value) for label, value in pairs if value]


# the keys a template's payment details may hold: the fields above
PAYMENT_DETAIL_KEYS = frozenset(f.name for f in fields(PaymentDetails))


@dataclass(frozen=True)
class TemplateOptions:
    columns: list[str] = field(default_factory=lambda: list(ALL_COLUMNS))
    show_tax_breakdown: bool = True
    show_discount: bool = True
    footer_terms: str | None = None
    accent_color: str = "#1F4E79"

    def __post_init__(self) -> None:
        unknown = [c for c in self.columns if c not in ALL_COLUMNS]
        if unknown:
            raise ValueError(f"unknown template columns {unknown}; allowed: {ALL_COLUMNS}")
        if "description" not in self.columns:
            raise ValueError("template columns must include 'description'")
        color = self.accent_color
        if not (
            len(color) == 7
            and color[0] == "#"
            and all(c in "0123456789abcdefABCDEF" for c in color[1:])
        ):
            raise ValueError(f"accent_color must be #RRGGBB, got {color!r}")

    def visible_columns(self) -> list[str]:
        """Columns in canonical order, without discount when discounts are hidden."""
        chosen = set(self.columns)
        if not self.show_discount:
            chosen.discard("discount")
        return [c for c in ALL_COLUMNS if c in chosen]

    def accent_rgb(self) -> tuple[int, int, int]:
        c = self.accent_color
        return int(c[1:3], 16), int(c[3:5], 16), int(c[5:7], 16)


@dataclass(frozen=True)
class InvoiceDocument:
    number: str
    issue_date: date
    due_date: date | None
    currency: str
    locale: str  # en_IN, en_KE, sw_KE, ar_OM, en_OM, en_ZA, ...
    business: PartyBlock
    customer: PartyBlock
    lines: list[DocumentLine]
    subtotal: Decimal
    discount_total: Decimal
    taxes: list[TaxLine]
    total: Decimal
    amount_paid: Decimal
    balance_due: Decimal
    notes: str | None = None
    terms: str | None = None
    payment_link: str | None = None
    payment: PaymentDetails | None = None
    template: TemplateOptions = field(default_factory=TemplateOptions)
    status: str = "issued"  # draft | issued | sent | partially_paid | paid | overdue | void
    # What the document is ("Invoice"; an order confirmation says "Order"), the label of
    # its date, and facts printed under them (an order's expected delivery).
    title: str = "Invoice"
    date_label: str = "Issue date"
    extra_facts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class StatementEntry:
    date: date
    kind: StatementKind
    reference: str
    description: str
    debit: Decimal
    credit: Decimal
    balance: Decimal


@dataclass(frozen=True)
class StatementDocument:
    business: PartyBlock
    customer: PartyBlock
    currency: str
    locale: str
    period_start: date
    period_end: date
    opening_balance: Decimal
    entries: list[StatementEntry]
    closing_balance: Decimal
    aging: dict[str, Decimal] = field(default_factory=dict)  # "current", "1-30", ... "90+"
