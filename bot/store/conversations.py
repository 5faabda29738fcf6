"""The per-conversation memory, keyed by pseudonym, and its one writer.

Read once when a message arrives (`read` → `Memory`), written once when it has been answered
(`apply` with the `Changes` the pipeline collected). This module is the only place that assigns
a `Conversation`'s fields, so "who changes the language?" has one answer: grep for `apply`.
No phone number, no Telegram id, no message text: see the model's docstring.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot.store.db import as_utc
from bot.store.models import Conversation

GUESSED = "guessed"  # from a short opener: the first real sentence may correct it
DETECTED = "detected"  # from a sentence: settled, changed only when the person asks
CHOSEN = "chosen"  # asked for by the person: changed only when they ask again


@dataclass(frozen=True)
class Memory:
    """What the assistant remembers of a person when their message arrives."""

    language: str | None = None
    language_source: str = DETECTED
    country: str | None = None
    last_topic: str | None = None
    opted_out: bool = False
    offered_options: tuple[tuple[str, str], ...] = ()  # (title, payload), as last numbered
    flow: str | None = None
    flow_updated_at: dt.datetime | None = None
    pending_offer: str | None = None
    flow_state: str = ""  # the flow's progress (the self-check's answers so far: "yn")
    last_card: str | None = None  # the card last sent ("health/pregnancy@MX")
    known: bool = False  # a row exists: not the first contact (the privacy notice is said once)
    # The person's previous message (time only): the insights count a conversation once a day.
    last_inbound_at: dt.datetime | None = None

    @property
    def language_settled(self) -> bool:
        return self.language is not None and self.language_source != GUESSED


@dataclass
class Changes:
    """What one message changes; None means "leave as it is"."""

    language: str | None = None
    language_source: str = DETECTED
    country: str | None = None
    last_topic: str | None = None
    offered_options: list[tuple[str, str]] | None = None
    opted_out: bool | None = None
    last_inbound_at: dt.datetime | None = None
    forget: bool = False  # delete my data: remove the row, keep nothing of this message
    # The flow after this message: set to enter or stay in one (with the time), "" to leave it.
    flow: str | None = None
    flow_updated_at: dt.datetime | None = None
    # The offer after this message: "" when none is pending any more.
    pending_offer: str | None = None
    # The flow's progress after this message; "" clears it (it goes when the flow ends).
    flow_state: str | None = None
    last_card: str | None = None  # "" when the answer was no card

    def choose_language(self, language: str, source: str) -> None:
        self.language, self.language_source = language, source


def get(session: Session, pseudonym: str) -> Conversation | None:
    return session.get(Conversation, pseudonym)


def read(session: Session, pseudonym: str) -> Memory:
    conversation = get(session, pseudonym)
    if conversation is None:
        return Memory()
    return Memory(
        language=conversation.language,
        language_source=conversation.language_source,
        country=conversation.country,
        last_topic=conversation.last_topic,
        opted_out=conversation.opted_out,
        offered_options=tuple(
            (o["title"], o["payload"]) for o in conversation.offered_options or []
        ),
        flow=conversation.flow,
        flow_updated_at=as_utc(conversation.flow_updated_at)
        if conversation.flow_updated_at
        else None,
        pending_offer=conversation.pending_offer,
        flow_state=conversation.flow_state or "",
        last_card=conversation.last_card,
        known=True,
        last_inbound_at=as_utc(conversation.last_inbound_at)
        if conversation.last_inbound_at
        else None,
    )


def apply(session: Session, pseudonym: str, changes: Changes) -> None:
    """Write one message's changes: the only assignment of a conversation's fields."""
    if changes.forget:
        forget(session, pseudonym)
        return
    conversation = get(session, pseudonym)
    if conversation is None:
        conversation = Conversation(pseudonym=pseudonym)
        session.add(conversation)
    if changes.language is not None:
        conversation.language = changes.language
        conversation.language_source = changes.language_source
    if changes.country is not None:
        conversation.country = changes.country
    if changes.last_topic is not None:
        conversation.last_topic = changes.last_topic
    if changes.offered_options is not None:
        conversation.offered_options = [
            {"title": title, "payload": payload} for title, payload in changes.offered_options
        ]
    if changes.opted_out is not None:
        conversation.opted_out = changes.opted_out
    if changes.last_inbound_at is not None:
        conversation.last_inbound_at = changes.last_inbound_at
    if changes.flow is not None:
        conversation.flow = changes.flow or None
        conversation.flow_updated_at = changes.flow_updated_at if changes.flow else None
    if changes.pending_offer is not None:
        conversation.pending_offer = changes.pending_offer or None
    if changes.flow_state is not None:
        conversation.flow_state = changes.flow_state or None
    if changes.flow is not None and not changes.flow:
        conversation.flow_state = None  # a flow's progress never outlives the flow
    if changes.last_card is not None:
        conversation.last_card = changes.last_card or None


def forget(session: Session, pseudonym: str) -> bool:
    """delete_my_data: remove everything kept under this pseudonym. True if there was a row."""
    result = session.execute(delete(Conversation).where(Conversation.pseudonym == pseudonym))
    return bool(result.rowcount)
