"""SQLAlchemy 2 typed models of the content store.

Why this shape: a topic (one per topic intent) has items, one general and optionally one per
country; an item has one variant per language, and it is the variant that partners review, so
review status, review date and version live there. Sources belong to the variant because a
French answer may cite the French page of the same organisation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum
from itertools import chain
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    update,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    ORMExecuteState,
    Session,
    UOWTransaction,
    mapped_column,
    relationship,
)

from bot.store.sealed import SealedAddress


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    pass


class ReviewStatus(StrEnum):
    """Draft variants (machine translations, unfinished edits) are never sent to a person."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    # Taken out of use by a reviewer: kept for the history, never sent.
    ARCHIVED = "archived"


class RevisionStatus(StrEnum):
    """Where one saved version of one language of an item stands (bot/workspace/revisions.py).

    Only the newest revision of an item's language moves through draft -> in_review ->
    published; a saved version that a newer one replaced before it was published is
    `replaced`, a published one that a newer publication replaced is `superseded`. The text
    people get is the item's variant, copied from the revision when it was published.
    """

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    ARCHIVED = "archived"
    REPLACED = "replaced"
    SUPERSEDED = "superseded"


class Role(StrEnum):
    """What an account may do is decided by its role alone (bot/workspace/permissions.py)."""

    ADMIN = "admin"
    EDITOR = "editor"
    TRANSLATOR = "translator"
    REVIEWER = "reviewer"
    CASEWORKER = "caseworker"


class Organisation(Base):
    """A partner NGO. It owns content items, and (for the handoff) declares the countries,
    languages and opening hours it covers."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    # {"mon": ["08:00", "17:00"], ...} in the organisation's own time zone.
    opening_hours: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    # {term: {language: rendering}}: what machine drafts of its items keep or translate a
    # fixed way (bot/translation/glossary_text.py, /admin/glossary).
    glossary: Mapped[dict[str, dict[str, str]] | None] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)

    accounts: Mapped[list[Account]] = relationship(back_populates="organisation")


class Account(Base):
    """A partner's login. Never a migrant: the workspace knows nothing about the people who
    write to the assistant. The password is kept only as an Argon2 hash."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    # The workspace's own language for this account (en, fr, es): translations/admin/.
    ui_language: Mapped[str | None] = mapped_column(String(8), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="accounts")


class Topic(Base):
    __tablename__ = "topics"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    menu_order: Mapped[int | None] = mapped_column(Integer, default=None)
    items: Mapped[list[ContentItem]] = relationship(
        back_populates="topic", cascade="all, delete-orphan", order_by="ContentItem.id"
    )


class ContentItem(Base):
    __tablename__ = "content_items"
    __table_args__ = (UniqueConstraint("topic_name", "country"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_name: Mapped[str] = mapped_column(ForeignKey("topics.name", ondelete="CASCADE"))
    # ISO 3166-1 alpha-2, or None for the general answer that is valid everywhere.
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    sample: Mapped[bool] = mapped_column(default=False)
    needs_review: Mapped[bool] = mapped_column(default=False)
    review_note: Mapped[str | None] = mapped_column(Text, default=None)
    # The day a person last read the item's sources and found them still true; None: not known.
    checked_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    # The partner that keeps this item right; the seed belongs to the "sample" organisation.
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), default=None
    )
    # The day a partner must read the item again (a shelter's hours, a border rule).
    review_by: Mapped[dt.date | None] = mapped_column(Date, default=None)

    topic: Mapped[Topic] = relationship(back_populates="items")
    organisation: Mapped[Organisation | None] = relationship()
    variants: Mapped[list[ContentVariant]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="ContentVariant.id"
    )


class ContentVariant(Base):
    __tablename__ = "content_variants"
    __table_args__ = (UniqueConstraint("item_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("content_items.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    # [{"title": "Menu", "payload": "/menu"}, ...]: quick replies, in this variant's language.
    options: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    # The short version a person forwards to a group ("Share this", bot/sharing/forward.py);
    # None: no sharing offered in this language. Published with the body, never apart.
    share_text: Mapped[str | None] = mapped_column(Text, default=None)
    review_status: Mapped[str] = mapped_column(String(16), default=ReviewStatus.DRAFT.value)
    last_reviewed: Mapped[dt.date | None] = mapped_column(Date, default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=_utcnow, onupdate=_utcnow
    )

    item: Mapped[ContentItem] = relationship(back_populates="variants")
    sources: Mapped[list[ContentSource]] = relationship(
        back_populates="variant", cascade="all, delete-orphan", order_by="ContentSource.position"
    )

    @property
    def country(self) -> str | None:
        """The item's country (None: the general answer), read as a shelf's variant reads it
        (bot/content/shelf.py), so the composer takes either."""
        return self.item.country


class ContentSource(Base):
    __tablename__ = "content_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("content_variants.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500))

    variant: Mapped[ContentVariant] = relationship(back_populates="sources")


class ContentGeneration(Base):
    """One row whose number moves on with every write of content (bot/content/shelf.py): how
    each process knows that the content it keeps in memory is still the stored one."""

    __tablename__ = "content_generation"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    number: Mapped[int] = mapped_column(Integer)


class Conversation(Base):
    """What the assistant keeps about a person: a pseudonym, language, country, last topic.

    No phone number, no Telegram id, no message text. `delete_my_data` removes the row.
    """

    __tablename__ = "conversations"

    pseudonym: Mapped[str] = mapped_column(String(64), primary_key=True)
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    # "detected" may be overridden by a confident detection; "chosen" only by the person.
    language_source: Mapped[str] = mapped_column(String(16), default="detected")
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    # The topic last answered, so "and in Mexico?" can repeat it for another country.
    last_topic: Mapped[str | None] = mapped_column(String(64), default=None)
    # STOP / SISPANN / ARRÊT: nothing is sent until the person writes START again.
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    # WhatsApp's 24-hour window opens with each message the person sends (time only, no text).
    last_inbound_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), default=None
    )
    # The quick replies last offered as numbered text, so that "2" means the second one.
    offered_options: Mapped[list[dict[str, str]] | None] = mapped_column(JSON, default=list)
    # The flow the conversation is in ("emergency": details are answered as part of it) and
    # when it last moved; it ends by itself after a while (bot/pipeline/flow.py).
    flow: Mapped[str | None] = mapped_column(String(32), default=None)
    flow_updated_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), default=None
    )
    # The question the assistant last asked ("talk_to_human": shall a person answer you?), so
    # that "yes" and "no" answer it.
    pending_offer: Mapped[str | None] = mapped_column(String(64), default=None)
    # The flow's progress: the self-check's yes/no answers so far ("yn"), kept only until its
    # last question (bot/pipeline/self_check.py); no words of the person.
    flow_state: Mapped[str | None] = mapped_column(String(32), default=None)
    # The card last sent ("health/pregnancy@MX"), so the same card is never sent twice in a row.
    last_card: Mapped[str | None] = mapped_column(String(100), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=_utcnow, onupdate=_utcnow
    )


class ProcessedMessage(Base):
    """A channel's message id seen once: a webhook retried by Twilio or Telegram is answered
    once. Ids only (MessageSid, update_id), no sender and no text; purged after a few days."""

    __tablename__ = "processed_messages"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)


class InboxMessage(Base):
    """A message acknowledged before it was answered: kept until the answer is in the outbox,
    so a restart in between loses nothing. Deleted once handled. `held_since` is set while
    Rasa cannot answer it; it is answered, in order, when Rasa is back (bot/outbox/replier.py)."""

    __tablename__ = "inbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    # The raw address is needed to answer; it lives here only until the answer is queued,
    # encrypted (bot/store/sealed.py). `person` (the pseudonym) finds a person's rows.
    address: Mapped[str] = mapped_column(SealedAddress())
    person: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(Text)
    readable: Mapped[bool] = mapped_column(Boolean, default=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)
    held_since: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class OutboxMessage(Base):
    """One message to send through a channel's API, retried with backoff until it is sent.

    The row is deleted once the platform accepted it; one that keeps failing is marked failed
    and its address erased, so the database never keeps a phone number longer than a send.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(SealedAddress())  # encrypted, as the inbox's
    person: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)
    failed: Mapped[bool] = mapped_column(Boolean, default=False)
    # The class of the last error or the HTTP status, never the platform's message text.
    last_error: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)
    # The lease of the worker sending it now (bot/outbox/queue.py `claim`); none when idle.
    claim_token: Mapped[str | None] = mapped_column(String(32), default=None)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    failed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class EventCount(Base):
    """Counters without people in them: status callbacks ("status:delivered"), deep-link
    referrals ("referral:<code>"), per channel. Numbers only, for the operator and partners."""

    __tablename__ = "event_counts"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    event: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class ContentRevision(Base):
    """One saved version of one language of an item. Every save is kept (history, diff,
    restore); the newest one carries the workflow state. `number` counts per item and
    language; an edit names the number it started from (`base_number`), so a save over
    somebody else's newer version is refused (bot/workspace/revisions.py)."""

    __tablename__ = "content_revisions"
    __table_args__ = (UniqueConstraint("item_id", "language", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("content_items.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    number: Mapped[int] = mapped_column(Integer)
    base_number: Mapped[int | None] = mapped_column(Integer, default=None)
    title: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    options: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    share_text: Mapped[str | None] = mapped_column(Text, default=None)  # as the variant's
    # [{"title": ..., "url": ...}]
    sources: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default=RevisionStatus.DRAFT.value)
    # For a translation: the published number of the source language it was written from, so
    # a source changed afterwards shows the translation as outdated on the dashboard.
    source_number: Mapped[int | None] = mapped_column(Integer, default=None)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)
    reviewer_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    # What the author says of the change, or the reviewer of a difference they confirmed.
    note: Mapped[str | None] = mapped_column(Text, default=None)
    # A machine draft (issue 17): what made it, kept on the drafts a translator saves from it
    # until one is published; `machine_number` is the version the machine wrote.
    machine_engine: Mapped[str | None] = mapped_column(String(100), default=None)
    machine_model: Mapped[str | None] = mapped_column(String(200), default=None)
    machine_version: Mapped[str | None] = mapped_column(String(100), default=None)
    machine_number: Mapped[int | None] = mapped_column(Integer, default=None)
    # A translator confirmed that this translation is still correct for source version N.
    confirmed_source_number: Mapped[int | None] = mapped_column(Integer, default=None)

    item: Mapped[ContentItem] = relationship()
    author: Mapped[Account | None] = relationship(foreign_keys=[author_id])
    reviewer: Mapped[Account | None] = relationship(foreign_keys=[reviewer_id])


class VerifiedNumber(Base):
    """A phone number an admin checked against a public source, per country (None: valid
    everywhere). A number in a text that is not on this list is flagged for review."""

    __tablename__ = "verified_numbers"
    __table_args__ = (UniqueConstraint("country", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    # Digits only, with a leading "+" for an international number: "+5075122222", "911".
    number: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(200))
    source_title: Mapped[str] = mapped_column(String(200))
    source_url: Mapped[str] = mapped_column(String(500))
    verified_on: Mapped[dt.date] = mapped_column(Date)
    added_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )


class AuditEntry(Base):
    """Who did what and when in the workspace. Who is always an account, never a migrant;
    `detail` names items and revisions, never a person who wrote to the assistant."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), default=None
    )
    action: Mapped[str] = mapped_column(String(48))
    target: Mapped[str] = mapped_column(String(160), default="")
    detail: Mapped[str | None] = mapped_column(Text, default=None)

    account: Mapped[Account | None] = relationship()


class LoginFailure(Base):
    """Wrong passwords in a row, per account name and per address (a keyed hash of it), so
    that guessing slows down across every gateway process (bot/workspace/throttle.py)."""

    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)


class SafetyDocument(Base):
    """The version in use of a rule file admins edit in the workspace: the emergency
    patterns, the child-alone patterns, the gazetteer (bot/safety/documents.py). No row: the
    file under content/ is used (version 0). Every gateway process compares `version` with
    the one it holds, every few seconds, and rebuilds what changed."""

    __tablename__ = "safety_documents"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)
    note: Mapped[str | None] = mapped_column(Text, default=None)

    updated_by: Mapped[Account | None] = relationship()


class SafetyDocumentVersion(Base):
    """Every saved version of a safety document, kept for its history, diffs and restores;
    the newest is the one in `safety_documents`. (name, version) is unique, so two admins
    saving from the same version cannot both become the next one."""

    __tablename__ = "safety_document_versions"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    # The version this one restored, when it is a restore ("restored version 3").
    restored_from: Mapped[int | None] = mapped_column(Integer, default=None)

    author: Mapped[Account | None] = relationship()


# --- the content generation ----------------------------------------------------------------
# Here, with the tables, and not beside the cache that reads it (bot/content/shelf.py): any
# process that writes content through these models counts its writes, whether or not it
# ever imports the cache (a command-line import, a script, the action server).

CONTENT_TYPES = (Topic, ContentItem, ContentVariant, ContentSource)
GENERATION_ROW = 1


def _touches_content(objects: Iterable[Any]) -> bool:
    return any(isinstance(o, CONTENT_TYPES) for o in objects)


@event.listens_for(Session, "before_flush")
def _count_content_write(session: Session, _flush: UOWTransaction, _instances: Any) -> None:  # noqa: ANN401 - SQLAlchemy's signature
    """Every flush that writes content moves the generation on, in the same transaction, so
    the number changes exactly when what a person could be sent may have."""
    if _touches_content(chain(session.new, session.dirty, session.deleted)):
        _move_content_generation(session)


@event.listens_for(Session, "do_orm_execute")
def _count_bulk_content_write(state: ORMExecuteState) -> None:
    """The same for a statement that writes many rows at once (`update(ContentVariant)`),
    which never passes through a flush."""
    writes = state.is_update or state.is_delete or state.is_insert
    mapper = state.bind_mapper
    if writes and mapper is not None and issubclass(mapper.class_, CONTENT_TYPES):
        _move_content_generation(state.session)


def _move_content_generation(session: Session) -> None:
    session.execute(
        update(ContentGeneration)
        .where(ContentGeneration.id == GENERATION_ROW)
        .values(number=ContentGeneration.number + 1)
    )
