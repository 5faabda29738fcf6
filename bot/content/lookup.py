"""Which words to send: the variant for a topic, a language and (if known) a country.

Fallbacks are explicit and in one place: the country's item, else the general one; the person's
language, else the default language. Drafts are never sent.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.store.models import ContentItem, ContentVariant, ReviewStatus, Topic


def _sendable(item: ContentItem, language: str) -> ContentVariant | None:
    for variant in item.variants:
        if variant.language == language and variant.review_status != ReviewStatus.DRAFT:
            return variant
    return None


def find_variant(
    session: Session, topic: str, language: str, fallback_language: str, country: str | None
) -> ContentVariant | None:
    items = session.scalars(
        select(ContentItem)
        .where(ContentItem.topic_name == topic)
        .options(selectinload(ContentItem.variants).selectinload(ContentVariant.sources))
    ).all()
    scoped = [i for i in items if country and i.country == country]
    general = [i for i in items if i.country is None]
    for item in scoped + general:
        for wanted in (language, fallback_language):
            variant = _sendable(item, wanted)
            if variant is not None:
                return variant
    return None


def topic_exists(session: Session, topic: str) -> bool:
    return session.get(Topic, topic) is not None


def menu_entries(session: Session, language: str, fallback_language: str) -> list[tuple[str, str]]:
    """(topic, title) for the main menu, in the partners' chosen order."""
    topics = session.scalars(
        select(Topic).where(Topic.menu_order.is_not(None)).order_by(Topic.menu_order)
    ).all()
    entries = []
    for topic in topics:
        variant = find_variant(session, topic.name, language, fallback_language, country=None)
        if variant is not None:
            entries.append((topic.name, variant.title))
    return entries


def scoped_countries(session: Session, topic: str) -> set[str]:
    """Countries that have their own item for this topic (e.g. emergency numbers)."""
    return set(
        session.scalars(
            select(ContentItem.country).where(
                ContentItem.topic_name == topic, ContentItem.country.is_not(None)
            )
        ).all()
    )
