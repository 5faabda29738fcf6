"""The NLG endpoint's words: from the store and translations/, in the conversation's language."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.telegram.render import split_for_telegram
from bot.channels.whatsapp.render import Renderer
from bot.config import REPO_ROOT
from bot.content.io import save_topic
from bot.content.schema import BODY_MAX_CHARS, TopicDoc, sent_length
from bot.languages import LanguageTable, load_languages
from bot.nlg import Audience, ResponseGenerator
from bot.phrases import Phrasebook
from bot.replies import Reply
from bot.store import conversations
from bot.web.nlg import audience_of
from tests.builders import SOURCE, topic_doc, variant
from tests.test_languages import write_languages


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


def test_menu_shows_topics_as_buttons_in_order_plus_language_and_privacy(generator, phrases):
    reply = generator.say("utter_menu", "person-ht", {})
    assert reply.text == phrases.get("menu_prompt", "ht")
    payloads = [b.payload for b in reply.buttons]
    assert payloads == ["/health", "/trafficking", "/change_language", "/privacy"]
    assert reply.buttons[0].title == "health-ht"
    assert reply.buttons[-2].title == phrases.get("language_button", "ht")
    assert reply.buttons[-1].title == phrases.get("privacy_button", "ht")


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


def note(phrases: Phrasebook, reader: str, text_language: str) -> str:
    """The line before a text in another language, as the phrasebook words it."""
    name = phrases.get(f"language_in_{text_language}", reader)
    return phrases.get("fallback_note", reader).replace("{language}", name)


def test_kreyol_reader_of_a_french_only_text_is_told_it_is_french(generator, sessions):
    with sessions() as session, session.begin():
        save_topic(session, topic_doc("shelter_food", fr="Le refuge ouvre à 18 h.", en="Open."))
    reply = generator.say("utter_shelter_food", "person-ht", {})
    assert reply.text.startswith(
        "Repons sa a poko la an kreyòl. Men li an franse:\nLe refuge ouvre à 18 h.\n\nSous: IOM"
    )


def test_kreyol_reader_of_an_english_only_text_is_told_it_is_english(generator, sessions, phrases):
    with sessions() as session, session.begin():
        save_topic(session, topic_doc("shelter_food", en="The shelter opens at 6 pm."))
    reply = generator.say("utter_shelter_food", "person-ht", {})
    assert reply.text.startswith(f"{note(phrases, 'ht', 'en')}\nThe shelter opens at 6 pm.")
    assert note(phrases, "ht", "en") == "Repons sa a poko la an kreyòl. Men li an angle:"


@pytest.mark.parametrize(
    ("reader", "only", "expected"),
    [
        (
            "fr",
            "en",
            "Cette réponse n'est pas encore disponible en français. La voici en anglais :",
        ),
        ("en", "fr", "This answer is not available in English yet. Here it is in French:"),
    ],
)
def test_every_reader_is_told_in_their_own_language(generator, sessions, reader, only, expected):
    with sessions() as session, session.begin():
        save_topic(session, topic_doc("shelter_food", **{only: "Text."}))
    reply = generator.generator.generate("utter_shelter_food", Audience(reader), {})
    assert reply.text.startswith(f"{expected}\nText.")


def test_no_note_when_the_text_is_in_the_readers_language(generator, phrases):
    for sender, language in (("person-ht", "ht"), ("nobody", "en")):
        text = generator.say("utter_health", sender, {}).text
        assert phrases.get("fallback_note", language).split("{")[0] not in text
    assert generator.say("utter_health", "person-ht", {}).text.startswith("Al kay doktè.")


def test_an_archived_variant_is_never_sent(generator, sessions, phrases):
    doc = TopicDoc.model_validate(
        {
            "topic": "shelter_food",
            "menu_order": 3,
            "items": [
                {
                    "variants": {
                        "ht": variant("Ansyen tèks.", review_status="archived"),
                        "fr": variant("Texte en vigueur.", review_status="published"),
                    }
                }
            ],
        }
    )
    with sessions() as session, session.begin():
        save_topic(session, doc)
    text = generator.say("utter_shelter_food", "person-ht", {}).text
    assert "Ansyen tèks." not in text
    assert text.startswith(f"{note(phrases, 'ht', 'fr')}\nTexte en vigueur.")


def test_the_order_used_is_the_one_in_languages_yml(sessions, tmp_path, generator):
    """A partner puts English before French for Kreyòl, as data: the reply follows."""
    translations = REPO_ROOT / "translations"
    for name in ("en.po", "fr.po", "ht.po"):
        (tmp_path / name).write_bytes((translations / name).read_bytes())

    def english_first(data):
        data["languages"]["ht"]["fallback"] = ["en", "fr"]

    table = load_languages(write_languages(tmp_path, english_first))
    book = Phrasebook(tmp_path, table)
    with sessions() as session, session.begin():
        save_topic(session, topic_doc("shelter_food", fr="Texte.", en="Text."))
    ours = ResponseGenerator(sessions, book, table).generate(
        "utter_shelter_food", Audience("ht"), {}
    )
    assert ours.text.startswith(f"{note(book, 'ht', 'en')}\nText.")
    shipped = generator.generator.generate("utter_shelter_food", Audience("ht"), {})
    assert shipped.text.startswith(f"{note(book, 'ht', 'fr')}\nTexte.")


def test_every_language_can_be_named_in_every_language(phrases, languages):
    for reader in languages.codes:
        assert phrases.get("fallback_note", reader).count("{language}") == 1, reader
        for text_language in languages.codes:
            assert phrases.get(f"language_in_{text_language}", reader), (reader, text_language)


def test_the_note_keeps_the_longest_card_in_one_message_on_every_channel(
    generator, sessions, phrases
):
    """The schema holds a card and its source line to BODY_MAX_CHARS; the note comes on top.
    The longest card, with the longest note and everything a safety answer adds (the
    self-check offer, "which country?" and its buttons), is still one WhatsApp message (1,600)
    and one Telegram message (4,096), the note first: a fallback is never split."""
    room = BODY_MAX_CHARS - sent_length("", SOURCE["title"], SOURCE["url"])
    body = ("Mot " * room)[: room - 1] + "."
    assert sent_length(body, SOURCE["title"], SOURCE["url"]) == BODY_MAX_CHARS
    with sessions() as session, session.begin():
        save_topic(session, topic_doc("trafficking", fr=body))
        save_topic(session, topic_doc("emergency", country="PA", fr="Panama.", en="Panama."))
    for reader in ("ht", "en"):
        reply = generator.generator.generate("utter_trafficking", Audience(reader), {})
        first = note(phrases, reader, "fr")
        assert reply.text.startswith(f"{first}\n{body}")
        assert len(first) <= 100, "the note is one short line"
        payloads = Renderer(templates={}).render([reply], phrases.get("options_hint", reader))
        assert len(payloads) == 1 and payloads[0]["body"].startswith(first)
        assert split_for_telegram(reply.text) == [reply.text]
