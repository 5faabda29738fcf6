"""One message in, one answer out: the pipeline every channel goes through.

In order: the pseudonym (the raw address goes no further), consent (STOP/START), what cannot
be read, a digit for a numbered option, the language (decided once per message), the place,
the emergency fast path (before Rasa, without Rasa), then Rasa, whose words come back through
the NLG endpoint. The conversation is read once when the message arrives and written once when
it has been answered (bot/store/conversations.py `apply`); the answer carries its language,
so no channel re-reads the conversation to render it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from re import compile as regex

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from bot.channels.base import Inbound
from bot.clock import Clock, system_clock
from bot.langid import Detection, LanguageDetector
from bot.languages import LanguageTable
from bot.nlg import (
    EMERGENCY_FOLLOW_UP,
    EMERGENCY_TOPIC,
    NOT_A_FOLLOW_UP_TOPIC,
    Audience,
    ResponseGenerator,
)
from bot.phrases import Phrasebook
from bot.pipeline.consent import Consent, ConsentWords
from bot.pipeline.flow import (
    EMERGENCY_FLOW,
    YesNo,
    YesNoWords,
    current_flow,
    offer_made,
    replaced_in_emergency,
)
from bot.pipeline.language import identify, is_unsupported, next_language
from bot.pipeline.rasa import RasaClient, RasaUnavailable
from bot.pipeline.text import chosen_option, country_from_payload, for_nlu, is_payload
from bot.places import PlaceFinder
from bot.pseudonym import pseudonymise
from bot.replies import Answer, Reply
from bot.safety.detector import EmergencyDetector
from bot.store import conversations
from bot.store.conversations import CHOSEN, DETECTED, GUESSED, Changes, Memory

MAX_MESSAGE_CHARS = 2000  # longer text is cut: nobody types more on a phone, and Rasa slows
GREET_PAYLOAD = "/greet"  # Telegram's /start; after STOP it means "start again"
_WORD = regex(r"[^\W\d_]+|\?")


@dataclass(frozen=True)
class _Turn:
    """One message being understood: who, what is remembered, what it changes, the flow."""

    pseudonym: str
    memory: Memory
    changes: Changes
    flow: str | None
    can_hold: bool  # the channel can answer later: Rasa down means held, not "try again"
    behind_held: bool  # older messages of this person are held: wait behind them

    @property
    def in_emergency(self) -> bool:
        return self.flow == EMERGENCY_FLOW


@dataclass
class Pipeline:
    sessions: sessionmaker[Session]
    readers: sessionmaker[Session]  # for the read when a message arrives
    rasa: RasaClient
    detector: LanguageDetector
    phrases: Phrasebook
    languages: LanguageTable
    generator: ResponseGenerator
    places: PlaceFinder
    emergencies: EmergencyDetector
    consent: ConsentWords
    yes_no: YesNoWords
    pseudonym_key: bytes
    clock: Clock = system_clock

    def pseudonym(self, inbound: Inbound) -> str:
        return pseudonymise(self.pseudonym_key, inbound.channel, inbound.address)

    async def answer(
        self, inbound: Inbound, *, can_hold: bool = False, behind_held: bool = False
    ) -> Answer:
        """Everything said in answer to `inbound` ([] replies: the person opted out).

        `can_hold`: the channel can answer later, so a message Rasa cannot answer now comes
        back `held` (with a note) instead of "try again later". `behind_held`: this person has
        older messages held; this one waits behind them rather than overtake them (the
        emergency fast path still answers at once).
        """
        pseudonym = self.pseudonym(inbound)
        memory = await run_in_threadpool(self._read, pseudonym)
        now = inbound.received_at or self.clock()
        changes = Changes(last_inbound_at=now)
        if inbound.language in self.languages.names:  # chosen through the channel: a deep link
            changes.choose_language(inbound.language, CHOSEN)
        answer = self._arrive(inbound, memory, changes)
        if answer is None:
            text = inbound.text
            if inbound.traits.numbered_options:
                text = chosen_option(memory.offered_options, text) or text
            turn = _Turn(
                pseudonym, memory, changes, current_flow(memory, now), can_hold, behind_held
            )
            answer = await self._understand(text, turn)
            if not answer.held:  # a held "2" must still mean the option offered before
                self._remember_answer(answer, changes, now)
        await run_in_threadpool(self._write, pseudonym, changes)
        return answer

    def greeting(self, inbound: Inbound) -> Answer:
        """The welcome of a page opened before anything is said (the web chat); reads only."""
        memory = self._read(self.pseudonym(inbound))
        language = self.languages.resolve(memory.language)
        reply = self.generator.generate("utter_greet", Audience(language, memory.country), {})
        return Answer([reply], language)

    # --- before the message is understood --------------------------------------------------

    def _arrive(self, inbound: Inbound, memory: Memory, changes: Changes) -> Answer | None:
        """An answer decided by the conversation's state alone, or None to go on."""
        language = self._language(memory, changes)
        if inbound.traits.opt_out:
            typed = inbound.readable and not is_payload(inbound.text)  # "/start" is a command
            request = self.consent.classify(inbound.text) if typed else None
            if request is not None:
                changes.opted_out = request.consent is Consent.OPT_OUT
                key = "opted_out" if changes.opted_out else "opted_in"
                # Answered in the word's language when we speak it ("SISPANN": Kreyòl).
                said_in = request.answer_language(language, self.languages.codes)
                return self._said(key, said_in)
            if memory.opted_out and inbound.text == GREET_PAYLOAD:
                changes.opted_out = False
                return self._said("opted_in", language)
            if memory.opted_out and not self._is_emergency(inbound):
                # Stopped means stopped; but a person in danger is answered all the same.
                return Answer([], language)
        if not inbound.readable:
            return self._said("unreadable_message", language)
        return None

    def _is_emergency(self, inbound: Inbound) -> bool:
        return inbound.readable and bool(self.emergencies.match(inbound.text))

    # --- understanding ---------------------------------------------------------------------

    async def _understand(self, text: str, turn: _Turn) -> Answer:
        memory, changes = turn.memory, turn.changes
        text = text.strip()[:MAX_MESSAGE_CHARS]
        if not text:
            return self._said("empty_message", self._language(memory, changes))
        country = country_from_payload(text)
        if country is not None:
            changes.country = country
            return self._emergency_answer(memory, changes)
        prose = not is_payload(text)
        if prose and self.emergencies.match(text) and not turn.in_emergency:
            # Before the language: an emergency in Spanish gets the numbers, not a menu.
            self._detect(text, identify(self.detector, self.languages, text), memory, changes)
            return self._emergency_answer(memory, changes)
        detection = identify(self.detector, self.languages, text) if prose else None
        if detection is not None and is_unsupported(detection, self.languages.codes):
            # A Spanish message before we have Spanish content: say what we can do, in
            # every language we speak, rather than answer a guess in the wrong language.
            menu = self.generator.language_menu_for_everyone()
            return Answer([menu], self._language(memory, changes))
        follow_up = self._detect(text, detection, memory, changes) if detection else None
        if prose and follow_up == EMERGENCY_TOPIC:
            # "Which country?" answered by typing it ("Meksik") instead of a tap.
            return self._emergency_answer(memory, changes)
        if prose and self.emergencies.match(text):
            # Safety does not depend on the model: the answer goes out now, Rasa or not; inside
            # an emergency, what to do now and the numbers again, not the same card twice.
            again = EMERGENCY_FOLLOW_UP if turn.in_emergency else EMERGENCY_TOPIC
            return self._emergency_answer(memory, changes, again)
        if follow_up is None and prose and memory.pending_offer:
            said = self.yes_no.classify(text)
            if said is YesNo.YES:
                follow_up = memory.pending_offer  # "wi" to "shall a person answer you?"
            elif said is YesNo.NO:
                return self._said("offer_declined", self._language(memory, changes))
        message = f"/{follow_up}" if follow_up else text
        return await self._ask_rasa(message, turn, inside_emergency=prose and turn.in_emergency)

    def _detect(
        self, text: str, detection: Detection, memory: Memory, changes: Changes
    ) -> str | None:
        """The language and place a message shows; for a follow-up such as "e nan Meksik?",
        the last topic, to answer again for the new place."""
        if changes.language is None:  # not chosen with this very message (a deep link)
            choice = next_language(memory.language, memory.language_settled, detection)
            if choice is not None and choice.language in self.languages.names:
                changes.choose_language(choice.language, DETECTED if choice.settled else GUESSED)
        named = self.places.countries(text)
        if not named:
            return None
        changes.country = named[-1]
        if memory.last_topic and self._only_place_and_small_words(text):
            return memory.last_topic
        return None

    def _only_place_and_small_words(self, text: str) -> bool:
        remaining = self.places.without_places(text)
        return all(word in self.languages.follow_up_words for word in _WORD.findall(remaining))

    async def _ask_rasa(self, text: str, turn: _Turn, inside_emergency: bool) -> Answer:
        """Rasa's answer; inside an emergency, one that would miss the person (a fallback, the
        menu, a card picked by one word of a detail) becomes the emergency's follow-up."""
        memory, changes = turn.memory, turn.changes
        audience = self._audience(memory, changes)
        if turn.can_hold and turn.behind_held and not inside_emergency:
            return Answer([], audience.language, held=True)
        # Only what the NLG endpoint needs to choose the words; no text, no address.
        metadata = {"language": audience.language}
        if audience.country:
            metadata["country"] = audience.country
        try:
            said = await self.rasa.send(turn.pseudonym, for_nlu(text), metadata=metadata)
        except RasaUnavailable:
            if inside_emergency:  # never "try again later" in an emergency
                return self._emergency_answer(memory, changes, EMERGENCY_FOLLOW_UP)
            if turn.can_hold:
                return replace(self._said("held", audience.language), held=True)
            return self._said("unavailable", audience.language)
        if inside_emergency and replaced_in_emergency(Answer(said.replies, audience.language)):
            return self._emergency_answer(memory, changes, EMERGENCY_FOLLOW_UP)
        language = audience.language
        if said.set_language in self.languages.names:
            changes.choose_language(said.set_language, CHOSEN)
            language = said.set_language
        changes.forget = said.forget
        return Answer(said.replies, language)

    # --- answers and memory ----------------------------------------------------------------

    def _emergency_answer(
        self, memory: Memory, changes: Changes, response: str = EMERGENCY_TOPIC
    ) -> Answer:
        audience = self._audience(memory, changes)
        reply = self.generator.generate(f"utter_{response}", audience, {})
        return Answer([reply], audience.language)

    def _said(self, phrase_key: str, language: str) -> Answer:
        return Answer([Reply(self.phrases.get(phrase_key, language))], language)

    def _language(self, memory: Memory, changes: Changes) -> str:
        return self.languages.resolve(changes.language or memory.language)

    def _audience(self, memory: Memory, changes: Changes) -> Audience:
        return Audience(self._language(memory, changes), changes.country or memory.country)

    @staticmethod
    def _remember_answer(answer: Answer, changes: Changes, now: dt.datetime) -> None:
        """The options offered (so "2" means the second), the topic answered (so "and in
        Mexico?" repeats it), the offer left pending (so "yes" takes it) and the flow (an
        emergency answer starts or extends the emergency)."""
        changes.offered_options = [(b.title, b.payload) for b in answer.buttons]
        if answer.topic and answer.topic not in NOT_A_FOLLOW_UP_TOPIC:
            changes.last_topic = answer.topic
        changes.pending_offer = offer_made(answer) or ""
        if answer.topic == EMERGENCY_TOPIC:
            changes.flow, changes.flow_updated_at = EMERGENCY_FLOW, now

    def _read(self, pseudonym: str) -> Memory:
        with self.readers() as session:
            return conversations.read(session, pseudonym)

    def _write(self, pseudonym: str, changes: Changes) -> None:
        with self.sessions() as session, session.begin():
            conversations.apply(session, pseudonym, changes)
