"""What a message is before anyone answers it: a button's payload or prose."""

from __future__ import annotations

import json
import re

from bot.languages import fold

COUNTRY_PAYLOAD = re.compile(r"^/country(\{.*\})$")
_DIGIT_ANSWER = re.compile(r"^\s*#?(\d{1,2})\s*[.)]?\s*$")


def is_payload(text: str) -> bool:
    """A button's payload (`/trafficking`, `/change_language{"language": "fr"}`), not prose."""
    return text.startswith("/")


def for_nlu(text: str) -> str:
    """Prose goes to Rasa folded (lower case, no accents), the way most people type and most
    training examples are written: "yo pran paspò m" and "yo pran paspo m" must mean the same."""
    return text if is_payload(text) else fold(text)


def country_from_payload(text: str) -> str | None:
    """The answer to "which country are you in?": `/country{"country": "PA"}`."""
    match = COUNTRY_PAYLOAD.match(text)
    if not match:
        return None
    try:
        country = json.loads(match.group(1)).get("country")
    except (ValueError, AttributeError):
        return None
    return country if isinstance(country, str) and re.fullmatch(r"[A-Z]{2}", country) else None


def chosen_option(offered: tuple[tuple[str, str], ...], text: str) -> str | None:
    """ "2" (or "#2", "2.") means the payload of the second option last offered."""
    match = _DIGIT_ANSWER.match(text)
    if not match:
        return None
    index = int(match.group(1)) - 1
    return offered[index][1] if 0 <= index < len(offered) else None
