"""Reading a customer CSV file: its columns (and the header names taken for them), its
limits, and each data row as the CustomerInput it asks for. Nothing here writes: a file is
checked whole before an import is recorded."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from domain.core.codes import CoreCode
from domain.core.errors import ValidationFailed
from domain.customers.codes import CustomersCode
from domain.customers.fields import AddressInput, CustomerInput

MAX_ROWS = 10_000
MAX_BYTES = 3 * 1024 * 1024
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


@dataclass
class ParsedRow:
    line: int  # 1-based physical line the row starts on; the header is line 1
    values: dict[str, str]


def _key(header: str) -> str:
    k = header.strip().lower().replace(" ", "_")
    return ALIASES.get(k, k)


def _truthy(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "y", "vip"}


def row_input(row: dict[str, str]) -> CustomerInput:
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
