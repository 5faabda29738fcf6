"""The persisted queues between a webhook and a platform's API: inbox and outbox rows.

Rows, not an in-memory queue: a message acknowledged to Twilio but not yet answered, or an
answer not yet accepted by the platform, survives a restart. A broker (Redis, RabbitMQ) would
add a service to run for no gain at our volume; the scale issue may swap this module.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from typing import Any

from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.orm import Session, aliased

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


def count_waiting(session: Session) -> int:
    """Rows not sent yet and not given up: the queue's depth, for /metrics."""
    query = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.failed.is_(False))
    return int(session.scalar(query) or 0)


def is_due(row: OutboxMessage, now: dt.datetime) -> bool:
    return as_utc(row.next_attempt_at) <= now


# --- leases: several workers, each row sent by one, each person's rows in order ---------------

LEASE_SECONDS = 90.0  # far longer than a send may take (the senders time out within 30 s)
INTERRUPTED = "interrupted"  # a lease ran out without a result: the worker died mid-send


def new_claim_token() -> str:
    return secrets.token_hex(16)


def claim(
    session: Session, channel: str, token: str, now: dt.datetime, limit: int
) -> list[OutboxMessage]:
    """Take up to `limit` rows to send now under `token`, for LEASE_SECONDS; call it first in
    its own transaction (on SQLite the write lock is then held from the start).

    A row is taken only when it is due, nobody holds a lease on it, and it is the oldest row
    of its person not given up: while row 1 of a person is being sent or waits for a retry,
    row 2 is nobody's. One UPDATE: on PostgreSQL the candidates are locked with
    `FOR UPDATE SKIP LOCKED`, so two workers claiming at once take different rows (a row
    another worker claimed meanwhile is re-checked and dropped); on SQLite the writer holds
    the database's one write lock. Claiming counts an attempt, so a message that kills its
    worker every time is given up after MAX_ATTEMPTS like any other; a row taken back from a
    lease that ran out is marked INTERRUPTED (its send may or may not have gone out).
    """
    earlier = aliased(OutboxMessage)
    waiting_before = (
        select(earlier.id)
        .where(
            earlier.person == OutboxMessage.person,
            earlier.failed.is_(False),
            earlier.id < OutboxMessage.id,
        )
        .exists()
    )
    candidates = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.channel == channel,
            OutboxMessage.failed.is_(False),
            OutboxMessage.next_attempt_at <= now,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
            ~waiting_before,
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=OutboxMessage)
    )
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(candidates.scalar_subquery()))
        .values(
            claim_token=token,
            claimed_until=now + dt.timedelta(seconds=LEASE_SECONDS),
            attempts=OutboxMessage.attempts + 1,
            last_error=case(
                (OutboxMessage.claim_token.is_not(None), INTERRUPTED),
                else_=OutboxMessage.last_error,
            ),
        )
        .execution_options(synchronize_session=False)
    )
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.claim_token == token)
        .order_by(OutboxMessage.id)
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(query))


def held_by(session: Session, row_id: int, token: str) -> OutboxMessage | None:
    """The row, if this worker's lease on it still holds (else another worker owns it now)."""
    row = session.get(OutboxMessage, row_id, populate_existing=True)
    return row if row is not None and row.claim_token == token else None


def sent(session: Session, row_id: int) -> None:
    """The platform accepted it: gone, with the address, whoever holds the lease now (so a
    worker that took it over after a lease ran out finds nothing left to send)."""
    session.execute(delete(OutboxMessage).where(OutboxMessage.id == row_id))


def retry_later(
    row: OutboxMessage, error: str, retry_after: float | None, now: dt.datetime
) -> None:
    """Not taken this time: wait (the platform's Retry-After, else backoff), lease released.
    The attempt was counted when the row was claimed."""
    row.last_error = error[:64]
    release(row)
    if row.attempts >= MAX_ATTEMPTS:
        give_up(row, error, now)
        return
    row.next_attempt_at = now + dt.timedelta(seconds=backoff_seconds(row.attempts, retry_after))


def release(row: OutboxMessage) -> None:
    row.claim_token = None
    row.claimed_until = None


def give_up(row: OutboxMessage, error: str, now: dt.datetime) -> None:
    """A dead letter: kept for the operator to count (/admin/deliveries), without the address
    or the words."""
    release(row)
    row.failed = True
    row.failed_at = now
    row.last_error = error[:64]
    row.address = None
    row.payload = {}
