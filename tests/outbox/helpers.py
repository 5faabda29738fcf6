"""What the outbox tests share: a clock the test moves, a sender that records, queued rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.base import SendError
from bot.outbox import queue
from bot.store.models import OutboxMessage

NOW = dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC)


@dataclass
class Clock:
    now: dt.datetime = NOW

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@dataclass
class RecordingSender:
    """A channel whose platform takes every message, except the errors planned per body."""

    channel: str = "whatsapp"
    sent: list[tuple[str, str]] = field(default_factory=list)
    errors: dict[str, list[SendError]] = field(default_factory=dict)

    def fail(self, body: str, *errors: SendError) -> None:
        self.errors.setdefault(body, []).extend(errors)

    async def send(self, address: str, payload: dict[str, Any]) -> None:
        planned = self.errors.get(payload["body"])
        if planned:
            raise planned.pop(0)
        self.sent.append((address, payload["body"]))


def queue_bodies(
    sessions: sessionmaker[Session], address: str, bodies: list[str], now: dt.datetime = NOW
) -> None:
    with sessions() as session, session.begin():
        queue.enqueue(session, "whatsapp", address, [{"body": b} for b in bodies], now)


def rows(sessions: sessionmaker[Session]) -> list[OutboxMessage]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
