"""conversation flow: the flow a conversation is in (an emergency) and the offer it waits on

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("flow", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("flow_updated_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("pending_offer", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("pending_offer")
        batch.drop_column("flow_updated_at")
        batch.drop_column("flow")
