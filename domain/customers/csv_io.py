"""CSV import (per-row errors, a failing row leaves nothing) and streamed CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from domain.core import audit, outbox
from domain.core.codes import CoreCode
from domain.core.contact import try_normalize_phone
from domain.core.db import Database
from domain.core.errors import ErrorCollector, FieldError, ValidationFailed
from domain.core.tx import Tx
from domain.core.viewer import Role, Scope, Viewer
from domain.customers.codes import CustomersCode
from domain.customers.fields import (
    AddressInput,
    CustomerInput,
    apply_fields,
    clean_tags,
    refresh_derived,
)
from domain.customers.models import Customer
from domain.customers.repository import CustomerRepository
from domain.customers.service import channel_for, create_customer, load_business

MAX_ROWS = 10_000
COLUMNS = [
    "number",
    "name",
    "name_alt",
    "phone",
    "secondary_phone",
    "email",
    "secondary_email",
    "business_type",
    "tax_id",
    "tags",
    "notes",
    "payment_terms",
    "credit_limit",
    "preferred_payment_method",
    "language",
    "vip",
    "status",
    "profile_type",
    "street",
    "area",
    "city",
    "postal_code",
    "country",
    "outstanding",
]
ALIASES = {
    "mobile": "phone",
    "phone_number": "phone",
    "full_name": "name",
    "customer_name": "name",
    "e-mail": "email",
    "email_address": "email",
    "gst": "tax_id",
    "gstin": "tax_id",
    "vat": "tax_id",
    "pin": "postal_code",
    "zip": "postal_code",
}


class OnDuplicate(StrEnum):
    SKIP = "skip"
    MERGE = "merge"


@dataclass
class RowOutcome:
    row: int  # 1-based line number in the file, header is line 1
    status: str  # created | skipped | merged | failed
    customer: Customer | None = None
    errors: list[FieldError] = field(default_factory=list)


@dataclass
class ImportReport:
    created: int = 0
    merged: int = 0
    skipped: int = 0
    failed: int = 0
    rows: list[RowOutcome] = field(default_factory=list)


def _key(header: str) -> str:
    k = header.strip().lower().replace(" ", "_")
    return ALIASES.get(k, k)


def _truthy(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "y", "vip"}


def _row_input(row: dict[str, str]) -> CustomerInput:
    get = lambda k: (row.get(k) or "").strip() or None  # noqa: E731
    tags = [t for t in (get("tags") or "").replace("|", ";").split(";") if t.strip()]
    address = None
    if any(get(k) for k in ("street", "area", "city", "postal_code")):
        address = AddressInput(
            street=get("street"),
            area=get("area"),
            city=get("city"),
            postal_code=get("postal_code"),
            country=get("country"),
            is_default=True,
        )
    return CustomerInput(
        name=get("name"),
        name_alt=get("name_alt"),
        phone=get("phone"),
        phone_secondary=get("secondary_phone"),
        email=get("email"),
        email_secondary=get("secondary_email"),
        business_type=get("business_type"),
        tax_id=get("tax_id"),
        tags=tags,
        notes=get("notes"),
        payment_terms=(get("payment_terms") or "due_on_receipt").lower(),
        credit_limit=get("credit_limit"),
        preferred_payment_method=(get("preferred_payment_method") or "").lower() or None,
        language=get("language") or "en",
        is_vip=_truthy(get("vip") or ""),
        profile_type=(get("profile_type") or "").lower() or None,
        addresses=[address] if address else [],
    )


async def _merge_into(tx: Tx, existing: Customer, data: CustomerInput) -> None:
    """Fill only what the existing customer lacks; union the tags."""
    business = await load_business(tx)
    fills: dict[str, Any] = {}
    for key, value in data.changes().items():
        if key in (
            "tags",
            "payment_terms",
            "language",
            "reminders_enabled",
            "auto_send_invoices",
            "is_vip",
            "preferences",
            "phone",
        ):
            continue
        if value not in (None, "") and getattr(existing, key) in (None, ""):
            fills[key] = value
    errors = ErrorCollector()
    fills["tags"] = list(dict.fromkeys([*existing.tags, *clean_tags(data.tags, errors)]))
    apply_fields(existing, fills, business, errors)
    errors.raise_if_any()
    refresh_derived(existing)
    existing.updated_at = tx.now()
    await CustomerRepository(tx.session, tx.viewer).set_tags(existing)
    await tx.session.flush()


async def import_customers(tx: Tx, text: str, on_duplicate: OnDuplicate) -> ImportReport:
    business_id = tx.viewer.require_business(Scope.CUSTOMERS_WRITE)
    business = await load_business(tx)
    # csv.reader, not DictReader: its line_num lets a row report the physical line it
    # starts on, even after quoted multi-line cells and blank lines.
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    rows = _parsed(reader)
    header = next(rows, None)
    keys = [_key(h) for h in header or []]
    if not keys or ("name" not in keys and "phone" not in keys):
        raise ValidationFailed.one(
            "csv", "needs a header row with at least name or phone", CustomersCode.BAD_HEADER
        )
    report = ImportReport()
    repo = CustomerRepository(tx.session, tx.viewer)
    previous_end = reader.line_num
    seen = 0
    for values in rows:
        index, previous_end = previous_end + 1, reader.line_num
        row = dict(zip(keys, values, strict=False))
        if not any((v or "").strip() for v in row.values()):
            continue
        seen += 1
        if seen > MAX_ROWS:
            raise ValidationFailed.one(
                "csv", f"at most {MAX_ROWS} rows per import", CoreCode.TOO_LARGE
            )
        data = _row_input(row)
        pending = list(tx.session.info.get("outbox", []))
        try:
            async with tx.session.begin_nested():
                existing = None
                # A phone that does not parse is reported with the row's other errors below.
                e164 = try_normalize_phone(data.phone, business.country) if data.phone else None
                if e164 is not None:
                    existing = await repo.by_phone(e164)
                if existing is not None and on_duplicate is OnDuplicate.SKIP:
                    report.rows.append(RowOutcome(index, "skipped", existing))
                    report.skipped += 1
                    continue
                if existing is not None:
                    await _merge_into(tx, existing, data)
                    report.rows.append(RowOutcome(index, "merged", existing))
                    report.merged += 1
                    continue
                # onDuplicate decided above; a row's secondary phone may match another's
                customer = await create_customer(
                    tx, data, business=business, audit_action=None, allow_duplicate_phone=True
                )
                report.rows.append(RowOutcome(index, "created", customer))
                report.created += 1
        except ValidationFailed as exc:
            tx.session.info["outbox"] = pending
            report.rows.append(RowOutcome(index, "failed", None, exc.errors))
            report.failed += 1
    counts = {
        "created": report.created,
        "merged": report.merged,
        "skipped": report.skipped,
        "failed": report.failed,
    }
    audit.record(tx, "customer.imported", target_type="customer", data=counts)
    if report.created or report.merged:
        outbox.emit(tx, "customer.imported", counts, channels=[channel_for(business_id)])
    return report


def _parsed(reader: Any) -> Iterator[list[str]]:
    """The reader's rows; a file the csv module cannot read (a bare carriage return in an
    unquoted cell, a cell over its field size limit) is refused naming the line."""
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            code = (
                CustomersCode.CELL_TOO_LARGE
                if "field larger" in str(exc)
                else CustomersCode.MALFORMED
            )
            raise ValidationFailed.one(
                "csv", f"line {reader.line_num}: {exc}; quote the cell or fix the file", code
            ) from exc
        yield values


def _csv_line(values: list[Any]) -> str:
    """Every text cell goes through the formula guard: tags, emails, postal codes and
    languages are typed by people too."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(
        ["" if v is None else _guard_formula(v) if isinstance(v, str) else v for v in values]
    )
    return buffer.getvalue()


def _guard_formula(value: str | None) -> str | None:
    """Spreadsheet apps execute cells that start with = + - @; prefix them (CSV injection).
    Phones (+91…) are E.164 and kept as is."""
    if value and value[0] in "=+-@\t\r" and not value[1:].replace(" ", "").isdigit():
        return "'" + value
    return value


async def export_customers(db: Database, viewer: Viewer, batch: int = 1000) -> AsyncIterator[str]:
    """Stream the business's customers as CSV in keyset batches, each batch in its own
    short read session so a slow download never pins a transaction."""
    viewer.require_role(Role.OWNER, Role.ADMIN)
    yield _csv_line(COLUMNS)
    after = 0
    while True:
        async with db.read() as session:
            repo = CustomerRepository(session, viewer)
            rows = await repo.export_batch(after, batch)
            addresses = await repo.addresses_for([c.id for c in rows]) if rows else []
        default = {a.customer_id: a for a in addresses if a.is_default}
        if not rows:
            return
        chunk = []
        for c in rows:
            a = default.get(c.id)
            chunk.append(
                _csv_line(
                    [
                        c.number,
                        c.name,
                        c.name_alt,
                        c.phone,
                        c.phone_secondary,
                        c.email,
                        c.email_secondary,
                        c.business_type,
                        c.tax_id,
                        ";".join(c.tags),
                        c.notes,
                        c.payment_terms,
                        c.credit_limit,
                        c.preferred_payment_method,
                        c.language,
                        "yes" if c.is_vip else "",
                        c.status,
                        c.profile_type,
                        a.street if a else None,
                        a.area if a else None,
                        a.city if a else None,
                        a.postal_code if a else None,
                        a.country if a else None,
                        c.outstanding,
                    ]
                )
            )
        yield "".join(chunk)
        after = rows[-1].id
