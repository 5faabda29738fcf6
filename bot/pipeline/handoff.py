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
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.base import Inbound
from bot.handoff import cases
from bot.handoff.models import CaseReason
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
from bot.pipeline.text import is_payload
from bot.replies import Answer, Reply
from bot.store.models import Organisation
from bot.workspace.accounts import SAMPLE_ORGANISATION, organisation_named

HANDOFF_OPENED = "handoff_opened"
HANDOFF_ALREADY_OPEN = "handoff_already_open"
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


def asks_for_a_person(answer: Answer) -> bool:
    """Whether the model's answer is the `talk_to_human` response."""
    return TALK_TO_HUMAN in answer.responses or answer.topic == TALK_TO_HUMAN


@dataclass
class Handoff:
    sessions: sessionmaker[Session]
    readers: sessionmaker[Session]
    phrases: Phrasebook
    generator: ResponseGenerator
    keys: Sequence[bytes]
    default_organisation: str | None = None

    def inside_case(
        self, inbound: Inbound, pseudonym: str, emergency: bool, now: dt.datetime
    ) -> bool:
        """Whether the person has an open case; their typed message goes into it."""
        with self.readers() as session:
            if cases.open_case_for(session, pseudonym) is None:
                return False
        text = inbound.text.strip()
        if not text or (is_payload(text) and not emergency):
            return True
        with self.sessions() as session, session.begin():
            case = cases.open_case_for(session, pseudonym)
            if case is not None:  # closed in between: nothing to add to
                cases.add_person_message(session, case, text, now)
        return True

    def open(
        self,
        inbound: Inbound,
        pseudonym: str,
        audience: Audience,
        reason: CaseReason,
        now: dt.datetime,
    ) -> Answer | None:
        """Open (or join) the person's case and say, in their language, who answers when;
        None when no organisation can take cases (no partner and no default configured):
        a case in the placeholder sample organisation would silence the bot with nobody to
        answer, so the caller gives its usual answer instead."""
        language = audience.language
        with self.sessions() as session, session.begin():
            if cases.open_case_for(session, pseudonym) is None and not self._anyone(session):
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
                default_name=self.default_organisation,
            )
            name = opened.organisation.name
            is_new, open_now, opening = opened.is_new, opened.open_now, opened.next_opening
        if not is_new:
            text = self.phrases.get(HANDOFF_ALREADY_OPEN, language).replace("{organisation}", name)
            return Answer([Reply(text, response=HANDOFF_ALREADY_OPEN)], language)
        text = (
            self.phrases.get(HANDOFF_OPENED, language)
            .replace("{organisation}", name)
            .replace("{when}", self._when(open_now, opening, language))
        )
        if audience.country:
            # The numbers of the person's country, as the emergency answer gives them.
            card = self.generator.generate(f"utter_{EMERGENCY_TOPIC}", audience, {})
            text = f"{text}\n\n{card.text}"
        return Answer([Reply(text, response=HANDOFF_OPENED)], language)

    def _anyone(self, session: Session) -> bool:
        if self.default_organisation and organisation_named(session, self.default_organisation):
            return True
        partner = select(Organisation.id).where(
            func.lower(Organisation.name) != SAMPLE_ORGANISATION
        )
        return session.scalars(partner.limit(1)).first() is not None

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
