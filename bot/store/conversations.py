"""The per-conversation memory, keyed by pseudonym: language (and later country)."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot.store.models import Conversation

DETECTED = "detected"
CHOSEN = "chosen"


def get(session: Session, pseudonym: str) -> Conversation | None:
    return session.get(Conversation, pseudonym)


def get_or_create(session: Session, pseudonym: str) -> Conversation:
    conversation = session.get(Conversation, pseudonym)
    if conversation is None:
        conversation = Conversation(pseudonym=pseudonym)
        session.add(conversation)
        session.flush()
    return conversation


def set_language(session: Session, pseudonym: str, language: str, source: str) -> None:
    conversation = get_or_create(session, pseudonym)
    conversation.language = language
    conversation.language_source = source


def forget(session: Session, pseudonym: str) -> bool:
    """delete_my_data: remove everything kept under this pseudonym. True if there was a row."""
    result = session.execute(delete(Conversation).where(Conversation.pseudonym == pseudonym))
    return bool(result.rowcount)
