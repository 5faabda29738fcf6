"""Rasa's tracker store, seen from the gateway: where the model keeps every message it was sent.

Rasa's SQL tracker store (https://rasa.com/docs/rasa/tracker-stores#sqltrackerstore) writes one
row per event into a table `events` (sender_id, timestamp, data holding the text). Rasa itself
never deletes a row: replacing a conversation's events through its HTTP API only appends, and
nothing expires. So the gateway, which decides what is kept (issue 16), deletes rows itself:
a person's rows when they erase their data, and every row older than RETAIN_TEXT_DAYS in
`python -m bot purge`. `make demo` runs Rasa on an SQLite file in its run folder
(bot/stack.py); at scale TRACKER_STORE_URL names a PostgreSQL database, read the same way.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bot.store.db import empty_write_ahead_log, get_engine

# Rasa's schema (rasa/core/tracker_store.py, SQLTrackerStore.SQLEvent): only what we filter on.
EVENTS = sa.table("events", sa.column("sender_id"), sa.column("timestamp"))


def rasa_endpoint(url: str) -> dict[str, object]:
    """The `tracker_store` section of Rasa's endpoints.yml for a SQLAlchemy URL."""
    parsed = make_url(url)
    section: dict[str, object] = {
        "type": "SQL",
        "dialect": parsed.drivername,
        "db": parsed.database,
    }
    for key, value in (
        ("url", parsed.host),
        ("port", parsed.port),
        ("username", parsed.username),
        ("password", parsed.password),
    ):
        if value is not None:
            section[key] = value
    return section


class TrackerEvents:
    """Deletes rows of Rasa's `events` table; a table Rasa has not created yet holds nothing."""

    def __init__(self, url: str) -> None:
        self._engine = get_engine(url)

    def _present(self) -> bool:
        return sa.inspect(self._engine).has_table("events")

    def forget(self, sender_id: str) -> int:
        """Every event of one conversation; returns how many rows went."""
        return self._delete(EVENTS.c.sender_id == sender_id)

    def purge_before(self, cutoff: dt.datetime) -> int:
        """Every event older than `cutoff` (Rasa stores Unix seconds); returns how many."""
        return self._delete(EVENTS.c.timestamp < cutoff.timestamp())

    def _delete(self, condition: sa.ColumnElement[bool]) -> int:
        if not self._present():
            return 0
        with self._engine.begin() as connection:
            deleted = connection.execute(sa.delete(EVENTS).where(condition)).rowcount
        empty_write_ahead_log(self._engine)
        return deleted
