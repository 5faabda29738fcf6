"""Answer later: messages answered in the background, their answers queued in the outbox.

What WhatsApp (both reply modes) and Telegram share. A message acknowledged before it is
answered waits in the persisted inbox (a restart loses nothing: `resume`); one person's
messages are answered one after another (`PersonLocks`), so their answers keep their order;
the rendered answer joins the outbox in the same transaction that removes the inbox row.

Several gateway workers: two webhooks of one person may arrive at two workers at once, and the
later message's worker may get the person's turn first. So whoever has the turn answers the
person's older unanswered rows first, in inbox order, then its own. Rows are read again once
the turn is had: one another worker answered meanwhile is gone, so none is answered twice.

While Rasa (or the action server) cannot answer, a message is *held*: its inbox row stays,
marked, the person gets one short note in their language (not one per message), and `run`
answers the held rows in order as soon as Rasa answers again. Emergencies never wait: the
pipeline's fast path answers them at once. Only a channel that can send later (a sender is
registered) holds; the web chat, and WhatsApp without API credentials, say "try again later".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from bot.channels.base import Inbound
from bot.clock import Clock
from bot.outbox import queue
from bot.outbox.ordering import PersonLocks
from bot.outbox.worker import OutboxWorker
from bot.pipeline.pipeline import Pipeline
from bot.replies import Answer
from bot.store.db import as_utc
from bot.store.models import InboxMessage

log = logging.getLogger(__name__)
Render = Callable[[Answer], list[dict[str, Any]]]
Adjust = Callable[[Answer], Answer]  # e.g. Telegram's /help puts its explanation first
HELD_RETRY_SECONDS = 2.0  # how soon after Rasa is back a held message is answered


class Replier:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        pipeline: Pipeline,
        worker: OutboxWorker,
        locks: PersonLocks,
        clock: Clock,
    ) -> None:
        self._sessions = sessions
        self._pipeline = pipeline
        self._worker = worker
        self._locks = locks
        self._clock = clock
        self._renderers: dict[str, Render] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()

    def register(self, channel: str, render: Render) -> None:
        """`channel` can send later: how it turns an answer into its sender's payloads."""
        self._renderers[channel] = render

    def can_send_later(self, channel: str) -> bool:
        return channel in self._renderers

    # --- the three ways in ---------------------------------------------------------------------

    async def reply(self, inbound: Inbound, adjust: Adjust | None = None) -> None:
        """Answer now and queue the answer; raises if answering failed (the caller decides:
        Telegram's webhook answers 500 so that Telegram delivers the update again)."""
        async with self._locks.hold(self._pipeline.pseudonym(inbound)):
            await self._answer_into_outbox(inbound, None, adjust)

    async def answer_inline(self, inbound: Inbound) -> Answer:
        """For an answer that goes back in the request (WhatsApp's TwiML): the answer, or, if
        Rasa cannot answer and the channel can send later, the note (once) while the message
        is held and answered through the outbox when Rasa is back."""
        if not self.can_send_later(inbound.channel):
            return await self._pipeline.answer(inbound)
        async with self._locks.hold(self._pipeline.pseudonym(inbound)):
            waiting = await run_in_threadpool(self._has_held, inbound, None)
            answer = await self._pipeline.answer(inbound, can_hold=True, behind_held=waiting)
            if answer.held:
                await run_in_threadpool(self._hold, inbound, None)
                return Answer([] if waiting else answer.replies, answer.language, held=True)
            return answer

    def schedule(self, inbox_id: int) -> None:
        """Answer an inbox row in the background (the webhook was acknowledged already)."""
        task = asyncio.create_task(self._answer_inbox_row(inbox_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def resume(self, channel: str) -> None:
        """After a restart: answer what was acknowledged but not yet answered, in order
        (held rows are `run`'s)."""
        with self._sessions() as session:
            pending = [
                row.id for row in queue.pending_inbox(session, channel) if row.held_since is None
            ]
        for inbox_id in pending:
            self.schedule(inbox_id)

    # --- answering ---------------------------------------------------------------------------

    async def _answer_inbox_row(self, inbox_id: int) -> None:
        """This row and, before it, the person's older rows not answered yet (in order)."""
        inbound = await run_in_threadpool(self._inbound_of, inbox_id)
        if inbound is None:
            return
        try:
            async with self._locks.hold(self._pipeline.pseudonym(inbound)):
                for row_id in await run_in_threadpool(self._unanswered_until, inbound, inbox_id):
                    row = await run_in_threadpool(self._inbound_of, row_id)
                    if row is not None:
                        await self._answer_into_outbox(row, row_id, None)
        except Exception:  # noqa: BLE001 - stays in the inbox; answered after a restart
            log.exception("answering an inbox message failed")

    async def _answer_into_outbox(
        self, inbound: Inbound, inbox_id: int | None, adjust: Adjust | None
    ) -> None:
        waiting = await run_in_threadpool(self._has_held, inbound, inbox_id)
        answer = await self._pipeline.answer(inbound, can_hold=True, behind_held=waiting)
        if answer.held:
            note = [] if waiting else self._render(inbound, answer)
            await run_in_threadpool(self._hold, inbound, inbox_id, note)
        else:
            if adjust is not None and answer.replies:
                answer = adjust(answer)
            await run_in_threadpool(self._queue, inbound, self._render(inbound, answer), inbox_id)
        self._worker.wake()

    def _render(self, inbound: Inbound, answer: Answer) -> list[dict[str, Any]]:
        return self._renderers[inbound.channel](answer) if answer.replies else []

    # --- held messages -----------------------------------------------------------------------

    async def run(self) -> None:
        """Forever: answer held messages, in order, once Rasa answers again."""
        while True:
            try:
                await self.answer_held()
            except Exception:  # noqa: BLE001 - the database may be briefly locked; try again
                log.exception("answering held messages failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), HELD_RETRY_SECONDS)
            self._wake.clear()

    async def answer_held(self) -> int:
        """One pass: the oldest held messages first; stops at the first one Rasa still cannot
        answer (it is down). Returns how many were answered."""
        with self._sessions() as session:
            rows = [(row.id, row.channel) for row in queue.held_rows(session)]
        answered = 0
        for inbox_id, channel in rows:
            if not self.can_send_later(channel):
                continue
            inbound = await run_in_threadpool(self._inbound_of, inbox_id)
            if inbound is None:
                continue
            async with self._locks.hold(self._pipeline.pseudonym(inbound)):
                if not await run_in_threadpool(self._still_held, inbox_id):
                    continue  # another worker answered it while this one waited for the turn
                # Counted against the rate limit when it arrived: not slowed now.
                answer = await self._pipeline.answer(inbound, can_hold=True, rate_limited=False)
                if answer.held:
                    return answered
                payloads = self._render(inbound, answer)
                await run_in_threadpool(self._queue, inbound, payloads, inbox_id)
            answered += 1
            self._worker.wake()
        return answered

    # --- the store ---------------------------------------------------------------------------

    def _inbound_of(self, inbox_id: int) -> Inbound | None:
        with self._sessions() as session:
            row = session.get(InboxMessage, inbox_id)
            if row is None:
                return None
            written = as_utc(row.received_at)
            return Inbound(row.channel, row.address, row.text, row.readable, received_at=written)

    def _unanswered_until(self, inbound: Inbound, inbox_id: int) -> list[int]:
        with self._sessions() as session:
            return queue.unanswered_until(session, inbound.channel, inbound.address, inbox_id)

    def _still_held(self, inbox_id: int) -> bool:
        with self._sessions() as session:
            row = session.get(InboxMessage, inbox_id)
            return row is not None and row.held_since is not None

    def _has_held(self, inbound: Inbound, before: int | None) -> bool:
        with self._sessions() as session:
            return queue.has_held(session, inbound.channel, inbound.address, before)

    def _hold(
        self, inbound: Inbound, inbox_id: int | None, note: list[dict[str, Any]] | None = None
    ) -> None:
        """Mark the row held (or keep the message in a new one) and queue the note, if any."""
        now = self._clock()
        with self._sessions() as session, session.begin():
            if inbox_id is None:
                inbox_id = queue.receive(
                    session, inbound.channel, inbound.address, inbound.text, inbound.readable, now
                )
            queue.hold(session, inbox_id, now)
            if note:
                queue.enqueue(session, inbound.channel, inbound.address, note, now)

    def _queue(
        self, inbound: Inbound, payloads: list[dict[str, Any]], inbox_id: int | None
    ) -> None:
        with self._sessions() as session, session.begin():
            queue.enqueue(session, inbound.channel, inbound.address, payloads, self._clock())
            row = session.get(InboxMessage, inbox_id) if inbox_id is not None else None
            if row is not None:
                session.delete(row)
