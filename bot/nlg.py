"""The words of every response: a response name into text from the store or translations/.

Rasa decides *what* to say (`utter_trafficking`); this module decides the words, in the
language and for the country the pipeline decided, from content partners own. So a partner's
edit shows on the next message, with no retraining and no restart. It reads and never writes:
the topic it answered travels back with the reply (`Reply.topic`) to the pipeline, which
remembers it (bot/store/conversations.py is the one writer).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.content import lookup
from bot.content.schema import SUB_SEPARATOR
from bot.content.shelf import ContentCache, Shelf, ShelfVariant
from bot.languages import LanguageTable
from bot.phrases import Phrasebook
from bot.places import Gazetteer
from bot.replies import Button, Reply
from bot.sharing.forward import SHARE_BUTTON_PHRASE, SHARE_PAYLOAD
from bot.store.models import ContentVariant

log = logging.getLogger(__name__)

UTTER_PREFIX = "utter_"
EMERGENCY_TOPIC = "emergency"
EMERGENCY_FOLLOW_UP = "emergency_follow_up"  # a detail inside an emergency (bot/pipeline/flow.py)
# An urgent medical emergency (bleeding, labour, a snakebite): "go to the emergency room now",
# then the emergency card with the country's numbers.
EMERGENCY_MEDICAL = "emergency_medical"
TRAFFICKING_TOPIC = "trafficking"
CHILD_ALONE_TOPIC = "children/alone"
# Safety answers end with the offer of a person and the numbers for the person's country (the
# question "which country?" when it is not known).
SAFETY_TOPICS = frozenset({EMERGENCY_TOPIC, TRAFFICKING_TOPIC, CHILD_ALONE_TOPIC})
# Answers that never offer "Share this", whatever their content says: a person in danger now
# (an emergency, a child alone) gets the numbers and a person, nothing that could wait.
NOT_SHARED_TOPICS = frozenset({EMERGENCY_TOPIC, CHILD_ALONE_TOPIC})
GENERAL_SUB = "general"  # "health/general": the topic's own card
TALK_PAYLOAD = "/talk_to_human"
MENU_PAYLOAD = "/menu"
PRIVACY_PAYLOAD = "/privacy"  # what is kept and how to erase it (bot/pipeline/privacy.py)
WHICH_COUNTRY = "which_country"  # the question alone: the conversation's card stays as it was
COUNTRY_PAYLOAD = "/country"  # + {"country": "PA"}: the answer to "which country?"
SELF_CHECK_PAYLOAD = "/self_check"  # the trafficking self-check (bot/pipeline/self_check.py)
# Topics that are not "the subject we were talking about" for a follow-up like "and in Mexico?".
NOT_A_FOLLOW_UP_TOPIC = {"delete_my_data"}
MAX_BUTTONS = 3  # a WhatsApp message shows three reply buttons
MAX_SOURCES_SHOWN = 1  # the rest are in the store and the export; a phone screen is small
# A card sent in another language than the person's starts with this phrase, whose {language}
# is the phrase LANGUAGE_IN_PREFIX + the text's language ("language_in_fr": "an franse").
FALLBACK_NOTE = "fallback_note"
LANGUAGE_IN_PREFIX = "language_in_"
LANGUAGE_PLACEHOLDER = "{language}"


@dataclass(frozen=True)
class Audience:
    """Who the words are for: the conversation's language and the country they are in."""

    language: str
    country: str | None = None


def content_topic(response: str) -> str:
    """The content topic of a response name: "health/general" is the topic's own card."""
    parent, _, sub = response.partition(SUB_SEPARATOR)
    return parent if sub == GENERAL_SUB else response


class ResponseGenerator:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        phrases: Phrasebook,
        languages: LanguageTable,
        gazetteer: Gazetteer | None = None,
    ) -> None:
        # The sendable content, kept in memory and read again when it changes (a card read
        # the store half a dozen times per message before).
        self.content = ContentCache(sessions)
        self._phrases = phrases
        self._languages = languages
        self._gazetteer = gazetteer or Gazetteer(names={}, spellings={})
        # Responses that are more than one phrase: a phrase plus generated buttons.
        self._composed: dict[str, Callable[[Shelf, str, dict[str, Any]], Reply]] = {
            "greet": lambda s, lang, _a: self._with_menu(s, "greet", lang),
            "menu": lambda s, lang, _a: self._with_menu(s, "menu_prompt", lang),
            "deny": lambda s, lang, _a: self._with_menu(s, "deny", lang),
            "fallback": lambda s, lang, _a: self._with_menu(s, "fallback", lang),
            "default": lambda s, lang, _a: self._with_menu(s, "fallback", lang),
            "out_of_scope": lambda s, lang, _a: self._with_menu(s, "out_of_scope", lang),
            "language_menu": lambda _s, lang, _a: self._language_menu(lang),
            "did_you_mean": self._did_you_mean,
        }

    def generate(self, response: str, audience: Audience, arguments: dict[str, Any]) -> Reply:
        """The words of `response` for `audience`; an action may name another language in
        `arguments` (the last message after "delete my data" is said in the old one)."""
        name = response.removeprefix(UTTER_PREFIX)
        return replace(self._words(name, audience, arguments), response=name)

    def _words(self, name: str, audience: Audience, arguments: dict[str, Any]) -> Reply:
        language = self._languages.resolve(arguments.get("language") or audience.language)
        country = audience.country
        shelf = self.content.shelf()
        if name in self._composed:
            return self._composed[name](shelf, language, arguments)
        if name == EMERGENCY_FOLLOW_UP:
            return self._emergency_follow_up(shelf, language, country)
        if name == EMERGENCY_MEDICAL:
            return self._emergency_medical(shelf, language, country)
        card = self._card(shelf, content_topic(name), language, country)
        if card is not None:
            if card.topic in SAFETY_TOPICS:
                return self._safety(shelf, card, language, country)
            return card
        if self._phrases.has(name):
            return Reply(text=self._phrases.get(name, language))
        log.error("no words for response %s; sending the fallback", name)
        return self._with_menu(shelf, "fallback", language)

    def _card(self, shelf: Shelf, topic: str, language: str, country: str | None) -> Reply | None:
        """The card of `topic` for the country, else its general item; a sub-answer nobody
        has written yet ("health/vaccination") falls back to its topic's card. Each is looked
        for in the person's languages in their configured order (languages.yml `fallback:`)."""
        order = self._languages.fallback_order(language)
        found = lookup.find_answer(shelf, topic, order, country)
        if found is None:
            return None
        candidate, variant = found
        shared = lookup.find_variant(shelf, candidate, order, country, shared=True) is not None
        return self._topic_reply(variant, language, candidate, shared=shared)

    def _topic_reply(
        self,
        variant: ShelfVariant | ContentVariant,
        language: str,
        topic: str,
        *,
        shared: bool = False,
    ) -> Reply:
        """The card of a variant; `shared`: it ends with "Share this" (the answer has a
        forwardable text for this person, bot/sharing/forward.py)."""
        label = self._phrases.get("sources_label", language)
        source_lines = [f"{label}: {s.title} {s.url}" for s in variant.sources[:MAX_SOURCES_SHOWN]]
        text = "\n\n".join([variant.body.strip(), "\n".join(source_lines)])
        note = self.fallback_note(variant.language, language)
        if note:
            # One line break: in the same paragraph as the text's first lines, so a channel's
            # split (bot/channels/splitting.py) keeps the note with what it introduces.
            text = f"{note}\n{text}"
        buttons = [Button(title=o["title"], payload=o["payload"]) for o in variant.options]
        if shared and topic not in NOT_SHARED_TOPICS:
            # "Share this" takes the place of "Menu" (which can be typed), else comes last: it
            # never pushes out a way to help (an emergency, a person, the self-check).
            buttons = [b for b in buttons if b.payload != MENU_PAYLOAD]
            buttons.append(self.share_button(language))
        remembered = None if topic in NOT_A_FOLLOW_UP_TOPIC else topic
        card = f"{topic}@{variant.country or '*'}"
        return Reply(text=text, buttons=buttons, topic=remembered, card=card)

    def fallback_note(self, text_language: str, language: str) -> str | None:
        """The line that tells the person their answer is in another language, in their own
        ("Repons sa a poko la an kreyòl. Men li an franse:"), so a French text is not taken
        for a mistake; None when the text is theirs. A language without its name phrase loses
        the note, never the answer: this path carries emergency numbers."""
        if text_language == language:
            return None
        name_key = f"{LANGUAGE_IN_PREFIX}{text_language}"
        if not self._phrases.has(name_key):
            log.error(
                "no phrase %s; %s text sent to a %s reader without a note",
                name_key,
                text_language,
                language,
            )
            return None
        name = self._phrases.get(name_key, language)
        return self._phrases.get(FALLBACK_NOTE, language).replace(LANGUAGE_PLACEHOLDER, name)

    def _safety(self, shelf: Shelf, card: Reply, language: str, country: str | None) -> Reply:
        """A safety card (emergency, trafficking, a child alone) ends with the offer of a
        person; without a country, with the question that gets its numbers. Trafficking also
        offers the self-check of a job offer, and asks whether to start it."""
        offers = [self.talk_button(language)]
        if card.topic == TRAFFICKING_TOPIC:
            check = Button(self._phrases.get("self_check_button", language), SELF_CHECK_PAYLOAD)
            offers.insert(0, check)
            question = self._phrases.get("self_check_offer", language)
            card = replace(card, text=f"{card.text}\n\n{question}")
        own = [b for b in card.buttons if b.payload not in {o.payload for o in offers}]
        if country is None:
            # The numbers come first: no "Share this" under "which country are you in?".
            return self._ask_country(shelf, card, language, then=offers)
        share = [b for b in own if b.payload == SHARE_PAYLOAD]
        own = [b for b in own if b.payload != SHARE_PAYLOAD]
        return replace(card, buttons=[*own[: MAX_BUTTONS - len(offers)], *offers, *share])

    def talk_button(self, language: str) -> Button:
        """The offer of a person, as every safety answer and "nothing more" ends."""
        return Button(self._phrases.get("talk_button", language), TALK_PAYLOAD)

    def share_button(self, language: str) -> Button:
        """ "Share this" (bot/sharing/forward.py): the answer's forwardable version."""
        return Button(self._phrases.get(SHARE_BUTTON_PHRASE, language), SHARE_PAYLOAD)

    def _emergency_follow_up(self, shelf: Shelf, language: str, country: str | None) -> Reply:
        """A detail inside an emergency: what to do with it, the numbers again, a person; the
        card's own topic buttons (trafficking, health) are left out: this is not browsing."""
        first = self._phrases.get(EMERGENCY_FOLLOW_UP, language)
        return self._before_card(shelf, first, EMERGENCY_TOPIC, language, country)

    def _emergency_medical(self, shelf: Shelf, language: str, country: str | None) -> Reply:
        """Bleeding, labour, a snakebite: the emergency room now, before any advice, then the
        country's numbers and a person."""
        first = self._phrases.get(EMERGENCY_MEDICAL, language)
        reply = self._before_card(shelf, first, EMERGENCY_TOPIC, language, country)
        # Remembered as medical, so that "I am in Necoclí" gets the emergency room again.
        return replace(reply, card=f"{EMERGENCY_MEDICAL}:{reply.card}")

    def introduce(self, first: str, topic: str, audience: Audience, name: str) -> Reply:
        """`first` (the self-check's result), then the card of `topic` for the person's
        country, then the offer of a person; `name` is the response it is remembered as."""
        language = self._languages.resolve(audience.language)
        reply = self._before_card(self.content.shelf(), first, topic, language, audience.country)
        return replace(reply, topic=name, response=name)

    def _before_card(
        self, shelf: Shelf, first: str, topic: str, language: str, country: str | None
    ) -> Reply:
        """A phrase, then the card of `topic` for the country, then the offer of a person."""
        talk = self.talk_button(language)
        card = self._card(shelf, topic, language, country)
        if card is None:
            return Reply(first, [talk], topic=topic)
        reply = Reply(f"{first}\n\n{card.text}", topic=card.topic, card=card.card)
        if country is None:
            return self._ask_country(shelf, reply, language, then=[talk])
        return replace(reply, buttons=[talk])

    def _ask_country(self, shelf: Shelf, reply: Reply, language: str, then: list[Button]) -> Reply:
        """Unknown country: one short question, a button per country we have numbers for,
        then `then` (the offer of a person) instead of the card's own buttons."""
        scoped = lookup.scoped_countries(shelf, EMERGENCY_TOPIC)  # every safety topic's way in
        ordered = [code for code in self._gazetteer.names if code in scoped]
        ordered += sorted(scoped - set(ordered))
        if not ordered:
            return replace(reply, buttons=[*reply.buttons, *then])
        text = f"{reply.text}\n\n*{self._phrases.get('which_country', language)}*"
        return replace(reply, text=text, buttons=[*self._country_buttons(ordered, language), *then])

    def which_country(self, codes: list[str], language: str) -> Reply:
        """ "Which country are you in?" with a button for each of `codes` (a shared place)."""
        text = f"*{self._phrases.get('which_country', self._languages.resolve(language))}*"
        buttons = self._country_buttons(codes, language)
        return Reply(text=text, buttons=buttons, response=WHICH_COUNTRY)

    def _country_buttons(self, codes: list[str], language: str) -> list[Button]:
        return [
            Button(
                title=self._gazetteer.name(code, language, self._languages.default),
                payload=COUNTRY_PAYLOAD + json.dumps({"country": code}),
            )
            for code in codes
        ]

    def _with_menu(self, shelf: Shelf, phrase_key: str, language: str) -> Reply:
        buttons = [
            Button(title=title, payload=f"/{topic}")
            for topic, title in lookup.menu_entries(shelf, self._languages.fallback_order(language))
        ]
        buttons.append(Button(self._phrases.get("language_button", language), "/change_language"))
        buttons.append(Button(self._phrases.get("privacy_button", language), PRIVACY_PAYLOAD))
        return Reply(text=self._phrases.get(phrase_key, language), buttons=buttons)

    def _did_you_mean(self, shelf: Shelf, language: str, arguments: dict[str, Any]) -> Reply:
        """The two likeliest topics (from Rasa's ranking) as buttons, then the menu."""
        titles = dict(lookup.menu_entries(shelf, self._languages.fallback_order(language)))
        candidates = [c for c in arguments.get("candidates") or [] if c in titles][:2]
        if not candidates:
            return self._with_menu(shelf, "fallback", language)
        buttons = [Button(title=titles[c], payload=f"/{c}") for c in candidates]
        buttons.append(Button(self._phrases.get("menu_button", language), "/menu"))
        return Reply(text=self._phrases.get("did_you_mean", language), buttons=buttons)

    def language_menu_for_everyone(self) -> Reply:
        """For a message in a language we do not speak: the offer in every language we do."""
        text = "\n".join(
            self._phrases.get("unsupported_language", code) for code in self._languages.codes
        )
        return Reply(text=text, buttons=self._language_menu(self._languages.default).buttons)

    def _language_menu(self, language: str) -> Reply:
        buttons = [
            Button(title=name, payload="/change_language" + json.dumps({"language": code}))
            for code, name in self._languages.names.items()
        ]
        return Reply(text=self._phrases.get("language_menu", language), buttons=buttons)
