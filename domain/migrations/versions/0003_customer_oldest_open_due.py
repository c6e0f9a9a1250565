"""customers.oldest_open_due: "overdue" is derived when read, no longer stored

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "('issued', 'sent', 'partially_paid')"


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("oldest_open_due", sa.Date(), nullable=True))
    # Backfill from the invoices; a stored "overdue" becomes the write-time part of the
    # status (warning with a partly paid invoice, good otherwise).
    op.execute(
        f"""
        UPDATE customers SET oldest_open_due = (
            SELECT min(i.due_date) FROM invoices i
            WHERE i.customer_id = customers.id AND i.business_id = customers.business_id
              AND i.status IN {OPEN} AND i.balance > 0
        )
        """
    )
    op.execute(
        """
        UPDATE customers SET payment_status = CASE
            WHEN EXISTS (
                SELECT 1 FROM invoices i
                WHERE i.customer_id = customers.id AND i.business_id = customers.business_id
                  AND i.status = 'partially_paid'
            ) THEN 'warning' ELSE 'good' END
        WHERE payment_status = 'overdue'
        """
    )


def downgrade() -> None:
    op.execute(
        """
        UPDATE customers SET payment_status = 'overdue'
        WHERE oldest_open_due IS NOT NULL AND oldest_open_due < CURRENT_DATE
        """
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("oldest_open_due")
