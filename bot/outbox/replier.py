"""Answer later: a message answered in the background and its answer queued in the outbox.

What WhatsApp's REST mode and Telegram share. A message acknowledged before it is answered
waits in the persisted inbox (a restart loses nothing: `resume`); one person's messages are
answered one after another (`PersonLocks`), so their answers keep their order; the rendered
answer joins the outbox in the same transaction that removes the inbox row.
"""

from __future__ import annotations

import asyncio
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
from bot.store.models import InboxMessage

log = logging.getLogger(__name__)
Render = Callable[[Answer], list[dict[str, Any]]]
Adjust = Callable[[Answer], Answer]  # e.g. Telegram's /help puts its explanation first


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

    def register(self, channel: str, render: Render) -> None:
        """How `channel` turns an answer into the payloads its sender sends."""
        self._renderers[channel] = render

    async def reply(self, inbound: Inbound, adjust: Adjust | None = None) -> None:
        """Answer now and queue the answer; raises if answering failed (the caller decides:
        Telegram's webhook answers 500 so that Telegram delivers the update again)."""
        async with self._locks.hold(self._pipeline.pseudonym(inbound)):
            await self._answer_into_outbox(inbound, None, adjust)

    def schedule(self, inbox_id: int) -> None:
        """Answer an inbox row in the background (the webhook was acknowledged already)."""
        task = asyncio.create_task(self._answer_inbox_row(inbox_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def resume(self, channel: str) -> None:
        """After a restart: answer what was acknowledged but not yet answered, in order."""
        with self._sessions() as session:
            pending = queue.inbox_ids(session, channel)
        for inbox_id in pending:
            self.schedule(inbox_id)

    async def _answer_inbox_row(self, inbox_id: int) -> None:
        with self._sessions() as session:
            row = session.get(InboxMessage, inbox_id)
            if row is None:
                return
            inbound = Inbound(row.channel, row.address, row.text, row.readable)
        try:
            async with self._locks.hold(self._pipeline.pseudonym(inbound)):
                await self._answer_into_outbox(inbound, inbox_id, None)
        except Exception:  # noqa: BLE001 - stays in the inbox; answered after a restart
            log.exception("answering an inbox message failed")

    async def _answer_into_outbox(
        self, inbound: Inbound, inbox_id: int | None, adjust: Adjust | None
    ) -> None:
        answer = await self._pipeline.answer(inbound)
        if adjust is not None and answer.replies:
            answer = adjust(answer)
        payloads = self._renderers[inbound.channel](answer) if answer.replies else []
        await run_in_threadpool(self._queue, inbound, payloads, inbox_id)
        if payloads:
            self._worker.wake()

    def _queue(
        self, inbound: Inbound, payloads: list[dict[str, Any]], inbox_id: int | None
    ) -> None:
        with self._sessions() as session, session.begin():
            queue.enqueue(session, inbound.channel, inbound.address, payloads, self._clock())
            row = session.get(InboxMessage, inbox_id) if inbox_id is not None else None
            if row is not None:
                session.delete(row)
