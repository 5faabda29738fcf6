"""WhatsApp end to end: Twilio-signed webhooks through the real gateway, Rasa and actions."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import httpx
import pytest

from tests.integration.conftest import plain
from tests.integration.test_conversation import PHRASES, first_line, stored_body
from tests.whatsapp_helpers import message_form, post_signed

pytestmark = pytest.mark.integration
_numbers = itertools.count(50937100001)


def read(body: str) -> str:
    """What the person reads: WhatsApp shows *bold* as bold, without the stars."""
    return plain(body.replace("*", ""))


def bodies(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [m.text or "" for m in ET.fromstring(response.text).iter("Message")]


@pytest.fixture
def twilio(running):
    """Twilio's side: one WhatsApp user, who signs every webhook like Twilio does."""
    with httpx.Client(base_url=running.gateway, timeout=60) as client:
        sender = f"whatsapp:+{next(_numbers)}"

        def send(text: str, **extra: str) -> httpx.Response:
            return post_signed(client, message_form(text, sender=sender, **extra))

        send.client = client  # type: ignore[attr-defined]
        yield send


def test_signed_kreyol_trafficking_message_gets_the_kreyol_answer_once(running, twilio):
    form = message_form("M bezwen èd, yo pran paspò m", sender="whatsapp:+50937199999")
    first = bodies(post_signed(twilio.client, form))
    expected = first_line(stored_body(running.database_url, "trafficking", "ht"))
    assert any(expected in read(body) for body in first), first
    assert bodies(post_signed(twilio.client, form)) == []  # delivered twice, answered once
    unsigned = twilio.client.post("/webhooks/whatsapp", data=message_form("yo pran paspò m"))
    assert unsigned.status_code == 403


@pytest.mark.parametrize(
    ("language", "greeting", "question", "topic"),
    [
        ("ht", "bonjou", "ki kote m ka dòmi aswè a", "shelter_food"),
        ("fr", "bonjour", "où est-ce que je peux dormir ce soir", "shelter_food"),
        ("en", "hello", "how do I ask for asylum", "asylum_rights"),
    ],
)
def test_a_conversation_in_each_language(running, twilio, language, greeting, question, topic):
    [hello] = bodies(twilio(greeting))
    assert plain(PHRASES.get("greet", language)) in plain(hello)
    assert "1. " in hello  # the topics, numbered
    answer = "\n".join(bodies(twilio(question)))
    assert first_line(stored_body(running.database_url, topic, language)) in read(answer)


def test_a_digit_picks_a_topic_from_the_numbered_menu(running, twilio):
    [menu] = bodies(twilio("bonjou"))
    number = next(line.split(".")[0] for line in menu.splitlines() if line.endswith("Trafik moun"))
    answer = "\n".join(bodies(twilio(number)))
    assert first_line(stored_body(running.database_url, "trafficking", "ht")) in read(answer)
