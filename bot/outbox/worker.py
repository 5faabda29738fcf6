"""Sends the outbox through each channel's API, with retries and backoff.

One worker task per gateway. A message that fails with a retryable error (429, 5xx, network)
waits (exponential backoff with jitter, or the platform's Retry-After) and blocks the later
messages to the same person, so "(2/2)" never arrives before "(1/2)".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.orm import Session, sessionmaker

from bot import observability
from bot.channels.base import Sender, SendError
from bot.clock import Clock, system_clock
from bot.outbox import queue
from bot.store import deliveries
from bot.store.models import OutboxMessage

log = logging.getLogger(__name__)
IDLE_POLL_SECONDS = 1.0
FORGET_IDS_EVERY_SECONDS = 3600.0


class OutboxWorker:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock = system_clock) -> None:
        self._sessions = sessions
        self._clock = clock
        self._senders: dict[str, Sender] = {}
        self._wake = asyncio.Event()

    def register(self, sender: Sender) -> None:
        """A channel that sends through an API (WhatsApp's Messages API, Telegram)."""
        self._senders[sender.channel] = sender

    def wake(self) -> None:
        """Something was queued: send now rather than at the next poll."""
        self._wake.set()

    async def run_once(self) -> int:
        """One pass over every channel's queue; returns how many messages went out."""
        sent = 0
        for channel, sender in list(self._senders.items()):
            sent += await self._drain(channel, sender)
        return sent

    async def _drain(self, channel: str, sender: Sender) -> int:
        with self._sessions() as session:
            rows = queue.pending(session, channel)
        sent = 0
        blocked: set[str | None] = set()
        for row in rows:
            if row.address in blocked or not queue.is_due(row, self._clock()):
                blocked.add(row.address)
                continue
            if await self._send(sender, row):
                sent += 1
            else:
                blocked.add(row.address)
        return sent

    async def _send(self, sender: Sender, row: OutboxMessage) -> bool:
        error: SendError | None = None
        try:
            with observability.timer(observability.SEND):
                await sender.send(row.address or "", row.payload)
        except SendError as caught:
            error = caught
        except Exception as unexpected:  # noqa: BLE001 - one bad message must not stop the queue
            error = SendError(type(unexpected).__name__, retryable=True)
        observability.send_failed(error)
        with self._sessions() as session, session.begin():
            stored = session.get(OutboxMessage, row.id)
            if stored is None:
                return error is None
            if error is None:
                session.delete(stored)
                return True
            log.warning(
                "%s send failed (%s), attempt %d", sender.channel, error.kind, stored.attempts + 1
            )
            if error.retryable:
                queue.retry_later(stored, error.kind, error.retry_after, self._clock())
            else:
                queue.give_up(stored, error.kind)
        return False

    def forget_old_ids(self) -> int:
        """Webhook ids older than the platforms' redelivery horizon are not needed any more."""
        with self._sessions() as session, session.begin():
            return deliveries.forget_old_ids(session, self._clock())

    async def run(self) -> None:
        """Forever: drain, then sleep until woken or the poll interval passes; once an hour,
        forget old webhook ids (the gateway's only other periodic chore, so it lives here)."""
        loop = asyncio.get_running_loop()
        next_forget = loop.time()
        while True:
            try:
                await self.run_once()
                if loop.time() >= next_forget:
                    next_forget = loop.time() + FORGET_IDS_EVERY_SECONDS
                    await asyncio.to_thread(self.forget_old_ids)
            except Exception:  # noqa: BLE001 - the database may be briefly locked; try again
                log.exception("outbox pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), IDLE_POLL_SECONDS)
            self._wake.clear()
