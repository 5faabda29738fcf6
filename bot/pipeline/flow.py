"""Conversations longer than one message: the emergency flow and the offer a person answers.

After an emergency answer the conversation stays in the emergency for a while: a detail ("he is
7, blue shirt") is part of it, answered with what to do with it, the local number again and
the offer of a person, never with "did you mean" or the menu. An answer that offers a person
leaves that offer pending, so that "yes" takes it and "no" is heard.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from bot.content.schema import parent_topic
from bot.nlg import content_topic
from bot.pipeline.words import languages_file, normalise, words_by_language
from bot.replies import Answer
from bot.store.conversations import Memory

EMERGENCY_FLOW = "emergency"
# Long enough for a conversation about one emergency, short enough that tomorrow's question
# is a new one; every message inside the flow extends it.
FLOW_LASTS = dt.timedelta(minutes=30)
# What Rasa may answer inside the emergency flow as an answer in its own right: a request for a
# person or a change, thanks, always; the topics that help in an emergency only when the
# message asks a question ("is there a shelter near the station?"), since a detail ("he is 7,
# blue shirt") can be classified as health or as a child alone (a child who writes that they
# are alone is caught by the patterns first, inside an emergency too). Anything else (the
# fallback, "did you mean", the menu, a card picked by one word of a detail) is replaced by the
# emergency's follow-up.
KEPT_IN_EMERGENCY = frozenset(
    {"talk_to_human", "delete_my_data", "language_changed", "thanks", "goodbye"}
)
KEPT_WHEN_ASKED = frozenset({"health", "legal_help", "asylum_rights", "shelter_food"})
TALK_TO_HUMAN = "talk_to_human"
SELF_CHECK = "self_check"
# Buttons that ask a question "yes" can answer, the likelier meant first: a trafficking card
# asks "do you want to check a job offer?" and also offers a person.
OFFER_PAYLOADS = {
    f"/{SELF_CHECK}": SELF_CHECK,
    f"/{TALK_TO_HUMAN}": TALK_TO_HUMAN,
    "/delete_confirm": "delete_my_data",  # "erase everything?" (bot/pipeline/privacy.py)
}


def current_flow(memory: Memory, now: dt.datetime) -> str | None:
    """The flow the conversation is in now, if it has not run out."""
    if memory.flow is None or memory.flow_updated_at is None:
        return None
    return memory.flow if now - memory.flow_updated_at < FLOW_LASTS else None


def replaced_in_emergency(answer: Answer, asks: bool) -> bool:
    """Whether Rasa's answer to a message inside the emergency flow misses the person;
    `asks`: the message is a question."""
    said = {content_topic(r) for r in answer.responses}
    said |= {parent_topic(t) for t in said}
    kept = KEPT_IN_EMERGENCY | (KEPT_WHEN_ASKED if asks else frozenset())
    return not said & kept


def offer_made(answer: Answer) -> str | None:
    """The offer an answer leaves pending (its buttons include one), if any."""
    payloads = {b.payload for b in answer.buttons}
    return next((offer for payload, offer in OFFER_PAYLOADS.items() if payload in payloads), None)


class YesNo(StrEnum):
    YES = "yes"
    NO = "no"


class YesNoWords:
    """ "wi", "oui", "yes please", "non mesi"...: the whole message, folded, in any language."""

    def __init__(self, words: dict[str, YesNo]) -> None:
        self._words = words

    def classify(self, text: str) -> YesNo | None:
        return self._words.get(normalise(text))


@lru_cache(maxsize=4)
def load_yes_no(translations_dir: Path) -> YesNoWords:
    """From translations/languages.yml `yes_words` and `no_words` (data, per language)."""
    data = languages_file(translations_dir)
    words: dict[str, YesNo] = {}
    for key, meaning in (("yes_words", YesNo.YES), ("no_words", YesNo.NO)):
        words.update(dict.fromkeys(words_by_language(data.get(key)), meaning))
    return YesNoWords(words)
