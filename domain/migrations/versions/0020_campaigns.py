"""SMS campaigns (issue 19 §6): campaigns and their frozen recipient lists; the delivery
ledger gets an index on campaign_id for campaign stats. The campaigns scopes are new
capabilities: no existing API key is granted them (least privilege).

Revision ID: 0020_campaigns
Revises: 0019_reminders
Create Date: 2026-12-07 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_campaigns"
down_revision: str | None = "0019_reminders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("business_id", ID, nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=12), nullable=False),
        sa.Column("offer", sa.String(length=160), nullable=True),
        sa.Column("offer_until", sa.Date(), nullable=True),
        sa.Column("dlt_entity_id", sa.String(length=30), nullable=True),
        sa.Column("dlt_template_id", sa.String(length=30), nullable=True),
        sa.Column("dlt_sender_id", sa.String(length=6), nullable=True),
        sa.Column("dlt_text", sa.Text(), nullable=True),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("audience_days", sa.Integer(), nullable=True),
        sa.Column("audience_amount", sa.Numeric(18, 3), nullable=True),
        sa.Column("audience_tags", sa.JSON(), nullable=False),
        sa.Column("audience_customer_ids", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("stop_reason", sa.String(length=40), nullable=True),
        sa.Column("scheduled_at", WHEN, nullable=True),
        sa.Column("started_at", WHEN, nullable=True),
        sa.Column("frozen_at", WHEN, nullable=True),
        sa.Column("finished_at", WHEN, nullable=True),
        sa.Column("cancelled_at", WHEN, nullable=True),
        sa.Column("recipient_count", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["business_id"], ["businesses.id"], name=op.f("fk_campaigns_business_id_businesses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_index("ix_campaigns_business_id_id", "campaigns", ["business_id", "id"])
    op.create_index("ix_campaigns_status_scheduled_at", "campaigns", ["status", "scheduled_at"])
    op.create_table(
        "campaign_recipients",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("business_id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("claimed_at", WHEN, nullable=True),
        sa.Column("claim", sa.String(length=32), nullable=True),
        sa.Column("due_at", WHEN, nullable=True),
        sa.Column("notification_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_recipients_campaign_id_campaigns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_recipients")),
        sa.UniqueConstraint(
            "campaign_id",
            "customer_id",
            name=op.f("uq_campaign_recipients_campaign_id_customer_id"),
        ),
    )
    op.create_index(
        "ix_campaign_recipients_campaign_id_state_id",
        "campaign_recipients",
        ["campaign_id", "state", "id"],
    )
    with op.batch_alter_table("notification_log", schema=None) as batch_op:
        batch_op.create_index("ix_notification_log_campaign_id", ["campaign_id"])


def downgrade() -> None:
    with op.batch_alter_table("notification_log", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_log_campaign_id")
    op.drop_index("ix_campaign_recipients_campaign_id_state_id", table_name="campaign_recipients")
    op.drop_table("campaign_recipients")
    op.drop_index("ix_campaigns_status_scheduled_at", table_name="campaigns")
    op.drop_index("ix_campaigns_business_id_id", table_name="campaigns")
    op.drop_table("campaigns")
