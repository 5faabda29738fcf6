"""One message in, the assistant's replies out: the pipeline every channel goes through.

Channels hand us a pseudonym and plain text. In order: the emergency fast path (before Rasa,
without Rasa), the conversation's language and place, then Rasa, whose words come back through
the NLG endpoint. Replies are neutral; each channel renders them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from bot.conversation_language import identify, is_unsupported, next_language
from bot.langid import Detection, LanguageDetector
from bot.languages import LanguageTable, fold
from bot.nlg import EMERGENCY_TOPIC, ResponseGenerator
from bot.phrases import Phrasebook
from bot.places import PlaceFinder
from bot.rasa_client import RasaClient, RasaUnavailable
from bot.replies import Reply
from bot.safety.detector import EmergencyDetector
from bot.store import conversations

MAX_MESSAGE_CHARS = 2000  # longer text is cut: nobody types more on a phone, and Rasa slows
COUNTRY_PAYLOAD = re.compile(r"^/country(\{.*\})$")
_WORD = re.compile(r"[^\W\d_]+|\?")


def is_payload(text: str) -> bool:
    """A button's payload (`/trafficking`, `/change_language{"language": "fr"}`), not prose."""
    return text.startswith("/")


def for_nlu(text: str) -> str:
    """Prose goes to Rasa folded (lower case, no accents), the way most people type and most
    training examples are written: "yo pran paspò m" and "yo pran paspo m" must mean the same."""
    return text if is_payload(text) else fold(text)


def country_from_payload(text: str) -> str | None:
    """The answer to "which country are you in?": `/country{"country": "PA"}`."""
    match = COUNTRY_PAYLOAD.match(text)
    if not match:
        return None
    try:
        country = json.loads(match.group(1)).get("country")
    except (ValueError, AttributeError):
        return None
    return country if isinstance(country, str) and re.fullmatch(r"[A-Z]{2}", country) else None


@dataclass
class Assistant:
    sessions: sessionmaker[Session]
    rasa: RasaClient
    detector: LanguageDetector
    phrases: Phrasebook
    languages: LanguageTable
    generator: ResponseGenerator
    places: PlaceFinder
    emergencies: EmergencyDetector

    async def handle(self, pseudonym: str, text: str) -> list[Reply]:
        text = text.strip()[:MAX_MESSAGE_CHARS]
        if not text:
            language = await run_in_threadpool(self.language_of, pseudonym)
            return [Reply(self.phrases.get("empty_message", language))]
        country = country_from_payload(text)
        if country is not None:
            await run_in_threadpool(self._set_country, pseudonym, country)
            return [await run_in_threadpool(self._emergency_answer, pseudonym)]
        prose = not is_payload(text)
        detection = identify(self.detector, self.languages, text) if prose else None
        if detection is not None and is_unsupported(detection, self.languages.codes):
            # A Spanish message before we have Spanish content: say what we can do, in
            # every language we speak, rather than answer a guess in the wrong language.
            return [self.generator.language_menu_for_everyone()]
        language, follow_up = await run_in_threadpool(self._remember, pseudonym, text, detection)
        if prose and (self.emergencies.match(text) or follow_up == EMERGENCY_TOPIC):
            # Safety does not depend on the model: the answer goes out now, Rasa or not; also
            # when the person answers "which country?" by typing it ("Meksik") instead of a tap.
            return [await run_in_threadpool(self._emergency_answer, pseudonym)]
        message = f"/{follow_up}" if follow_up else for_nlu(text)
        try:
            return await self.rasa.send(pseudonym, message, metadata={"language": language})
        except RasaUnavailable:
            return [Reply(self.phrases.get("unavailable", language))]

    def language_of(self, pseudonym: str) -> str:
        with self.sessions() as session:
            conversation = conversations.get(session, pseudonym)
            return self.languages.resolve(conversation.language if conversation else None)

    def _emergency_answer(self, pseudonym: str) -> Reply:
        return self.generator.generate(f"utter_{EMERGENCY_TOPIC}", pseudonym, {})

    def _set_country(self, pseudonym: str, country: str) -> None:
        with self.sessions() as session, session.begin():
            conversations.get_or_create(session, pseudonym).country = country

    def _remember(
        self, pseudonym: str, text: str, detection: Detection | None
    ) -> tuple[str, str | None]:
        """Update language and place; return the language and, for a follow-up such as
        "e nan Meksik?", the last topic to answer again for the new place. `detection` is
        None for a button payload, which changes neither."""
        with self.sessions() as session, session.begin():
            conversation = conversations.get_or_create(session, pseudonym)
            if detection is None:
                return self.languages.resolve(conversation.language), None
            switched = next_language(conversation.language, detection)
            if switched is not None and switched in self.languages.codes:
                conversation.language = switched
                conversation.language_source = conversations.DETECTED
            named = self.places.countries(text)
            follow_up = None
            if named:
                conversation.country = named[-1]
                if conversation.last_topic and self._only_place_and_small_words(text):
                    follow_up = conversation.last_topic
            return self.languages.resolve(conversation.language), follow_up

    def _only_place_and_small_words(self, text: str) -> bool:
        remaining = self.places.without_places(text)
        return all(word in self.languages.follow_up_words for word in _WORD.findall(remaining))
