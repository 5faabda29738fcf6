"""Which words to send: the variant for a topic, the person's languages and (if known) a country.

Fallbacks are explicit and in one place. The country's item comes before the general one, and
inside each item the person's languages are tried in their configured order
(translations/languages.yml `fallback:`, `LanguageTable.fallback_order`): a Kreyòl speaker in
Panama needs Panama's emergency numbers, even in French, more than the general text in Kreyòl.
Drafts and archived variants are never sent: a shelf holds none (bot/content/shelf.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.content.schema import parent_topic
from bot.content.shelf import NEVER_SENT, Shelf, ShelfVariant

__all__ = [
    "NEVER_SENT",
    "find_answer",
    "find_variant",
    "menu_entries",
    "scoped_countries",
]


def find_variant(
    shelf: Shelf,
    topic: str,
    languages: Sequence[str],
    country: str | None,
    *,
    shared: bool = False,
) -> ShelfVariant | None:
    """The variant to send for `topic`: for each item (the country's, then the general one),
    each of `languages` in order (the person's first). The variant's own `language` says
    whether it is in the person's language (the caller then says so in the reply).

    `shared`: the first, in the same order, that has a forwardable text ("Share this",
    bot/sharing/forward.py): the share text is found by the very rule the body is."""
    items = shelf.items_of(topic)
    scoped = [i for i in items if country and i.country == country]
    general = [i for i in items if i.country is None]
    for item in scoped + general:
        for wanted in languages:
            for variant in item.variants:
                if variant.language == wanted and (variant.share_text or not shared):
                    return variant
    return None


def find_answer(
    shelf: Shelf, topic: str, languages: Sequence[str], country: str | None
) -> tuple[str, ShelfVariant] | None:
    """The variant a person gets for `topic` and the topic it belongs to: a sub-answer nobody
    has written yet ("health/vaccination") falls back to its topic's card ("health"). The
    card (bot/nlg.py) and its forwardable text (bot/sharing/forward.py) both come from here,
    so "Share this" always forwards the answer the person just read."""
    for candidate in dict.fromkeys((topic, parent_topic(topic))):
        variant = find_variant(shelf, candidate, languages, country)
        if variant is not None:
            return candidate, variant
    return None


def menu_entries(shelf: Shelf, languages: Sequence[str]) -> list[tuple[str, str]]:
    """(topic, title) for the main menu, in the partners' chosen order; each title in the
    first of `languages` that topic has, so a topic not translated yet is still offered."""
    entries = []
    for topic in shelf.menu:
        variant = find_variant(shelf, topic, languages, country=None)
        if variant is not None:
            entries.append((topic, variant.title))
    return entries


def scoped_countries(shelf: Shelf, topic: str) -> set[str]:
    """Countries that have their own item for this topic (e.g. emergency numbers)."""
    return {item.country for item in shelf.items_of(topic) if item.country is not None}
