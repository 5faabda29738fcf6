"""The inbox and outbox keep a person's address only as a Fernet token (bot/store/sealed.py):
the database file shows no phone number, a process without the key cannot read it, and a
gateway in production without a key does not start."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from bot.address_keys import AddressKeyError, AddressUnreadable
from bot.clock import system_clock
from bot.config import Settings
from bot.handoff import addresses
from bot.outbox import queue
from bot.store import sealed
from bot.store.db import get_engine, upgrade
from bot.store.models import InboxMessage, OutboxMessage
from bot.web.services import Services, Words
from tests.conftest import TEST_ADDRESS_KEY, TEST_PSEUDONYM_KEY

PHONE = "whatsapp:+50937001122"
NOW = dt.datetime(2026, 12, 3, 9, tzinfo=dt.UTC)


def waiting(session) -> None:  # noqa: ANN001 - a Session
    queue.receive(session, "whatsapp", PHONE, "bonjou", True, NOW)
    queue.enqueue(session, "whatsapp", PHONE, [{"body": "Bonjou!"}], NOW)


def test_the_file_holds_no_number_and_the_gateway_reads_it_back(store):
    path, sessions = store
    with sessions() as session, session.begin():
        waiting(session)
    with sessions() as session:
        assert session.scalars(select(InboxMessage.address)).one() == PHONE
        assert session.scalars(select(OutboxMessage.address)).one() == PHONE
        assert queue.has_held(session, "whatsapp", PHONE, None) is False
    get_engine(f"sqlite:///{path}").dispose()
    with sqlite3.connect(path) as raw:
        stored = [
            row[0]
            for table in ("inbox", "outbox")
            for row in raw.execute(f"SELECT address FROM {table}")  # noqa: S608 - fixed names
        ]
    raw.close()
    assert all(token.startswith("gAAAA") for token in stored), "Fernet tokens"
    assert b"37001122" not in b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_without_the_key_the_address_is_unreadable(store):
    _, sessions = store
    with sessions() as session, session.begin():
        waiting(session)
    sealed.configure([Fernet.generate_key()], TEST_PSEUDONYM_KEY)  # another deployment's key
    with sessions() as session, pytest.raises(AddressUnreadable):
        session.scalars(select(InboxMessage.address)).one()


def test_a_process_without_keys_stores_no_address(store):
    _, sessions = store
    sealed.configure([], TEST_PSEUDONYM_KEY)
    with sessions() as session, pytest.raises(StatementError) as refused:
        waiting(session)
        session.flush()
    assert isinstance(refused.value.orig, AddressKeyError)


def test_rotation_re_encrypts_waiting_rows_under_the_new_key(store):
    _, sessions = store
    with sessions() as session, session.begin():
        waiting(session)
    new = Fernet.generate_key()
    sealed.configure([new, TEST_ADDRESS_KEY], TEST_PSEUDONYM_KEY)
    with sessions() as session, session.begin():
        assert addresses.rotate_all(session, [new, TEST_ADDRESS_KEY]) == 2
    sealed.configure([new], TEST_PSEUDONYM_KEY)  # the old key removed
    with sessions() as session:
        assert session.scalars(select(OutboxMessage.address)).one() == PHONE


def test_the_upgrade_seals_rows_that_were_waiting(tmp_path, monkeypatch):
    """An upgrade in the middle of traffic: rows written before 0011 hold plain numbers."""
    path = tmp_path / "old.sqlite3"
    url = f"sqlite:///{path}"
    from alembic import command

    from bot.store.db import alembic_config

    command.upgrade(alembic_config(url), "0010")
    with sqlite3.connect(path) as raw:
        raw.execute(
            "INSERT INTO inbox (channel, address, text, readable, received_at) "
            "VALUES ('whatsapp', ?, 'bonjou', 1, '2026-12-03 09:00:00')",
            (PHONE,),
        )
    raw.close()
    monkeypatch.setenv("HANDOFF_ADDRESS_KEYS", TEST_ADDRESS_KEY.decode())
    monkeypatch.setenv("PSEUDONYM_KEY", TEST_PSEUDONYM_KEY.decode())
    from bot.config import get_settings

    get_settings.cache_clear()
    try:
        upgrade(url)
    finally:
        get_settings.cache_clear()
    with sqlite3.connect(path) as raw:
        token, person = raw.execute("SELECT address, person FROM inbox").fetchone()
    raw.close()
    assert PHONE not in token and person == sealed.person("whatsapp", PHONE)
    assert Fernet(TEST_ADDRESS_KEY).decrypt(token.encode()).decode() == PHONE


def test_production_without_an_address_key_does_not_start(tmp_path):
    settings = Settings(
        environment="production",
        pseudonym_key="a-production-key",
        database_url=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        handoff_address_keys=None,
    )
    upgrade(settings.database_url)

    async def build() -> None:
        async with httpx.AsyncClient() as http:
            Services.build(settings, Words.build(settings), http, system_clock)

    with pytest.raises(AddressKeyError):
        asyncio.run(build())
