"""Telegram Updates: one stored body per case and the message it becomes (or why it does not).

Each `payloads/<case>.json` is an Update as the Bot API POSTs it to a webhook
(https://core.telegram.org/bots/api#update, #setwebhook), with the fields the Bot API reference
gives each object (the page each row follows is named in the row) and the shapes of
nyaruka/courier's handlers/telegram tests. Non-ASCII text is \\u-escaped, as in the Bot API's
JSON; a command carries the `bot_command` entity clients add, except start-without-entities,
shaped like courier's sample. Ids are fake: people are 70000000N, the bot is @OurBot.

A body goes through what the webhook does: not JSON, or `shape_problem`, means refused (400);
otherwise `Update.de_json` then `to_incoming`, where None means ignored (200, nothing sent).
A callback query's `chat_id` is the chat of its message (None without one); its text is ""
when it is acknowledged but not answered (no message, not a private chat, no data).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import telegram

from bot.channels.telegram.payloads import (
    DeepLink,
    Incoming,
    Kind,
    shape_problem,
    to_incoming,
)

PAYLOADS = Path(__file__).parent / "payloads"
LANGUAGES = ["en", "fr", "ht"]
API = "https://core.telegram.org/bots/api"
DEEP_LINKS = "https://core.telegram.org/bots/features#deep-linking"
COMMANDS = "https://core.telegram.org/bots/features#commands"
JAN = 700000001
GROUP = -4700000001
QUERY = "3006477100000000001"
REFUSED = "refused"  # answered 400: not JSON, or not the shape of an Update
IGNORED = None  # answered 200, nothing sent


def incoming_of(body: bytes) -> Incoming | str | None:
    """What the webhook makes of a body."""
    try:
        data = json.loads(body)
    except ValueError:
        return REFUSED
    if shape_problem(data) is not None:
        return REFUSED
    return to_incoming(telegram.Update.de_json(data, None), LANGUAGES)


def text(words: str, chat_id: int = JAN) -> Incoming:
    return Incoming(Kind.TEXT, chat_id, words)


def unreadable() -> Incoming:
    return Incoming(Kind.UNREADABLE, JAN, "")


def command(payload: str) -> Incoming:
    return Incoming(Kind.COMMAND, JAN, payload)


def start(language: str | None = None, referral: str | None = None) -> Incoming:
    return Incoming(Kind.START, JAN, "/greet", DeepLink(language, referral))


def button(data: str, chat_id: int | None = JAN) -> Incoming:
    return Incoming(Kind.BUTTON, chat_id, data, callback_query_id=QUERY)


def row(name: str, source: str, expected: Incoming | str | None) -> Any:
    """One case: the sample's file name (also the test id), the documentation it follows
    (`source`, for the reader) and what comes out of it."""
    return pytest.param(name, expected, id=name)


CASES = [
    # --- text, captions and media in a private chat ------------------------------------------
    row("text", f"{API}#message", text("Hello, I need help. They took my passport.")),
    row(
        "text-kreyol",
        f"{API}#message",
        text("Bonjou, m bezwen èd. Yo pran paspò m nan Necoclí 🙏", chat_id=700000002),
    ),
    row("command-not-first", f"{API}#messageentity", text("please /menu")),
    row("photo", f"{API}#photosize", unreadable()),
    row("photo-with-caption", f"{API}#message", text("Sa se papye yo ban m nan")),
    row("sticker", f"{API}#sticker", unreadable()),
    row("voice", f"{API}#voice", unreadable()),
    row("location", f"{API}#location", unreadable()),
    row("contact", f"{API}#contact", unreadable()),
    # --- /start and its deep links -----------------------------------------------------------
    row("start", DEEP_LINKS, start()),
    row("start-without-entities", DEEP_LINKS, start()),  # courier's sample: no entities at all
    row("start-language-and-referral", DEEP_LINKS, start("ht", "ngo-42")),
    row("start-language-only", DEEP_LINKS, start("fr")),
    row("start-referral-only", DEEP_LINKS, start(referral="ngo-42")),
    row("start-unsupported-language", DEEP_LINKS, start(referral="es_ngo-42")),
    row("start-malformed-payload", DEEP_LINKS, start()),  # "!" is not allowed: greeted anyway
    # --- the other commands ------------------------------------------------------------------
    row("help", COMMANDS, Incoming(Kind.HELP, JAN, "/menu")),
    row("menu", COMMANDS, command("/menu")),
    row("menu-addressed", COMMANDS, command("/menu")),
    row("language", COMMANDS, command("/change_language")),
    row("delete", COMMANDS, command("/delete_my_data")),
    row("unknown-command", COMMANDS, command("/menu")),
    # --- inline button taps ------------------------------------------------------------------
    row("callback", f"{API}#callbackquery", button("/trafficking")),
    row("callback-old-message", f"{API}#inaccessiblemessage", button("/menu")),
    row("callback-without-data", f"{API}#callbackquery", button("", chat_id=None)),
    row("callback-without-message", f"{API}#callbackquery", button("", chat_id=None)),
    row("callback-in-group", f"{API}#callbackquery", button("", chat_id=None)),
    # --- ignored -----------------------------------------------------------------------------
    row("edited-message", f"{API}#update", IGNORED),
    row("group-message", f"{API}#chat", IGNORED),
    row("supergroup-start", f"{API}#chat", IGNORED),
    row("channel-post", f"{API}#update", IGNORED),
    row("blocked-by-user", f"{API}#chatmemberupdated", IGNORED),
    row("only-update-id", f"{API}#update", IGNORED),
    # --- refused -----------------------------------------------------------------------------
    row("broken-not-json", f"{API}#setwebhook", REFUSED),
    row("broken-array", f"{API}#getupdates", REFUSED),  # getUpdates' list, not one Update
    row("broken-no-update-id", f"{API}#update", REFUSED),  # a Message without its Update
    row("broken-chat-id-string", f"{API}#chat", REFUSED),
]


@pytest.mark.parametrize(("name", "expected"), CASES)
def test_update(name: str, expected: Incoming | str | None) -> None:
    assert incoming_of((PAYLOADS / f"{name}.json").read_bytes()) == expected


@pytest.mark.parametrize("name", ["broken-no-update-id", "broken-chat-id-string"])
def test_a_refusal_quotes_nothing_from_the_body(name: str) -> None:
    """The reason goes back in the 400 and into logs: no chat id, no name, no text."""
    problem = shape_problem(json.loads((PAYLOADS / f"{name}.json").read_bytes()))
    assert problem is not None
    assert [value for value in ("700000001", "Jan", "Bonjou") if value in problem] == []


def test_every_stored_payload_is_in_the_table() -> None:
    stored = {path.stem for path in PAYLOADS.glob("*.json")}
    assert stored == {p.values[0] for p in CASES}
