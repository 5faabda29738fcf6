"""SQLAlchemy 2 typed models of the content store.

Why this shape: a topic (one per topic intent) has items, one general and optionally one per
country; an item has one variant per language, and it is the variant that partners review, so
review status, review date and version live there. Sources belong to the variant because a
French answer may cite the French page of the same organisation.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    pass


class ReviewStatus(StrEnum):
    """Draft variants (machine translations, unfinished edits) are never sent to a person."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"


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

    topic: Mapped[Topic] = relationship(back_populates="items")
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


class ContentSource(Base):
    __tablename__ = "content_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("content_variants.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500))

    variant: Mapped[ContentVariant] = relationship(back_populates="sources")


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
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=_utcnow, onupdate=_utcnow
    )
