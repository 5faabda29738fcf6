"""Shared fixtures: a migrated SQLite store per test session, a transaction per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from bot.config import REPO_ROOT, Settings
from bot.content.io import import_directory
from bot.languages import LanguageTable, load_languages
from bot.phrases import Phrasebook
from bot.stack import free_port
from bot.store import sealed
from bot.store.db import get_engine, session_scope, upgrade

TEST_PSEUDONYM_KEY = b"test-key"
TEST_ADDRESS_KEY = Fernet.generate_key()


@pytest.fixture(autouse=True)
def sealed_address_keys() -> None:
    """The keys that encrypt inbox and outbox addresses (bot/store/sealed.py), set again
    before each test: a gateway built by a test sets its own, as every process does."""
    sealed.configure([TEST_ADDRESS_KEY], TEST_PSEUDONYM_KEY)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    upgrade(url)
    return url


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions bound to one outer transaction that is rolled back after the test, so tests
    never see each other's rows (each session's commit becomes a SAVEPOINT release)."""
    connection = get_engine(database_url).connect()
    outer = connection.begin()
    factory = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield factory
    finally:
        outer.rollback()
        connection.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[Path, sessionmaker[Session]]]:
    """A database file of the test's own (not the shared rolled-back one), so that it can be
    VACUUMed and its bytes searched for text that must be gone."""
    path = tmp_path / "own.sqlite3"
    url = f"sqlite:///{path}"
    upgrade(url)
    yield path, sessionmaker(get_engine(url), expire_on_commit=False)
    get_engine(url).dispose()


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as session:
        yield session


@pytest.fixture(scope="session")
def languages() -> LanguageTable:
    return load_languages(REPO_ROOT / "translations")


@pytest.fixture(scope="session")
def phrases(languages: LanguageTable) -> Phrasebook:
    return Phrasebook(REPO_ROOT / "translations", languages)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'app.sqlite3'}", pseudonym_key="test-key-not-secret"
    )


@pytest.fixture
def gateway_without_rasa(settings: Settings, languages: LanguageTable) -> Iterator[TestClient]:
    """The gateway with the seed content and Rasa and the action server not running (real
    closed ports): what every channel must survive, and all the fast path needs."""
    settings.rasa_url = f"http://127.0.0.1:{free_port()}"
    settings.action_server_url = f"http://127.0.0.1:{free_port()}"
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        import_directory(session, REPO_ROOT / "content", languages)
    from bot.web.app import create_app

    with TestClient(create_app(settings)) as client:
        yield client
