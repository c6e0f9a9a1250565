"""API key scopes for invoicing: existing keys keep what they could do.

Invoicing (invoices, statements, drafts, templates, payments) used to be reached with the
customers scopes. Each key gains the invoicing scopes that match the customers scopes it
holds: customers:read -> invoices:read; customers:write -> invoices:write and
payments:write. Downgrade removes the invoicing scopes again.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 03:00:00
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GRANTS = {
    "customers:read": ("invoices:read",),
    "customers:write": ("invoices:write", "payments:write"),
}
INVOICING = {"invoices:read", "invoices:write", "payments:write"}

keys = sa.table("api_keys", sa.column("id", sa.BigInteger), sa.column("scopes", sa.JSON))


def _rewrite(change: Callable[[set[str]], set[str]]) -> None:
    conn = op.get_bind()
    for key_id, scopes in conn.execute(sa.select(keys.c.id, keys.c.scopes)).all():
        before = set(scopes or [])
        after = change(before)
        if after != before:
            conn.execute(sa.update(keys).where(keys.c.id == key_id).values(scopes=sorted(after)))


def upgrade() -> None:
    _rewrite(lambda s: s | {g for scope in s for g in GRANTS.get(scope, ())})


def downgrade() -> None:
    _rewrite(lambda s: s - INVOICING)
