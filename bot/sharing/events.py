"""Events without people (issue 18, item 5): what the insights count, and the one writer.

Why counters and not events: a row per message, even without a pseudonym, is a timeline that a
leaked database could line up with a phone's history ("the person who wrote about trafficking
in Kreyòl at 21:14"). A counter per day holds no time of day, no order and no identity: only
"on 2 December, 12 messages in Kreyòl on WhatsApp from Panama were answered about shelter".
A message's cells are added to with one upsert statement (SQLite and PostgreSQL both have
INSERT ... ON CONFLICT DO UPDATE), in the transaction that writes the conversation, so a count
is never half-made.

A conversation is counted once per day without storing who was counted: the conversation row
already keeps the time of the person's last message (WhatsApp's 24-hour window needs it), and
a message whose previous one was on another UTC day, or that has none, opens the day's count.
Nothing is added to the row, and no key or hash of the person is kept anywhere. (A person who
erases their data and writes again the same day is counted twice: nothing remembers them.)

The texts the assistant could not answer are kept apart, with only their day and language,
without phone numbers and e-mail addresses (bot/pipeline/text.py), and removed by the purge
once older than RETAIN_TEXT_DAYS (bot/purge.py): they are people's words, so they live no
longer than any other message text. They are joined to nothing, so an erasure cannot find them;
the purge is what removes them.

Read by bot/sharing/insights.py; shown at /admin/insights.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Date, Integer, String, Text, UniqueConstraint, delete
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.content.schema import parent_topic
from bot.nlg import EMERGENCY_FOLLOW_UP, EMERGENCY_MEDICAL, EMERGENCY_TOPIC
from bot.pipeline.text import is_payload, without_contact_details
from bot.replies import Answer
from bot.store.db import count_upsert
from bot.store.models import Base

# The responses that mean "the assistant could not answer this" (bot/nlg.py composes them).
FALLBACK_RESPONSES = frozenset({"fallback", "default", "out_of_scope"})
EMERGENCY_RESPONSES = frozenset({EMERGENCY_TOPIC, EMERGENCY_MEDICAL, EMERGENCY_FOLLOW_UP})
MAX_SAMPLE_CHARS = 300  # a question, not a life story: longer texts are cut
UNKNOWN = ""  # a dimension nobody knows (no country said yet): "" so the unique key holds
KEY_COLUMNS = ("day", "kind", "channel", "language", "country", "topic")


class Kind(StrEnum):
    CONVERSATION = "conversation"  # a person who wrote that day, counted once per day
    MESSAGE_IN = "message_in"  # a message answered (or listened to inside a case)
    MESSAGE_OUT = "message_out"  # a message the assistant said
    EMERGENCY = "emergency"  # an emergency answer (the card, a detail's answer, medical)
    FALLBACK = "fallback"  # a message the assistant could not answer


class InsightCount(Base):
    """How many of one kind, one day (UTC), for one channel, language, country and topic."""

    __tablename__ = "insight_counts"
    __table_args__ = (UniqueConstraint(*KEY_COLUMNS, name="uq_insight_counts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16), default=UNKNOWN)
    language: Mapped[str] = mapped_column(String(8), default=UNKNOWN)
    country: Mapped[str] = mapped_column(String(2), default=UNKNOWN)
    topic: Mapped[str] = mapped_column(String(64), default=UNKNOWN)
    count: Mapped[int] = mapped_column(Integer, default=0)


class FallbackSample(Base):
    """A text the assistant could not answer: its day and language, nobody's. Purged after
    RETAIN_TEXT_DAYS like every message text (bot/purge.py)."""

    __tablename__ = "fallback_samples"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)


@dataclass(frozen=True)
class Facts:
    """What one answered message tells the insights: never who, never when in the day."""

    day: dt.date
    channel: str
    language: str
    country: str | None
    topic: str | None
    first_today: bool  # the person's first message this UTC day: one conversation more
    # False while the message is held for Rasa: it is counted when it is answered (the
    # conversation now, since the held message already moved the person's last message time).
    answered: bool
    replies: int
    emergency: bool
    fallback_text: str | None  # the person's words, when the assistant could not answer


def first_message_today(previous: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether a message at `now` opens the day, given the person's previous message time."""
    return previous is None or previous.astimezone(dt.UTC).date() != now.astimezone(dt.UTC).date()


def facts_of(
    answer: Answer,
    *,
    text: str,
    channel: str,
    country: str | None,
    previous: dt.datetime | None,
    now: dt.datetime,
) -> Facts:
    """The facts of one answered message, read from the answer (its responses and topic)."""
    responses = answer.responses
    fallback = bool(responses & FALLBACK_RESPONSES) and not is_payload(text)
    topic = answer.topic
    return Facts(
        day=now.astimezone(dt.UTC).date(),
        channel=channel,
        language=answer.language,
        country=country,
        topic=parent_topic(topic) if topic else None,
        first_today=first_message_today(previous, now),
        answered=not answer.held,
        replies=len(answer.replies),
        emergency=bool(responses & EMERGENCY_RESPONSES),
        fallback_text=text if fallback else None,
    )


def record(session: Session, facts: Facts) -> None:
    """Add one message's facts to the day's counters (and keep a fallback's words)."""
    cells = list(_cells(facts))
    if cells:
        # One statement for every cell of the message, not one per cell: four statements an
        # emergency answer were a quarter of a gateway worker's CPU under load (py-spy).
        # A message's cells have distinct keys, as PostgreSQL requires of one upsert's rows.
        session.execute(count_upsert(session, InsightCount.__table__, KEY_COLUMNS), cells)
    if facts.fallback_text is not None:
        words = without_contact_details(facts.fallback_text)[:MAX_SAMPLE_CHARS]
        if words:
            session.add(FallbackSample(day=facts.day, language=facts.language, text=words))


def _cells(facts: Facts) -> Iterator[dict[str, object]]:
    """The counters one message adds to, each a row of the upsert's parameters."""
    where = {
        "day": facts.day,
        "channel": facts.channel or UNKNOWN,
        "language": facts.language or UNKNOWN,
        "country": facts.country or UNKNOWN,
        "topic": UNKNOWN,
        "count": 1,
    }
    if facts.first_today:
        yield where | {"kind": Kind.CONVERSATION.value}
    if not facts.answered:
        return
    yield where | {"kind": Kind.MESSAGE_IN.value, "topic": facts.topic or UNKNOWN}
    if facts.replies:
        yield where | {"kind": Kind.MESSAGE_OUT.value, "count": facts.replies}
    if facts.emergency:
        yield where | {"kind": Kind.EMERGENCY.value}
    if facts.fallback_text is not None:
        yield where | {"kind": Kind.FALLBACK.value}


def purge_samples(session: Session, cutoff: dt.datetime) -> int:
    """Remove the fallback texts of every day that began before `cutoff` (now minus
    RETAIN_TEXT_DAYS): a sample keeps only its day, so a day goes as soon as its first
    moment is older than the window, never later than the window allows."""
    result = session.execute(
        delete(FallbackSample).where(FallbackSample.day <= cutoff.astimezone(dt.UTC).date())
    )
    return result.rowcount or 0
