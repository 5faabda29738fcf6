"""The persisted queues between a webhook and a platform's API: inbox and outbox rows.

Rows, not an in-memory queue: a message acknowledged to Twilio but not yet answered, or an
answer not yet accepted by the platform, survives a restart. A broker (Redis, RabbitMQ) would
add a service to run for no gain at our volume; the scale issue may swap this module.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store import sealed
from bot.store.db import as_utc
from bot.store.models import InboxMessage, OutboxMessage

MAX_ATTEMPTS = 8
FIRST_RETRY_SECONDS = 2.0
LONGEST_WAIT_SECONDS = 300.0


def backoff_seconds(attempts: int, retry_after: float | None = None) -> float:
    """Exponential with full jitter (2, 4, 8... s, at most 5 min); a Retry-After wins."""
    if retry_after is not None:
        return min(max(retry_after, 0.0), LONGEST_WAIT_SECONDS)
    ceiling = min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), LONGEST_WAIT_SECONDS)
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not security


def receive(
    session: Session, channel: str, address: str, text: str, readable: bool, now: dt.datetime
) -> int:
    row = InboxMessage(
        channel=channel,
        address=address,
        person=sealed.person(channel, address),
        text=text,
        readable=readable,
        received_at=now,
    )
    session.add(row)
    session.flush()
    return row.id


def pending_inbox(session: Session, channel: str) -> list[InboxMessage]:
    """A channel's messages not answered yet, oldest first."""
    rows = session.scalars(
        select(InboxMessage).where(InboxMessage.channel == channel).order_by(InboxMessage.id)
    )
    return list(rows)


def unanswered_until(session: Session, channel: str, address: str, last: int) -> list[int]:
    """This person's messages not answered (nor held) up to `last`, oldest first: what must be
    answered before `last`, whichever gateway worker received them."""
    query = (
        select(InboxMessage.id)
        .where(
            InboxMessage.person == sealed.person(channel, address),
            InboxMessage.held_since.is_(None),
            InboxMessage.id <= last,
        )
        .order_by(InboxMessage.id)
    )
    return list(session.scalars(query))


def hold(session: Session, inbox_id: int, now: dt.datetime) -> None:
    """Rasa could not answer this row: keep it until Rasa is back."""
    row = session.get(InboxMessage, inbox_id)
    if row is not None and row.held_since is None:
        row.held_since = now


# The one definition of a held row: Rasa could not answer it yet (see `hold`).
_HELD = InboxMessage.held_since.is_not(None)


def held_rows(session: Session, limit: int = 200) -> list[InboxMessage]:
    """Held messages, oldest first: answered in the order people wrote them."""
    query = select(InboxMessage).where(_HELD).order_by(InboxMessage.id).limit(limit)
    return list(session.scalars(query))


def count_held(session: Session) -> int:
    query = select(func.count()).select_from(InboxMessage).where(_HELD)
    return int(session.scalar(query) or 0)


def has_held(session: Session, channel: str, address: str, before: int | None) -> bool:
    """Whether this person has a held message older than `before` (any, when None)."""
    query = select(InboxMessage.id).where(
        _HELD, InboxMessage.person == sealed.person(channel, address)
    )
    if before is not None:
        query = query.where(InboxMessage.id < before)
    return session.scalars(query.limit(1)).first() is not None


def enqueue(
    session: Session,
    channel: str,
    address: str,
    payloads: list[dict[str, Any]],
    now: dt.datetime,
) -> None:
    for payload in payloads:
        session.add(
            OutboxMessage(
                channel=channel,
                address=address,
                person=sealed.person(channel, address),
                payload=payload,
                next_attempt_at=now,
                created_at=now,
            )
        )


def pending(session: Session, channel: str, limit: int = 200) -> list[OutboxMessage]:
    """Messages not yet sent, oldest first: the worker keeps each person's messages in order."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.channel == channel, OutboxMessage.failed.is_(False))
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def count_waiting(session: Session) -> int:
    """Rows not sent yet and not given up: the queue's depth, for /metrics."""
    query = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.failed.is_(False))
    return int(session.scalar(query) or 0)


def is_due(row: OutboxMessage, now: dt.datetime) -> bool:
    return as_utc(row.next_attempt_at) <= now


def retry_later(
    row: OutboxMessage, error: str, retry_after: float | None, now: dt.datetime
) -> None:
    row.attempts += 1
    row.last_error = error[:64]
    if row.attempts >= MAX_ATTEMPTS:
        give_up(row, error)
        return
    row.next_attempt_at = now + dt.timedelta(seconds=backoff_seconds(row.attempts, retry_after))


def give_up(row: OutboxMessage, error: str) -> None:
    """Kept for the operator to count and inspect, without the address or the words."""
    row.failed = True
    row.last_error = error[:64]
    row.address = None
    row.payload = {}
