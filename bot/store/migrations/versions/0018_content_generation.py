"""content: a generation number that every write of content moves on (issue 19)

- `content_generation`: one row; its `number` goes up by one in every transaction that
  writes a topic, an item, a variant or a source (bot/content/shelf.py counts them). Each
  gateway process keeps the sendable content in memory and reads it again only when the
  number it holds is no longer the stored one: one primary-key read per answer instead of
  the half-dozen queries a card took, and a partner's publication is sent at once by every
  worker.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "content_generation",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("number", sa.Integer(), nullable=False),
    )
    op.bulk_insert(table, [{"id": 1, "number": 0}])


def downgrade() -> None:
    op.drop_table("content_generation")
