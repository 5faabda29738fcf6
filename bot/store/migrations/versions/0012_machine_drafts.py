"""content revisions: machine drafts and confirmed translations (issue 17, items 3 and 5)

- `machine_engine`, `machine_model`, `machine_version`: what made a machine draft
  ("argostranslate 1.12.1", "translate-en_fr-0_1", "0.1"), kept on the revisions a translator
  saves from it until one is published, so that the reviewer always sees where a text came from;
  `machine_number` is the version the machine wrote (equal to `number` while nobody edited it).
- `confirmed_source_number`: a translator read the translation against source version N and
  said it is still correct; the dashboard and the export then stop calling it outdated until
  the source is published again.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("machine_engine", sa.String(100)),
    ("machine_model", sa.String(200)),
    ("machine_version", sa.String(100)),
    ("machine_number", sa.Integer()),
    ("confirmed_source_number", sa.Integer()),
)


def upgrade() -> None:
    with op.batch_alter_table("content_revisions") as batch:
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("content_revisions") as batch:
        for name, _kind in reversed(COLUMNS):
            batch.drop_column(name)
