"""notification templates (with DLT registration), customer notification preferences
and timezone, per-business SMS quota settings and the monthly SMS usage counter; API
keys gain the notifications scopes that match their customers scopes

Existing keys keep what they could do: a key holding customers:read may now read message
templates, preferences and SMS usage (notifications:read), one holding customers:write
may change them (notifications:write). Downgrade removes both again.

Revision ID: 0013_templates
Revises: 0012_purchases
Create Date: 2026-12-12 10:00:00
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_templates"
down_revision: str | None = "0012_purchases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MONEY = sa.Numeric(18, 3)
NOW = sa.DateTime(timezone=True)
GRANTS = {"customers:read": ("notifications:read",), "customers:write": ("notifications:write",)}
NOTIFICATIONS = {"notifications:read", "notifications:write"}

keys = sa.table("api_keys", sa.column("id", sa.BigInteger), sa.column("scopes", sa.JSON))


def _business_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["business_id"], ["businesses.id"], name=op.f(f"fk_{table}_business_id_businesses")
    )


def _rewrite(change: Callable[[set[str]], set[str]]) -> None:
    conn = op.get_bind()
    for key_id, scopes in conn.execute(sa.select(keys.c.id, keys.c.scopes)).all():
        before = set(scopes or [])
        after = change(before)
        if after != before:
            conn.execute(sa.update(keys).where(keys.c.id == key_id).values(scopes=sorted(after)))


def upgrade() -> None:
    op.create_table(
        "notification_templates",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("business_id", ID, nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("event", sa.String(length=24), nullable=False),
        sa.Column("language", sa.String(length=12), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("dlt_entity_id", sa.String(length=30), nullable=True),
        sa.Column("dlt_template_id", sa.String(length=30), nullable=True),
        sa.Column("dlt_sender_id", sa.String(length=6), nullable=True),
        sa.Column("dlt_text", sa.Text(), nullable=True),
        sa.Column("created_at", NOW, nullable=False),
        sa.Column("updated_at", NOW, nullable=False),
        _business_fk("notification_templates"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_templates")),
        sa.UniqueConstraint(
            "business_id",
            "channel",
            "event",
            "language",
            name=op.f("uq_notification_templates_business_id_channel_event_language"),
        ),
    )
    op.create_table(
        "notification_preferences",
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("business_id", ID, nullable=False),
        sa.Column("sms_transactional", sa.Boolean(), nullable=False),
        sa.Column("sms_marketing", sa.Boolean(), nullable=False),
        sa.Column("email_transactional", sa.Boolean(), nullable=False),
        sa.Column("email_marketing", sa.Boolean(), nullable=False),
        sa.Column("quiet_start", sa.Time(), nullable=True),
        sa.Column("quiet_end", sa.Time(), nullable=True),
        sa.Column("updated_by", sa.String(length=80), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("updated_at", NOW, nullable=False),
        _business_fk("notification_preferences"),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_notification_preferences_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_notification_preferences")),
    )
    with op.batch_alter_table("notification_preferences", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_preferences_business_id"), ["business_id"], unique=False
        )
    op.create_table(
        "notification_settings",
        sa.Column("business_id", ID, nullable=False),
        sa.Column("sms_monthly_quota", sa.Integer(), nullable=True),
        sa.Column("sms_spend_cap", MONEY, nullable=True),
        sa.Column("sms_segment_price", MONEY, nullable=True),
        sa.Column("updated_at", NOW, nullable=False),
        _business_fk("notification_settings"),
        sa.PrimaryKeyConstraint("business_id", name=op.f("pk_notification_settings")),
    )
    op.create_table(
        "sms_usage",
        sa.Column("business_id", ID, nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("segments", sa.Integer(), nullable=False),
        _business_fk("sms_usage"),
        sa.PrimaryKeyConstraint("business_id", "month", name=op.f("pk_sms_usage")),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
    _rewrite(lambda s: s | {g for scope in s for g in GRANTS.get(scope, ())})


def downgrade() -> None:
    _rewrite(lambda s: s - NOTIFICATIONS)
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("timezone")
    op.drop_table("sms_usage")
    op.drop_table("notification_settings")
    op.drop_table("notification_preferences")
    op.drop_table("notification_templates")
