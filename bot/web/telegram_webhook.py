"""Telegram's webhook route and the PTB Application's life inside the gateway's lifespan.

Webhook mode (PUBLIC_BASE_URL set): Telegram POSTs each Update to /webhooks/telegram with the
secret we gave setWebhook in X-Telegram-Bot-Api-Secret-Token. The Update is processed before
we answer 200, so a crash answers 500 and Telegram delivers it again; the update_id is
deduplicated, so a redelivery after a success is answered once.
Polling mode (a laptop, no public address): PTB's Updater asks getUpdates instead.
https://core.telegram.org/bots/api#setwebhook, https://core.telegram.org/bots/api#getupdates
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError
from sqlalchemy import delete
from starlette.concurrency import run_in_threadpool
from telegram import Update
from telegram.error import TelegramError

from bot.channels.telegram import (
    ALLOWED_UPDATES,
    CHANNEL,
    TelegramApp,
    TelegramChannel,
    TelegramSender,
    build_application,
)
from bot.config import Settings
from bot.store.deliveries import first_delivery
from bot.store.models import ProcessedMessage

log = logging.getLogger(__name__)
PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name

# --- the shape we rely on, checked before PTB parses anything -------------------------------
# PTB's de_json trusts its input; a wrong type would surface as a crash deep in a handler.


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


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error": message}, status_code=status)


# --- the running Application ----------------------------------------------------------------


@dataclass
class TelegramRuntime:
    application: TelegramApp
    channel: TelegramChannel
    sessions: Any

    def parse(self, data: dict[str, Any]) -> Update:
        return Update.de_json(data, self.application.bot)

    async def process(self, update: Update) -> bool:
        """Handle one Update; False if it was a redelivery. Raises if a handler failed, after
        forgetting the update_id, so that Telegram's next delivery is handled."""
        update_id = update.update_id
        if not await run_in_threadpool(self._first, update_id):
            return False
        self.channel.in_flight.add(update_id)
        try:
            await self.application.process_update(update)
            failure = self.channel.failures.pop(update_id, None)
            if failure is not None:
                raise failure
        except BaseException:
            await run_in_threadpool(self._forget, update_id)
            raise
        finally:
            self.channel.in_flight.discard(update_id)
            self.channel.failures.pop(update_id, None)
        return True

    def _first(self, update_id: int) -> bool:
        with self.sessions() as session, session.begin():
            return first_delivery(session, CHANNEL, str(update_id))

    def _forget(self, update_id: int) -> None:
        with self.sessions() as session, session.begin():
            session.execute(
                delete(ProcessedMessage).where(
                    ProcessedMessage.channel == CHANNEL,
                    ProcessedMessage.external_id == str(update_id),
                )
            )


class _RedactToken(logging.Filter):
    """httpx logs request URLs, and the Bot API puts the token in the URL."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._token in message:
            record.msg, record.args = message.replace(self._token, "<TELEGRAM_BOT_TOKEN>"), ()
        return True


_REDACTED_LOGGERS = ("httpx", "httpcore", "telegram")


async def _start(application: TelegramApp, settings: Settings) -> bool:
    """Initialise (getMe), then poll or point the webhook at us. False, logged, if the Bot
    API does not answer: the gateway still serves the web chat and WhatsApp."""
    try:
        await application.initialize()
        if settings.telegram_polling and application.updater is not None:
            await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        elif settings.public_base_url and settings.telegram_webhook_secret:
            await application.bot.set_webhook(
                url=settings.public_base_url.rstrip("/") + PATH,
                secret_token=settings.telegram_webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
        await application.start()
    except TelegramError as error:
        log.error("Telegram is off: the Bot API did not answer (%s)", type(error).__name__)
        await _stop(application)
        return False
    mode = "polling" if settings.telegram_polling else "webhook"
    log.info("Telegram bot @%s running (%s)", application.bot.username, mode)
    return True


async def _stop(application: TelegramApp) -> None:
    try:
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()
    except TelegramError as error:  # shutting down: nothing left to do about it
        log.warning("Telegram shutdown: %s", type(error).__name__)


@asynccontextmanager
async def running(state: Any, settings: Settings) -> AsyncIterator[None]:
    """For the gateway's lifespan: with TELEGRAM_BOT_TOKEN set, the Application runs (and the
    outbox can send to Telegram) until the block ends; without it, nothing happens."""
    state.telegram = None
    token = settings.telegram_bot_token
    if not token:
        yield
        return
    redact = _RedactToken(token)
    for name in _REDACTED_LOGGERS:
        logging.getLogger(name).addFilter(redact)
    channel = TelegramChannel(service=state.channel_service, outbox=state.outbox)
    application = build_application(
        token, settings.telegram_api_base, channel, polling=settings.telegram_polling
    )
    started = await _start(application, settings)
    try:
        if started:
            state.outbox.register(TelegramSender(application.bot))
            state.telegram = TelegramRuntime(application, channel, state.channel_service.sessions)
        yield
    finally:
        state.telegram = None
        if started:
            await _stop(application)
        for name in _REDACTED_LOGGERS:
            logging.getLogger(name).removeFilter(redact)


def router(settings: Settings) -> APIRouter:
    routes = APIRouter()

    @routes.post(PATH, include_in_schema=False)
    async def telegram_webhook(request: Request) -> JSONResponse:
        """Verify, parse, process, then 200; every refusal says why in JSON."""
        expected = settings.telegram_webhook_secret
        if not settings.telegram_bot_token or not expected:
            return _error(
                503,
                "Telegram webhook not configured: set TELEGRAM_BOT_TOKEN and "
                "TELEGRAM_WEBHOOK_SECRET",
            )
        given = request.headers.get(SECRET_HEADER, "")
        if not secrets.compare_digest(given.encode(), expected.encode()):
            return _error(403, f"wrong or missing {SECRET_HEADER}")
        runtime: TelegramRuntime | None = getattr(request.app.state, "telegram", None)
        if runtime is None:
            return _error(503, "Telegram is not running: the Bot API did not answer at start-up")
        try:
            data = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            return _error(400, "the body is not valid JSON")
        problem = shape_problem(data)
        if problem is not None:
            return _error(400, problem)
        try:
            update = runtime.parse(data)
        except Exception as error:  # noqa: BLE001 - a nested shape our check let through
            log.warning("Telegram update refused: %s", type(error).__name__)
            return _error(400, "not a Telegram Update python-telegram-bot can read")
        try:
            handled = await runtime.process(update)
        except Exception as error:  # noqa: BLE001 - answered 500 so that Telegram retries
            log.error("Telegram update failed: %s", type(error).__name__)
            return _error(500, "the update could not be processed; Telegram will deliver it again")
        return JSONResponse({"ok": True, "duplicate": not handled})

    return routes
