"""The emergency fast path with the Rasa server and the action server stopped."""

from __future__ import annotations

import time

import httpx
import pytest

from bot.config import REPO_ROOT
from bot.languages import load_languages
from bot.phrases import Phrasebook
from tests.integration.conftest import plain, running_stack

pytestmark = pytest.mark.integration
PHRASES = Phrasebook(REPO_ROOT / "translations", load_languages(REPO_ROOT / "translations"))


@pytest.fixture(scope="module")
def gateway_alone(tmp_path_factory):
    """The whole stack started, then Rasa and the action server stopped."""
    with running_stack(tmp_path_factory.mktemp("no-rasa")) as running:
        running.stack.stop(("rasa", "actions"))
        yield running.stack


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
