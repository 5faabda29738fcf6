"""The handoff's tables: cases, their messages, saved replies, the encrypted addresses.

Why these shapes:
- A `Case` names the person by pseudonym only, like a conversation. The raw phone number or
  Telegram chat id is needed to answer, so it lives in `CaseAddress`, Fernet-encrypted
  (bot/handoff/addresses.py), and is deleted when the case closes: a database copy without the
  key holds no number, and a closed case holds none at all.
- `CaseMessage` is the only message text the system keeps (issue 15, "What is kept"): purged
  some days after closing (bot/handoff/retention.py) and at once on a deletion request.
- One open case per person is a partial unique index, so two gateways opening a case for the
  same person at the same moment cannot make two.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.store.models import Account, Base, Organisation


class CaseReason(StrEnum):
    """Why the person asked for (or was offered) a person; it decides the priority."""

    EMERGENCY = "emergency"
    CHILD_ALONE = "child_alone"
    TRAFFICKING = "trafficking"
    OTHER = "other"


# Higher is more urgent; the inbox shows the highest first.
PRIORITY: dict[CaseReason, int] = {
    CaseReason.EMERGENCY: 40,
    CaseReason.CHILD_ALONE: 30,
    CaseReason.TRAFFICKING: 20,
    CaseReason.OTHER: 10,
}


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Outcome(StrEnum):
    """The short list a worker closes a case with: counts for the insights, no words."""

    REFERRED = "referred"
    ANSWERED = "answered"
    NO_REPLY = "no_reply"
    DUPLICATE = "duplicate"
    OTHER = "other"


class Author(StrEnum):
    PERSON = "person"  # the person who wrote to the assistant
    WORKER = "worker"  # a caseworker's answer, sent to the person
    SYSTEM = "system"  # what the assistant itself told the person (the hotline, the goodbye)
    NOTE = "note"  # an internal note between workers: never sent


class SentAs(StrEnum):
    """How a worker's (or the system's) message left: WhatsApp needs the distinction."""

    FREE_TEXT = "free_text"
    TEMPLATE = "template"  # outside WhatsApp's 24-hour window: the approved template
    # The web chat cannot be written to: the message waits in the case until the person's
    # page asks for it (cases.web_messages_for); `delivered_at` says when it was handed over.
    WEB_PICKUP = "web_pickup"


class Case(Base):
    """One person's request for a human, from opening to closing. No text, no address."""

    __tablename__ = "handoff_cases"
    __table_args__ = (
        Index(
            "uq_handoff_cases_one_open_per_person",
            "pseudonym",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_handoff_cases_organisation_status", "organisation_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    # No ondelete: an organisation with cases cannot be deleted by accident.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    reason: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(8), default=CaseStatus.OPEN.value)
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    first_answer_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), default=None
    )
    claimed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    outcome: Mapped[str | None] = mapped_column(String(16), default=None)
    escalated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    # WhatsApp's 24-hour window runs from the person's last message (the time, not the text).
    last_person_message_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), default=None
    )
    # The case's message text was removed by retention: the row stays for the counts.
    text_purged: Mapped[bool] = mapped_column(Boolean, default=False)

    organisation: Mapped[Organisation] = relationship()
    claimed_by: Mapped[Account | None] = relationship()
    messages: Mapped[list[CaseMessage]] = relationship(
        back_populates="case",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="CaseMessage.id",
    )
    address: Mapped[CaseAddress | None] = relationship(
        back_populates="case", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_open(self) -> bool:
        return self.status == CaseStatus.OPEN.value


class CaseMessage(Base):
    """One message of a case: the person's, a worker's, the system's, or an internal note."""

    __tablename__ = "handoff_case_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("handoff_cases.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[str] = mapped_column(String(8))
    # The worker who wrote an answer or a note; None for the person and the system.
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    text: Mapped[str] = mapped_column(Text)
    # Shown beside the original, marked as machine translation; never replaces it.
    machine_translation: Mapped[str | None] = mapped_column(Text, default=None)
    machine_translation_language: Mapped[str | None] = mapped_column(String(8), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    sent_as: Mapped[str | None] = mapped_column(String(16), default=None)
    # For SentAs.WEB_PICKUP: when the person's web chat received it (None: still waiting).
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    case: Mapped[Case] = relationship(back_populates="messages")
    account: Mapped[Account | None] = relationship()


class SavedReply(Base):
    """A ready answer in one language, edited in the workspace by the organisation."""

    __tablename__ = "handoff_saved_replies"
    __table_args__ = (UniqueConstraint("organisation_id", "language", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    updated_by: Mapped[Account | None] = relationship()


class CaseAddress(Base):
    """The raw address of an open case's person, Fernet-encrypted; deleted on closing."""

    __tablename__ = "handoff_case_addresses"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("handoff_cases.id", ondelete="CASCADE"), primary_key=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    # A Fernet token (URL-safe base64): unreadable without one of HANDOFF_ADDRESS_KEYS.
    token: Mapped[str] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="address")
