"""Shared fixtures: a migrated SQLite store per test session, a transaction per test; real
PostgreSQL and Redis servers per test session (bot/servers.py) for what runs on them at scale."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from bot.config import REPO_ROOT, Settings
from bot.content.io import import_directory
from bot.languages import LanguageTable, load_languages
from bot.phrases import Phrasebook
from bot.servers import PostgresServer, RedisServer, ServersMissing, scratch_folder
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


@contextmanager
def _started(server: PostgresServer | RedisServer) -> Iterator[None]:
    """A server for the session. Missing binaries fail the test, never skip it: CI must run
    these tests against real servers, and `make test` installs them first."""
    try:
        server.start()
    except ServersMissing as error:
        pytest.fail(f"{error}; these tests run against real servers", pytrace=False)
    try:
        yield
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """PostgreSQL 15 for the session, fsync off (a throwaway cluster in a temporary folder)."""
    with scratch_folder() as folder:
        server = PostgresServer(folder / "postgres", durable=False)
        with _started(server):
            yield server


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """The session's PostgreSQL database (empty, shared by the session's tests):
    `postgresql+psycopg://assistant:...@127.0.0.1:PORT/assistant`."""
    return postgres_server.url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """Redis for the session (no persistence), `redis://127.0.0.1:PORT/0`; shared by the
    session's tests, so a test uses keys of its own or flushes the database first."""
    with scratch_folder() as folder:
        server = RedisServer(folder / "redis", durable=False)
        with _started(server):
            yield server.url


@contextmanager
def _own_database(server: PostgresServer, template: str | None = None) -> Iterator[str]:
    name = f"test_{uuid.uuid4().hex[:16]}"
    url = server.create_database(name, template)
    try:
        yield url
    finally:
        get_engine(url).dispose()
        server.drop_database(name)


@pytest.fixture
def fresh_postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """An empty PostgreSQL database of the test's own, dropped afterwards."""
    with _own_database(postgres_server) as url:
        yield url


@pytest.fixture(scope="session")
def _migrated_postgres_template(postgres_server: PostgresServer) -> Iterator[str]:
    """A database migrated to head once per session, copied for each test that needs one."""
    with _own_database(postgres_server) as url:
        upgrade(url)
        get_engine(url).dispose()  # CREATE DATABASE ... TEMPLATE wants nobody connected
        yield url.rsplit("/", 1)[1]


@pytest.fixture
def migrated_postgres_url(
    postgres_server: PostgresServer, _migrated_postgres_template: str
) -> Iterator[str]:
    """A PostgreSQL database of the test's own at the newest schema, dropped afterwards."""
    with _own_database(postgres_server, _migrated_postgres_template) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated store of the test's own on each engine the assistant runs on: SQLite
    (`make demo`) and PostgreSQL (`make stack`); real commits, so sessions see each other."""
    if request.param == "postgresql":
        return request.getfixturevalue("migrated_postgres_url")
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    upgrade(url)
    request.addfinalizer(get_engine(url).dispose)
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
