"""Every migration runs on both engines the assistant uses: SQLite (`make demo`) and
PostgreSQL (`make stack`), up to the newest schema, down to nothing and up again."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from bot.store.db import alembic_config, get_engine


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        return request.getfixturevalue("fresh_postgres_url")
    return f"sqlite:///{tmp_path / 'empty.sqlite3'}"


def _migrate(url: str, direction: str, target: str) -> None:
    with get_engine(url).begin() as connection:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        getattr(command, direction)(config, target)


def _schema(url: str) -> dict[str, list[str]]:
    """Every table with its columns, alembic's own bookkeeping left out."""
    inspector = sa.inspect(get_engine(url))
    return {
        table: sorted(column["name"] for column in inspector.get_columns(table))
        for table in inspector.get_table_names()
        if table != "alembic_version"
    }


def test_every_migration_goes_up_down_and_up_again(empty_url):
    _migrate(empty_url, "upgrade", "head")
    newest = _schema(empty_url)
    assert {"conversations", "outbox", "processed_messages", "insight_counts"} <= set(newest)
    _migrate(empty_url, "downgrade", "base")
    assert _schema(empty_url) == {}
    _migrate(empty_url, "upgrade", "head")
    assert _schema(empty_url) == newest
