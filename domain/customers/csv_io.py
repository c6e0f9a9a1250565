"""CSV import (checked whole before any write, then run as a job chunk by chunk, with
progress and a per-row error report; a failing row leaves nothing) and streamed CSV export."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from domain.core import audit, outbox
from domain.core.codes import CoreCode
from domain.core.contact import try_normalize_phone
from domain.core.counters import format_number, next_value
from domain.core.db import Database
from domain.core.errors import ErrorCollector, NotFound, ValidationFailed
from domain.core.tx import Tx
from domain.core.viewer import Role, Scope, Viewer
from domain.customers.codes import CustomersCode
from domain.customers.fields import (
    AddressInput,
    Business,
    CustomerInput,
    apply_fields,
    clean_tags,
    refresh_derived,
)
from domain.customers.import_repository import ImportRepository
from domain.customers.models import (
    Customer,
    CustomerImport,
    CustomerImportError,
    CustomerStatus,
    ImportStatus,
)
from domain.customers.repository import CustomerRepository
from domain.customers.service import add_customers, build_customer, channel_for, load_business

MAX_ROWS = 10_000
MAX_BYTES = 3 * 1024 * 1024
IMPORT_JOB = "import_customers"
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
class ParsedRow:
    line: int  # 1-based physical line the row starts on; the header is line 1
    values: dict[str, str]


@dataclass
class ChunkCounts:
    created: int = 0
    merged: int = 0
    skipped: int = 0
    errors: list[tuple[int, list[dict[str, str]]]] = field(default_factory=list)
    new: list[Customer] = field(default_factory=list)  # created, in file order


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


def parse_csv(text: str) -> list[ParsedRow]:
    """The file's data rows (blank ones left out), or ValidationFailed on `csv` before
    anything is written: too large (bytes or rows: it stops reading at the first row over
    the limit), no usable header, or not CSV at all."""
    if len(text) > MAX_BYTES or len(text.encode()) > MAX_BYTES:
        raise ValidationFailed.one(
            "csv", f"at most {MAX_BYTES // (1024 * 1024)} MB per import", CoreCode.TOO_LARGE
        )
    # csv.reader, not DictReader: its line_num lets a row report the physical line it
    # starts on, even after quoted multi-line cells and blank lines.
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    rows: list[ParsedRow] = []
    try:
        header = next(reader, None)
        keys = [_key(h) for h in header or []]
        if not keys or ("name" not in keys and "phone" not in keys):
            raise ValidationFailed.one(
                "csv", "needs a header row with at least name or phone", CustomersCode.BAD_HEADER
            )
        previous_end = reader.line_num
        for values in reader:
            line, previous_end = previous_end + 1, reader.line_num
            row = dict(zip(keys, values, strict=False))
            if not any((v or "").strip() for v in row.values()):
                continue
            if len(rows) == MAX_ROWS:
                raise ValidationFailed.one(
                    "csv", f"at most {MAX_ROWS} rows per import", CustomersCode.TOO_MANY_ROWS
                )
            rows.append(ParsedRow(line, row))
    except csv.Error as exc:  # a bare CR in an unquoted cell, a cell over the field limit
        too_big = "field larger" in str(exc)
        code = CustomersCode.CELL_TOO_LARGE if too_big else CustomersCode.MALFORMED
        raise ValidationFailed.one(
            "csv", f"line {reader.line_num}: {exc}; quote the cell or fix the file", code
        ) from None
    return rows


async def start_import(tx: Tx, text: str, on_duplicate: OnDuplicate) -> CustomerImport:
    """Check the whole file first (nothing written when it is refused), then record the
    import and queue its job; the job writes the customers chunk by chunk."""
    business_id = tx.viewer.require_business(Scope.CUSTOMERS_WRITE)
    rows = parse_csv(text)
    imp = CustomerImport(
        business_id=business_id,
        requested_by=tx.viewer.actor_label,
        on_duplicate=on_duplicate.value,
        status=ImportStatus.QUEUED,
        csv=text,
        total_rows=len(rows),
        processed_rows=0,
        created=0,
        merged=0,
        skipped=0,
        failed=0,
        error=None,
        created_at=tx.now(),
        started_at=None,
        finished_at=None,
    )
    await ImportRepository(tx.session, tx.viewer).add(imp)
    audit.record(
        tx,
        "customer.import_requested",
        target_type="customer_import",
        target_id=imp.id,
        data={"rows": len(rows), "onDuplicate": on_duplicate.value},
    )
    outbox.emit(tx, "customer.import_requested", {"importId": imp.id}, job=IMPORT_JOB)
    return imp


async def get_import(tx: Tx, import_id: int) -> CustomerImport:
    tx.viewer.require_business(Scope.CUSTOMERS_READ)
    imp = await ImportRepository(tx.session, tx.viewer).get(import_id)
    if imp is None:
        raise NotFound("customer import", import_id)
    return imp


async def import_errors(
    tx: Tx, import_id: int, limit: int, after_id: int | None
) -> Sequence[CustomerImportError]:
    """A keyset page of the import's refused rows (limit + 1 rows: the last tells more)."""
    await get_import(tx, import_id)
    return await ImportRepository(tx.session, tx.viewer).errors(import_id, limit, after_id)


def import_viewer(event_business_id: int, import_id: int) -> Viewer:
    """The job acts for the import's business as a system actor; the audit names the
    person or key who asked for the import."""
    return Viewer.system_actor(f"import:{import_id}", business_id=event_business_id)


async def pending_rows(tx: Tx, import_id: int) -> list[ParsedRow] | None:
    """The rows of an import still to finish, parsed once per job run; None when done."""
    imp = await ImportRepository(tx.session, tx.viewer).get(import_id, with_csv=True)
    if imp is None or imp.status in (ImportStatus.COMPLETED, ImportStatus.FAILED):
        return None
    return parse_csv(imp.csv or "")


async def import_chunk(tx: Tx, import_id: int, rows: list[ParsedRow], size: int) -> bool:
    """Import the next `size` rows in the caller's unit of work and record how far it got
    (with the chunk, so a rerun resumes there). The customer counter is held only until
    this chunk commits. Answers whether the import is finished."""
    repo = ImportRepository(tx.session, tx.viewer)
    imp = await repo.get(import_id, lock=True)
    if imp is None or imp.status in (ImportStatus.COMPLETED, ImportStatus.FAILED):
        return True
    if imp.status == ImportStatus.QUEUED:
        imp.status, imp.started_at = ImportStatus.RUNNING, tx.now()
    business = await load_business(tx)
    on_duplicate = OnDuplicate(imp.on_duplicate)
    batch = rows[imp.processed_rows : imp.processed_rows + size]
    counts = ChunkCounts()
    await _import_rows(tx, business, batch, on_duplicate, counts, imp.id)
    await repo.add_errors(imp.id, counts.errors)
    imp.created += counts.created
    imp.merged += counts.merged
    imp.skipped += counts.skipped
    imp.failed += len(counts.errors)
    imp.processed_rows += len(batch)
    if imp.processed_rows < len(rows):
        return False
    imp.status, imp.finished_at, imp.csv = ImportStatus.COMPLETED, tx.now(), None
    totals = {
        "created": imp.created,
        "merged": imp.merged,
        "skipped": imp.skipped,
        "failed": imp.failed,
    }
    audit.record(
        tx,
        "customer.imported",
        target_type="customer_import",
        target_id=imp.id,
        data=totals,
        actor=imp.requested_by,
    )
    if imp.created or imp.merged:
        outbox.emit(
            tx,
            "customer.imported",
            {"importId": imp.id, **totals},
            channels=[channel_for(imp.business_id)],
        )
    return True


async def fail_import(tx: Tx, import_id: int, reason: str) -> None:
    """An import the job could not finish: what was committed stays, the rest is not
    imported, and the import says so."""
    imp = await ImportRepository(tx.session, tx.viewer).get(import_id, lock=True)
    if imp is None or imp.status == ImportStatus.COMPLETED:
        return
    imp.status, imp.finished_at, imp.csv, imp.error = (
        ImportStatus.FAILED,
        tx.now(),
        None,
        reason[:300],
    )


class _PhoneIndex:
    """Which customer a row's phone means, as `CustomerRepository.by_phone` answers it
    (never a merged row; active first, then a primary-phone match, then the oldest), over
    the customers read for the chunk and those the chunk creates."""

    def __init__(self) -> None:
        self.by_phone: dict[str, list[Customer]] = {}
        self.seq: dict[int, int] = {}

    def add(self, customer: Customer) -> None:
        self.seq.setdefault(id(customer), len(self.seq))
        for phone in {customer.phone, customer.phone_secondary} - {None}:
            same = self.by_phone.setdefault(str(phone), [])
            if customer not in same:
                same.append(customer)

    def best(self, phone: str) -> Customer | None:
        candidates = self.by_phone.get(phone)
        if not candidates:
            return None
        return min(
            candidates,
            key=lambda c: (c.status != CustomerStatus.ACTIVE, c.phone != phone, self.seq[id(c)]),
        )


async def _import_rows(
    tx: Tx,
    business: Business,
    batch: list[ParsedRow],
    on_duplicate: OnDuplicate,
    counts: ChunkCounts,
    import_id: int,
) -> None:
    """The chunk's rows in file order, written in a few statements: existing customers
    are read for all the chunk's phones at once, new ones are validated one by one and
    written together at the end. Their numbers are taken from the counter then, in one
    step, just before commit: other writers of the business wait on the counter row for
    that moment only, and the numbers stay gapless, in file order."""
    repo = CustomerRepository(tx.session, tx.viewer)
    inputs = [(row, _row_input(row.values)) for row in batch]
    phones = {
        row.line: try_normalize_phone(data.phone, business.country) if data.phone else None
        for row, data in inputs
    }
    index = _PhoneIndex()
    wanted = sorted({p for p in phones.values() if p})
    for found in sorted(await repo.with_phones(wanted, limit=100 * len(batch)), key=_id):
        index.add(found)
    pending: list[tuple[Customer, list[dict[str, Any]]]] = []
    for n, (row, data) in enumerate(inputs):
        if n % 25 == 24:
            # checking rows is CPU work with nothing to await: let the requests that share
            # this event loop (embedded mode) run in between
            await asyncio.sleep(0)
        try:
            e164 = phones[row.line]  # a phone that does not parse is reported below
            existing = index.best(e164) if e164 else None
            if existing is not None and on_duplicate is OnDuplicate.SKIP:
                counts.skipped += 1
                continue
            if existing is not None:
                if existing.id is None:  # created earlier in this chunk: write it first
                    await add_customers(tx, pending)
                    pending = []
                # a merge changes a loaded customer before it knows every field is
                # valid: a savepoint takes a failing row's changes back
                async with tx.session.begin_nested():
                    await _merge_into(tx, existing, data)
                index.add(existing)
                counts.merged += 1
                continue
            # onDuplicate was decided above; a secondary phone may match another.
            customer, addresses = build_customer(tx, data, business)
        except ValidationFailed as exc:
            problems = [
                {"field": e.field, "message": e.message, "code": e.code} for e in exc.errors
            ]
            counts.errors.append((row.line, problems))
            continue
        customer.number = f"~{import_id}-{row.line}"  # unique until the real one is set
        pending.append((customer, addresses))
        index.add(customer)
        counts.new.append(customer)
        counts.created += 1
    if counts.new:
        last = await next_value(tx, business.id, "customer", len(counts.new))
        first = last - len(counts.new) + 1
        for offset, customer in enumerate(counts.new):
            customer.number = format_number(business.customer_prefix, first + offset)
    await add_customers(tx, pending)


def _id(customer: Customer) -> int:
    return int(customer.id)


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
