"""payment reminders (each business's policy, one row per reminder sent) and invoice
sends (one row per sendInvoice request, held until its time when scheduled)

Revision ID: 0019_reminders
Revises: 0018_recurring
Create Date: 2026-12-07 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_reminders"
down_revision: str | None = "0018_recurring"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reminder_policies",
        sa.Column("business_id", ID, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("days_before", sa.Integer(), nullable=False),
        sa.Column("on_due_date", sa.Boolean(), nullable=False),
        sa.Column("every_days_after", sa.Integer(), nullable=False),
        sa.Column("max_reminders", sa.Integer(), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["business_id"],
            ["businesses.id"],
            name=op.f("fk_reminder_policies_business_id_businesses"),
        ),
        sa.PrimaryKeyConstraint("business_id", name=op.f("pk_reminder_policies")),
    )
    op.create_table(
        "invoice_reminders",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("business_id", ID, nullable=False),
        sa.Column("invoice_id", ID, nullable=False),
        sa.Column("scheduled_on", sa.Date(), nullable=True),
        sa.Column("occurrence", sa.Integer(), nullable=True),
        sa.Column("manual", sa.Boolean(), nullable=False),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_reminders_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_reminders")),
        sa.UniqueConstraint(
            "invoice_id", "scheduled_on", name=op.f("uq_invoice_reminders_invoice_id_scheduled_on")
        ),
    )
    op.create_index(
        "ix_invoice_reminders_business_id_invoice_id",
        "invoice_reminders",
        ["business_id", "invoice_id"],
    )
    op.create_table(
        "invoice_sends",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("business_id", ID, nullable=False),
        sa.Column("invoice_id", ID, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("send_at", WHEN, nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("request_id", sa.String(length=32), nullable=True),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("started_at", WHEN, nullable=True),
        sa.Column("cancelled_at", WHEN, nullable=True),
        sa.Column("cancelled_by", sa.String(length=60), nullable=True),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_sends_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_sends")),
    )
    op.create_index("ix_invoice_sends_status_send_at", "invoice_sends", ["status", "send_at"])
    op.create_index(
        "ix_invoice_sends_business_id_invoice_id", "invoice_sends", ["business_id", "invoice_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_invoice_sends_business_id_invoice_id", table_name="invoice_sends")
    op.drop_index("ix_invoice_sends_status_send_at", table_name="invoice_sends")
    op.drop_table("invoice_sends")
    op.drop_index("ix_invoice_reminders_business_id_invoice_id", table_name="invoice_reminders")
    op.drop_table("invoice_reminders")
    op.drop_table("reminder_policies")
