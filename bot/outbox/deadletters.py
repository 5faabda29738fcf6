"""The dead-letter list: messages given up, counted by channel and error class, and what waits.

What an operator needs to see that the platforms are refusing or failing ("Twilio answered 503
forty times since 14:00") without seeing anyone: a given-up row has no address and no payload
left (bot/outbox/queue.py `give_up`), and this module reads only its channel, its error code
and its times. The page is /admin/deliveries (bot/workspace/routes/deliveries.py).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bot.outbox.queue import INTERRUPTED
from bot.store.db import as_utc
from bot.store.models import OutboxMessage


class ErrorClass(StrEnum):
    RATE_LIMITED = "rate_limited"  # 429: the platform asked us to slow down
    SERVER_ERROR = "server_error"  # the platform answered 5xx
    NETWORK = "network"  # the platform could not be reached: nothing was sent
    NO_ANSWER = "no_answer"  # sent, no answer (timeout, dropped, worker died): may have arrived
    REFUSED = "refused"  # a permanent refusal: invalid number, blocked, rejected template
    OTHER = "other"


# The kinds the senders write (bot/channels/*/send.py), besides "<platform> <status>".
_KINDS = {
    "429": ErrorClass.RATE_LIMITED,
    "telegram 5xx": ErrorClass.SERVER_ERROR,
    "connect error": ErrorClass.NETWORK,
    "connect timeout": ErrorClass.NETWORK,
    "read timeout": ErrorClass.NO_ANSWER,
    "connection lost": ErrorClass.NO_ANSWER,
    INTERRUPTED: ErrorClass.NO_ANSWER,
    "forbidden": ErrorClass.REFUSED,
    "badrequest": ErrorClass.REFUSED,
    "invalidtoken": ErrorClass.REFUSED,
    "chatmigrated": ErrorClass.REFUSED,
}
_STATUS = re.compile(r"\b([1-5]\d\d)$")


def error_class(kind: str | None) -> ErrorClass:
    """What a row's last error means, from the code the sender stored."""
    if kind in _KINDS:
        return _KINDS[kind]
    status = _STATUS.search(kind or "")
    if status is None:
        return ErrorClass.OTHER
    code = int(status[1])
    if code == 429:
        return ErrorClass.RATE_LIMITED
    return ErrorClass.SERVER_ERROR if code >= 500 else ErrorClass.REFUSED


@dataclass
class DeadLetters:
    """Given-up messages of one channel and error class."""

    channel: str
    error_class: ErrorClass
    count: int
    first: dt.datetime
    last: dt.datetime
    codes: list[str]  # e.g. "twilio 400": the platform's status, never its message


@dataclass(frozen=True)
class Waiting:
    """A channel's queue now: rows not sent yet, of which `retrying` failed at least once."""

    channel: str
    waiting: int
    retrying: int


def dead_letters(session: Session) -> list[DeadLetters]:
    """Every channel and error class with given-up messages, the most recent first."""
    when = func.coalesce(OutboxMessage.failed_at, OutboxMessage.created_at)
    query = (
        select(
            OutboxMessage.channel,
            OutboxMessage.last_error,
            func.count(),
            func.min(when),
            func.max(when),
        )
        .where(OutboxMessage.failed.is_(True))
        .group_by(OutboxMessage.channel, OutboxMessage.last_error)
    )
    groups: dict[tuple[str, ErrorClass], DeadLetters] = {}
    for channel, kind, count, first, last in session.execute(query):
        first, last = as_utc(_moment(first)), as_utc(_moment(last))
        key = (channel, error_class(kind))
        group = groups.get(key)
        if group is None:
            groups[key] = DeadLetters(channel, key[1], count, first, last, [kind or "?"])
            continue
        group.count += count
        group.first, group.last = min(group.first, first), max(group.last, last)
        group.codes.append(kind or "?")
    for group in groups.values():
        group.codes.sort()
    return sorted(groups.values(), key=lambda g: (g.last, g.count), reverse=True)


def waiting(session: Session) -> list[Waiting]:
    """Per channel, the messages not sent yet and those among them waiting for a retry."""
    retried = func.sum(case((OutboxMessage.last_error.is_not(None), 1), else_=0))
    query = (
        select(OutboxMessage.channel, func.count(), retried)
        .where(OutboxMessage.failed.is_(False))
        .group_by(OutboxMessage.channel)
        .order_by(OutboxMessage.channel)
    )
    return [Waiting(channel, count, int(r or 0)) for channel, count, r in session.execute(query)]


def _moment(value: dt.datetime | str) -> dt.datetime:
    """SQLite gives MIN/MAX of a datetime column back as text."""
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
