"""PTB's Application inside the gateway's lifespan, and one Update processed exactly once.

Webhook mode (PUBLIC_BASE_URL set): Telegram POSTs each Update to /webhooks/telegram with the
secret we gave setWebhook in X-Telegram-Bot-Api-Secret-Token. The Update is processed before
we answer 200, so a crash answers 500 and Telegram delivers it again; the update_id is
deduplicated, so a redelivery after a success is answered once.
Polling mode (a laptop, no public address): PTB's Updater asks getUpdates instead.
https://core.telegram.org/bots/api#setwebhook, https://core.telegram.org/bots/api#getupdates
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.concurrency import run_in_threadpool
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, TypeHandler

from bot.channels.telegram import CHANNEL
from bot.channels.telegram.channel import TelegramChannel
from bot.channels.telegram.payloads import ALLOWED_UPDATES
from bot.channels.telegram.render import render_answer
from bot.channels.telegram.send import TelegramSender
from bot.config import Settings
from bot.store import deliveries
from bot.web.services import Services

log = logging.getLogger(__name__)
PATH = "/webhooks/telegram"
TelegramApp = Application[Any, Any, Any, Any, Any, Any]
_REDACTED_LOGGERS = ("httpx", "httpcore", "telegram")
RASA_POLL_SECONDS = 1.0


@dataclass
class TelegramRuntime:
    application: TelegramApp
    channel: TelegramChannel
    services: Services

    def parse(self, data: dict[str, Any]) -> Update:
        return Update.de_json(data, self.application.bot)

    async def process(self, update: Update) -> bool:
        """Handle one Update; False if it was a redelivery. Raises if handling failed, after
        forgetting the update_id, so that Telegram's next delivery is handled."""
        update_id = str(update.update_id)
        if not await run_in_threadpool(self._first, update_id):
            return False
        try:
            await self.channel.handle(update)
        except BaseException:
            await run_in_threadpool(self._forget, update_id)
            raise
        return True

    def _first(self, update_id: str) -> bool:
        with self.services.sessions() as session, session.begin():
            return deliveries.first_delivery(session, CHANNEL, update_id, self.services.clock())

    def _forget(self, update_id: str) -> None:
        with self.services.sessions() as session, session.begin():
            deliveries.forget(session, CHANNEL, update_id)


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
    application.add_handler(TypeHandler(Update, channel.on_update))
    application.add_error_handler(channel.on_error)
    return application


async def _start(application: TelegramApp, settings: Settings) -> bool:
    """Initialise (getMe), then poll or point the webhook at us. False, logged, if the Bot
    API does not answer: the gateway still serves the web chat and WhatsApp."""
    try:
        await application.initialize()
        if settings.public_base_url and settings.telegram_webhook_secret:
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
    mode = "polling once Rasa answers" if settings.telegram_polling else "webhook"
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


async def _poll_when_rasa_answers(application: TelegramApp, services: Services) -> None:
    """Polling takes the waiting updates only once Rasa answers: fetched while Rasa is still
    loading its model (about 20 s after a restart), they would only get a note, not the
    answer. (In webhook mode Telegram pushes; a message Rasa cannot answer yet is held.)"""
    health = services.settings.rasa_urls[0].rstrip("/") + "/"
    while True:
        with contextlib.suppress(httpx.HTTPError):
            if (await services.http.get(health, timeout=2.0)).status_code == 200:
                break
        await asyncio.sleep(RASA_POLL_SECONDS)
    if application.updater is not None:
        try:
            await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        except TelegramError as error:
            log.error("Telegram polling did not start (%s)", type(error).__name__)
            return
        log.info("Telegram polling started: Rasa answers")


@asynccontextmanager
async def running(services: Services) -> AsyncIterator[TelegramRuntime | None]:
    """For the gateway's lifespan: with TELEGRAM_BOT_TOKEN set, the Application runs (and the
    outbox can send to Telegram) until the block ends; without it, None."""
    settings = services.settings
    token = settings.telegram_bot_token
    if not token:
        yield None
        return
    redact = _RedactToken(token)
    for name in _REDACTED_LOGGERS:
        logging.getLogger(name).addFilter(redact)
    words = services.words
    channel = TelegramChannel(
        services.replier,
        words.phrases,
        words.languages.codes,
        services.sessions,
        services.clock,
    )
    application = build_application(
        token, settings.telegram_api_base, channel, polling=settings.telegram_polling
    )
    started = await _start(application, settings)
    try:
        runtime = None
        polling = None
        if started:
            services.outbox.register(TelegramSender(application.bot))
            services.replier.register(CHANNEL, render_answer)
            runtime = TelegramRuntime(application, channel, services)
            if settings.telegram_polling:
                polling = asyncio.create_task(_poll_when_rasa_answers(application, services))
        yield runtime
    finally:
        if polling is not None:
            polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await polling
        if started:
            await _stop(application)
        for name in _REDACTED_LOGGERS:
            logging.getLogger(name).removeFilter(redact)
