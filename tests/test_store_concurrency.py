"""Concurrent writers on the SQLite store: what eight WhatsApp senders at once do to it.

With SQLite's default deferred transactions, a session that read and then writes after another
connection wrote fails at once with "database is locked"; the store begins every transaction
IMMEDIATE so writers wait their turn (busy_timeout) instead (bot/store/db.py)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import create_engine, select
from sqlalchemy.orm import sessionmaker

from bot.store import conversations
from bot.store.db import session_factory, upgrade
from bot.store.models import Conversation


def test_read_then_write_from_many_threads_loses_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'busy.sqlite3'}"
    upgrade(url)
    sessions = session_factory(url)

    def person(number: int) -> None:
        for turn in range(15):
            with sessions() as session, session.begin():
                memory = conversations.read(session, f"p{number}")  # read, then write
                language = "ht" if memory.language == "fr" else "fr"
                changes = conversations.Changes(language=language, last_topic=f"topic-{turn}")
                conversations.apply(session, f"p{number}", changes)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(person, range(8)))  # raises if any thread got "database is locked"

    plain = sessionmaker(create_engine(url))
    with plain() as session:
        topics = session.scalars(select(Conversation.last_topic)).all()
    assert sorted(topics) == ["topic-14"] * 8
