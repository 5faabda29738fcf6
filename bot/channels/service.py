"""Between a channel's edge and the assistant: identity, consent, the window, digit answers.

Channel-neutral, so WhatsApp and Telegram behave the same: the raw address becomes a keyed
pseudonym here and goes no further; STOP/START are honoured; a photo or voice note gets a kind
answer; "2" means the second option offered in the last numbered list.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from bot.assistant import Assistant, is_payload
from bot.channels.base import Inbound
from bot.channels.consent import Consent, ConsentWords
from bot.phrases import Phrasebook
from bot.pseudonym import pseudonymise
from bot.replies import Button, Reply
from bot.store import conversations

_DIGIT_ANSWER = re.compile(r"^\s*#?(\d{1,2})\s*[.)]?\s*$")


def offered_buttons(replies: list[Reply]) -> list[Button]:
    """Every quick reply of an answer, in order: the numbers a text channel shows."""
    return [button for reply in replies for button in reply.buttons]


@dataclass(frozen=True)
class Arrival:
    """What the conversation's state says to do with a message before the assistant sees it."""

    text: str  # the text to answer, with a digit replaced by its option's payload
    reply: Reply | None = None  # an answer decided here (consent, unreadable message)
    silent: bool = False  # opted out: nothing is sent


@dataclass
class ChannelService:
    sessions: sessionmaker[Session]
    assistant: Assistant
    phrases: Phrasebook
    consent: ConsentWords
    pseudonym_key: bytes

    def pseudonym(self, inbound: Inbound) -> str:
        return pseudonymise(self.pseudonym_key, inbound.channel, inbound.address)

    def language_of(self, inbound: Inbound) -> str:
        """The conversation's language now (after an answer that may have switched it)."""
        return self.assistant.language_of(self.pseudonym(inbound))

    async def answer(self, inbound: Inbound) -> list[Reply]:
        pseudonym = self.pseudonym(inbound)
        arrival = await run_in_threadpool(self._arrive, pseudonym, inbound)
        if arrival.silent:
            return []
        if arrival.reply is not None:
            return [arrival.reply]
        replies = await self.assistant.handle(pseudonym, arrival.text)
        await run_in_threadpool(self._remember_offered, pseudonym, offered_buttons(replies))
        return replies

    def _arrive(self, pseudonym: str, inbound: Inbound) -> Arrival:
        now = dt.datetime.now(dt.UTC)
        with self.sessions() as session, session.begin():
            conversation = conversations.get_or_create(session, pseudonym)
            conversation.last_inbound_at = now
            languages = self.assistant.languages
            language = languages.resolve(conversation.language)
            typed = inbound.readable and not is_payload(inbound.text)  # "/start" is a command
            request = self.consent.classify(inbound.text) if typed else None
            if request is not None:
                conversation.opted_out = request.consent is Consent.OPT_OUT
                key = "opted_out" if request.consent is Consent.OPT_OUT else "opted_in"
                # Answered in the word's language when we speak it ("SISPANN": Kreyòl).
                said_in = request.answer_language(language, languages.codes)
                return Arrival(inbound.text, Reply(self.phrases.get(key, said_in)))
            if conversation.opted_out and not self._is_emergency(inbound):
                # Stopped means stopped; but a person in danger is answered all the same.
                return Arrival(inbound.text, silent=True)
            if not inbound.readable:
                unreadable = self.phrases.get("unreadable_message", language)
                return Arrival("", Reply(unreadable))
            text = self._option_payload(conversation.offered_options or [], inbound.text)
            return Arrival(text or inbound.text)

    def _is_emergency(self, inbound: Inbound) -> bool:
        return inbound.readable and bool(self.assistant.emergencies.match(inbound.text))

    @staticmethod
    def _option_payload(offered: list[dict[str, str]], text: str) -> str | None:
        match = _DIGIT_ANSWER.match(text)
        if not match:
            return None
        index = int(match.group(1)) - 1
        return offered[index]["payload"] if 0 <= index < len(offered) else None

    def _remember_offered(self, pseudonym: str, buttons: list[Button]) -> None:
        with self.sessions() as session, session.begin():
            conversation = conversations.get(session, pseudonym)
            if conversation is None:  # the person just deleted their data: keep nothing
                return
            conversation.offered_options = [
                {"title": b.title, "payload": b.payload} for b in buttons
            ]
