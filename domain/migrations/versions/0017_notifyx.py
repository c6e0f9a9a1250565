"""the India DLT ids an SMS went out with (entity id, content template id), the link
from a fallback email to the SMS it replaces, and the business's settings for fallback and
monthly statement emails, and the statement emails asked for or due (one per customer and
month for the monthly job)

Revision ID: 0017_notifyx
Revises: 0016_rtperf
Create Date: 2026-12-07 14:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_notifyx"
down_revision: str | None = "0016_rtperf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("notification_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dlt_entity_id", sa.String(length=25), nullable=True))
        batch_op.add_column(sa.Column("dlt_template_id", sa.String(length=25), nullable=True))
        batch_op.add_column(sa.Column("fallback_of", ID, nullable=True))
        batch_op.create_index("ix_notification_log_fallback_of", ["fallback_of"], unique=True)
    with op.batch_alter_table("notification_settings", schema=None) as batch_op:
        for name, default in (
            ("email_fallback_transactional", sa.true()),
            ("email_fallback_marketing", sa.false()),
            ("monthly_statements", sa.false()),
        ):
            batch_op.add_column(
                sa.Column(name, sa.Boolean(), nullable=False, server_default=default)
            )

    op.create_table(
        "statement_sends",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("business_id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("occurrence", sa.String(length=40), nullable=True),
        sa.Column("outbox_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_sends")),
        sa.UniqueConstraint(
            "business_id",
            "customer_id",
            "occurrence",
            name=op.f("uq_statement_sends_business_id_customer_id_occurrence"),
        ),
    )
    op.create_index("ix_statement_sends_business_id_id", "statement_sends", ["business_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_statement_sends_business_id_id", table_name="statement_sends")
    op.drop_table("statement_sends")
    with op.batch_alter_table("notification_settings", schema=None) as batch_op:
        batch_op.drop_column("monthly_statements")
        batch_op.drop_column("email_fallback_marketing")
        batch_op.drop_column("email_fallback_transactional")
    with op.batch_alter_table("notification_log", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_log_fallback_of")
        batch_op.drop_column("fallback_of")
        batch_op.drop_column("dlt_template_id")
        batch_op.drop_column("dlt_entity_id")
