"""Engine, sessions and migrations.

Every entry point (gateway, action server, CLI) calls `upgrade()` first, so a fresh clone and a
deployed database both end at the same schema without a separate manual step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.dml import Insert

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
READ_ONLY_OPTION = "route_assistant_read_only"


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API objects
    # pysqlite's own transaction handling breaks SAVEPOINTs; SQLAlchemy emits BEGIN instead:
    # https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#serializable-isolation-savepoints-transactional-ddl
    dbapi_connection.isolation_level = None
    # WAL lets the gateway read while the action server writes; FKs make cascades real.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL is safe from corruption and durable across a crash of our processes;
    # only a power cut may lose the last commits. FULL costs an fsync per commit (1 ms here,
    # serialised across senders). https://www.sqlite.org/pragma.html#pragma_synchronous
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    # What is deleted (a person's data on request, case text after the retention window) is
    # overwritten with zeros instead of lingering in free pages where a copy of the file
    # would still show it. https://www.sqlite.org/pragma.html#pragma_secure_delete
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def upsert_insert(session: Session) -> Callable[..., Any]:
    """The `insert` of the session's dialect, the one with ON CONFLICT (SQLite and PostgreSQL
    both have it; SQLAlchemy's generic insert does not)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def count_upsert(session: Session, table: Table, key: tuple[str, ...]) -> Insert:
    """INSERT a counter row, or add its `count` to the row already at `key` (the table's
    primary or unique key): one statement, so two processes counting at once both count,
    with no savepoint and no retry. Run it with one parameter row per cell (`add_to_count`)
    or many cells of distinct keys at once."""
    return _count_upsert(session.get_bind().dialect.name, table, key)


@lru_cache(maxsize=32)
def _count_upsert(dialect: str, table: Table, key: tuple[str, ...]) -> Insert:
    # Built once per table: building the construct was part of what four counters an answer
    # cost (py-spy, docs/benchmarks.md); SQLAlchemy caches the compiled form itself.
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=[table.c[name] for name in key],
        set_={"count": table.c["count"] + statement.excluded["count"]},
    )


def add_to_count(session: Session, table: Table, cell: dict[str, Any], by: int = 1) -> None:
    """+`by` on the counter row at `cell` (its key columns and values), made if missing."""
    session.execute(count_upsert(session, table, tuple(cell)), [cell | {"count": by}])


def as_utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands datetimes back without their zone; everything we store is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# A server database (PostgreSQL at scale) is shared by several gateway workers, the action
# server, the purge and Rasa's own pool, within its max_connections (100 by default, 200 in
# bot/servers.py). Each process keeps a few connections open and may open a few more under a
# burst; a request that still finds none waits 10 seconds (pool_timeout), then fails loudly
# instead of queueing for ever. Connections are renewed every half hour, so a restarted
# server or a proxy's idle cut costs one retry (pre-ping), not a failed message.
SERVER_POOL = {"pool_size": 5, "max_overflow": 10, "pool_timeout": 10, "pool_recycle": 1800}


@lru_cache(maxsize=8)
def get_engine(database_url: str) -> Engine:
    if database_url.startswith("sqlite:///"):
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    server = not database_url.startswith("sqlite")
    engine = create_engine(database_url, pool_pre_ping=True, **(SERVER_POOL if server else {}))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_begin(connection: Connection) -> None:
    """IMMEDIATE: a transaction takes the write lock when it starts, so busy_timeout applies.
    A deferred one that reads, then writes after another process wrote, fails at once with
    "database is locked" (SQLite cannot upgrade a stale WAL snapshot); measured by
    scripts/channel_bench.py with 8 concurrent WhatsApp senders. A reader that never writes
    (`reader_factory`) begins deferred, so words and memory are read while someone writes."""
    read_only = connection.get_execution_options().get(READ_ONLY_OPTION, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def empty_write_ahead_log(engine: Engine) -> None:
    """Copy SQLite's write-ahead log into the database and empty it: the log keeps older
    versions of pages (a deleted message's text among them) until a checkpoint, so erasure
    and the purge end with one. Run on a raw DB-API connection: SQLAlchemy's "begin" event
    would wrap it in a transaction, where SQLite refuses to checkpoint. A reader still open
    elsewhere makes SQLite copy what it can; the next checkpoint finishes it.
    https://www.sqlite.org/pragma.html#pragma_wal_checkpoint"""
    if engine.dialect.name != "sqlite":
        return
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.close()
    finally:
        connection.close()


def session_factory(database_url: str) -> sessionmaker[Session]:
    return sessionmaker(get_engine(database_url), expire_on_commit=False)


def reader_factory(database_url: str) -> sessionmaker[Session]:
    """Sessions that only read (the words of a response, what a conversation remembers): on
    SQLite they do not queue behind writers; elsewhere they are ordinary sessions."""
    engine = get_engine(database_url).execution_options(**{READ_ONLY_OPTION: True})
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(database_url: str) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any error."""
    with session_factory(database_url)() as session, session.begin():
        yield session


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str) -> None:
    """Bring the database to the newest schema (idempotent)."""
    engine = get_engine(database_url)
    with engine.begin() as connection:
        config = alembic_config(database_url)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
