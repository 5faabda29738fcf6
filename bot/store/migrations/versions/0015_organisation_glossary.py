"""organisations: their own glossary for machine drafts (issue 17, item 4)

- `glossary`: {term: {language: rendering}}: terms a machine draft of the organisation's items
  keeps as written (no renderings) or translates a fixed way, on top of the shared terms of
  bot/translation/glossary.yml. Edited on /admin/glossary.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.add_column(sa.Column("glossary", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.drop_column("glossary")
