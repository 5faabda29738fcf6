"""Telegram Updates as plain values: what one Update asks of us (`Incoming`), or nothing.

Pure functions of the Update, so tests/channels/telegram/ runs them on captured payloads without
a gateway or a bot. The JSON's shape is checked before PTB parses anything: PTB's de_json trusts
its input, and a wrong type would surface as a crash deep in a handler.
https://core.telegram.org/bots/api#update, #message, #callbackquery
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError
from telegram import Chat, Message, MessageEntity, Update

# https://core.telegram.org/bots/features#deep-linking: start parameter, [A-Za-z0-9_-]{1,64}.
_DEEP_LINK = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_REFERRAL = re.compile(r"^[A-Za-z0-9_-]{1,48}$")  # room for "referral:" in a 64-char counter
_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@\w+)?(?:\s+(.*))?$", re.DOTALL)

GREET_PAYLOAD = "/greet"
MENU_PAYLOAD = "/menu"
# Commands offered in the bot's menu (docs/channels.md has them for BotFather's /setcommands).
COMMAND_PAYLOADS = {
    "menu": MENU_PAYLOAD,
    "language": "/change_language",
    "delete": "/delete_my_data",
    "privacy": "/privacy",
}
# Only what we answer: Telegram then never sends edited messages, channel posts and the like.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]


# --- the shape we rely on, checked before PTB parses anything -------------------------------


class _Object(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Chat(_Object):
    id: StrictInt
    type: StrictStr


class _User(_Object):
    id: StrictInt


class _Message(_Object):
    message_id: StrictInt
    date: StrictInt
    chat: _Chat
    from_: _User | None = Field(default=None, alias="from")
    text: StrictStr | None = None
    caption: StrictStr | None = None


class _CallbackQuery(_Object):
    id: StrictStr
    from_: _User = Field(alias="from")
    message: _Message | None = None
    data: StrictStr | None = None


class _Update(_Object):
    update_id: StrictInt = Field(ge=0)
    message: _Message | None = None
    edited_message: _Message | None = None
    channel_post: _Message | None = None
    edited_channel_post: _Message | None = None
    callback_query: _CallbackQuery | None = None


def shape_problem(data: Any) -> str | None:
    """What is wrong with a JSON body as a Telegram Update, quoting no value from it."""
    if not isinstance(data, dict):
        return "the body must be a JSON object (a Telegram Update)"
    try:
        _Update.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        return f"not a Telegram Update: {where}: {first['msg']}"
    return None


# --- deep links -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeepLink:
    """What https://t.me/<bot>?start=ht_ngo-42 carries: a language and a referral code."""

    language: str | None = None
    referral: str | None = None


def parse_deep_link(payload: str, languages: Collection[str]) -> DeepLink:
    """`ht_CODE`, `ht` or `CODE`; anything malformed is ignored rather than refused."""
    if not _DEEP_LINK.match(payload):
        return DeepLink()
    head, _, rest = payload.partition("_")
    if head in languages:
        return DeepLink(head, rest if _REFERRAL.match(rest) else None)
    return DeepLink(None, payload if _REFERRAL.match(payload) else None)


# --- what an Update asks of us ----------------------------------------------------------------


class Kind(StrEnum):
    TEXT = "text"  # typed text, or a media caption
    UNREADABLE = "unreadable"  # a photo, sticker, voice note, location... without a caption
    COMMAND = "command"  # /menu, /language, /delete; any other command shows the menu
    START = "start"  # /start [deep link]: a greeting, maybe a language and a referral
    HELP = "help"  # /help: what the commands do, then the menu
    BUTTON = "button"  # a tap on an inline button: acknowledged, then its data answered


@dataclass(frozen=True)
class Incoming:
    kind: Kind
    chat_id: int | None  # the address, for the answer; never logged, never stored
    text: str  # what the pipeline answers; "" for a tap that is only acknowledged
    deep_link: DeepLink = field(default_factory=DeepLink)
    callback_query_id: str | None = None  # answered with answerCallbackQuery


def _command(message: Message) -> tuple[str, str] | None:
    """A command's name and arguments ("/start ht_x" -> ("start", "ht_x")), as PTB's
    CommandHandler sees one: a bot_command entity at the start, or, when a client sent no
    entities, text shaped like one."""
    text = message.text or ""
    entities = message.entities
    starts_with_command = bool(entities) and (
        entities[0].type == MessageEntity.BOT_COMMAND and entities[0].offset == 0
    )
    match = _COMMAND.match(text)
    if match is None or not (starts_with_command or not entities):
        return None
    return match.group(1).lower(), (match.group(2) or "").strip()


def _from_message(message: Message, languages: Collection[str]) -> Incoming:
    chat_id = message.chat.id
    command = _command(message)
    if command is not None:
        name, arguments = command
        if name == "start":
            link = parse_deep_link(arguments.split()[0] if arguments else "", languages)
            return Incoming(Kind.START, chat_id, GREET_PAYLOAD, deep_link=link)
        if name == "help":
            return Incoming(Kind.HELP, chat_id, MENU_PAYLOAD)
        return Incoming(Kind.COMMAND, chat_id, COMMAND_PAYLOADS.get(name, MENU_PAYLOAD))
    if message.text:
        return Incoming(Kind.TEXT, chat_id, message.text)
    if message.caption:
        return Incoming(Kind.TEXT, chat_id, message.caption)
    return Incoming(Kind.UNREADABLE, chat_id, "")


def to_incoming(update: Update, languages: Collection[str]) -> Incoming | None:
    """Private chats only (groups, supergroups and channels are ignored), new messages only
    (an edited message is not a new question); None for anything we do not answer."""
    query = update.callback_query
    if query is not None:
        chat = query.message.chat if query.message else None
        if chat is None or chat.type != Chat.PRIVATE or not query.data:
            # Acknowledged so the spinner stops; no address, so nothing can answer a group.
            return Incoming(Kind.BUTTON, None, "", callback_query_id=query.id)
        return Incoming(Kind.BUTTON, chat.id, query.data, callback_query_id=query.id)
    message = update.message
    if message is None or message.chat.type != Chat.PRIVATE:
        return None
    return _from_message(message, languages)
