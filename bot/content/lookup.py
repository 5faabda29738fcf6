"""Which words to send: the variant for a topic, the person's languages and (if known) a country.

Fallbacks are explicit and in one place. The country's item comes before the general one, and
inside each item the person's languages are tried in their configured order
(translations/languages.yml `fallback:`, `LanguageTable.fallback_order`): a Kreyòl speaker in
Panama needs Panama's emergency numbers, even in French, more than the general text in Kreyòl.
Drafts and archived variants are never sent.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.content.schema import parent_topic
from bot.store.models import ContentItem, ContentVariant, ReviewStatus, Topic

# Unreviewed words (machine drafts, unfinished edits) and words a reviewer took out of use.
NEVER_SENT = frozenset({ReviewStatus.DRAFT, ReviewStatus.ARCHIVED})


def _sendable(item: ContentItem, language: str) -> ContentVariant | None:
    for variant in item.variants:
        if variant.language == language and variant.review_status not in NEVER_SENT:
            return variant
    return None


def find_variant(
    session: Session,
    topic: str,
    languages: Sequence[str],
    country: str | None,
    *,
    shared: bool = False,
) -> ContentVariant | None:
    """The variant to send for `topic`: for each item (the country's, then the general one),
    each of `languages` in order (the person's first). The variant's own `language` says
    whether it is in the person's language (the caller then says so in the reply).

    `shared`: the first, in the same order, that has a forwardable text ("Share this",
    bot/sharing/forward.py): the share text is found by the very rule the body is."""
    items = session.scalars(
        select(ContentItem)
        .where(ContentItem.topic_name == topic)
        .options(selectinload(ContentItem.variants).selectinload(ContentVariant.sources))
    ).all()
    scoped = [i for i in items if country and i.country == country]
    general = [i for i in items if i.country is None]
    for item in scoped + general:
        for wanted in languages:
            variant = _sendable(item, wanted)
            if variant is not None and (variant.share_text or not shared):
                return variant
    return None


def find_answer(
    session: Session, topic: str, languages: Sequence[str], country: str | None
) -> tuple[str, ContentVariant] | None:
    """The variant a person gets for `topic` and the topic it belongs to: a sub-answer nobody
    has written yet ("health/vaccination") falls back to its topic's card ("health"). The
    card (bot/nlg.py) and its forwardable text (bot/sharing/forward.py) both come from here,
    so "Share this" always forwards the answer the person just read."""
    for candidate in dict.fromkeys((topic, parent_topic(topic))):
        variant = find_variant(session, candidate, languages, country)
        if variant is not None:
            return candidate, variant
    return None


def topic_exists(session: Session, topic: str) -> bool:
    return session.get(Topic, topic) is not None


def menu_entries(session: Session, languages: Sequence[str]) -> list[tuple[str, str]]:
    """(topic, title) for the main menu, in the partners' chosen order; each title in the
    first of `languages` that topic has, so a topic not translated yet is still offered."""
    topics = session.scalars(
        select(Topic).where(Topic.menu_order.is_not(None)).order_by(Topic.menu_order)
    ).all()
    entries = []
    for topic in topics:
        variant = find_variant(session, topic.name, languages, country=None)
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
