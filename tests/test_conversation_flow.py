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
from tests.builders import without_privacy_notice
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


def said(
    response: str, text: str, topic: str | None = None, card: str | None = None
) -> list[dict[str, Any]]:
    """What Rasa's REST channel returns for one response through our NLG endpoint."""
    note = {"response": response, **({"topic": topic} if topic else {})}
    if card:
        note["card"] = card
    return [{"text": text}, {"custom": {"gateway": note}}]


def model(message: str) -> list[dict[str, Any]]:
    """A stand-in for the model on the messages below; the words are not the point here."""
    if message.startswith("my son"):
        return said("emergency", "Emergency card", topic="emergency")
    if message == "/talk_to_human":
        return said("talk_to_human", "A person card", topic="talk_to_human")
    if "tshirt" in message:  # the model takes a detail about a child for a child alone
        return said("children/alone", "Child alone card", topic="children/alone", card="ca@*")
    if "only speaks" in message:  # the model takes a detail for a health question
        return said("health/general", "Health card", topic="health", card="health@*")
    if "shelter" in message:
        return said("shelter_food", "Shelter card", topic="shelter_food", card="shelter_food@*")
    if "school" in message:
        return said("children/school", "School card", topic="children/school", card="cs@*")
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
    assert chat(DETAIL) == "Health card"  # after the emergency, the model is heard again


def test_inside_an_emergency_rasa_down_still_gets_the_numbers(chat, rasa, phrases):
    chat(MISSING_CHILD)
    rasa.up = False
    answer = chat(DETAIL)
    assert phrases.get("emergency_follow_up", "en") in answer and "911" in answer


def test_yes_without_a_pending_offer_goes_to_the_model(chat, rasa, phrases):
    assert without_privacy_notice(chat("yes"), phrases) == "Did you mean...?"
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


PREGNANT_IN_PAIN = "m ansent 8 mwa e vant mwen ap fè m mal anpil depi maten"


def test_pregnancy_with_pain_is_the_emergency_room_now_then_the_countrys_number(chat, phrases):
    """Issue 12: the eight-months-pregnant message gets "go to the emergency room now" before
    anything else, and Colombia's number once she says she is in Necoclí."""
    first = chat(PREGNANT_IN_PAIN)
    assert first.startswith(phrases.get("emergency_medical", "ht"))
    assert phrases.get("talk_button", "ht") in first
    answer = chat("m nan Necocli")
    assert answer.startswith(phrases.get("emergency_medical", "ht"))
    assert "123" in answer  # Colombia's emergency line (content/emergency.yml)


def test_a_child_alone_gets_child_protection_and_a_person_first(chat, rasa, phrases):
    answer = chat("mwen gen 15 an, mwen pou kont mwen")
    assert phrases.get("talk_button", "ht") in answer
    assert rasa.messages() == []  # before and without the model
    lines = answer.splitlines()
    assert not any("Keep them near you" in line for line in lines)


def test_the_self_check_asks_counts_and_ends_with_the_countrys_contacts(chat, rasa, phrases):
    chat("mwen nan Panama")  # the country, said before (the model answers "did you mean")
    first = chat("/self_check")
    assert first.startswith(phrases.get("self_check_intro", "ht")) and "1/6" in first
    for n, word in enumerate(["wi", "wi", "non", "wi", "1", "non"], start=2):
        answer = chat(word)  # "1" is the first numbered option: Yes
        if n <= 6:
            assert f"{n}/6" in answer
    assert "Plizyè nan repons ou yo" in answer  # four yes: strong signs
    assert phrases.get("talk_button", "ht") in answer
    assert rasa.messages() == ["mwen nan panama"]  # no answer reached the model (folded)


def test_stop_in_kreyol_leaves_the_self_check_and_keeps_the_service(chat, phrases):
    chat("/self_check")
    chat("wi")
    assert chat("kanpe") == phrases.get("self_check_stopped", "en")
    assert chat("stop") == phrases.get("opted_out", "en")  # outside the check: an opt-out


def test_an_answer_that_is_not_yes_or_no_asks_the_same_question_again(chat, phrases):
    chat("/self_check")
    answer = chat("I do not understand")
    assert answer.startswith(phrases.get("self_check_again", "en")) and "1/6" in answer


def test_the_same_card_twice_becomes_the_offer_of_a_person(chat, phrases):
    assert without_privacy_notice(chat("is there a shelter"), phrases) == "Shelter card"
    again = chat("is there a shelter near the church")
    assert again.startswith(phrases.get("nothing_more", "en"))
    assert chat("yes") == "A person card"


def test_a_place_two_countries_share_is_asked_about_then_answered_for_it(chat, phrases):
    """Issue 13: "corinto" is in Nicaragua and in Honduras: no silent guess of the numbers."""
    first = chat("is there a shelter in corinto")
    assert first.startswith("Shelter card")
    assert phrases.get("which_country", "en") in first
    assert "Nicaragua" in first and "Honduras" in first
    answer = chat("1")  # Nicaragua: no shelter item of its own, so not the same card again
    assert answer.startswith(phrases.get("nothing_more", "en"))


def test_a_shared_place_said_alone_after_an_answer_gets_only_the_question(chat, phrases):
    chat("is there a shelter")
    answer = chat("we are in corinto")
    assert answer.startswith(f"*{phrases.get('which_country', 'en')}*")
    assert "Nicaragua" in answer and "Shelter card" not in answer


def test_the_conversations_country_settles_a_shared_place(chat, phrases):
    chat("we are in nicaragua now")
    answer = chat("is there a shelter in corinto")
    assert answer == "Shelter card"


def test_no_after_an_answer_offers_another_way_not_the_menu(chat, phrases):
    chat("is there a shelter")
    answer = chat("non")
    assert answer.startswith(phrases.get("no_after_answer", "en"))
    assert chat("yes") == "A person card"


def test_no_after_the_share_text_is_a_polite_close_not_did_it_help(chat, phrases):
    """Found talking to the demo: "no" right after "share this" got "sorry this did not
    help", about a card the person had just chosen to forward."""
    chat("is there a shelter")
    shared = chat("share")
    assert "Shelter card" not in shared  # the forwardable version, not the card again
    assert chat("no") == phrases.get("offer_declined", "en")


def test_a_detail_about_a_child_inside_an_emergency_is_no_child_alone(chat, phrases):
    """Found talking to the demo: "il a 7 ans, tshirt bleu" after a missing son got the card
    that speaks to a child alone; the patterns, not the model's guess, decide that."""
    chat(MISSING_CHILD)
    answer = chat("il a 7 ans, tshirt bleu, il parle seulement creole")
    assert "Child alone card" not in answer and "911" in answer


def test_a_child_who_writes_alone_inside_an_emergency_still_gets_child_protection(chat, rasa):
    chat(MISSING_CHILD)
    answer = chat("mwen gen 15 an, mwen pou kont mwen")
    assert "Child alone card" not in answer  # the store's card, not the model's
    assert rasa.messages() == []
