"""insight counters per day and the texts the assistant could not answer (issue 18, item 5)

- `insight_counts`: one number per (day, kind, channel, language, country, topic), added to with
  INSERT ... ON CONFLICT DO UPDATE (bot/sharing/events.py); "" where a dimension is unknown, so
  the unique key holds on SQLite and PostgreSQL (NULLs are never equal in a unique key).
- `fallback_samples`: a text the assistant could not answer, with its day and language only,
  removed by the purge after RETAIN_TEXT_DAYS.
No column names, points to or can be joined back to a person.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "insight_counts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False, server_default=""),
        sa.Column("language", sa.String(8), nullable=False, server_default=""),
        sa.Column("country", sa.String(2), nullable=False, server_default=""),
        sa.Column("topic", sa.String(64), nullable=False, server_default=""),
        sa.Column("count", sa.Integer(), nullable=False, server_default="0"),
        sa.UniqueConstraint(
            "day", "kind", "channel", "language", "country", "topic", name="uq_insight_counts"
        ),
    )
    op.create_table(
        "fallback_samples",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
    )
    op.create_index("ix_fallback_samples_day", "fallback_samples", ["day"])


def downgrade() -> None:
    op.drop_index("ix_fallback_samples_day", table_name="fallback_samples")
    op.drop_table("fallback_samples")
    op.drop_table("insight_counts")
