"""The emergency fast path with the Rasa server and the action server stopped."""

from __future__ import annotations

import time

import httpx
import pytest

from bot.config import REPO_ROOT
from bot.content.io import import_directory
from bot.languages import load_languages
from bot.phrases import Phrasebook
from bot.stack import Ports, Stack
from bot.store.db import session_scope, upgrade
from tests.integration.conftest import plain

pytestmark = pytest.mark.integration
PHRASES = Phrasebook(REPO_ROOT / "translations", load_languages(REPO_ROOT / "translations"))


@pytest.fixture(scope="module")
def gateway_alone(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("no-rasa")
    database_url = f"sqlite:///{run_dir / 'store.sqlite3'}"
    upgrade(database_url)
    with session_scope(database_url) as session:
        import_directory(session, REPO_ROOT / "content", load_languages(REPO_ROOT / "translations"))
    stack = Stack(
        ports=Ports.free(),
        run_dir=run_dir,
        env={"DATABASE_URL": database_url, "PSEUDONYM_KEY": "k"},
    )
    stack.start()
    try:
        stack.wait_ready()
        stack.stop(("rasa", "actions"))
        yield stack
    finally:
        stack.stop()


def test_health_names_the_stopped_parts(gateway_alone):
    response = httpx.get(gateway_alone.ports.url(gateway_alone.ports.gateway, "/healthz"))
    assert response.status_code == 503
    assert set(response.json()["failing"]) == {"rasa", "action_server"}


def test_emergency_in_kreyol_is_answered_within_a_second(gateway_alone):
    url = gateway_alone.ports.url(gateway_alone.ports.gateway, "/chat/messages")
    started = time.monotonic()
    response = httpx.post(url, json={"text": "yo kenbe m, m pa ka soti, ede m souple"})
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert response.json()["language"] == "ht"
    html = plain(response.json()["messages"][0]["html"])
    assert plain(PHRASES.get("which_country", "ht")) in html
    assert elapsed < 1.0, f"{elapsed:.2f}s"
