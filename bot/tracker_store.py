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
from redis.connection import SSLConnection
from redis.connection import parse_url as parse_redis_url
from sqlalchemy.engine import make_url

from bot.store.db import empty_write_ahead_log, get_engine

# Rasa's schema (rasa/core/tracker_store.py, SQLTrackerStore.SQLEvent): only what we filter on.
EVENTS = sa.table("events", sa.column("sender_id"), sa.column("timestamp"))


def rasa_endpoint(url: str) -> dict[str, object]:
    """The `tracker_store` section of Rasa's endpoints.yml for a SQLAlchemy URL.

    Rasa 3.6 builds its own URL from the dialect alone and talks to PostgreSQL through
    psycopg2 (installed in .venv-rasa), so the gateway's driver (`postgresql+psycopg`) is cut:
    one TRACKER_STORE_URL serves both sides."""
    parsed = make_url(url)
    section: dict[str, object] = {
        "type": "SQL",
        "dialect": parsed.get_backend_name(),
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
    if parsed.query:  # e.g. sslmode=require, handed to the driver as it is
        section["query"] = dict(parsed.query)
    return section


def gateway_url(url: str) -> str:
    """The URL the gateway opens: PostgreSQL through psycopg 3 (the gateway's driver) even
    when TRACKER_STORE_URL names none or Rasa's psycopg2, which only .venv-rasa has."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def rasa_lock_store(redis_url: str) -> dict[str, object]:
    """The `lock_store` section for a REDIS_URL: Rasa's RedisLockStore, so that several Rasa
    instances never work on one conversation at once (rasa/core/lock_store.py). Rasa takes
    the host as `url` and the rest as RedisLockStore's arguments; the URL is read by
    redis-py's own parser (user, password, `rediss://` for TLS). Its keys get their own
    prefix (letters and digits only, Rasa ignores any other), apart from the gateway's."""
    parsed = parse_redis_url(redis_url)
    section: dict[str, object] = {
        "type": "redis",
        "url": parsed.get("host", "localhost"),
        "port": parsed.get("port", 6379),
        "db": parsed.get("db", 0),
        "key_prefix": "rasa",
    }
    for key in ("username", "password"):
        if parsed.get(key) is not None:
            section[key] = parsed[key]
    if parsed.get("connection_class") is SSLConnection:
        section["use_ssl"] = True
    return section


class TrackerEvents:
    """Deletes rows of Rasa's `events` table; a table Rasa has not created yet holds nothing."""

    def __init__(self, url: str) -> None:
        self._engine = get_engine(gateway_url(url))

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
