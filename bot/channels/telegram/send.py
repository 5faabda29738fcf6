"""The outbox's Telegram sender: one sendMessage per stored payload, through PTB's Bot."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.channels.base import SendError
from bot.channels.telegram import CHANNEL

# What PTB wraps (its exception's __cause__): a request that never reached Telegram, or one
# written whose answer never came (bot/outbox/worker.py says what each means).
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_UNKNOWN = (httpx.ReadTimeout, httpx.WriteTimeout, httpx.ReadError, httpx.RemoteProtocolError)


def send_error(error: TelegramError) -> SendError:
    """PTB's exceptions as the outbox's decision: wait and retry, or give up.

    https://core.telegram.org/bots/api#responseparameters (retry_after on 429);
    BadRequest is a subclass of NetworkError in PTB, so it is tested first. A NetworkError
    without an httpx cause is Telegram's own 5xx answer.
    """
    if isinstance(error, RetryAfter):
        wait = error.retry_after
        seconds = wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
        return SendError("429", retryable=True, retry_after=seconds)
    if isinstance(error, Forbidden):  # blocked by the person, or the chat is gone
        return SendError("forbidden", retryable=False)
    if isinstance(error, BadRequest | InvalidToken | ChatMigrated):
        return SendError(type(error).__name__.lower(), retryable=False)
    cause = error.__cause__
    if isinstance(cause, _NOT_SENT):
        return SendError("connect error", retryable=True)
    if isinstance(cause, _UNKNOWN):
        timed_out = isinstance(cause, httpx.TimeoutException)
        return SendError("read timeout" if timed_out else "connection lost", retryable=True)
    if isinstance(error, NetworkError) and not isinstance(cause, httpx.HTTPError):
        return SendError("telegram 5xx", retryable=True)
    return SendError(type(error).__name__.lower(), retryable=True)


class TelegramSender:
    """Sends the rendered payloads; the chat id is the outbox address."""

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
