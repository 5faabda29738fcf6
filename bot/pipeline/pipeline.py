"""One message in, one answer out: the pipeline every channel goes through.

In order: the pseudonym (the raw address goes no further), consent (STOP/START), what cannot
be read, a digit for a numbered option, the language (decided once per message), the place,
the emergency fast path (before Rasa, without Rasa), the person's rate limit (rate_limit.py:
what the fast path answers is never limited), then Rasa, whose words come back through the NLG
endpoint. The conversation is read once when the message arrives and written once when
it has been answered (bot/store/conversations.py `apply`); the answer carries its language,
so no channel re-reads the conversation to render it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field, replace
from re import compile as regex

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from bot import observability
from bot.channels.base import Inbound
from bot.clock import Clock, system_clock
from bot.content.schema import SUB_SEPARATOR, parent_topic
from bot.content.shelf import Shelf
from bot.handoff.models import CaseReason
from bot.langid import Detection, LanguageDetector
from bot.languages import LanguageTable
from bot.nlg import (
    CHILD_ALONE_TOPIC,
    COUNTRY_PAYLOAD,
    EMERGENCY_FOLLOW_UP,
    EMERGENCY_MEDICAL,
    EMERGENCY_TOPIC,
    NOT_A_FOLLOW_UP_TOPIC,
    NOT_SHARED_TOPICS,
    PRIVACY_PAYLOAD,
    SAFETY_TOPICS,
    TALK_PAYLOAD,
    TRAFFICKING_TOPIC,
    WHICH_COUNTRY,
    Audience,
    ResponseGenerator,
)
from bot.phrases import Phrasebook
from bot.pipeline.consent import Consent, ConsentWords
from bot.pipeline.flow import (
    EMERGENCY_FLOW,
    SELF_CHECK,
    TALK_TO_HUMAN,
    YesNo,
    YesNoWords,
    current_flow,
    offer_made,
    replaced_in_emergency,
)
from bot.pipeline.handoff import Handoff, asks_for_a_person, reason_for
from bot.pipeline.language import identify, is_unsupported, next_language
from bot.pipeline.privacy import Privacy, Step, concerns
from bot.pipeline.privacy import step as deletion_step
from bot.pipeline.rasa import RasaClient, RasaUnavailable
from bot.pipeline.rate_limit import RateLimit
from bot.pipeline.self_check import (
    NO_PAYLOAD,
    SELF_CHECK_FLOW,
    SELF_CHECK_TOPIC,
    START_PAYLOAD,
    STOP_PAYLOAD,
    YES_PAYLOAD,
    SelfCheck,
    answer_letter,
)
from bot.pipeline.self_check import Step as CheckStep
from bot.pipeline.text import chosen_option, country_from_payload, for_nlu, is_payload
from bot.pseudonym import pseudonymise
from bot.replies import Answer, Button, Reply
from bot.safety.detector import EmergencyMatch
from bot.safety.documents import SafetyRules
from bot.sharing import events
from bot.sharing.forward import Sharing
from bot.store import conversations
from bot.store.conversations import CHOSEN, DETECTED, GUESSED, Changes, Memory

log = logging.getLogger(__name__)
MAX_MESSAGE_CHARS = 2000  # longer text is cut: nobody types more on a phone, and Rasa slows
GREET_PAYLOAD = "/greet"  # Telegram's /start; after STOP it means "start again"
_WORD = regex(r"[^\W\d_]+|\?")
# A follow-up ("and in Panama?") of the self-check's result is about trafficking.
FOLLOW_UP_OF = {SELF_CHECK_TOPIC: TRAFFICKING_TOPIC}
HEALTH_TOPIC = "health"
DENY_RESPONSE = "deny"  # Rasa's answer to "no" when nothing was asked


def said_health(replies: list[Reply]) -> bool:
    return any(parent_topic(r.topic or "") == HEALTH_TOPIC for r in replies)


@dataclass(frozen=True)
class _Turn:
    """One message being understood: who, what is remembered, what it changes, the flow."""

    pseudonym: str
    memory: Memory
    changes: Changes
    flow: str | None
    can_hold: bool  # the channel can answer later: Rasa down means held, not "try again"
    behind_held: bool  # older messages of this person are held: wait behind them
    rate_limited: bool = True  # counted against the person's rate limit on its way to Rasa
    # Places named that two countries share, not settled by the message or the conversation:
    # after the answer, "which country?" with their countries (filled by `_detect`).
    open_places: list[tuple[str, ...]] = field(default_factory=list)
    channel: str = ""  # whose link a forwardable text carries first (bot/sharing/forward.py)

    @property
    def in_emergency(self) -> bool:
        return self.flow == EMERGENCY_FLOW

    @property
    def in_self_check(self) -> bool:
        return self.flow == SELF_CHECK_FLOW


def _forget_what_it_showed(changes: Changes) -> None:
    """A held message is read again from the start when it is answered; the place or language
    it showed, kept now, would colour the person's older held messages, answered before it
    ("my children" answered with the Mexico that a later message named)."""
    changes.country = None
    if changes.language_source != CHOSEN:  # a deep link's choice stays: it is not re-read
        changes.language = None


@dataclass(frozen=True)
class _Arrival:
    """What the store said when a message arrived."""

    memory: Memory
    shelf: Shelf
    case_open: bool


@dataclass
class Pipeline:
    sessions: sessionmaker[Session]
    readers: sessionmaker[Session]  # for the read when a message arrives
    rasa: RasaClient
    detector: LanguageDetector
    phrases: Phrasebook
    languages: LanguageTable
    generator: ResponseGenerator
    # The emergency and child-alone detectors and the place finder, kept current with the
    # versions admins save in the workspace (bot/safety/documents.py).
    rules: SafetyRules
    self_check: SelfCheck
    consent: ConsentWords
    yes_no: YesNoWords
    pseudonym_key: bytes
    clock: Clock = system_clock
    # Cases with a person (bot/pipeline/handoff.py); None: no handoff, as before issue 15.
    handoff: Handoff | None = None
    # The privacy notice and confirmed deletion (bot/pipeline/privacy.py); None: as before.
    privacy: Privacy | None = None
    # "Share this": the last answer's forwardable version (bot/sharing/forward.py).
    sharing: Sharing | None = None
    # How fast one person may write (bot/pipeline/rate_limit.py); None: nobody is slowed.
    rate_limit: RateLimit | None = None

    def pseudonym(self, inbound: Inbound) -> str:
        return pseudonymise(self.pseudonym_key, inbound.channel, inbound.address)

    @observability.observed_answer
    async def answer(
        self,
        inbound: Inbound,
        *,
        can_hold: bool = False,
        behind_held: bool = False,
        rate_limited: bool = True,
    ) -> Answer:
        """Everything said in answer to `inbound` ([] replies: the person opted out).

        `can_hold`: the channel can answer later, so a message Rasa cannot answer now comes
        back `held` (with a note) instead of "try again later". `behind_held`: this person has
        older messages held; this one waits behind them rather than overtake them (the
        emergency fast path still answers at once). `rate_limited=False`: counted once already
        (a held message answered when Rasa is back).
        """
        pseudonym = self.pseudonym(inbound)
        await run_in_threadpool(self.rules.refresh)  # a saved version, from this message on
        arrival = await run_in_threadpool(self._read, pseudonym)
        with self.generator.content.pinned(arrival.shelf):  # one content read per message
            return await self._answer(
                inbound,
                pseudonym,
                arrival,
                can_hold=can_hold,
                behind_held=behind_held,
                rate_limited=rate_limited,
            )

    async def _answer(
        self,
        inbound: Inbound,
        pseudonym: str,
        arrival: _Arrival,
        *,
        can_hold: bool,
        behind_held: bool,
        rate_limited: bool,
    ) -> Answer:
        memory = arrival.memory
        now = inbound.received_at or self.clock()
        changes = Changes(last_inbound_at=now)
        if inbound.language in self.languages.names:  # chosen through the channel: a deep link
            changes.choose_language(inbound.language, CHOSEN)
        flow = current_flow(memory, now)
        answer = self._arrive(inbound, memory, changes, in_self_check=flow == SELF_CHECK_FLOW)
        about_deletion = self._about_deletion(inbound.text, memory)
        if answer is None and self.handoff is not None and arrival.case_open and not about_deletion:
            answer = await self._inside_case(self.handoff, inbound, pseudonym, memory, changes, now)
        if answer is None:
            text = inbound.text
            if inbound.traits.numbered_options:
                text = chosen_option(memory.offered_options, text) or text
            turn = _Turn(
                pseudonym,
                memory,
                changes,
                flow,
                can_hold,
                behind_held,
                rate_limited,
                channel=inbound.channel,
            )
            answer = await self._respond(text, inbound, turn, now)
            if not (answer.held or answer.slowed):  # a held "2" must still mean the option
                self._remember_answer(answer, changes, now)
            if answer.held:
                _forget_what_it_showed(changes)
        answer = self._first_contact(answer, memory, changes)
        facts = events.facts_of(  # the insights' counters, without the person (issue 18)
            answer,
            text=inbound.text,
            channel=inbound.channel,
            country=changes.country or memory.country,
            previous=memory.last_inbound_at,
            now=now,
        )
        await run_in_threadpool(self._write, pseudonym, changes, facts)
        return answer

    async def _respond(self, text: str, inbound: Inbound, turn: _Turn, now: dt.datetime) -> Answer:
        """The answer to a message the conversation's state did not settle."""
        answer, kept_first = await self._privacy_answer(text, inbound, turn)
        if answer is not None:
            return answer
        if self.handoff is not None and self._asks_for_person(text, turn.memory):
            # A person, Rasa or not; None: no organisation takes cases, answer as before.
            answer = await self._open_case(self.handoff, inbound, turn, now)
        if answer is None:
            answer = await self._understand(text, turn)
            answer = self._ask_which_country(answer, turn)
            if self.handoff is not None and not answer.held:
                answer = await self._case_from_answer(self.handoff, inbound, turn, answer, now)
        if kept_first is not None:  # the answer to what they said, then "nothing was erased"
            answer = replace(answer, replies=[*answer.replies, kept_first])
        return answer

    def greeting(self, inbound: Inbound) -> Answer:
        """The welcome of a page opened before anything is said (the web chat); reads only."""
        arrival = self._read(self.pseudonym(inbound))
        memory = arrival.memory
        language = self.languages.resolve(memory.language)
        with self.generator.content.pinned(arrival.shelf):
            reply = self.generator.generate("utter_greet", Audience(language, memory.country), {})
        return Answer([reply], language)

    # --- privacy and deletion (bot/pipeline/privacy.py) ---------------------------------------

    def _about_deletion(self, text: str, memory: Memory) -> bool:
        return self.privacy is not None and concerns(text, memory.pending_offer, self.privacy.words)

    async def _privacy_answer(
        self, text: str, inbound: Inbound, turn: _Turn
    ) -> tuple[Answer | None, Reply | None]:
        """The notice on /privacy; the deletion question, the erasure on "yes", "nothing was
        erased" on "no". Second: the "nothing was erased" that goes before the usual answer
        when the person said something else. (None, None): not about privacy."""
        privacy = self.privacy
        if privacy is None:
            return None, None
        language = self._language(turn.memory, turn.changes)
        if text.strip() == PRIVACY_PAYLOAD:
            return Answer([privacy.replies.notice(language)], language), None
        step = deletion_step(text, turn.memory.pending_offer, privacy.words, self.yes_no)
        if step is None:
            return None, None
        if step is Step.ASK:
            return Answer([privacy.replies.question(language)], language), None
        if step is Step.KEEP:
            return Answer([privacy.replies.kept(language)], language), None
        if step is Step.KEEP_AND_ANSWER:
            return None, privacy.replies.kept(language)
        try:
            await self.rasa.forget(turn.pseudonym)  # the model's record of every message
            await run_in_threadpool(privacy.erase, inbound, turn.pseudonym)
        except (RasaUnavailable, SQLAlchemyError):
            log.exception("erasing a person's data failed; nothing was said to be erased")
            return Answer([privacy.replies.failed(language)], language), None
        turn.changes.forget = True  # and the conversation row goes with this message's write
        done = privacy.replies.done(self._audience(turn.memory, turn.changes))
        return Answer([done], language), None

    def _first_contact(self, answer: Answer, memory: Memory, changes: Changes) -> Answer:
        """The privacy notice, once, after the very first answer (after an emergency card too:
        never before it); not after an erasure, nor to a person who wrote STOP first."""
        if (
            self.privacy is None
            or memory.known
            or changes.forget
            or changes.opted_out
            or answer.held
            or not answer.replies
        ):
            return answer
        # In the last message, not a message of its own: one send more costs the person data.
        notice = self.privacy.replies.notice(answer.language)
        *before, last = answer.replies
        return replace(
            answer, replies=[*before, replace(last, text=f"{last.text}\n\n{notice.text}")]
        )

    # --- a case with a person (bot/pipeline/handoff.py) --------------------------------------

    async def _inside_case(
        self,
        handoff: Handoff,
        inbound: Inbound,
        pseudonym: str,
        memory: Memory,
        changes: Changes,
        now: dt.datetime,
    ) -> Answer | None:
        """Silence while a case is open (the message goes to the case); None to go on: no
        case, an emergency (the fast path always answers), the offer of a person again or a
        country tapped under "which country?"."""
        emergency = self._is_emergency(inbound)
        chosen = None
        if inbound.traits.numbered_options:
            chosen = chosen_option(memory.offered_options, inbound.text)
        inside = await run_in_threadpool(
            handoff.inside_case, inbound, chosen, pseudonym, emergency, now
        )
        if inside is None or emergency or inside.tap:
            return None
        return Answer([], self._language(memory, changes))

    def _asks_for_person(self, text: str, memory: Memory) -> bool:
        """The button, or "yes" to the pending offer of a person."""
        if Handoff.is_request(text):
            return True
        return memory.pending_offer == TALK_TO_HUMAN and self.yes_no.classify(text) is YesNo.YES

    async def _open_case(
        self,
        handoff: Handoff,
        inbound: Inbound,
        turn: _Turn,
        now: dt.datetime,
        reason: CaseReason | None = None,
    ) -> Answer | None:
        """The person told who will answer; None: no organisation takes cases."""
        audience = self._audience(turn.memory, turn.changes)
        reason = reason or reason_for(turn.flow, turn.memory.last_topic)
        return await run_in_threadpool(handoff.open, inbound, turn.pseudonym, audience, reason, now)

    async def _case_from_answer(
        self, handoff: Handoff, inbound: Inbound, turn: _Turn, answer: Answer, now: dt.datetime
    ) -> Answer:
        """The model asked for a person: a case. A child alone: the child-protection card,
        then a case at once, without waiting for the child to ask (issue 15: a child alone
        opens a case); the card's own "talk to a person" is dropped, it is being done."""
        if asks_for_a_person(answer):
            return await self._open_case(handoff, inbound, turn, now) or answer
        if answer.topic != CHILD_ALONE_TOPIC:
            return answer
        opened = await self._open_case(handoff, inbound, turn, now, CaseReason.CHILD_ALONE)
        if opened is None:
            return answer
        card = answer.replies[0]
        kept = [b for b in card.buttons if b.payload != TALK_PAYLOAD]
        return replace(answer, replies=[replace(card, buttons=kept), *opened.replies])

    # --- before the message is understood --------------------------------------------------

    def _arrive(
        self, inbound: Inbound, memory: Memory, changes: Changes, in_self_check: bool
    ) -> Answer | None:
        """An answer decided by the conversation's state alone, or None to go on."""
        language = self._language(memory, changes)
        if inbound.traits.opt_out:
            typed = inbound.readable and not is_payload(inbound.text)  # "/start" is a command
            if in_self_check and self.self_check.is_stop(inbound.text):
                typed = False  # "stop" inside the self-check leaves the check, not the service
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
            if (
                memory.opted_out
                and not self._is_emergency(inbound)
                and not self._about_deletion(inbound.text, memory)
            ):
                # Stopped means stopped; but a person in danger is answered all the same.
                return Answer([], language)
        if not inbound.readable:
            return self._said("unreadable_message", language)
        return None

    def _is_emergency(self, inbound: Inbound) -> bool:
        return inbound.readable and bool(self.rules.emergencies.match(inbound.text))

    # --- understanding ---------------------------------------------------------------------

    def _waits_behind_held(self, text: str, prose: bool, turn: _Turn) -> bool:
        """Older messages of this person wait for Rasa: this one waits behind them even when
        the gateway could answer it alone ("no" to an offer, "share this"); answered first,
        it would overtake them and answer the wrong context. Not an emergency (asked before
        this), not inside one, not a child alone: those are answered now."""
        if not (turn.can_hold and turn.behind_held) or turn.in_emergency:
            return False
        return not (prose and self.rules.children_alone.match(text))

    async def _understand(self, text: str, turn: _Turn) -> Answer:
        memory, changes = turn.memory, turn.changes
        text = text.strip()[:MAX_MESSAGE_CHARS]
        if not text:
            return self._said("empty_message", self._language(memory, changes))
        country = country_from_payload(text)
        if country is not None:
            changes.country = country
            return self._again_for_country(turn)
        if text == START_PAYLOAD:
            return self._self_check_step(text, turn, start=True)
        prose = not is_payload(text)
        emergency = self.rules.emergencies.match(text) if prose else None  # matched once
        detection = identify(self.detector, self.languages, text) if prose else None
        if emergency and not turn.in_emergency:
            # Before the language: an emergency in Spanish gets the numbers, not a menu.
            self._detect(text, detection, turn)
            return self._emergency_answer(turn, emergency)
        if self._waits_behind_held(text, prose, turn):
            return Answer([], self._language(memory, changes), held=True)
        if turn.in_self_check:
            return self._self_check_step(text, turn)
        if prose and self.rules.children_alone.match(text):
            # A child alone gets child protection and a person first, whatever the model says.
            self._detect(text, detection, turn)
            return self._topic_answer(CHILD_ALONE_TOPIC, turn)
        if self.sharing is not None and not turn.in_emergency and self.sharing.is_request(text):
            # "Share this" (the button, or "pataje" typed): no model, nothing to misread.
            return self._share(self.sharing, turn)
        if detection is not None and is_unsupported(detection, self.languages.codes):
            # A Spanish message before we have Spanish content: say what we can do, in
            # every language we speak, rather than answer a guess in the wrong language.
            menu = self.generator.language_menu_for_everyone()
            return Answer([menu], self._language(memory, changes))
        follow_up = self._detect(text, detection, turn) if detection else None
        if turn.open_places and memory.last_topic and self._only_place_and_small_words(text):
            # "on est a corinto" after an answer: only "which country?" (asked after the answer)
            return Answer([], self._language(memory, changes))
        if prose and follow_up == EMERGENCY_TOPIC:
            # "Which country?" answered by typing it ("Meksik") instead of a tap.
            return self._emergency_answer(turn, emergency)
        if emergency:
            # Safety does not depend on the model: the answer goes out now, Rasa or not; inside
            # an emergency, what to do now and the numbers again, not the same card twice.
            return self._emergency_answer(turn, emergency)
        if follow_up is None and prose and memory.pending_offer:
            said = self.yes_no.classify(text)
            if said is YesNo.YES and memory.pending_offer == SELF_CHECK:
                return self._self_check_step(START_PAYLOAD, turn, start=True)
            if said is YesNo.YES:
                follow_up = memory.pending_offer  # "wi" to "shall a person answer you?"
            elif said is YesNo.NO:
                return self._said("offer_declined", self._language(memory, changes))
        elif (
            follow_up is None
            and prose
            and memory.last_topic
            and not turn.in_emergency
            and self.yes_no.classify(text) is YesNo.NO
        ):
            if not memory.last_card:
                # "no" after the share text or the menu, not after a card: nothing was
                # unhelpful, the person is done ("did not help?" read as a misunderstanding).
                return self._said("offer_declined", self._language(memory, changes))
            # "non" to an answer: another way (a person), not the menu.
            return self._no_after_answer(memory.last_topic, self._language(memory, changes))
        if follow_up and SUB_SEPARATOR in follow_up:
            # "e nan Meksik?" after the pregnancy answer: that answer again, for Mexico.
            return self._not_twice(self._topic_answer(follow_up, turn), turn)
        message = f"/{follow_up}" if follow_up else text
        answer = await self._ask_rasa(message, turn, inside_emergency=prose and turn.in_emergency)
        return self._not_twice(self._after_no(answer, turn), turn)

    def _detect(self, text: str, detection: Detection, turn: _Turn) -> str | None:
        """The language and place a message shows; for a follow-up such as "e nan Meksik?",
        the last topic, to answer again for the new place. A place that two countries share
        ("corinto") is settled by the conversation's country, else asked about afterwards."""
        memory, changes = turn.memory, turn.changes
        if changes.language is None:  # not chosen with this very message (a deep link)
            choice = next_language(memory.language, memory.language_settled, detection)
            if choice is not None and choice.language in self.languages.names:
                changes.choose_language(choice.language, DETECTED if choice.settled else GUESSED)
        reading = self.rules.places.read(text, memory.country)
        if not reading.countries:
            turn.open_places.extend(reading.ambiguous)
            return None
        changes.country = reading.countries[-1]
        if memory.last_topic and self._only_place_and_small_words(text):
            return FOLLOW_UP_OF.get(memory.last_topic, memory.last_topic)
        return None

    def _only_place_and_small_words(self, text: str) -> bool:
        remaining = self.rules.places.without_places(text)
        return all(word in self.languages.follow_up_words for word in _WORD.findall(remaining))

    async def _ask_rasa(self, text: str, turn: _Turn, inside_emergency: bool) -> Answer:
        """Rasa's answer; inside an emergency, one that would miss the person (a fallback, the
        menu, a card picked by one word of a detail) becomes the emergency's follow-up."""
        memory, changes = turn.memory, turn.changes
        audience = self._audience(memory, changes)
        if turn.can_hold and turn.behind_held and not inside_emergency:
            return Answer([], audience.language, held=True)
        if not inside_emergency and not await self._admitted(turn):
            return await self._slowed(turn.pseudonym, audience.language)
        # Only what the NLG endpoint needs to choose the words; no text, no address.
        metadata = {"language": audience.language}
        if audience.country:
            metadata["country"] = audience.country
        try:
            said = await self.rasa.send(turn.pseudonym, for_nlu(text), metadata=metadata)
        except RasaUnavailable:
            if inside_emergency:  # never "try again later" in an emergency
                return self._emergency_detail(text, turn)
            if turn.can_hold:
                return replace(self._said("held", audience.language), held=True)
            return self._said("unavailable", audience.language)
        if inside_emergency and (
            replaced_in_emergency(
                Answer(said.replies, audience.language), self.languages.asks(text)
            )
            or (self._was_medical(memory) and said_health(said.replies))
        ):
            # In a medical emergency the health card's advice would come before the hospital.
            return self._emergency_detail(text, turn)
        language = audience.language
        if said.set_language in self.languages.names:
            changes.choose_language(said.set_language, CHOSEN)
            language = said.set_language
        if said.forget and self.privacy is not None:
            # The model heard "delete my data": ask first, erase only on "yes".
            return Answer([self.privacy.replies.question(language)], language)
        changes.forget = said.forget
        return Answer(said.replies, language)

    async def _admitted(self, turn: _Turn) -> bool:
        limit = self.rate_limit
        return limit is None or not turn.rate_limited or await limit.admit(turn.pseudonym)

    async def _slowed(self, pseudonym: str, language: str) -> Answer:
        """Over the rate limit: the notice once per window, then nothing; not sent to Rasa."""
        assert self.rate_limit is not None  # noqa: S101 - only a limit slows anyone
        said = await self.rate_limit.notice_due(pseudonym)
        replies = [Reply(self.phrases.get("slowed", language), response="slowed")] if said else []
        return Answer(replies, language, slowed=True)

    # --- answers and memory ----------------------------------------------------------------

    def _emergency_answer(self, turn: _Turn, match: EmergencyMatch | None) -> Answer:
        """The emergency card; urgent medical signs start it with the emergency room; inside
        the flow, a detail gets what to do with it and the numbers again."""
        if turn.in_emergency:
            return self._emergency_detail("", turn, medical=bool(match and match.medical))
        response = EMERGENCY_MEDICAL if match and match.medical else EMERGENCY_TOPIC
        return self._topic_answer(response, turn)

    def _emergency_detail(self, text: str, turn: _Turn, medical: bool = False) -> Answer:
        """A detail inside an emergency ("he is 7, blue shirt", "I am in Necoclí"): still the
        emergency room first when the emergency is medical."""
        medical = (
            medical or self._was_medical(turn.memory) or self.rules.emergencies.is_medical(text)
        )
        return self._topic_answer(EMERGENCY_MEDICAL if medical else EMERGENCY_FOLLOW_UP, turn)

    @staticmethod
    def _was_medical(memory: Memory) -> bool:
        return (memory.last_card or "").startswith(EMERGENCY_MEDICAL)

    def _again_for_country(self, turn: _Turn) -> Answer:
        """A country tapped under "which country?": the answer that asked, for that country."""
        last = FOLLOW_UP_OF.get(turn.memory.last_topic or "", turn.memory.last_topic)
        if turn.in_emergency or not last:
            medical = turn.in_emergency and self._was_medical(turn.memory)
            return self._topic_answer(EMERGENCY_MEDICAL if medical else EMERGENCY_TOPIC, turn)
        return self._not_twice(self._topic_answer(last, turn), turn)

    def _ask_which_country(self, answer: Answer, turn: _Turn) -> Answer:
        """After an answer given without a country, the question a shared place name leaves."""
        if not turn.open_places or turn.changes.country or answer.held or answer.slowed:
            return answer
        if any(b.payload.startswith(COUNTRY_PAYLOAD) for b in answer.buttons):
            return answer  # the answer asks already
        candidates = list(dict.fromkeys(c for place in turn.open_places for c in place))
        question = self.generator.which_country(candidates, answer.language)
        return replace(answer, replies=[*answer.replies, question])

    def _topic_answer(self, response: str, turn: _Turn) -> Answer:
        audience = self._audience(turn.memory, turn.changes)
        reply = self.generator.generate(f"utter_{response}", audience, {})
        return Answer([reply], audience.language)

    def _after_no(self, answer: Answer, turn: _Turn) -> Answer:
        """ "no, that one is full" after an answer: another way (a person), not the menu."""
        last = turn.memory.last_topic
        if answer.responses != {DENY_RESPONSE} or not last or last == EMERGENCY_TOPIC:
            return answer
        return self._no_after_answer(last, answer.language)

    def _no_after_answer(self, topic: str | None, language: str) -> Answer:
        talk = self.generator.talk_button(language)
        menu = Button(self.phrases.get("menu_button", language), "/menu")
        reply = Reply(self.phrases.get("no_after_answer", language), [talk, menu], topic=topic)
        return Answer([replace(reply, response="no_after_answer")], language)

    def _not_twice(self, answer: Answer, turn: _Turn) -> Answer:
        """The same card twice in a row helps nobody: say there is nothing more, offer a person."""
        card = answer.card
        if not card or card != turn.memory.last_card or answer.topic in SAFETY_TOPICS:
            return answer
        language = answer.language
        reply = Reply(
            self.phrases.get("nothing_more", language),
            [self.generator.talk_button(language)],
            topic=answer.topic,
            response="nothing_more",
            card=card,
        )
        return Answer([reply], language)

    # --- the trafficking self-check (bot/pipeline/self_check.py) ----------------------------

    def _self_check_step(self, text: str, turn: _Turn, start: bool = False) -> Answer:
        changes, language = turn.changes, self._language(turn.memory, turn.changes)
        check = self.self_check
        now = changes.last_inbound_at or self.clock()
        if start:
            changes.flow, changes.flow_updated_at, changes.flow_state = SELF_CHECK_FLOW, now, ""
            intro = self.phrases.get("self_check_intro", language)
            return self._question(f"{intro}\n\n", 0, language)
        letter = answer_letter(text, self.yes_no.classify(text))
        progress = check.advance(turn.memory.flow_state, letter, check.is_stop(text))
        if progress.step is CheckStep.STOPPED:
            changes.flow = ""
            return self._said("self_check_stopped", language)
        changes.flow, changes.flow_updated_at = SELF_CHECK_FLOW, now
        changes.flow_state = progress.answers
        if progress.step is CheckStep.AGAIN:
            again = self.phrases.get("self_check_again", language)
            return self._question(f"{again}\n\n", len(progress.answers), language)
        if progress.step is CheckStep.ASK:
            return self._question("", len(progress.answers), language)
        changes.flow = ""  # done: the answers go with the flow (bot/store/conversations.py)
        result = check.result(progress.yes_count, language, self.languages.default)
        audience = self._audience(turn.memory, changes)
        reply = self.generator.introduce(result, TRAFFICKING_TOPIC, audience, SELF_CHECK_TOPIC)
        asks_country = any(b.payload.startswith(COUNTRY_PAYLOAD) for b in reply.buttons)
        if progress.yes_count and self.handoff is not None and not asks_country:
            # Signs found: a person offered in words too, last ("yes" opens a trafficking case).
            offer = self.phrases.get("self_check_person_offer", language)
            reply = replace(reply, text=f"{reply.text}\n\n{offer}")
        return Answer([reply], language)

    def _question(self, before: str, index: int, language: str) -> Answer:
        total = len(self.self_check.questions)
        question = self.self_check.question(index, language, self.languages.default)
        buttons = [
            Button(self.phrases.get(key, language), payload)
            for key, payload in (
                ("yes_button", YES_PAYLOAD),
                ("no_button", NO_PAYLOAD),
                ("stop_button", STOP_PAYLOAD),
            )
        ]
        text = f"{before}*{index + 1}/{total}.* {question}"
        return Answer([Reply(text, buttons, response=SELF_CHECK_FLOW)], language)

    def _share(self, sharing: Sharing, turn: _Turn) -> Answer:
        """The forwardable version of the answer last read; the conversation's topic stays,
        so "e nan Meksik?" afterwards still means that answer."""
        language = self._language(turn.memory, turn.changes)
        last = turn.memory.last_topic or ""
        topic = FOLLOW_UP_OF.get(last, last)
        if topic in NOT_SHARED_TOPICS:
            topic = ""
        country = turn.changes.country or turn.memory.country
        variant = sharing.find(topic, country, language)
        note = self.generator.fallback_note(variant.language, language) if variant else None
        return Answer(sharing.replies(variant, language, turn.channel, note), language)

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
        if answer.responses != {WHICH_COUNTRY}:  # "which country?" alone keeps the card
            changes.last_card = answer.card or ""
        if answer.topic == EMERGENCY_TOPIC:
            changes.flow, changes.flow_updated_at = EMERGENCY_FLOW, now

    def _read(self, pseudonym: str) -> _Arrival:
        """Everything a message needs from the store before it is answered, in one read: the
        person's conversation, the content to answer from, whether a case is open."""
        with self.readers() as session:
            memory = conversations.read(session, pseudonym)
            shelf = self.generator.content.current(session)
            case_open = self.handoff is not None and self.handoff.has_open_case(pseudonym, session)
            return _Arrival(memory, shelf, case_open)

    def _write(self, pseudonym: str, changes: Changes, facts: events.Facts) -> None:
        with self.sessions() as session, session.begin():
            conversations.apply(session, pseudonym, changes)
            events.record(session, facts)
