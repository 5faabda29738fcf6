"""One Telegram Update handled: acknowledged if it is a tap, answered through the pipeline,
its rendered answer queued for the outbox (sent by `TelegramSender`, retried, kept across a
restart). The chat id is the outbox address only while a send is pending; everything behind
the pipeline sees a pseudonym. A `/start` with a partner's campaign code is an arrival
(bot/sharing/arrivals.py): counted, answered in the campaign's language, the code left here.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.channels.base import Inbound
from bot.channels.telegram import CHANNEL
from bot.channels.telegram.payloads import Incoming, Kind, to_incoming
from bot.clock import Clock, system_clock
from bot.outbox.replier import Replier
from bot.phrases import Phrasebook
from bot.replies import Answer, Reply
from bot.sharing.arrivals import Arrival, Arrivals

log = logging.getLogger(__name__)
HELP_PHRASE = "telegram_help"


@dataclass
class TelegramChannel:
    replier: Replier
    phrases: Phrasebook
    languages: Collection[str]
    sessions: sessionmaker[Session]
    clock: Clock = system_clock

    @cached_property
    def arrivals(self) -> Arrivals:
        return Arrivals(self.sessions, self.phrases, list(self.languages), self.clock)

    async def handle(self, update: Update) -> None:
        """Raises if answering failed, so that the webhook answers 500 and Telegram delivers
        the Update again."""
        incoming = to_incoming(update, self.languages)
        if incoming is None:
            return
        if incoming.callback_query_id and update.callback_query is not None:
            await self._acknowledge(update)
        if incoming.chat_id is None or (incoming.kind is Kind.BUTTON and not incoming.text):
            return
        arrival = await self._arrival(incoming)
        inbound = Inbound(
            CHANNEL,
            str(incoming.chat_id),
            arrival.text,
            readable=incoming.kind is not Kind.UNREADABLE,
            language=arrival.language,
        )
        await self.replier.reply(inbound, self._help_first if incoming.kind is Kind.HELP else None)
        if arrival.campaign_id is not None:  # counted once answered: a redelivery counts once
            await run_in_threadpool(self.arrivals.count, arrival.campaign_id)

    async def _arrival(self, incoming: Incoming) -> Arrival:
        """A /start with a code: the campaign's language and first topic, if a partner made
        the code; anything else as it came."""
        link = incoming.deep_link
        if incoming.kind is Kind.START and link.referral:
            return await run_in_threadpool(self.arrivals.telegram, link.referral, link.language)
        return Arrival(incoming.text, link.language)

    async def on_update(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """PTB's handler in polling mode (the webhook route calls `handle` itself)."""
        if isinstance(update, Update):
            await self.handle(update)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Polling mode's errors, logged by class only: an error's text may quote the message."""
        log.warning("Telegram update failed: %s", type(context.error).__name__)

    def _help_first(self, answer: Answer) -> Answer:
        """/help: what the commands do, in the answer's language, then the menu."""
        intro = Reply(self.phrases.get(HELP_PHRASE, answer.language))
        return Answer([intro, *answer.replies], answer.language)

    @staticmethod
    async def _acknowledge(update: Update) -> None:
        """answerCallbackQuery at once, so the button's spinner stops."""
        try:
            await update.callback_query.answer()  # type: ignore[union-attr]
        except TelegramError as error:  # too old, say: the tap itself still counts
            log.info("answerCallbackQuery failed: %s", type(error).__name__)
