"""Streamed CSV export of a business's customers, with the columns an import reads and
every text cell guarded against spreadsheet formulas."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

from domain.core.db import Database
from domain.core.viewer import Role, Viewer
from domain.customers.csv_rows import COLUMNS
from domain.customers.repository import CustomerRepository


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
