"""When a conversation's language changes: by request only, once it is settled.

The first messages set it: a fairly sure guess from a short opener ("bjr", "sak pase") is
*guessed* and may still be corrected by the first real sentence; a sentence *settles* it. After
that only a request changes it (the `change_language` intent, the language menu, a deep link):
a detail in another language ("he only speaks creole"), a name or a quote does not.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.langid import Detection, LanguageDetector
from bot.languages import LanguageTable

# First message: take a fairly sure guess; the person can always switch.
FIRST_GUESS_MIN_CONFIDENCE = 0.6
# A guess from a short opener is corrected only by an unmistakable sentence: "ok", "merci",
# "menu" must not flip a Kreyòl conversation into French.
SWITCH_MIN_CONFIDENCE = 0.97
SETTLING_MIN_WORDS = 3  # a message this long settles the language


@dataclass(frozen=True)
class LanguageChoice:
    language: str
    settled: bool  # False: a guess from a short opener, which the first sentence may correct


def next_language(
    current: str | None, settled: bool, detection: Detection
) -> LanguageChoice | None:
    """The language to use from now on, or None to keep `current` unchanged."""
    if detection.language is None or settled:
        return None
    sentence = detection.words >= SETTLING_MIN_WORDS
    if current is None:
        if detection.confidence < FIRST_GUESS_MIN_CONFIDENCE:
            return None
        return LanguageChoice(detection.language, settled=sentence)
    if detection.language == current:
        return LanguageChoice(current, settled=True) if sentence else None
    if detection.confidence >= SWITCH_MIN_CONFIDENCE and sentence:
        return LanguageChoice(detection.language, settled=True)
    return None


# Spanish and French share many short words ("la", "de", "en"): only a real sentence counts.
UNSUPPORTED_MIN_CONFIDENCE = 0.999
UNSUPPORTED_MIN_WORDS = 5


def is_unsupported(detection: Detection, supported: list[str]) -> bool:
    """Confidently in a language the detector knows but the assistant does not speak yet."""
    return (
        detection.language is not None
        and detection.language not in supported
        and detection.confidence >= UNSUPPORTED_MIN_CONFIDENCE
        and detection.words >= UNSUPPORTED_MIN_WORDS
    )


def identify(detector: LanguageDetector, table: LanguageTable, text: str) -> Detection:
    """What the gateway and `python -m bot langid` report: a language we only recognise
    (Spanish, say) when the message is confidently in it, else the likeliest one we speak, so
    that "si" or "no" never pulls a conversation out of Kreyòl."""
    everything = detector.detect(text)
    if is_unsupported(everything, table.codes):
        return everything
    return detector.detect(text, among=table.codes)
