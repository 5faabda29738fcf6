"""What the per-person order and rate limit tests share: the session's real Redis
(tests/conftest.py `redis_url`, bot/servers.py; a missing redis-server fails there with
`make servers`), emptied per test, and a fake Rasa that echoes each message."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from bot.config import Settings
from bot.stack import free_port
from bot.store.db import upgrade
from tests.fakes.rasa import FakeRasa
from tests.fakes.server import serve

ANSWER = "Answer to "


def answer_to(message: str) -> list[dict[str, Any]]:
    return [{"text": f"{ANSWER}{message}"}]


@pytest.fixture
def fresh_redis(redis_url: str) -> str:
    """The session's Redis, emptied: no test sees another's tickets or counts."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.close()
    return redis_url


@pytest.fixture
def rasa() -> Iterator[FakeRasa]:
    fake = FakeRasa([], answer_to)
    with serve(fake.app()) as url:
        fake.url = url  # type: ignore[attr-defined]
        yield fake


def gateway_settings(database: Path, rasa: FakeRasa, **fields: Any) -> Settings:
    """A migrated store of its own, the fake Rasa, no action server (a closed port)."""
    settings = Settings(
        database_url=f"sqlite:///{database}",
        pseudonym_key="test-key-not-secret",
        rasa_url=rasa.url,  # type: ignore[attr-defined]
        action_server_url=f"http://127.0.0.1:{free_port()}",
        **fields,
    )
    upgrade(settings.database_url)
    return settings
