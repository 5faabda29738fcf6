"""One message in, the assistant's replies out: the pipeline every channel goes through.

Channels hand us a pseudonym and plain text; we keep the conversation's language, forward to
Rasa, and return neutral replies for the channel to render.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from bot.conversation_language import is_unsupported, next_language
from bot.langid import LanguageDetector
from bot.languages import LanguageTable
from bot.nlg import ResponseGenerator
from bot.phrases import Phrasebook
from bot.rasa_client import RasaClient, RasaUnavailable
from bot.replies import Reply
from bot.store import conversations

MAX_MESSAGE_CHARS = 2000  # longer text is cut: nobody types more on a phone, and Rasa slows


def is_payload(text: str) -> bool:
    """A button's payload (`/trafficking`, `/change_language{"language": "fr"}`), not prose."""
    return text.startswith("/")


@dataclass
class Assistant:
    sessions: sessionmaker[Session]
    rasa: RasaClient
    detector: LanguageDetector
    phrases: Phrasebook
    languages: LanguageTable
    generator: ResponseGenerator

    async def handle(self, pseudonym: str, text: str) -> list[Reply]:
        text = text.strip()[:MAX_MESSAGE_CHARS]
        if not text:
            language = await run_in_threadpool(self.language_of, pseudonym)
            return [Reply(self.phrases.get("empty_message", language))]
        if not is_payload(text) and is_unsupported(
            self.detector.detect(text), self.languages.codes
        ):
            # A Spanish message before we have Spanish content: say what we can do, in
            # every language we speak, rather than answer a guess in the wrong language.
            return [self.generator.language_menu_for_everyone()]
        language = await run_in_threadpool(self._update_language, pseudonym, text)
        try:
            return await self.rasa.send(pseudonym, text, metadata={"language": language})
        except RasaUnavailable:
            return [Reply(self.phrases.get("unavailable", language))]

    def language_of(self, pseudonym: str) -> str:
        with self.sessions() as session:
            conversation = conversations.get(session, pseudonym)
            return self.languages.resolve(conversation.language if conversation else None)

    def _update_language(self, pseudonym: str, text: str) -> str:
        with self.sessions() as session, session.begin():
            conversation = conversations.get_or_create(session, pseudonym)
            if not is_payload(text):
                detection = self.detector.detect(text)
                switched = next_language(conversation.language, detection)
                if switched is not None:
                    conversation.language = switched
                    conversation.language_source = conversations.DETECTED
            return self.languages.resolve(conversation.language)
