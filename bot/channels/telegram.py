"""Telegram through python-telegram-bot v22: Updates in, sendMessage payloads out.

The edge for Telegram, as courier's handlers are for theirs: the PTB handlers below turn an
Update from a private chat into an `Inbound` (commands become the payloads Rasa knows), and
`render` turns the assistant's replies into sendMessage parameters (HTML, 4,096 characters,
an inline keyboard). Replies go into the persisted outbox and `TelegramSender` sends them, so
a Bot API hiccup is retried and a restart loses nothing. The chat id is the outbox address
only while a send is pending; everything behind ChannelService sees a pseudonym.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool
from telegram import (
    Bot,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Update,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels.base import Inbound, SendError
from bot.channels.outbox_worker import OutboxWorker
from bot.channels.service import ChannelService
from bot.channels.splitting import split_message
from bot.replies import Button, Reply
from bot.store import conversations, outbox
from bot.store.deliveries import count_event

log = logging.getLogger(__name__)

CHANNEL = "telegram"
# https://core.telegram.org/bots/api#sendmessage: "1-4096 characters after entities parsing",
# counted in UTF-16 code units (https://core.telegram.org/api/entities#entity-length).
MAX_TEXT_CHARS = 4096
# https://core.telegram.org/bots/api#inlinekeyboardbutton: callback_data is 1-64 bytes.
MAX_CALLBACK_DATA_BYTES = 64
# Two buttons share a row only when both titles fit half a cheap phone's width.
SHORT_TITLE_CHARS = 14
# https://core.telegram.org/bots/features#deep-linking: start parameter, [A-Za-z0-9_-]{1,64}.
_DEEP_LINK = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_REFERRAL = re.compile(r"^[A-Za-z0-9_-]{1,48}$")  # room for "referral:" in a 64-char counter
_BOLD = re.compile(r"\*(\S|\S[^*\n]*\S)\*")  # "a * b * c" is not bold

GREET_PAYLOAD = "/greet"
MENU_PAYLOAD = "/menu"
OPT_IN_WORD = "start"  # a /start from a person who wrote STOP earlier means "start again"
# Commands offered in the bot's menu (docs/channels.md has them for BotFather's /setcommands).
COMMAND_PAYLOADS = {
    "menu": MENU_PAYLOAD,
    "language": "/change_language",
    "delete": "/delete_my_data",
}
# Only what we answer: Telegram then never sends edited messages, channel posts and the like.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]


# --- rendering ------------------------------------------------------------------------------


def to_html(text: str) -> str:
    """Our Markdown subset as Telegram HTML: escaped first, then *bold* and "- " bullets.

    https://core.telegram.org/bots/api#html-style: only <, > and & must be escaped.
    """
    lines = []
    for raw in text.strip().splitlines():
        line = html.escape(raw.strip(), quote=False)
        if line.startswith("- "):
            line = "• " + line[2:]
        lines.append(_BOLD.sub(r"<b>\1</b>", line))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def utf16_length(text: str) -> int:
    """Telegram's own measure: an emoji outside the BMP counts twice."""
    return len(text.encode("utf-16-le")) // 2


def _visible(markdown: str) -> str:
    return re.sub(r"<[^>]+>", "", html.unescape(to_html(markdown)))


def split_for_telegram(text: str) -> list[str]:
    """Messages of at most 4,096 visible characters, cut at sentences by split_message."""
    limit = MAX_TEXT_CHARS
    while True:
        parts = split_message(text, limit)
        if limit <= 512 or all(utf16_length(_visible(p)) <= MAX_TEXT_CHARS for p in parts):
            return parts
        limit -= 256


def callback_data(button: Button, number: int) -> str:
    """The payload itself when it fits 64 bytes, else its 1-based number, which the channel
    service resolves to the option offered (as it does for a digit typed on WhatsApp)."""
    if 0 < len(button.payload.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
        return button.payload
    return str(number)


def keyboard(buttons: Sequence[tuple[Button, int]]) -> dict[str, Any]:
    """An inline keyboard: one button per row, two when both titles are short."""
    rows: list[list[dict[str, str]]] = []
    for button, number in buttons:
        key = {"text": button.title, "callback_data": callback_data(button, number)}
        last = rows[-1] if rows else None
        if (
            last is not None
            and len(last) == 1
            and len(last[0]["text"]) <= SHORT_TITLE_CHARS
            and len(button.title) <= SHORT_TITLE_CHARS
        ):
            last.append(key)
        else:
            rows.append([key])
    return {"inline_keyboard": rows}


def render(replies: Sequence[Reply]) -> list[dict[str, Any]]:
    """sendMessage parameters (without chat_id: that is the outbox address), one or more per
    reply; a reply's buttons go on its last message, numbered across the whole answer."""
    payloads: list[dict[str, Any]] = []
    number = 0
    for reply in replies:
        numbered = []
        for button in reply.buttons:
            number += 1
            numbered.append((button, number))
        parts = split_for_telegram(reply.text) if reply.text.strip() else []
        if not parts and numbered:
            parts = ["…"]  # a keyboard needs a message to hang on
        for index, part in enumerate(parts):
            payload: dict[str, Any] = {
                "text": to_html(part),
                "parse_mode": "HTML",
                # Previews of every source link cost data on a prepaid phone plan.
                "link_preview_options": {"is_disabled": True},
            }
            if numbered and index == len(parts) - 1:
                payload["reply_markup"] = keyboard(numbered)
            payloads.append(payload)
    return payloads


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


# --- sending ----------------------------------------------------------------------------------


def send_error(error: TelegramError) -> SendError:
    """PTB's exceptions as the outbox's decision: wait and retry, or give up.

    https://core.telegram.org/bots/api#responseparameters (retry_after on 429);
    BadRequest is a subclass of NetworkError in PTB, so it is tested first.
    """
    if isinstance(error, RetryAfter):
        wait = error.retry_after
        seconds = wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
        return SendError("429", retryable=True, retry_after=seconds)
    if isinstance(error, Forbidden):  # blocked by the person, or the chat is gone
        return SendError("forbidden", retryable=False)
    if isinstance(error, BadRequest | InvalidToken | ChatMigrated):
        return SendError(type(error).__name__.lower(), retryable=False)
    if isinstance(error, NetworkError):  # TimedOut, 5xx, connection refused
        return SendError(type(error).__name__.lower(), retryable=True)
    return SendError(type(error).__name__.lower(), retryable=True)


class TelegramSender:
    """The outbox's Telegram sender: one sendMessage per stored payload, through PTB's Bot."""

    channel = CHANNEL

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send(self, address: str, payload: dict[str, Any]) -> None:
        markup = payload.get("reply_markup")
        preview = payload.get("link_preview_options")
        try:
            await self._bot.send_message(
                chat_id=int(address),
                text=str(payload["text"]),
                parse_mode=payload.get("parse_mode"),
                reply_markup=InlineKeyboardMarkup.de_json(markup, self._bot) if markup else None,
                link_preview_options=LinkPreviewOptions(**preview) if preview else None,
            )
        except TelegramError as error:
            raise send_error(error) from None  # PTB's text may quote the chat; keep it out


# --- receiving --------------------------------------------------------------------------------

Context = ContextTypes.DEFAULT_TYPE
TelegramApp = Application[Any, Any, Any, Any, Any, Any]


@dataclass
class TelegramChannel:
    """The PTB handlers: each turns one kind of Update into text for ChannelService and
    queues the rendered answer. Errors are kept per update for the webhook to see."""

    service: ChannelService
    outbox: OutboxWorker
    # update_id -> the error a handler raised, for updates the webhook is processing now
    # (PTB hands handler errors to error handlers instead of raising them).
    failures: dict[int, BaseException] = field(default_factory=dict)
    in_flight: set[int] = field(default_factory=set)

    @property
    def _languages(self) -> Collection[str]:
        return self.service.assistant.languages.codes

    async def answer(
        self, chat_id: int, text: str, *, readable: bool = True, before: Sequence[Reply] = ()
    ) -> None:
        """Ask the assistant and queue the rendered answer for the outbox."""
        address = str(chat_id)
        replies = await self.service.answer(Inbound(CHANNEL, address, text, readable))
        if not replies:
            return  # opted out, or nothing to say
        payloads = render([*before, *replies])
        await run_in_threadpool(self._enqueue, address, payloads)
        self.outbox.wake()

    def _enqueue(self, address: str, payloads: list[dict[str, Any]]) -> None:
        with self.service.sessions() as session, session.begin():
            outbox.enqueue(session, CHANNEL, address, payloads)

    async def start(self, update: Update, context: Context) -> None:
        """/start and /start <deep link>: remember the chosen language, count the referral,
        greet."""
        chat = update.effective_chat
        if chat is None:
            return
        link = parse_deep_link(context.args[0] if context.args else "", self._languages)
        pseudonym = self.service.pseudonym(Inbound(CHANNEL, str(chat.id), ""))
        opted_out = await run_in_threadpool(self._arrive_by_link, pseudonym, link)
        await self.answer(chat.id, OPT_IN_WORD if opted_out else GREET_PAYLOAD)

    def _arrive_by_link(self, pseudonym: str, link: DeepLink) -> bool:
        with self.service.sessions() as session, session.begin():
            if link.language:
                conversations.set_language(session, pseudonym, link.language, conversations.CHOSEN)
            if link.referral:
                count_event(session, CHANNEL, f"referral:{link.referral}")
            conversation = conversations.get(session, pseudonym)
            return bool(conversation and conversation.opted_out)

    async def command(self, update: Update, context: Context) -> None:
        """/menu, /language, /delete: the payload of the matching button."""
        message = update.effective_message
        if message is None or not message.text:
            return
        name = message.text.split()[0].lstrip("/").split("@")[0].lower()
        await self.answer(message.chat_id, COMMAND_PAYLOADS.get(name, MENU_PAYLOAD))

    async def help(self, update: Update, context: Context) -> None:
        """/help: what the commands do, then the menu."""
        chat = update.effective_chat
        if chat is None:
            return
        inbound = Inbound(CHANNEL, str(chat.id), "")
        language = await run_in_threadpool(self.service.language_of, inbound)
        intro = Reply(self.service.phrases.get("telegram_help", language))
        await self.answer(chat.id, MENU_PAYLOAD, before=[intro])

    async def text(self, update: Update, context: Context) -> None:
        """A text message in a private chat."""
        message = update.effective_message
        if message is not None and message.text:
            await self.answer(message.chat_id, message.text)

    async def other(self, update: Update, context: Context) -> None:
        """A photo, voice note, location, sticker...: its caption if it has one, else the kind
        "I can only read text" answer."""
        message = update.effective_message
        if message is None:
            return
        if message.caption:
            await self.answer(message.chat_id, message.caption)
        else:
            await self.answer(message.chat_id, "", readable=False)

    async def callback(self, update: Update, context: Context) -> None:
        """A tap on an inline button: answered at once (the spinner stops), then handled
        like the payload typed."""
        query = update.callback_query
        if query is None:
            return
        try:
            await query.answer()
        except TelegramError as error:  # too old, say: the tap itself still counts
            log.info("answerCallbackQuery failed: %s", type(error).__name__)
        chat = query.message.chat if query.message else None
        if chat is None or chat.type != chat.PRIVATE or not query.data:
            return
        await self.answer(chat.id, query.data)

    async def on_error(self, update: object, context: Context) -> None:
        """Kept for the webhook (which answers 500 so Telegram delivers again); logged by
        class only, since an error's text may quote the message."""
        error = context.error
        log.warning("Telegram update failed: %s", type(error).__name__)
        if isinstance(update, Update) and update.update_id in self.in_flight and error:
            self.failures[update.update_id] = error


def add_handlers(application: TelegramApp, channel: TelegramChannel) -> None:
    """Private chats only (groups, supergroups and channels are ignored), new messages only
    (an edited message is not a new question)."""
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    application.add_handlers(
        [
            CommandHandler("start", channel.start, filters=private),
            CommandHandler("help", channel.help, filters=private),
            CommandHandler(list(COMMAND_PAYLOADS), channel.command, filters=private),
            MessageHandler(private & filters.COMMAND, channel.command),  # unknown: the menu
            MessageHandler(private & filters.TEXT, channel.text),
            MessageHandler(private, channel.other),
            CallbackQueryHandler(channel.callback),
        ]
    )
    application.add_error_handler(channel.on_error)


def build_application(
    token: str, api_base: str, channel: TelegramChannel, *, polling: bool
) -> TelegramApp:
    """PTB's Application against `api_base` (Telegram's, or a local fake in tests); without
    its Updater in webhook mode, since our ASGI app receives the updates."""
    base = api_base.rstrip("/")
    builder = (
        Application.builder().token(token).base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
    )
    if not polling:
        builder = builder.updater(None)
    application = builder.build()
    add_handlers(application, channel)
    return application
