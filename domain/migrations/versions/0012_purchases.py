"""purchases: counter purchases, customer purchase aggregates and status rules

- `purchases` table;
- customers: purchase_total/count, first/last purchase day, vip_mode (auto/always/never),
  activity (active/lapsed, computed), is_walk_in (one walk-in guest per business);
  customers flagged VIP by hand (is_vip) keep it as vip_mode = always;
- businesses: vip_threshold (NULL = the currency's default) and lapse_days (90);
- API keys gain the purchases scopes matching their customers scopes
  (customers:read -> purchases:read, customers:write -> purchases:write), as 0005 did
  for invoicing. Downgrade removes all of it.

Revision ID: 0012_purchases
Revises: 0011_orders
Create Date: 2026-12-20 10:00:00
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_purchases"
down_revision: str | None = "0011_orders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MONEY = sa.Numeric(precision=18, scale=3)
GRANTS = {"customers:read": ("purchases:read",), "customers:write": ("purchases:write",)}
PURCHASES = {"purchases:read", "purchases:write"}

keys = sa.table("api_keys", sa.column("id", sa.BigInteger), sa.column("scopes", sa.JSON))


def _rewrite(change: Callable[[set[str]], set[str]]) -> None:
    conn = op.get_bind()
    for key_id, scopes in conn.execute(sa.select(keys.c.id, keys.c.scopes)).all():
        before = set(scopes or [])
        after = change(before)
        if after != before:
            conn.execute(sa.update(keys).where(keys.c.id == key_id).values(scopes=sorted(after)))


def upgrade() -> None:
    op.create_table(
        "purchases",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("business_id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total", MONEY, nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("purchased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purchased_on", sa.Date(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_id"], ["businesses.id"], name=op.f("fk_purchases_business_id_businesses")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_purchases_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchases")),
    )
    op.create_index(
        "ix_purchases_business_customer_at",
        "purchases",
        ["business_id", "customer_id", "purchased_at", "id"],
    )
    op.create_index("ix_purchases_business_at", "purchases", ["business_id", "purchased_at", "id"])
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("vip_mode", sa.String(8), nullable=False, server_default="auto"))
        batch.add_column(
            sa.Column("activity", sa.String(8), nullable=False, server_default="active")
        )
        batch.add_column(
            sa.Column("is_walk_in", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("purchase_total", MONEY, nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("purchase_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("first_purchase_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("last_purchase_on", sa.Date(), nullable=True))
    op.create_index(
        "ix_customers_business_activity", "customers", ["business_id", "activity", "is_vip"]
    )
    op.create_index(
        "uq_customers_one_walk_in",
        "customers",
        ["business_id"],
        unique=True,
        postgresql_where=sa.text("is_walk_in"),
        sqlite_where=sa.text("is_walk_in"),
    )
    # the manual flag was the owner's say: it becomes "always"
    op.execute(sa.text("UPDATE customers SET vip_mode = 'always' WHERE is_vip"))
    with op.batch_alter_table("businesses") as batch:
        batch.add_column(sa.Column("vip_threshold", MONEY, nullable=True))
        batch.add_column(sa.Column("lapse_days", sa.Integer(), nullable=False, server_default="90"))
    _rewrite(lambda s: s | {g for scope in s for g in GRANTS.get(scope, ())})


def downgrade() -> None:
    _rewrite(lambda s: s - PURCHASES)
    with op.batch_alter_table("businesses") as batch:
        batch.drop_column("lapse_days")
        batch.drop_column("vip_threshold")
    op.drop_index("uq_customers_one_walk_in", table_name="customers")
    op.drop_index("ix_customers_business_activity", table_name="customers")
    with op.batch_alter_table("customers") as batch:
        for column in (
            "last_purchase_on",
            "first_purchase_on",
            "purchase_count",
            "purchase_total",
            "is_walk_in",
            "activity",
            "vip_mode",
        ):
            batch.drop_column(column)
    op.drop_index("ix_purchases_business_at", table_name="purchases")
    op.drop_index("ix_purchases_business_customer_at", table_name="purchases")
    op.drop_table("purchases")
