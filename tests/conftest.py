"""Shared fixtures: a migrated SQLite store per test session, a transaction per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.config import REPO_ROOT, Settings
from bot.languages import LanguageTable, load_languages
from bot.phrases import Phrasebook
from bot.store.db import get_engine, upgrade


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
