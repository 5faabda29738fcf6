"""Opt-out and opt-in keywords (STOP, ARRÊT, SISPANN, START...), as data in languages.yml.

Matched on the whole message, folded, whatever the conversation's language: "stop" inside a
sentence ("they won't stop calling me") is a message to answer, not an opt-out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

import yaml

from bot.languages import fold

_EDGES = re.compile(r"^[\W_]+|[\W_]+$")


class Consent(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"


def normalise(text: str) -> str:
    return " ".join(_EDGES.sub("", fold(text)).split())


@dataclass(frozen=True)
class ConsentRequest:
    consent: Consent
    # The languages that list the word: "SISPANN" is answered in Kreyòl, "STOP" (listed by
    # several) in the conversation's language.
    languages: tuple[str, ...]

    def answer_language(self, conversation_language: str, spoken: list[str]) -> str:
        if conversation_language in self.languages:
            return conversation_language
        return next((code for code in self.languages if code in spoken), conversation_language)


@dataclass(frozen=True)
class ConsentWords:
    words: dict[str, ConsentRequest]

    def classify(self, text: str) -> ConsentRequest | None:
        return self.words.get(normalise(text))


@lru_cache(maxsize=4)
def load_consent_words(translations_dir: Path) -> ConsentWords:
    data = yaml.safe_load((translations_dir / "languages.yml").read_text(encoding="utf-8"))

    words: dict[str, ConsentRequest] = {}
    for consent in Consent:
        for language, listed in (data.get(consent.value) or {}).items():
            for word in map(normalise, map(str, listed)):
                known = words.get(word, ConsentRequest(consent, ()))
                words[word] = ConsentRequest(known.consent, (*known.languages, language))
    return ConsentWords(words)
