"""When a conversation's language changes: kept unless a message is confidently in another
language or the person asks (the `change_language` intent or the language menu)."""

from __future__ import annotations

from bot.langid import Detection

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


def is_unsupported(detection: Detection, supported: list[str]) -> bool:
    """Confidently in a language the detector knows but the assistant does not speak yet."""
    return (
        detection.language is not None
        and detection.language not in supported
        and detection.confidence >= SWITCH_MIN_CONFIDENCE
        and detection.words >= 2
    )
