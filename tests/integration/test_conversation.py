"""Conversations through the real Rasa server, action server and gateway, in each language."""

from __future__ import annotations

import sqlite3

import httpx
import pytest
from sqlalchemy import select

from bot.channels.webchat.render import to_html
from bot.config import REPO_ROOT
from bot.content.io import save_topic, topic_to_doc
from bot.languages import load_languages
from bot.phrases import Phrasebook
from bot.pseudonym import pseudonymise
from bot.store.db import session_scope
from bot.store.models import ContentItem, ContentVariant, Conversation, Topic
from tests.integration.conftest import INTEGRATION_KEY, plain

pytestmark = pytest.mark.integration
LANGUAGES = load_languages(REPO_ROOT / "translations")
PHRASES = Phrasebook(REPO_ROOT / "translations", LANGUAGES)


def notice(language: str) -> str:
    """The privacy notice as the person reads it at the end of their first answer."""
    return plain(to_html(PHRASES.get("privacy_notice", language).replace("{days}", "7")))


def stored_body_for(database_url: str, topic: str, language: str, country: str | None) -> str:
    scope = ContentItem.country.is_(None) if country is None else ContentItem.country == country
    with session_scope(database_url) as session:
        return session.scalar(
            select(ContentVariant.body)
            .join(ContentItem)
            .where(ContentItem.topic_name == topic, scope, ContentVariant.language == language)
        )


def stored_body(database_url: str, topic: str, language: str) -> str:
    return stored_body_for(database_url, topic, language, None)


def first_line(markdown: str) -> str:
    return plain(markdown.strip().splitlines()[0].replace("*", "").removeprefix("- "))


def test_health_when_everything_runs(running):
    response = httpx.get(f"{running.gateway}/healthz")
    assert response.status_code == 200
    assert response.json()["failing"] == []


@pytest.mark.parametrize(
    ("language", "greeting", "question"),
    [
        ("ht", "bonjou", "yo pran paspò m"),
        ("fr", "bonjour", "mon patron a pris mon passeport"),
        ("en", "hello", "my boss took my passport"),
    ],
)
def test_greeting_then_trafficking_answer_in_the_persons_language(
    running, person, language, greeting, question
):
    greeting_reply = person.says(greeting)
    assert person.language == language
    greet = plain(PHRASES.get("greet", language))
    assert plain(greeting_reply[0]["html"]) == f"{greet} {notice(language)}"  # the first answer
    assert any(b["payload"] == "/trafficking" for b in greeting_reply[0]["buttons"])

    answer = person.says(question)
    expected = first_line(stored_body(running.database_url, "trafficking", language))
    assert expected in plain(answer[0]["html"])


@pytest.mark.parametrize("language", ["ht", "fr", "en"])
def test_menu_shows_the_topics_as_buttons(running, person, language):
    person.says({"ht": "bonswa", "fr": "bonsoir", "en": "good evening"}[language])
    reply = person.says("menu")
    payloads = [b["payload"] for b in reply[0]["buttons"]]
    assert payloads[:3] == ["/emergency", "/trafficking", "/route_risks"]
    with session_scope(running.database_url) as session:
        menu_topics = session.scalars(
            select(Topic.name).where(Topic.menu_order.is_not(None)).order_by(Topic.menu_order)
        ).all()
    assert payloads == [f"/{t}" for t in menu_topics] + ["/change_language", "/privacy"]
    titles = [b["title"] for b in reply[0]["buttons"]]
    assert PHRASES.get("language_button", language) == titles[-2]
    assert PHRASES.get("privacy_button", language) == titles[-1]


def test_asking_for_a_language_switches_replies_and_menus(running, person):
    person.says("hello")
    reply = person.says("an kreyol souple")
    assert plain(reply[0]["html"]) == plain(PHRASES.get("language_changed", "ht"))
    assert person.language == "ht"
    menu = person.says("menu")
    assert plain(menu[0]["html"]) == plain(PHRASES.get("menu_prompt", "ht"))


def test_language_menu_buttons_switch_language(running, person):
    person.says("bonjou")
    menu = person.says("/change_language")
    french = next(b for b in menu[0]["buttons"] if b["title"] == LANGUAGES.names["fr"])
    reply = person.says(french["payload"])
    assert plain(reply[0]["html"]) == plain(PHRASES.get("language_changed", "fr"))
    answer = person.says("/trafficking")
    assert first_line(stored_body(running.database_url, "trafficking", "fr")) in plain(
        answer[0]["html"]
    )


def test_an_edit_in_the_store_changes_the_next_reply_without_restart(running, person):
    person.says("hello")
    with session_scope(running.database_url) as session:
        topic = session.get(Topic, "health")
        doc = topic_to_doc(topic)
        original = doc.model_copy(deep=True)
        doc.items[0].variants["en"].body = "*Edited by a partner.* Go to the nearest clinic."
        save_topic(session, doc)
    try:
        reply = person.says("i am sick and need a doctor")
        assert "Edited by a partner. Go to the nearest clinic." in plain(reply[0]["html"])
    finally:
        with session_scope(running.database_url) as session:
            save_topic(session, original)


def _pseudonym(person) -> str:
    return pseudonymise(INTEGRATION_KEY.encode(), "web", person.http.cookies["chat_id"])


def _row_of(running, person) -> Conversation | None:
    with session_scope(running.database_url) as session:
        return session.get(Conversation, _pseudonym(person))


def _tracker_texts(running, person) -> list[str]:
    """What Rasa's SQL tracker store holds of the person: the event rows' JSON."""
    with sqlite3.connect(running.stack.run_dir / "tracker.db") as tracker:
        rows = tracker.execute("SELECT data FROM events WHERE sender_id = ?", (_pseudonym(person),))
        return [data for (data,) in rows]


def test_delete_my_data_asks_then_forgets_the_person(running, person):
    person.says("bonjou")
    assert _row_of(running, person).language == "ht"
    asked = person.says("efase tout done mwen yo souple")
    assert plain(asked[0]["html"]) == plain(to_html(PHRASES.get("delete_ask", "ht")))
    assert _row_of(running, person).language == "ht"  # nothing erased before the "yes"
    assert _tracker_texts(running, person), "Rasa's tracker holds the conversation"
    reply = person.says("wi")
    expected = first_line(stored_body(running.database_url, "delete_my_data", "ht"))
    assert expected in plain(reply[0]["html"]), "the confirmation is still in Kreyòl"
    assert _row_of(running, person) is None
    assert _tracker_texts(running, person) == [], "Rasa's tracker forgot the person too"


def test_the_models_delete_my_data_asks_and_no_keeps_everything(running, person):
    person.says("hello")
    asked = person.says("please delete all my personal data")  # the model's delete_my_data
    assert plain(asked[0]["html"]) == plain(to_html(PHRASES.get("delete_ask", "en")))
    kept = person.says("no")
    assert plain(kept[0]["html"]) == plain(to_html(PHRASES.get("delete_kept", "en")))
    assert _row_of(running, person).language == "en"
    assert any("delete all my personal data" in data for data in _tracker_texts(running, person))


def test_unknown_gibberish_offers_the_menu(running, person):
    person.says("hello")
    reply = person.says("qwzx plorb vvvk")
    assert reply[0]["buttons"], "a fallback must offer the menu"


def test_no_javascript_page_holds_the_same_conversation(running):
    with httpx.Client(base_url=running.gateway, timeout=60) as browser:
        browser.get("/chat")
        page = browser.post("/chat", data={"text": "bonjou"})
        assert page.status_code == 200
        answer = browser.post("/chat", data={"payload": "/trafficking", "title": "Trafik"})
        expected = first_line(stored_body(running.database_url, "trafficking", "ht"))
        assert expected in plain(answer.text)


def test_a_mixed_kreyol_french_message_is_understood(running, person):
    reply = person.says("bonjou, je cherche un abri pou timoun yo")
    assert person.language in {"ht", "fr"}
    expected = first_line(stored_body(running.database_url, "shelter_food", person.language))
    assert expected in plain(reply[0]["html"])


def test_a_place_scopes_the_answer_and_a_follow_up_moves_it(running, person):
    answer = person.says("m nan Panyama, yo pran paspò m")
    assert person.language == "ht"
    panama = first_line(stored_body_for(running.database_url, "trafficking", "ht", "PA"))
    assert panama in plain(answer[0]["html"])

    follow_up = person.says("e nan Meksik?")
    mexico = first_line(stored_body_for(running.database_url, "trafficking", "ht", "MX"))
    assert mexico in plain(follow_up[0]["html"])
