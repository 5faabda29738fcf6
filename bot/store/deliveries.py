"""Deduplication of redelivered webhooks, and counters without people in them.

Twilio and Telegram both deliver again when they think we missed a message. The id is
inserted before anything is answered; the primary key makes the second insert a no-op, in one
statement, so two concurrent deliveries cannot both pass.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.store.db import add_to_count, upsert_insert
from bot.store.models import EventCount, ProcessedMessage

KEEP_IDS_FOR = dt.timedelta(days=3)  # platforms stop redelivering long before this
KEY_LENGTH = 64


def _key(value: str) -> str:
    """An id or a counter's name as its column holds it: at most 64 characters and no NUL,
    which PostgreSQL's text refuses outright (SQLite keeps it). Channels refuse such ids at
    the edge; this keeps any other caller's from failing the whole transaction."""
    return value.replace("\x00", "\ufffd")[:KEY_LENGTH]


def first_delivery(session: Session, channel: str, external_id: str, now: dt.datetime) -> bool:
    """True the first time this channel's message id is seen (and remembers it, with `now`,
    so that `forget_old_ids` can tell its age). INSERT ... ON CONFLICT DO NOTHING: a second
    delivery inserts no row, in one statement (a concurrent one waits for the first's
    transaction, then inserts nothing), with no savepoint to set and release around it."""
    row = {"channel": channel, "external_id": _key(external_id), "received_at": now}
    statement = upsert_insert(session)(ProcessedMessage).values(**row).on_conflict_do_nothing()
    return session.scalar(statement.returning(ProcessedMessage.external_id)) is not None


def forget(session: Session, channel: str, external_id: str) -> None:
    """Forget one id: its handling failed, so the platform's redelivery must be handled."""
    session.execute(
        delete(ProcessedMessage).where(
            ProcessedMessage.channel == channel, ProcessedMessage.external_id == _key(external_id)
        )
    )


def forget_old_ids(session: Session, now: dt.datetime) -> int:
    cutoff = now - KEEP_IDS_FOR
    result = session.execute(delete(ProcessedMessage).where(ProcessedMessage.received_at < cutoff))
    return result.rowcount or 0


def count_event(session: Session, channel: str, event: str) -> None:
    """+1 on a counter such as ("whatsapp", "status:delivered") or ("telegram", "referral:x")."""
    add_to_count(session, EventCount.__table__, {"channel": channel, "event": _key(event)})


def event_counts(session: Session, channel: str, prefix: str = "") -> dict[str, int]:
    """Counters of a channel whose name starts with `prefix`, the prefix removed."""
    rows = session.execute(
        select(EventCount.event, EventCount.count).where(
            EventCount.channel == channel, EventCount.event.startswith(prefix)
        )
    )
    return {str(row[0]).removeprefix(prefix): int(row[1]) for row in rows.all()}
