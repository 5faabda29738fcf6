"""The NLG endpoint's words: from the store and translations/, in the conversation's language."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.content.io import save_topic
from bot.languages import LanguageTable
from bot.nlg import ResponseGenerator
from bot.replies import Reply
from bot.store import conversations
from bot.web.nlg import audience_of
from tests.builders import topic_doc


@dataclass
class Speaker:
    """The generator, asked as the NLG endpoint asks it for a tracker without the gateway's
    metadata (the store says who the sender is)."""

    generator: ResponseGenerator
    sessions: sessionmaker[Session]
    languages: LanguageTable

    def say(self, response: str, sender: str, arguments: dict) -> Reply:
        audience = audience_of({"sender_id": sender}, self.sessions, self.languages)
        return self.generator.generate(response, audience, arguments)

    def language_menu_for_everyone(self) -> Reply:
        return self.generator.language_menu_for_everyone()


@pytest.fixture
def generator(sessions, phrases, languages) -> Speaker:
    with sessions() as session, session.begin():
        save_topic(
            session,
            topic_doc("trafficking", menu_order=2, en="Keep your passport.", ht="Kenbe paspò ou."),
        )
        save_topic(
            session, topic_doc("health", menu_order=1, en="See a doctor.", ht="Al kay doktè.")
        )
        conversations.apply(session, "person-ht", conversations.Changes(language="ht"))
    return Speaker(ResponseGenerator(sessions, phrases, languages), sessions, languages)


def test_topic_answer_is_the_stored_variant_with_its_source(generator, phrases):
    reply = generator.say("utter_trafficking", "person-ht", {})
    assert reply.text.startswith("Kenbe paspò ou.")
    assert "Sous: IOM https://www.iom.int/counter-trafficking" in reply.text
    # A safety card: its own button, then the self-check and a person (issue 12).
    assert [b.payload for b in reply.buttons] == ["/menu", "/self_check", "/talk_to_human"]
    assert reply.text.endswith(phrases.get("self_check_offer", "ht"))


def test_unknown_person_gets_the_default_language(generator):
    assert generator.say("utter_trafficking", "nobody", {}).text.startswith("Keep your")


def test_an_edit_in_the_store_shows_on_the_next_reply(generator, sessions):
    with sessions() as session, session.begin():
        save_topic(session, topic_doc("trafficking", menu_order=2, en="Edited.", ht="Chanje."))
    assert generator.say("utter_trafficking", "person-ht", {}).text.startswith("Chanje.")


def test_menu_shows_topics_as_buttons_in_order_plus_language(generator, phrases):
    reply = generator.say("utter_menu", "person-ht", {})
    assert reply.text == phrases.get("menu_prompt", "ht")
    assert [b.payload for b in reply.buttons] == ["/health", "/trafficking", "/change_language"]
    assert reply.buttons[0].title == "health-ht"
    assert reply.buttons[-1].title == phrases.get("language_button", "ht")


def test_language_menu_offers_every_language_in_its_own_name(generator, languages):
    reply = generator.say("utter_language_menu", "person-ht", {})
    assert [b.title for b in reply.buttons] == list(languages.names.values())
    payload = reply.buttons[-1].payload
    assert payload.startswith("/change_language")
    assert json.loads(payload.removeprefix("/change_language")) == {"language": "ht"}


def test_language_argument_overrides_the_stored_one(generator, phrases):
    reply = generator.say("utter_language_changed", "person-ht", {"language": "fr"})
    assert reply.text == phrases.get("language_changed", "fr")


@pytest.mark.parametrize("response", ["utter_goodbye", "utter_thanks", "utter_affirm"])
def test_fixed_phrases_come_from_translations(generator, phrases, response):
    key = response.removeprefix("utter_")
    assert generator.say(response, "person-ht", {}).text == phrases.get(key, "ht")


def test_unknown_response_falls_back_to_the_menu_not_an_error(generator, phrases):
    reply = generator.say("utter_no_such_thing", "person-ht", {})
    assert reply.text == phrases.get("fallback", "ht")
    assert reply.buttons


def test_rasa_shape(generator):
    body = generator.say("utter_health", "person-ht", {}).to_rasa()
    assert set(body) == {"text", "buttons", "image", "elements", "attachments", "custom"}


def test_did_you_mean_offers_the_two_likeliest_topics_then_the_menu(generator, phrases):
    ranking = ["greet", "trafficking", "out_of_scope", "health", "menu"]
    reply = generator.say("utter_did_you_mean", "person-ht", {"candidates": ranking})
    assert reply.text == phrases.get("did_you_mean", "ht")
    assert [(b.title, b.payload) for b in reply.buttons] == [
        ("trafficking-ht", "/trafficking"),
        ("health-ht", "/health"),
        (phrases.get("menu_button", "ht"), "/menu"),
    ]


def test_did_you_mean_without_topic_candidates_is_the_plain_fallback(generator, phrases):
    reply = generator.say("utter_did_you_mean", "person-ht", {"candidates": ["greet"]})
    assert reply.text == phrases.get("fallback", "ht")


def test_unsupported_language_offer_is_in_every_language(generator, phrases, languages):
    reply = generator.language_menu_for_everyone()
    for code in languages.codes:
        assert phrases.get("unsupported_language", code) in reply.text
    assert len(reply.buttons) == len(languages.codes)
