"""short links on Khata's domain (/p/<code>) for SMS payment links; the ledger row says
which attachment goes with an email (the invoice PDF, rendered at send time) and when a
message held by quiet hours is due

Revision ID: 0015_notify2
Revises: 0014_notify
Create Date: 2026-12-07 05:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_notify2"
down_revision: str | None = "0014_notify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("notification_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attachment", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("due_at", WHEN, nullable=True))
        batch_op.create_index("ix_notification_log_due_at", ["due_at"])
    op.create_table(
        "short_links",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("business_id", ID, nullable=False),
        sa.Column("invoice_id", ID, nullable=True),
        sa.Column("target", sa.String(length=300), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_short_links")),
    )
    op.create_index(
        "ix_short_links_business_id_invoice_id", "short_links", ["business_id", "invoice_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_short_links_business_id_invoice_id", table_name="short_links")
    op.drop_table("short_links")
    with op.batch_alter_table("notification_log", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_log_due_at")
        batch_op.drop_column("due_at")
        batch_op.drop_column("attachment")
