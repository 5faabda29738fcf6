"""Opt-out and opt-in keywords (STOP, ARRÊT, SISPANN, START...), as data in languages.yml.

Matched on the whole message, folded, whatever the conversation's language: "stop" inside a
sentence ("they won't stop calling me") is a message to answer, not an opt-out.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from bot.pipeline.words import languages_file, normalise, words_by_language


class Consent(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"


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
    data = languages_file(translations_dir)
    words: dict[str, ConsentRequest] = {}
    for consent in Consent:
        for word, languages in words_by_language(data.get(consent.value)).items():
            words.setdefault(word, ConsentRequest(consent, languages))
    return ConsentWords(words)
