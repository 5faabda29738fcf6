""" "Share this" through the real pipeline (issue 18, item 3): the signed WhatsApp webhook
(TwiML), the seed content, and a stand-in for Rasa that answers as the real one does, by
asking our own NLG (bot/nlg.py) for the words of the response in the conversation's language.

The offer under a topic answer, the digit or the word typed in each language, the
forwardable text with the assistant's link for its language; no offer after an emergency; no
link (and no word about one) when the settings are unset; the body's fallback rule.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.channels.whatsapp.render import Renderer
from bot.config import REPO_ROOT, Settings
from bot.content.io import import_directory, load_topic_file
from bot.languages import load_languages
from bot.nlg import Audience, ResponseGenerator
from bot.phrases import Phrasebook
from bot.places import load_gazetteer
from bot.replies import Reply
from bot.sharing.forward import AssistantLinks
from bot.stack import free_port
from bot.store.db import session_factory, session_scope, upgrade
from bot.store.models import ContentItem, ContentVariant
from tests.fakes.rasa import FakeRasa
from tests.fakes.server import serve
from tests.whatsapp_helpers import AUTH_TOKEN, PERSON, message_form, post_signed

BOT = "route_help_bot"
NUMBER = "+14155238886"
EMERGENCY_HT = "yo kenbe m, m pa ka soti, ede m souple"
# A question per language, and the response the model gives it (the words are our NLG's).
QUESTIONS = {
    "ht": "kijan pou m pwoteje timoun mwen yo sou wout la",
    "fr": "comment protéger mes enfants sur la route",
    "en": "how do I protect my children on the route",
}
TOPIC_OF = {
    "pwoteje timoun": "children",
    "proteger mes enfants": "children",  # the gateway sends Rasa the text folded
    "protect my children": "children",
    "lopital": "health",
    "paspo": "trafficking",
}
TRANSLATIONS = REPO_ROOT / "translations"
TYPED = {"ht": "Pataje sa a", "fr": "partager", "en": "Share this!"}


def seed_share_text(topic: str, language: str) -> str:
    """The share text the seed file gives the topic's general item, as a partner wrote it."""
    doc = load_topic_file(REPO_ROOT / "content" / f"{topic}.yml", load_languages(TRANSLATIONS))
    general = next(item for item in doc.items if item.country is None)
    return (general.variants[language].share_text or "").strip()


def _general_variant(session: Any, topic: str, language: str) -> ContentVariant:
    item = session.scalar(
        select(ContentItem).where(ContentItem.topic_name == topic, ContentItem.country.is_(None))
    )
    return next(v for v in item.variants if v.language == language)


@dataclass
class Chat:
    say: Callable[[str], list[str]]
    rasa: FakeRasa
    settings: Settings
    phrases: Phrasebook


@pytest.fixture
def chat(settings: Settings, languages, phrases) -> Iterator[Chat]:
    settings.twilio_auth_token = AUTH_TOKEN
    settings.telegram_bot_username = BOT
    settings.whatsapp_number = NUMBER
    settings.action_server_url = f"http://127.0.0.1:{free_port()}"
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        import_directory(session, REPO_ROOT / "content", languages)
    generator = ResponseGenerator(
        session_factory(settings.database_url),
        phrases,
        languages,
        load_gazetteer(settings.gazetteer_path),
    )
    calls: list[dict[str, Any]] = []

    def model(message: str) -> list[dict[str, Any]]:
        """Rasa's REST answer: our NLG's words for the response, then the gateway's note."""
        metadata = calls[-1].get("metadata") or {}
        topic = next((t for key, t in TOPIC_OF.items() if key in message), "fallback")
        topic = message.removeprefix("/") if message.startswith("/") else topic
        audience = Audience(metadata.get("language", "en"), metadata.get("country"))
        said = generator.generate(f"utter_{topic}", audience, {}).to_rasa()
        return [
            {"text": said["text"], "buttons": said["buttons"]},
            {"custom": said["custom"]},
        ]

    rasa = FakeRasa(calls, model)
    with serve(rasa.app()) as url:
        settings.rasa_url = url
        from bot.web.app import create_app

        with TestClient(create_app(settings)) as client:

            def say(text: str) -> list[str]:
                response = post_signed(client, message_form(text))
                assert response.status_code == 200, response.text
                return [m.text or "" for m in ET.fromstring(response.text).iter("Message")]

            yield Chat(say, rasa, settings, phrases)


def numbered(answer: str, title: str) -> str:
    """The digit WhatsApp shows before a button's title ("3. Pataje sa a")."""
    found = re.search(rf"\n(\d+)\. {re.escape(title)}\s*$", answer, re.MULTILINE)
    assert found, f"no option {title!r} in {answer!r}"
    return found.group(1)


def on_whatsapp(text: str) -> str:
    """A text as the WhatsApp renderer sends it ("- " bullets become "• ")."""
    [payload] = Renderer({}).render([Reply(text)], options_hint="")
    return payload["body"]


def link_line(phrases: Phrasebook, language: str) -> str:
    prefill = quote(phrases.get("share_prefill", language), safe="")
    link = f"https://wa.me/{NUMBER.lstrip('+')}?text={prefill}"
    return phrases.get("share_link", language).replace("{link}", link)


@pytest.mark.parametrize("language", ["ht", "fr", "en"])
def test_the_offer_under_an_answer_sends_the_forwardable_text_with_the_link(chat, language):
    [answer] = chat.say(QUESTIONS[language])
    button = chat.phrases.get("share_button", language)
    digit = numbered(answer, button)
    asked = len(chat.rasa.calls)

    intro, forwarded = chat.say(digit)

    assert intro == chat.phrases.get("share_intro", language)
    expected = f"{seed_share_text('children', language)}\n\n{link_line(chat.phrases, language)}"
    assert forwarded == on_whatsapp(expected)
    assert "*" not in forwarded  # plain text: nothing WhatsApp would turn into formatting
    assert PERSON.removeprefix("whatsapp:+") not in forwarded  # nothing of the person
    assert len(chat.rasa.calls) == asked  # heard by the gateway, not the model


@pytest.mark.parametrize("language", ["ht", "fr", "en"])
def test_the_word_typed_in_each_language_is_understood(chat, language):
    chat.say(QUESTIONS[language])
    intro, forwarded = chat.say(TYPED[language])
    assert intro == chat.phrases.get("share_intro", language)
    assert forwarded.startswith(on_whatsapp(seed_share_text("children", language)))


def test_the_topic_stays_after_sharing(chat):
    chat.say(QUESTIONS["ht"])
    chat.say("pataje")
    _, again = chat.say("pataje")  # still the answer read before, not "nothing to share"
    assert again.startswith(on_whatsapp(seed_share_text("children", "ht")))


def test_no_link_and_no_word_about_one_when_the_settings_are_unset(chat):
    chat.settings.telegram_bot_username = None
    chat.settings.whatsapp_number = None
    chat.say(QUESTIONS["fr"])
    # The links are read when the gateway starts; a gateway without them is another app.
    from bot.web.app import create_app

    with TestClient(create_app(chat.settings)) as bare:
        form = message_form("partager")
        response = post_signed(bare, form)
        _, forwarded = [m.text or "" for m in ET.fromstring(response.text).iter("Message")]
    assert forwarded == on_whatsapp(seed_share_text("children", "fr"))
    assert "wa.me" not in forwarded and "t.me" not in forwarded
    assert chat.phrases.get("share_link", "fr").split("{link}")[0] not in forwarded


def test_an_emergency_answer_offers_no_sharing_and_the_word_does_not_delay_help(chat):
    [answer] = chat.say(EMERGENCY_HT)
    assert chat.phrases.get("share_button", "ht") not in answer
    [after] = chat.say("pataje")  # inside the emergency: its follow-up, not a forward
    assert chat.phrases.get("share_intro", "ht") not in after
    assert chat.phrases.get("talk_button", "ht") in after


def test_an_answer_without_a_share_text_offers_none_and_the_word_says_so(chat):
    [answer] = chat.say("mwen bezwen al lopital, kote m ka jwenn swen")
    assert chat.phrases.get("share_button", "ht") not in answer
    assert chat.say("pataje") == [chat.phrases.get("share_unavailable", "ht")]


def test_a_safety_answer_keeps_its_person_and_self_check_before_sharing(chat):
    chat.say("m nan Panama")
    [answer] = chat.say("yo pran paspo m, m pa ka ale")
    lines = [line for line in answer.splitlines() if re.match(r"^\d+\. ", line)]
    titles = [line.split(". ", 1)[1] for line in lines]
    # The card's own first button, the self-check and a person stay; sharing comes last.
    assert titles[1:] == [
        chat.phrases.get("self_check_button", "ht"),
        chat.phrases.get("talk_button", "ht"),
        chat.phrases.get("share_button", "ht"),
    ]
    assert titles[0] == "Ijans"  # the Panama card's own emergency button, never pushed out
    # Panama's own card has no share text: the general item's Kreyòl one, by the body's rule.
    _, forwarded = chat.say(numbered(answer, chat.phrases.get("share_button", "ht")))
    assert forwarded.startswith(on_whatsapp(seed_share_text("trafficking", "ht")))


def test_a_kreyol_reader_gets_the_french_share_text_with_a_note_when_kreyol_has_none(chat):
    with session_scope(chat.settings.database_url) as session:
        _general_variant(session, "children", "ht").share_text = None
    [answer] = chat.say(QUESTIONS["ht"])
    intro, forwarded = chat.say(numbered(answer, chat.phrases.get("share_button", "ht")))
    note = chat.phrases.get("fallback_note", "ht").replace(
        "{language}", chat.phrases.get("language_in_fr", "ht")
    )
    assert intro == f"{chat.phrases.get('share_intro', 'ht')}\n{note}"
    french = f"{seed_share_text('children', 'fr')}\n\n{link_line(chat.phrases, 'fr')}"
    assert forwarded == on_whatsapp(french)


def test_the_link_opens_the_assistant_in_the_text_language_on_the_person_channel(phrases):
    links = AssistantLinks(telegram_bot=BOT, whatsapp_digits="14155238886")
    assert links.link(phrases, "ht", "telegram") == f"https://t.me/{BOT}?start=ht"
    whatsapp = links.link(phrases, "fr", "webchat")
    assert whatsapp == (
        "https://wa.me/14155238886?text=" + quote(phrases.get("share_prefill", "fr"), safe="")
    )
    assert AssistantLinks(telegram_bot=BOT).link(phrases, "en", "whatsapp") == (
        f"https://t.me/{BOT}?start=en"
    )
    assert AssistantLinks().link(phrases, "en", "whatsapp") is None


def test_the_share_text_is_kept_on_sqlite_and_postgresql(store_url, languages):
    """Migration 0016 on both engines: the seed's share texts go in and come back whole."""
    with session_scope(store_url) as session:
        import_directory(session, REPO_ROOT / "content", languages)
    with session_scope(store_url) as session:
        kept = _general_variant(session, "route_risks", "ht").share_text
    assert kept is not None and kept.strip() == seed_share_text("route_risks", "ht")
