"""When a conversation's language changes: kept unless a message is confidently in another
language or the person asks (the `change_language` intent or the language menu)."""

from __future__ import annotations

from bot.langid import Detection, LanguageDetector
from bot.languages import LanguageTable

# First message: take a fairly sure guess; the person can always switch.
FIRST_GUESS_MIN_CONFIDENCE = 0.6
# Later: "ok", "merci", "menu" must not flip a Kreyòl conversation into French.
SWITCH_MIN_CONFIDENCE = 0.97
SWITCH_MIN_WORDS = 3


def next_language(current: str | None, detection: Detection) -> str | None:
    """The language to use from now on, or None to keep `current` unchanged."""
    if detection.language is None or detection.language == current:
        return None
    if current is None:
        return detection.language if detection.confidence >= FIRST_GUESS_MIN_CONFIDENCE else None
    if detection.confidence >= SWITCH_MIN_CONFIDENCE and detection.words >= SWITCH_MIN_WORDS:
        return detection.language
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
