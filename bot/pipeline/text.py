"""What a message is before anyone answers it: clean text, a button's payload or prose."""

from __future__ import annotations

import json
import re

from bot.languages import fold

COUNTRY_PAYLOAD = re.compile(r"^/country(\{.*\})$")
_DIGIT_ANSWER = re.compile(r"^\s*#?(\d{1,2})\s*[.)]?\s*$")


# C0 and C1 control characters and DEL, except tab and newline (carriage returns become
# newlines first): a NUL breaks PostgreSQL's text columns, an escape sequence a log line.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile(r"\r\n?")


def clean_text(text: str) -> str:
    """What a person wrote, as text every part behind the edge can hold: lone surrogates
    (valid JSON, "\\ud800", but not encodable as UTF-8: spaCy, SQLite and httpx all raise
    on them) become U+FFFD, control characters other than tab and newline go. Every channel's
    `Inbound` is made of this (bot/channels/base.py), so the store, Rasa and the logs never
    see the raw bytes. Idempotent, and the identity on ordinary text."""
    if text.isprintable():
        return text
    # UTF-16 with surrogatepass joins a pair split into two code points and keeps a lone
    # one; decoding with "replace" then turns only the lone ones into U+FFFD.
    whole = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return _CONTROL.sub("", _LINE_BREAK.sub("\n", whole))


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
