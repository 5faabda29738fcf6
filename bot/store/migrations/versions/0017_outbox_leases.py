"""outbox: leases, so several gateway workers send each message once (issue 19, item 4)

- `claim_token`, `claimed_until`: a worker claims a row before sending it (bot/outbox/queue.py
  `claim`); nobody else sends it until the lease runs out, and a worker killed mid-send lets
  its rows go when it does.
- `failed_at`: when a row was given up, for the dead-letter page (/admin/deliveries).
- an index on (failed, next_attempt_at): what every worker's claim reads.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("claim_token", sa.String(32), nullable=True))
        batch.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_outbox_failed_next_attempt_at", ["failed", "next_attempt_at"])


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_failed_next_attempt_at")
        batch.drop_column("failed_at")
        batch.drop_column("claimed_until")
        batch.drop_column("claim_token")
