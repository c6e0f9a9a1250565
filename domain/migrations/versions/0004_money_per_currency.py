"""Money per currency: customer credit in other currencies; summaries in the business's

Customer credit kept in a currency other than the business's goes to the new
`customers.other_credits` map. The financial summary's money columns (total billed,
total paid, outstanding) count invoices in the business's currency only; the customers
that have invoices in another currency get those three columns summed again.

Credit already stored is left in credit_balance: which currency an older overpayment
was in is not recorded on the customer, and it was most likely the business's own.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MINE = """FROM invoices i JOIN businesses b ON b.id = i.business_id
            WHERE i.customer_id = customers.id AND i.business_id = customers.business_id
              AND i.status <> 'void' AND i.currency = b.currency"""


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("other_credits", sa.JSON(), nullable=False, server_default="{}")
        )
    op.execute(
        f"""
        UPDATE customers SET
            total_billed = (SELECT coalesce(sum(i.total - i.amount_credited), 0) {_MINE}),
            total_paid = (SELECT coalesce(sum(i.amount_paid), 0) {_MINE}),
            outstanding = (SELECT coalesce(sum(i.balance), 0) {_MINE})
        WHERE EXISTS (
            SELECT 1 FROM invoices i JOIN businesses b ON b.id = i.business_id
            WHERE i.customer_id = customers.id AND i.business_id = customers.business_id
              AND i.currency <> b.currency
        )
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("other_credits")
