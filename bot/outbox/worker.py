"""Sends the outbox through each channel's API: leases, retries with backoff, per-person order.

One worker per gateway process, several processes on one database. Each pass *claims* rows
(bot/outbox/queue.py `claim`: a lease under a fresh token, in one transaction), sends them
concurrently, one person's rows one after another, and settles each: deleted once the
platform accepted it, else back in the queue after the backoff (or the platform's
Retry-After), or given up. A failed row blocks its person's later rows, so "(2/2)" never
arrives before "(1/2)", whichever worker holds which row.

Sending once: what is guaranteed, and the one window that is not
-----------------------------------------------------------------
Neither Telegram's sendMessage nor Twilio's Messages API takes an idempotency key, so the
platform cannot tell a retry from a new message; what we can do is never *ask* twice for a
message it may have taken.

- Two workers never send the same row: a row is sent only by the holder of its lease, and a
  lease (LEASE_SECONDS, 90 s) outlives the longest send (SEND_TIMEOUT_SECONDS, 45 s, beyond
  the senders' own HTTP timeouts), so it cannot run out while its send is in flight.
- A row the platform accepted (2xx) is deleted at once, whoever holds the lease by then; the
  delete is retried a few times if the database is briefly unavailable. It is never sent again.
- An error that says the message was not taken is retried: 429 (after its Retry-After) and a
  connection that could not be made (refused, DNS, connect timeout): nothing reached the
  platform. A 5xx the platform answered is retried too, taken to mean "not created" (both
  platforms ask for a retry); should it have created the message, that is the window below.
  The senders sort their errors so (bot/channels/*/send.py). A permanent refusal (an invalid
  number, a blocked bot, a rejected template) is given up at once.
- The hard case is an *unknown* outcome: the request was written and then the answer never came
  (a read timeout, the connection dropped), or the worker died between the platform's 2xx and
  our delete. The platform may have taken it. We send it again (after the backoff, or when the
  lease runs out), counted as `read timeout`, `connection lost` or `interrupted`, because an
  emergency answer that is lost is worse than one that arrives twice. That is the one window
  left: a duplicate is possible only when an answer is lost in flight or a process dies inside
  the few milliseconds between a 2xx and its commit; both show on /admin/deliveries and in
  `assistant_failures_total`. Closing it would take asking the platform first (Twilio can list
  the messages sent to a number since the attempt; Telegram cannot), which we do not do yet.
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
CLAIM_BATCH = 16  # rows claimed at once, and sends in flight per worker
SEND_TIMEOUT_SECONDS = 45.0  # well inside the lease: a hung send cannot outlive it
MAX_ROUNDS = 100  # claims per pass, so a steady stream still lets `run` do its chores
SETTLE_TRIES = 5  # a send that went out is recorded even if the database blinks


class OutboxWorker:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock = system_clock,
        batch: int = CLAIM_BATCH,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._batch = batch
        self._senders: dict[str, Sender] = {}
        self._wake = asyncio.Event()

    def register(self, sender: Sender) -> None:
        """A channel that sends through an API (WhatsApp's Messages API, Telegram)."""
        self._senders[sender.channel] = sender

    def wake(self) -> None:
        """Something was queued: send now rather than at the next poll."""
        self._wake.set()

    async def run_once(self) -> int:
        """Send what is due on every channel until nothing more can be claimed now; returns
        how many messages went out."""
        sent = 0
        for channel, sender in list(self._senders.items()):
            for _ in range(MAX_ROUNDS):
                token = queue.new_claim_token()
                rows = await asyncio.to_thread(self._claim, channel, token)
                if not rows:
                    break
                results = await asyncio.gather(*(self._send(sender, row, token) for row in rows))
                sent += sum(results)
        return sent

    def _claim(self, channel: str, token: str) -> list[OutboxMessage]:
        with self._sessions() as session, session.begin():
            return queue.claim(session, channel, token, self._clock(), self._batch)

    async def _send(self, sender: Sender, row: OutboxMessage, token: str) -> bool:
        if row.attempts > queue.MAX_ATTEMPTS:  # its worker died on every earlier try
            error: SendError | None = SendError(queue.INTERRUPTED, retryable=False)
        else:
            error = await self._attempt(sender, row)
        observability.send_failed(error)
        if error is None:
            await self._record_sent(row.id)
            return True
        log.warning("%s send failed (%s), attempt %d", sender.channel, error.kind, row.attempts)
        await asyncio.to_thread(self._record_failure, row.id, token, error)
        return False

    @staticmethod
    async def _attempt(sender: Sender, row: OutboxMessage) -> SendError | None:
        try:
            with observability.timer(observability.SEND):
                async with asyncio.timeout(SEND_TIMEOUT_SECONDS):
                    await sender.send(row.address or "", row.payload)
        except SendError as caught:
            return caught
        except TimeoutError:  # the request may have been written: an unknown outcome
            return SendError("read timeout", retryable=True)
        except Exception as unexpected:  # noqa: BLE001 - one bad message must not stop the queue
            return SendError(type(unexpected).__name__, retryable=True)
        return None

    async def _record_sent(self, row_id: int) -> None:
        """Delete the row; a failure here would let the lease run out and the message go
        again, so the delete is retried before it is left to that."""
        for attempt in range(SETTLE_TRIES):
            try:
                await asyncio.to_thread(self._delete, row_id)
                return
            except Exception:  # noqa: BLE001 - the database may be briefly locked or gone
                log.warning("recording a sent message failed (try %d)", attempt + 1)
                await asyncio.sleep(0.2 * 2**attempt)
        log.error("a sent message could not be recorded; it may be sent again")

    def _delete(self, row_id: int) -> None:
        with self._sessions() as session, session.begin():
            queue.sent(session, row_id)

    def _record_failure(self, row_id: int, token: str, error: SendError) -> None:
        with self._sessions() as session, session.begin():
            stored = queue.held_by(session, row_id, token)
            if stored is None:  # the lease ran out and another worker has the row now
                return
            if error.retryable:
                queue.retry_later(stored, error.kind, error.retry_after, self._clock())
            else:
                queue.give_up(stored, error.kind, self._clock())

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
