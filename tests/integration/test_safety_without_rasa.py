"""The emergency fast path with the Rasa server and the action server stopped."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

import httpx
import pytest

from bot.config import REPO_ROOT
from bot.languages import load_languages
from bot.phrases import Phrasebook
from tests.integration.conftest import plain, running_stack
from tests.whatsapp_helpers import message_form, post_signed

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


def test_emergency_on_whatsapp_is_answered_within_a_second(gateway_alone):
    """The issue's words: Rasa and the action server stopped, a Twilio-signed WhatsApp
    webhook, the Kreyòl emergency answer with the country question, in under a second."""
    with httpx.Client(base_url=gateway_alone.ports.url(gateway_alone.ports.gateway)) as client:
        form = message_form("yo kenbe m, m pa ka soti, ede m souple")
        started = time.monotonic()
        response = post_signed(client, form)
        elapsed = time.monotonic() - started
    assert response.status_code == 200
    [answer] = [m.text or "" for m in ET.fromstring(response.text).iter("Message")]
    assert plain(PHRASES.get("which_country", "ht")) in plain(answer)
    assert "Si ou an danje" in answer
    assert elapsed < 1.0, f"{elapsed:.2f}s"
