"""content texts: a short forwardable version of each answer ("Share this", issue 18, item 3)

- `content_variants.share_text`: the published forwardable text of one language of an item,
  sent (with the assistant's link) when a person asks to share the answer; None: the answer
  offers no sharing in that language.
- `content_revisions.share_text`: the same field in every saved version, so it is written,
  reviewed and published with the body (draft -> review -> published).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("content_variants", "content_revisions")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("share_text", sa.Text(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("share_text")
