"""Erasing one person everywhere the gateway keeps something of them (issue 16, "Deletion,
confirmed"): called only after the person said yes (bot/pipeline/privacy.py).

First the model's record of every message (Rasa's tracker rows, bot/tracker_store.py), then,
in one transaction, the conversation row and its state, their handoff cases with every message
and the encrypted address, and messages of theirs still waiting in the inbox or the outbox
(found by the pseudonym they carry beside the encrypted address). Webhook ids hold no sender and
cannot be linked to the person.

SQLite keeps older page versions in its write-ahead log, so a deleted message could still be
read from the files: every connection overwrites what it deletes with zeros (`secure_delete`,
bot/store/db.py) and the erasure ends by emptying the log.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.base import Inbound
from bot.handoff import retention
from bot.store import conversations
from bot.store.db import empty_write_ahead_log
from bot.store.models import InboxMessage, OutboxMessage
from bot.tracker_store import TrackerEvents


def erase_person(
    sessions: sessionmaker[Session],
    tracker: TrackerEvents | None,
    inbound: Inbound,
    pseudonym: str,
) -> None:
    """Everything of the person who sent `inbound`; raises SQLAlchemyError on failure, and
    the person is then told that nothing was erased (they can ask again)."""
    if tracker is not None:
        tracker.forget(pseudonym)
    with sessions() as session, session.begin():
        conversations.forget(session, pseudonym)
        retention.forget_person(session, pseudonym)
        for table in (InboxMessage, OutboxMessage):
            session.execute(delete(table).where(table.person == pseudonym))
        engine = session.get_bind()
    empty_write_ahead_log(engine)
