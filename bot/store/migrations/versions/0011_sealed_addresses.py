"""inbox and outbox: addresses encrypted at rest, rows found by the person's pseudonym
(bot/store/sealed.py, issue 16)

Rows waiting at upgrade time are encrypted with this deployment's keys (HANDOFF_ADDRESS_KEYS,
PSEUDONYM_KEY), so an upgrade in the middle of traffic loses no message.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("inbox", "outbox")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("address", type_=sa.Text(), existing_type=sa.String(128))
            batch.add_column(sa.Column("person", sa.String(64), nullable=True))
    _seal_waiting_rows()
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("person", nullable=False, existing_type=sa.String(64))
            batch.create_index(f"ix_{table}_person", ["person"])


def _seal_waiting_rows() -> None:
    connection = op.get_bind()
    rows = {
        table: connection.execute(
            sa.text(f"SELECT id, channel, address FROM {table}")  # noqa: S608 - fixed names
        ).all()
        for table in TABLES
    }
    if not any(rows.values()):
        return
    from bot.address_keys import encrypt, keys_for
    from bot.config import get_settings
    from bot.pseudonym import pseudonymise

    settings = get_settings()
    keys, pseudonym_key = keys_for(settings), settings.resolved_pseudonym_key()
    for table, found in rows.items():
        for row_id, channel, address in found:
            connection.execute(
                sa.text(f"UPDATE {table} SET address = :token, person = :person WHERE id = :id"),  # noqa: S608
                {
                    "token": None if address is None else encrypt(address, keys),
                    "person": pseudonymise(pseudonym_key, channel, address or ""),
                    "id": row_id,
                },
            )


def downgrade() -> None:
    """Only an empty inbox and outbox go back: waiting rows hold encrypted addresses that the
    old schema would read as numbers (restore a backup instead)."""
    connection = op.get_bind()
    for table in TABLES:
        if connection.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first():  # noqa: S608
            raise NotImplementedError("addresses stay encrypted; restore a backup to go back")
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_person")
            batch.drop_column("person")
            batch.alter_column("address", type_=sa.String(128), existing_type=sa.Text())
