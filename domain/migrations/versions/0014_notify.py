"""notification ledger: references (invoice, order, campaign), kind, segments, status
times; notification_attempts (recorded before each provider call), notification_statuses
(status history), sms_opt_outs (STOP / START replies)

Revision ID: 0014_notify
Revises: 0013_templates
Create Date: 2026-12-10 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_notify"
down_revision: str | None = "0013_templates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("notification_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("invoice_id", ID, nullable=True))
        batch_op.add_column(sa.Column("order_id", ID, nullable=True))
        batch_op.add_column(sa.Column("campaign_id", ID, nullable=True))
        batch_op.add_column(sa.Column("event", sa.String(length=80), nullable=True))
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="transactional")
        )
        batch_op.add_column(sa.Column("segments", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("error_code", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("resends", sa.Integer(), nullable=False, server_default="0"))
        for name in ("status_at", "delivered_at", "opened_at", "clicked_at"):
            batch_op.add_column(sa.Column(name, WHEN, nullable=True))
        batch_op.create_index(
            "ix_notification_log_business_id_customer_id", ["business_id", "customer_id"]
        )
        batch_op.create_index(
            "ix_notification_log_business_id_invoice_id", ["business_id", "invoice_id"]
        )
        batch_op.create_index("ix_notification_log_provider_message_id", ["provider_message_id"])
    op.create_table(
        "notification_attempts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("notification_id", ID, nullable=False),
        sa.Column("started_at", WHEN, nullable=False),
        sa.Column("finished_at", WHEN, nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=True),
        sa.Column("provider_message_id", sa.String(length=100), nullable=True),
        sa.Column("error_code", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notification_log.id"],
            name=op.f("fk_notification_attempts_notification_id_notification_log"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_attempts")),
    )
    with op.batch_alter_table("notification_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_attempts_notification_id"), ["notification_id"]
        )
    op.create_table(
        "notification_statuses",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("notification_id", ID, nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("error_code", sa.String(length=40), nullable=True),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("event_key", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notification_log.id"],
            name=op.f("fk_notification_statuses_notification_id_notification_log"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_statuses")),
        sa.UniqueConstraint("event_key", name=op.f("uq_notification_statuses_event_key")),
    )
    with op.batch_alter_table("notification_statuses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_statuses_notification_id"), ["notification_id"]
        )
    op.create_table(
        "sms_opt_outs",
        sa.Column("business_id", ID, nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("customer_id", ID, nullable=True),
        sa.Column("keyword", sa.String(length=20), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("business_id", "phone", name=op.f("pk_sms_opt_outs")),
    )


def downgrade() -> None:
    op.drop_table("sms_opt_outs")
    op.drop_table("notification_statuses")
    op.drop_table("notification_attempts")
    with op.batch_alter_table("notification_log", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_log_provider_message_id")
        batch_op.drop_index("ix_notification_log_business_id_invoice_id")
        batch_op.drop_index("ix_notification_log_business_id_customer_id")
        for name in (
            "clicked_at",
            "opened_at",
            "delivered_at",
            "status_at",
            "resends",
            "error_code",
            "segments",
            "kind",
            "event",
            "campaign_id",
            "order_id",
            "invoice_id",
        ):
            batch_op.drop_column(name)
