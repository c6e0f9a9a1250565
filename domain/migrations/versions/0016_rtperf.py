"""stream events carry a snapshot of the object they are about, as of their commit, so a
live or replayed event builds its GraphQL object without loading it again

Revision ID: 0016_rtperf
Revises: 0015_notify2
Create Date: 2026-12-07 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_rtperf"
down_revision: str | None = "0015_notify2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("snapshot", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.drop_column("snapshot")
