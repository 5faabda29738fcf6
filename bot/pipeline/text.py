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


# A phone number (7 digits or more, with the spaces, dots, dashes and brackets people put in)
# or an e-mail address. Short numbers stay: "911", an age, "2" for an option.
_CONTACT = re.compile(
    r"\+?\d(?:[\s.\-()]{0,2}\d){6,}"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
)


def without_contact_details(text: str) -> str:
    """The text without phone numbers and e-mail addresses: Rasa's tracker keeps what it is
    sent for days, and no intent needs them (issue 16: "the gateway sends Rasa only what it
    needs")."""
    return " ".join(_CONTACT.sub(" ", text).split())


def for_nlu(text: str) -> str:
    """Prose goes to Rasa folded (lower case, no accents), the way most people type and most
    training examples are written: "yo pran paspò m" and "yo pran paspo m" must mean the same;
    and without contact details."""
    return text if is_payload(text) else fold(without_contact_details(text))


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
