"""orders, order_lines, order_events; invoices.order_id; businesses.order_prefix and an
"order" counter per business; API keys gain the orders scopes matching their customers
scopes (customers:read -> orders:read, customers:write -> orders:write), as 0005 did for
invoicing, so no key loses what it could do once orders have scopes of their own.

Revision ID: 0011_orders
Revises: 0010_stream
Create Date: 2026-12-10 10:00:00
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_orders"
down_revision: str | None = "0010_stream"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MONEY = sa.Numeric(precision=18, scale=3)
GRANTS = {"customers:read": ("orders:read",), "customers:write": ("orders:write",)}
ORDERS = {"orders:read", "orders:write"}

keys = sa.table("api_keys", sa.column("id", sa.BigInteger), sa.column("scopes", sa.JSON))
businesses = sa.table("businesses", sa.column("id", sa.BigInteger))
counters = sa.table(
    "counters",
    sa.column("business_id", sa.BigInteger),
    sa.column("kind", sa.String),
    sa.column("last_value", sa.Integer),
)


def _rewrite(change: Callable[[set[str]], set[str]]) -> None:
    conn = op.get_bind()
    for key_id, scopes in conn.execute(sa.select(keys.c.id, keys.c.scopes)).all():
        before = set(scopes or [])
        after = change(before)
        if after != before:
            conn.execute(sa.update(keys).where(keys.c.id == key_id).values(scopes=sorted(after)))


def upgrade() -> None:
    with op.batch_alter_table("businesses", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("order_prefix", sa.String(length=12), nullable=False, server_default="ORD")
        )
    op.create_table(
        "orders",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("business_id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("placed_by", sa.String(length=60), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("prices_include_tax", sa.Boolean(), nullable=False),
        sa.Column("place_of_supply", sa.String(length=10), nullable=True),
        sa.Column("subtotal", MONEY, nullable=False),
        sa.Column("discount_total", MONEY, nullable=False),
        sa.Column("tax_total", MONEY, nullable=False),
        sa.Column("total", MONEY, nullable=False),
        sa.Column("tax_components", sa.JSON(), nullable=False),
        sa.Column("delivery_address", sa.JSON(), nullable=True),
        sa.Column("delivery_address_id", ID, nullable=True),
        sa.Column("expected_delivery", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_id"], ["businesses.id"], name=op.f("fk_orders_business_id_businesses")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_orders_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("business_id", "number", name=op.f("uq_orders_business_id_number")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_business_placed", ["business_id", "placed_at", "id"])
        batch_op.create_index(
            "ix_orders_business_customer_placed", ["business_id", "customer_id", "placed_at"]
        )
        batch_op.create_index(
            "ix_orders_business_status_delivery", ["business_id", "status", "expected_delivery"]
        )
    op.create_table(
        "order_lines",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("business_id", ID, nullable=False),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=True),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("discount_percent", sa.Numeric(precision=9, scale=4), nullable=True),
        sa.Column("discount_amount", MONEY, nullable=True),
        sa.Column("tax_rate", sa.Numeric(precision=9, scale=4), nullable=False),
        sa.Column("gross", MONEY, nullable=False),
        sa.Column("discount", MONEY, nullable=False),
        sa.Column("taxable", MONEY, nullable=False),
        sa.Column("tax", MONEY, nullable=False),
        sa.Column("total", MONEY, nullable=False),
        sa.Column("tax_components", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_lines_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
    )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_lines_order_id"), ["order_id"], unique=False)
    op.create_table(
        "order_events",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("business_id", ID, nullable=False),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("expected_delivery", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_events_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_events")),
    )
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_events_order_id"), ["order_id"], unique=False)
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("order_id", ID, nullable=True))
        batch_op.create_index(batch_op.f("ix_invoices_order_id"), ["order_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_invoices_order_id_orders"), "orders", ["order_id"], ["id"]
        )
    conn = op.get_bind()
    ids = [row[0] for row in conn.execute(sa.select(businesses.c.id)).all()]
    if ids:
        conn.execute(
            sa.insert(counters),
            [{"business_id": b, "kind": "order", "last_value": 0} for b in ids],
        )
    _rewrite(lambda s: s | {g for scope in s for g in GRANTS.get(scope, ())})


def downgrade() -> None:
    _rewrite(lambda s: s - ORDERS)
    op.get_bind().execute(sa.delete(counters).where(counters.c.kind == "order"))
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_invoices_order_id_orders"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_invoices_order_id"))
        batch_op.drop_column("order_id")
    op.drop_table("order_events")
    op.drop_table("order_lines")
    op.drop_table("orders")
    with op.batch_alter_table("businesses", schema=None) as batch_op:
        batch_op.drop_column("order_prefix")
