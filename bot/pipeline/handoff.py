"""The pipeline's side of the handoff (issue 15): a case opened when the person asks for a
person, and the bot silent while it is open.

- Inside an open case every readable message goes to the case (bot/handoff/cases.py) and
  nothing is sent back, except the emergency fast path, which always answers (the message is
  in the case all the same). Rasa never sees a message inside a case.
- `talk_to_human` (the button, "yes" to the offer, or the model's intent) opens a case routed
  to the partner of the person's country and language; the person hears once who will answer
  and roughly when, then the emergency numbers of their country when it is known.
- Button taps inside a case are not put in the case (a "/menu" is not words for a worker);
  the offer of a person tapped again says the case is already open.
- A case nobody answers in time is escalated once: the person is told, with the emergency
  numbers of their country (`escalate_overdue`, run every minute by the gateway).
- The web chat has no API to push to: its page picks the worker's answers up
  (`answers_waiting`), with its next message or a poll while the case is open.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from bot.channels.base import Inbound
from bot.clock import Clock
from bot.handoff import cases
from bot.handoff.models import Case, CaseReason
from bot.handoff.routing import choose_organisation
from bot.nlg import (
    CHILD_ALONE_TOPIC,
    EMERGENCY_TOPIC,
    TALK_PAYLOAD,
    TRAFFICKING_TOPIC,
    Audience,
    ResponseGenerator,
)
from bot.phrases import Phrasebook
from bot.pipeline.flow import EMERGENCY_FLOW, TALK_TO_HUMAN
from bot.pipeline.self_check import SELF_CHECK_TOPIC
from bot.pipeline.text import country_from_payload, is_payload
from bot.replies import Answer, Reply
from bot.workspace.accounts import SAMPLE_ORGANISATION

log = logging.getLogger(__name__)

HANDOFF_OPENED = "handoff_opened"
HANDOFF_ALREADY_OPEN = "handoff_already_open"
HANDOFF_CLOSED = "handoff_closed"
HANDOFF_OVERDUE = "handoff_overdue"
CHILD_FIRST = "handoff_child_first"
ORGANISATION = "{organisation}"
ESCALATION_EVERY_SECONDS = 60.0
# The seven day names, Monday first, comma-separated (one phrase: one line per language).
WEEKDAYS = "handoff_weekdays"


def reason_for(flow: str | None, last_topic: str | None) -> CaseReason:
    """Why the person asks for a person, from where the conversation is."""
    if flow == EMERGENCY_FLOW:
        return CaseReason.EMERGENCY
    if last_topic == CHILD_ALONE_TOPIC:
        return CaseReason.CHILD_ALONE
    if last_topic in {TRAFFICKING_TOPIC, SELF_CHECK_TOPIC}:
        return CaseReason.TRAFFICKING
    return CaseReason.OTHER


def goodbye(phrases: Phrasebook, case: Case) -> str:
    """What the person is told when a worker closes the case, in the case's language (the
    inbox passes it to `cases.close`, which sends it before the address goes)."""
    text = phrases.get(HANDOFF_CLOSED, case.language or "")
    return text.replace(ORGANISATION, case.organisation.name)


def asks_for_a_person(answer: Answer) -> bool:
    """Whether the model's answer is the `talk_to_human` response."""
    return TALK_TO_HUMAN in answer.responses or answer.topic == TALK_TO_HUMAN


@dataclass(frozen=True)
class InsideCase:
    """A message from a person whose case is open: in the case, and answered only if `tap`
    is one of the taps the assistant still answers (else silence, a person will answer)."""

    tap: str | None


@dataclass
class Handoff:
    sessions: sessionmaker[Session]
    readers: sessionmaker[Session]
    phrases: Phrasebook
    generator: ResponseGenerator
    keys: Sequence[bytes]
    default_organisation: str | None = None
    # An open case nobody has answered for this long is overdue (HANDOFF_ANSWER_WITHIN_MINUTES).
    answer_within: dt.timedelta = dt.timedelta(minutes=30)
    window_template: str | None = None  # WhatsApp's approved template, outside the 24 hours

    def inside_case(
        self,
        inbound: Inbound,
        chosen: str | None,
        pseudonym: str,
        emergency: bool,
        now: dt.datetime,
    ) -> InsideCase | None:
        """None: no open case (the caller looked first, `has_open_case`, in the read it
        makes anyway; this looks again in the write). Else the typed message goes into the
        case, and a tap the assistant still answers comes back. `chosen` is the option a
        digit picks ("1" under "which country?"): a digit means that option only until a
        worker has written, after which "2" may well answer the worker's question."""
        text = inbound.text.strip()
        with self.sessions() as session, session.begin():
            case = cases.open_case_for(session, pseudonym)
            if case is None:  # closed in between: the assistant answers again
                return None
            tapped = chosen if chosen and case.first_answer_at is None else text
            if self.answered_inside(tapped):
                country = country_from_payload(tapped)
                if country is not None and case.country is None:
                    case.country = country  # the escalation's numbers, the inbox's column
                return InsideCase(tapped)
            if text and not (is_payload(text) and not emergency):
                cases.add_person_message(session, case, text, now)
            if emergency:  # answered by the fast path; the inbox puts the case first
                cases.raise_reason(case, CaseReason.EMERGENCY)
        return InsideCase(None)

    @staticmethod
    def answered_inside(text: str) -> bool:
        """Taps the assistant still answers inside a case: the offer of a person (it says the
        case is open) and a country under "which country?" (the numbers it asked for)."""
        return text.strip() == TALK_PAYLOAD or country_from_payload(text) is not None

    def open(
        self,
        inbound: Inbound,
        pseudonym: str,
        audience: Audience,
        reason: CaseReason,
        now: dt.datetime,
    ) -> Answer | None:
        """Open (or join) the person's case and say, in their language, who answers when;
        None when no organisation serves the person (no partner for their country or
        language, and no HANDOFF_DEFAULT_ORGANISATION): a case in the placeholder sample
        organisation would silence the bot with nobody to answer, so the caller gives its
        usual answer instead."""
        language = audience.language
        with self.sessions() as session, session.begin():
            target = None
            if cases.open_case_for(session, pseudonym) is None:
                target = choose_organisation(
                    session,
                    audience.country,
                    language,
                    now=now,
                    default_name=self.default_organisation,
                )
                if target.name.lower() == SAMPLE_ORGANISATION:
                    return None
            opened = cases.open_case(
                session,
                pseudonym=pseudonym,
                channel=inbound.channel,
                address=inbound.address,
                language=language,
                country=audience.country,
                reason=reason.value,
                now=now,
                keys=self.keys,
                organisation=target,
            )
            name = opened.organisation.name
            is_new, open_now, opening = opened.is_new, opened.open_now, opened.next_opening
        if not is_new:
            text = self.phrases.get(HANDOFF_ALREADY_OPEN, language).replace(ORGANISATION, name)
            return Answer([Reply(text, response=HANDOFF_ALREADY_OPEN)], language)
        text = (
            self.phrases.get(HANDOFF_OPENED, language)
            .replace(ORGANISATION, name)
            .replace("{when}", self._when(open_now, opening, language))
        )
        if reason is CaseReason.CHILD_ALONE:
            # Right after the child-protection card, which has the numbers already.
            text = f"{self.phrases.get(CHILD_FIRST, language)} {text}"
            return Answer([Reply(text, response=HANDOFF_OPENED)], language)
        return Answer(
            [Reply(self._with_numbers(text, audience), response=HANDOFF_OPENED)], language
        )

    def _with_numbers(self, text: str, audience: Audience) -> str:
        """`text`, then the numbers of the person's country as the emergency answer gives
        them; without a country, `text` alone (it says to call the emergency number)."""
        if not audience.country:
            return text
        card = self.generator.generate(f"utter_{EMERGENCY_TOPIC}", audience, {})
        return f"{text}\n\n{card.text}"

    # --- after the case opened ---------------------------------------------------------------

    def escalate_overdue(self, now: dt.datetime) -> int:
        """Tell each person whose case nobody answered in time, once, that it is still
        waiting and what to call in danger; returns how many were told. A case whose
        person cannot be reached (STOP, WhatsApp's window without a template) is still
        marked escalated: the inbox shows it overdue either way."""
        told = 0
        with self.sessions() as session, session.begin():
            for case in cases.overdue(session, None, self.answer_within, now):
                if not cases.escalate(session, case, now):
                    continue  # told already
                audience = Audience(case.language or "", case.country)
                phrase = self.phrases.get(HANDOFF_OVERDUE, audience.language)
                text = self._with_numbers(
                    phrase.replace(ORGANISATION, case.organisation.name), audience
                )
                try:
                    cases.notify(
                        session,
                        case,
                        text,
                        now,
                        keys=self.keys,
                        window_template=self.window_template,
                    )
                    told += 1
                except cases.DeliveryRefused as error:
                    log.info("case %d escalated without telling the person: %s", case.id, error)
        return told

    async def keep_escalating(self, clock: Clock, wake_outbox: Callable[[], None]) -> None:
        """The gateway's loop: overdue cases every minute (the outbox sends what it queues)."""
        while True:
            try:
                if await run_in_threadpool(self.escalate_overdue, clock()):
                    wake_outbox()
            except Exception:  # a database hiccup must not end the loop
                log.exception("escalating overdue cases failed; trying again")
            await asyncio.sleep(ESCALATION_EVERY_SECONDS)

    def has_open_case(self, pseudonym: str, session: Session | None = None) -> bool:
        """In `session` when the caller is reading anyway (a message's arrival), else alone."""
        if session is not None:
            return cases.open_case_for(session, pseudonym) is not None
        with self.readers() as own:
            return cases.open_case_for(own, pseudonym) is not None

    def answers_waiting(self, pseudonym: str, now: dt.datetime) -> list[str]:
        """The worker's answers (and the assistant's notes) a web-chat person has not seen."""
        with self.sessions() as session, session.begin():
            return [m.text for m in cases.web_messages_for(session, pseudonym, now)]

    def _when(self, open_now: bool, opening: dt.datetime | None, language: str) -> str:
        if open_now:
            return self.phrases.get("handoff_when_soon", language)
        if opening is None:  # no opening hours: no promise of a time
            return ""
        days = [d.strip() for d in self.phrases.get(WEEKDAYS, language).split(",")]
        day = days[opening.weekday()] if len(days) == 7 else opening.strftime("%A")
        return (
            self.phrases.get("handoff_when_later", language)
            .replace("{day}", day)
            .replace("{time}", opening.strftime("%H:%M"))
        )

    @staticmethod
    def is_request(text: str) -> bool:
        return text.strip() == TALK_PAYLOAD
