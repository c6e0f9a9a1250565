"""recurring invoice schedules and their occurrences (unique per schedule and date: the
exactly-once guard of the due scan)

Revision ID: 0018_recurring
Revises: 0017_notifyx
Create Date: 2026-12-07 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_recurring"
down_revision: str | None = "0017_notifyx"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)
MONEY = sa.Numeric(18, 3, asdecimal=True)


def upgrade() -> None:
    op.create_table(
        "recurring_schedules",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("business_id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("interval", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("day_of_month", sa.Integer(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("max_count", sa.Integer(), nullable=True),
        sa.Column("created_count", sa.Integer(), nullable=False),
        sa.Column("last_date", sa.Date(), nullable=True),
        sa.Column("next_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("template", sa.JSON(), nullable=False),
        sa.Column("estimated_total", MONEY, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("send_on_create", sa.Boolean(), nullable=False),
        sa.Column("send_channels", sa.JSON(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=60), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["business_id"],
            ["businesses.id"],
            name=op.f("fk_recurring_schedules_business_id_businesses"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_recurring_schedules_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recurring_schedules")),
    )
    op.create_index(
        "ix_recurring_schedules_business_customer",
        "recurring_schedules",
        ["business_id", "customer_id", "id"],
    )
    op.create_index(
        "ix_recurring_schedules_status_next_date", "recurring_schedules", ["status", "next_date"]
    )
    op.create_table(
        "recurring_occurrences",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("business_id", ID, nullable=False),
        sa.Column("schedule_id", ID, nullable=False),
        sa.Column("occurrence_date", sa.Date(), nullable=False),
        sa.Column("invoice_id", ID, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_recurring_occurrences_invoice_id_invoices"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recurring_occurrences")),
        sa.UniqueConstraint(
            "schedule_id",
            "occurrence_date",
            name=op.f("uq_recurring_occurrences_schedule_id_occurrence_date"),
        ),
    )
    op.create_index(
        "ix_recurring_occurrences_business_invoice",
        "recurring_occurrences",
        ["business_id", "invoice_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_recurring_occurrences_business_invoice", table_name="recurring_occurrences")
    op.drop_table("recurring_occurrences")
    op.drop_index("ix_recurring_schedules_status_next_date", table_name="recurring_schedules")
    op.drop_index("ix_recurring_schedules_business_customer", table_name="recurring_schedules")
    op.drop_table("recurring_schedules")
