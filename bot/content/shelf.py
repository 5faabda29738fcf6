"""What can be sent, read from the store once and kept in memory until the content changes.

Why: composing one card read the store six to ten times (an item's variants and sources, for
the card and again for its "Share this"; the menu; the countries with numbers), on the event
loop, for every message: most of the emergency fast path's time was spent there. A shelf is
every sendable variant (drafts and archived ones left out, bot/content/lookup.py's rule) as
plain frozen values, safe to share between threads and impossible to write back by mistake.

When it is read again: the store keeps a generation number (table `content_generation`) that
goes up by one in every transaction that writes a topic, an item, a variant or a source
(bot/store/models.py's session hooks, registered with the tables, so no writer in any process
can forget it: the workspace's editor and reviews, imports, the seed loader, erasures, a bulk
`update()` on a content table). `ContentCache` reads that number (one primary-key read, in the
read a message makes when it arrives) and loads a new shelf only when it moved, so a partner's
publication is what the next message gets, in every gateway worker.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from bot.store.models import (
    GENERATION_ROW,
    ContentGeneration,
    ContentItem,
    ContentVariant,
    ReviewStatus,
    Topic,
)

# Unreviewed words (machine drafts, unfinished edits) and words a reviewer took out of use.
NEVER_SENT = frozenset({ReviewStatus.DRAFT, ReviewStatus.ARCHIVED})


@dataclass(frozen=True)
class ShelfSource:
    title: str
    url: str


@dataclass(frozen=True)
class ShelfVariant:
    """One sendable language of an item, with what the composer reads of it."""

    item_id: int
    country: str | None  # the item's: None for the general answer
    language: str
    title: str
    body: str
    options: tuple[Mapping[str, str], ...]
    share_text: str | None
    sources: tuple[ShelfSource, ...]


@dataclass(frozen=True)
class ShelfItem:
    id: int
    country: str | None
    variants: tuple[ShelfVariant, ...]  # sendable ones only, in the store's order


@dataclass(frozen=True)
class Shelf:
    """Every sendable variant, by topic; the menu's topics in the partners' order."""

    items: Mapping[str, tuple[ShelfItem, ...]]
    menu: tuple[str, ...]
    generation: int | None = None  # the number it was loaded at; None: not known

    def items_of(self, topic: str) -> tuple[ShelfItem, ...]:
        return self.items.get(topic, ())

    @classmethod
    def load(cls, session: Session, generation: int | None = None) -> Shelf:
        topics = session.scalars(
            select(Topic).options(
                selectinload(Topic.items)
                .selectinload(ContentItem.variants)
                .selectinload(ContentVariant.sources)
            )
        ).all()
        menu = sorted((t for t in topics if t.menu_order is not None), key=_menu_position)
        return cls(
            items={topic.name: tuple(_item(i) for i in topic.items) for topic in topics},
            menu=tuple(topic.name for topic in menu),
            generation=generation,
        )


def _menu_position(topic: Topic) -> tuple[int, str]:
    return (topic.menu_order or 0, topic.name)


def _item(item: ContentItem) -> ShelfItem:
    sendable = (v for v in item.variants if v.review_status not in NEVER_SENT)
    return ShelfItem(item.id, item.country, tuple(_variant(item, v) for v in sendable))


def _variant(item: ContentItem, variant: ContentVariant) -> ShelfVariant:
    return ShelfVariant(
        item_id=item.id,
        country=item.country,
        language=variant.language,
        title=variant.title,
        body=variant.body,
        options=tuple(dict(option) for option in variant.options or ()),
        share_text=variant.share_text,
        sources=tuple(ShelfSource(s.title, s.url) for s in variant.sources),
    )


def stored_generation(session: Session) -> int | None:
    """The store's content generation; None for a store without the row (then nothing is
    kept: every shelf is read fresh)."""
    return session.scalar(
        select(ContentGeneration.number).where(ContentGeneration.id == GENERATION_ROW)
    )


class ContentCache:
    """The shelf of one process, read again when the store's generation moved.

    A message's answer reads the generation once, in the read it makes when it arrives, and
    pins that shelf for everything said in answer (`pinned`): a contextvar, so the sync calls
    on the event loop and in the thread pool (which copies the context) see it, and a
    concurrent message's answer keeps its own. Anything else (Rasa's calls to /nlg, a page)
    reads the generation itself."""

    def __init__(self, readers: sessionmaker[Session]) -> None:
        self._readers = readers
        self._shelf: Shelf | None = None
        self._lock = threading.Lock()  # one reload at a time; readers keep the old shelf
        self._pinned: ContextVar[Shelf | None] = ContextVar(f"shelf-{id(self)}", default=None)

    def shelf(self) -> Shelf:
        pinned = self._pinned.get()
        if pinned is not None:
            return pinned
        with self._readers() as session:
            return self.current(session)

    def current(self, session: Session) -> Shelf:
        """The shelf at the store's generation, read in `session` (a reader's)."""
        generation = stored_generation(session)
        held = self._held_at(generation)
        if held is not None:
            return held
        with self._lock:
            held = self._held_at(generation)  # another thread may have loaded it meanwhile
            if held is not None:
                return held
            fresh = Shelf.load(session, generation)
            if generation is not None:
                self._shelf = fresh
            return fresh

    @contextmanager
    def pinned(self, shelf: Shelf) -> Iterator[None]:
        """`shelf()` is `shelf` inside this block (this task and what it calls)."""
        token = self._pinned.set(shelf)
        try:
            yield
        finally:
            self._pinned.reset(token)

    def _held_at(self, generation: int | None) -> Shelf | None:
        """The kept shelf if it is the one at `generation` (never when that is unknown)."""
        held = self._shelf
        if held is not None and generation is not None and held.generation == generation:
            return held
        return None
