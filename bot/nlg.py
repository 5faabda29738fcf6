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
from bot.languages import LanguageTable
from bot.phrases import Phrasebook
from bot.places import Gazetteer
from bot.replies import Button, Reply
from bot.store.models import ContentVariant

log = logging.getLogger(__name__)

UTTER_PREFIX = "utter_"
EMERGENCY_TOPIC = "emergency"
EMERGENCY_FOLLOW_UP = "emergency_follow_up"  # a detail inside an emergency (bot/pipeline/flow.py)
# Topics that are not "the subject we were talking about" for a follow-up like "and in Mexico?".
NOT_A_FOLLOW_UP_TOPIC = {"delete_my_data"}
MAX_SOURCES_SHOWN = 1  # the rest are in the store and the export; a phone screen is small


@dataclass(frozen=True)
class Audience:
    """Who the words are for: the conversation's language and the country they are in."""

    language: str
    country: str | None = None


class ResponseGenerator:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        phrases: Phrasebook,
        languages: LanguageTable,
        gazetteer: Gazetteer | None = None,
    ) -> None:
        self._sessions = sessions
        self._phrases = phrases
        self._languages = languages
        self._gazetteer = gazetteer or Gazetteer(names={}, spellings={})
        # Responses that are more than one phrase: a phrase plus generated buttons.
        self._composed: dict[str, Callable[[Session, str, dict[str, Any]], Reply]] = {
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
        with self._sessions() as session:
            if name in self._composed:
                return self._composed[name](session, language, arguments)
            if name == EMERGENCY_FOLLOW_UP:
                return self._emergency_follow_up(session, language, country)
            variant = lookup.find_variant(session, name, language, self._languages.default, country)
            if variant is not None:
                topic = None if name in NOT_A_FOLLOW_UP_TOPIC else name
                reply = self._topic_reply(variant, language, topic)
                if name == EMERGENCY_TOPIC:
                    return self._emergency(session, reply, language, country)
                return reply
            if self._phrases.has(name):
                return Reply(text=self._phrases.get(name, language))
            log.error("no words for response %s; sending the fallback", name)
            return self._with_menu(session, "fallback", language)

    def _topic_reply(self, variant: ContentVariant, language: str, topic: str | None) -> Reply:
        label = self._phrases.get("sources_label", language)
        source_lines = [f"{label}: {s.title} {s.url}" for s in variant.sources[:MAX_SOURCES_SHOWN]]
        text = "\n\n".join([variant.body.strip(), "\n".join(source_lines)])
        buttons = [Button(title=o["title"], payload=o["payload"]) for o in variant.options]
        return Reply(text=text, buttons=buttons, topic=topic)

    def _emergency(
        self, session: Session, card: Reply, language: str, country: str | None
    ) -> Reply:
        """The emergency card, the offer of a person and, without a country, the question."""
        talk = Button(self._phrases.get("talk_button", language), "/talk_to_human")
        if country is None:
            return self._ask_country(session, card, language, then=[talk])
        return replace(card, buttons=[*card.buttons, talk])

    def _emergency_follow_up(self, session: Session, language: str, country: str | None) -> Reply:
        """A detail inside an emergency: what to do with it, the numbers again, a person; the
        card's own topic buttons (trafficking, health) are left out: this is not browsing."""
        variant = lookup.find_variant(
            session, EMERGENCY_TOPIC, language, self._languages.default, country
        )
        what_to_do = self._phrases.get("emergency_follow_up", language)
        talk = Button(self._phrases.get("talk_button", language), "/talk_to_human")
        if variant is None:
            return Reply(what_to_do, [talk], topic=EMERGENCY_TOPIC)
        card = self._topic_reply(variant, language, EMERGENCY_TOPIC)
        reply = Reply(f"{what_to_do}\n\n{card.text}", topic=EMERGENCY_TOPIC)
        if country is None:
            return self._ask_country(session, reply, language, then=[talk])
        return replace(reply, buttons=[talk])

    def _ask_country(
        self, session: Session, reply: Reply, language: str, then: list[Button]
    ) -> Reply:
        """Unknown country: one short question, a button per country we have numbers for,
        then `then` (the offer of a person) instead of the card's own buttons."""
        scoped = lookup.scoped_countries(session, EMERGENCY_TOPIC)
        ordered = [code for code in self._gazetteer.names if code in scoped]
        ordered += sorted(scoped - set(ordered))
        if not ordered:
            return replace(reply, buttons=[*reply.buttons, *then])
        buttons = [
            Button(
                title=self._gazetteer.name(code, language, self._languages.default),
                payload="/country" + json.dumps({"country": code}),
            )
            for code in ordered
        ]
        text = f"{reply.text}\n\n*{self._phrases.get('which_country', language)}*"
        return Reply(text=text, buttons=[*buttons, *then], topic=reply.topic)

    def _with_menu(self, session: Session, phrase_key: str, language: str) -> Reply:
        buttons = [
            Button(title=title, payload=f"/{topic}")
            for topic, title in lookup.menu_entries(session, language, self._languages.default)
        ]
        buttons.append(Button(self._phrases.get("language_button", language), "/change_language"))
        return Reply(text=self._phrases.get(phrase_key, language), buttons=buttons)

    def _did_you_mean(self, session: Session, language: str, arguments: dict[str, Any]) -> Reply:
        """The two likeliest topics (from Rasa's ranking) as buttons, then the menu."""
        titles = dict(lookup.menu_entries(session, language, self._languages.default))
        candidates = [c for c in arguments.get("candidates") or [] if c in titles][:2]
        if not candidates:
            return self._with_menu(session, "fallback", language)
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
