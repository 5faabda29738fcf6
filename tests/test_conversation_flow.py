"""Conversations, not cards: an emergency lasts more than one message, "yes" and "no" answer the
offer of a person, and the language changes only when the person asks.

Through the signed WhatsApp webhook (TwiML) with the seed content, a fake Rasa that answers
as the real one does (text, then the gateway's `custom` note naming the response), and a clock
the test moves.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.config import REPO_ROOT, Settings
from bot.content.io import import_directory
from bot.pipeline.flow import load_yes_no
from bot.stack import free_port
from bot.store.db import session_scope, upgrade
from tests.fakes.rasa import FakeRasa
from tests.fakes.server import serve
from tests.whatsapp_helpers import AUTH_TOKEN, message_form, post_signed

MISSING_CHILD = "my son is not with me anymore, we were at the bus station in tapachula"
DETAIL = "he is 7, blue shirt, he only speaks creole"


class Clock:
    """A clock the test moves: the flow's time limit without waiting for it."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def said(response: str, text: str, topic: str | None = None) -> list[dict[str, Any]]:
    """What Rasa's REST channel returns for one response through our NLG endpoint."""
    note = {"response": response, **({"topic": topic} if topic else {})}
    return [{"text": text}, {"custom": {"gateway": note}}]


def model(message: str) -> list[dict[str, Any]]:
    """A stand-in for the model on the messages below; the words are not the point here."""
    if message.startswith("my son"):
        return said("emergency", "Emergency card", topic="emergency")
    if message == "/talk_to_human":
        return said("talk_to_human", "A person card", topic="talk_to_human")
    if "shelter" in message:
        return said("shelter_food", "Shelter card", topic="shelter_food")
    return said("did_you_mean", "Did you mean...?")


@pytest.fixture
def rasa() -> Iterator[FakeRasa]:
    fake = FakeRasa([], model)
    with serve(fake.app()) as url:
        fake.url = url  # type: ignore[attr-defined]
        yield fake


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def chat(settings: Settings, languages, rasa, clock) -> Iterator[Callable[[str], str]]:
    """Say one thing on WhatsApp as the same person; get the answer as one text."""
    settings.rasa_url = rasa.url
    settings.action_server_url = f"http://127.0.0.1:{free_port()}"
    settings.twilio_auth_token = AUTH_TOKEN
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        import_directory(session, REPO_ROOT / "content", languages)
    from bot.web.app import create_app

    with TestClient(create_app(settings, clock=clock)) as client:

        def say(text: str) -> str:
            response = post_signed(client, message_form(text))
            assert response.status_code == 200, response.text
            return "\n".join(m.text or "" for m in ET.fromstring(response.text).iter("Message"))

        yield say


def test_a_detail_after_an_emergency_gets_what_to_do_the_number_and_a_person(chat, phrases):
    first = chat(MISSING_CHILD)  # the fast path: Mexico's numbers (Tapachula) and a person
    assert "911" in first and phrases.get("talk_button", "en") in first
    answer = chat(DETAIL)
    assert phrases.get("emergency_follow_up", "en") in answer  # in English: no switch
    assert "911" in answer  # Mexico's number: Tapachula is in Mexico
    assert phrases.get("talk_button", "en") in answer
    assert "Did you mean" not in answer


def test_yes_to_the_offer_of_a_person_takes_it_and_no_is_heard(chat, rasa, phrases):
    chat(MISSING_CHILD)
    chat(DETAIL)
    assert chat("yes") == "A person card"
    assert rasa.messages()[-1] == "/talk_to_human"
    chat(DETAIL)  # offers a person again
    assert chat("no thanks") == phrases.get("offer_declined", "en")


def test_a_question_inside_the_emergency_is_answered_as_asked(chat):
    chat(MISSING_CHILD)
    assert chat("is there a shelter near the station") == "Shelter card"


def test_the_emergency_ends_by_itself(chat, clock):
    chat(MISSING_CHILD)
    clock.now += dt.timedelta(minutes=31)
    assert chat(DETAIL) == "Did you mean...?"


def test_inside_an_emergency_rasa_down_still_gets_the_numbers(chat, rasa, phrases):
    chat(MISSING_CHILD)
    rasa.up = False
    answer = chat(DETAIL)
    assert phrases.get("emergency_follow_up", "en") in answer and "911" in answer


def test_yes_without_a_pending_offer_goes_to_the_model(chat, rasa):
    assert chat("yes") == "Did you mean...?"
    assert rasa.messages() == ["yes"]


def test_the_language_changes_on_request_not_on_a_sentence(chat, rasa):
    chat("mwen bezwen yon kote pou m dòmi aswè a")  # settles Kreyòl
    chat("where is the shelter, my english not so good")
    assert [c["metadata"]["language"] for c in rasa.calls] == ["ht", "ht"]


@pytest.mark.parametrize(
    ("text", "meaning"),
    [("yes", "yes"), ("Wi!", "yes"), ("oui svp", "yes"), ("no", "no"), ("non mèsi", "no")],
)
def test_yes_and_no_in_every_language(text, meaning):
    """Read as words: unquoted in YAML, yes and no would be booleans and never match."""
    assert load_yes_no(REPO_ROOT / "translations").classify(text) == meaning
