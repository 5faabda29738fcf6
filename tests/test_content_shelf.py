"""The content a gateway process keeps in memory (bot/content/shelf.py): read once, read again
as soon as anything that can be sent changed, on both engines, whichever process wrote it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from bot.config import REPO_ROOT
from bot.content.io import save_topic
from bot.content.lookup import find_variant
from bot.content.schema import TopicDoc
from bot.content.shelf import ContentCache, stored_generation
from bot.nlg import Audience, ResponseGenerator
from bot.store.db import get_engine, reader_factory, session_factory
from bot.store.models import ContentItem, ContentSource, ContentVariant, ReviewStatus, Topic
from tests.builders import variant

EN = ["en"]


def topic(name: str, *items: tuple[str | None, dict[str, dict]]) -> TopicDoc:
    """A topic of (country, {language: variant}) items."""
    return TopicDoc.model_validate(
        {
            "topic": name,
            "menu_order": 1,
            "items": [{"country": country, "variants": variants} for country, variants in items],
        }
    )


def publish(sessions: sessionmaker[Session], body: str, **variants: dict) -> None:
    doc = topic("health", (None, variants or {"en": variant(body)}))
    with sessions() as session, session.begin():
        save_topic(session, doc)


def sent_body(cache: ContentCache) -> str | None:
    found = find_variant(cache.shelf(), "health", EN, None)
    return None if found is None else found.body


def first_variant(session: Session) -> ContentVariant:
    return session.scalars(select(ContentVariant).order_by(ContentVariant.id)).first()


def test_a_shelf_is_kept_while_nothing_changes(store_url):
    sessions = session_factory(store_url)
    publish(sessions, "See a doctor.")
    cache = ContentCache(sessions)
    assert cache.shelf() is cache.shelf()


def test_every_process_sends_a_change_on_its_next_message(store_url):
    """Two gateway workers, each with its own shelf: a partner's edit made through a third
    session is what both send next."""
    sessions = session_factory(store_url)
    publish(sessions, "See a doctor.")
    workers = [ContentCache(session_factory(store_url)) for _ in range(2)]
    assert [sent_body(w) for w in workers] == ["See a doctor.", "See a doctor."]

    with sessions() as session, session.begin():
        first_variant(session).body = "Go to the health post in Lajas Blancas."
    assert [sent_body(w) for w in workers] == ["Go to the health post in Lajas Blancas."] * 2


def test_every_kind_of_content_write_moves_the_generation(store_url):
    sessions = session_factory(store_url)
    publish(sessions, "See a doctor.")

    def generation() -> int:
        with sessions() as session:
            return stored_generation(session)

    writes = [
        lambda s: setattr(s.get(Topic, "health"), "menu_order", 5),
        lambda s: setattr(s.scalars(select(ContentItem)).first(), "needs_review", True),
        lambda s: setattr(first_variant(s), "title", "Health"),
        lambda s: setattr(s.scalars(select(ContentSource)).first(), "title", "IOM Panama"),
        lambda s: s.delete(s.scalars(select(ContentSource)).first()),
    ]
    for write in writes:
        before = generation()
        with sessions() as session, session.begin():
            write(session)
        assert generation() == before + 1


WRITER_WITHOUT_THE_CACHE = """
import sys
from sqlalchemy import select
from bot.store.db import session_factory
from bot.store.models import ContentVariant
sessions = session_factory(sys.argv[1])
with sessions() as session, session.begin():
    session.scalars(select(ContentVariant)).first().body = "Written by a script."
assert "bot.content.shelf" not in sys.modules
"""


def test_a_process_that_never_loads_the_cache_still_moves_the_generation(store_url):
    """Found by hand: a script that edited a variant through the models alone left the
    number where it was (the hooks lived beside the cache), and the gateway kept sending
    the old text. They are registered with the tables now."""
    sessions = session_factory(store_url)
    publish(sessions, "See a doctor.")
    cache = ContentCache(sessions)
    assert sent_body(cache) == "See a doctor."
    subprocess.run(
        [sys.executable, "-c", WRITER_WITHOUT_THE_CACHE, store_url], check=True, cwd=REPO_ROOT
    )
    assert sent_body(cache) == "Written by a script."


def test_a_bulk_statement_on_content_moves_it_too(store_url):
    sessions = session_factory(store_url)
    publish(sessions, "See a doctor.")
    cache = ContentCache(sessions)
    assert sent_body(cache) == "See a doctor."
    with sessions() as session, session.begin():
        session.execute(update(ContentVariant).values(body="Rewritten in one statement."))
    assert sent_body(cache) == "Rewritten in one statement."


def test_a_rolled_back_edit_changes_nothing(store_url):
    sessions = session_factory(store_url)
    publish(sessions, "See a doctor.")
    cache = ContentCache(sessions)
    held = cache.shelf()
    with sessions() as session:
        first_variant(session).body = "Never saved."
        session.flush()
        session.rollback()
    assert cache.shelf() is held
    assert sent_body(cache) == "See a doctor."


def test_drafts_and_archived_words_are_not_on_the_shelf(store_url):
    sessions = session_factory(store_url)
    publish(
        sessions,
        "",
        en=variant("Archived.", review_status="archived"),
        fr=variant("Brouillon.", review_status="draft"),
        ht=variant("Pibliye.", review_status="published"),
    )
    (item,) = ContentCache(sessions).shelf().items_of("health")
    assert [v.language for v in item.variants] == ["ht"]

    with sessions() as session, session.begin():
        for stored in session.scalars(select(ContentVariant)):
            stored.review_status = ReviewStatus.PUBLISHED
    (item,) = ContentCache(sessions).shelf().items_of("health")
    assert sorted(v.language for v in item.variants) == ["en", "fr", "ht"]


@contextmanager
def counted_statements(store_url: str) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001 - SQLAlchemy's hook
        statements.append(statement)

    engine = get_engine(store_url)
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_an_answer_reads_one_row_once_the_shelf_is_loaded(store_url, phrases, languages):
    """Why the shelf exists: a card read the store six to ten times per message, on the
    event loop (docs/benchmarks.md). Now: the generation number, and nothing else."""
    sessions = session_factory(store_url)
    with sessions() as session, session.begin():
        save_topic(
            session,
            topic(
                "emergency",
                (None, {"en": variant("Call the emergency number.")}),
                ("PA", {"en": variant("Call 911 in Panama.")}),
            ),
        )
    generator = ResponseGenerator(reader_factory(store_url), phrases, languages)
    panama = Audience("en", "PA")
    generator.generate("utter_emergency", panama, {})  # loads the shelf
    with counted_statements(store_url) as statements:
        reply = generator.generate("utter_emergency", panama, {})
        generator.generate("utter_menu", panama, {})
    assert reply.text.startswith("Call 911 in Panama.")
    queries = [s for s in statements if not s.startswith("BEGIN")]
    assert len(queries) == 2, queries
    assert all("FROM content_generation" in s for s in queries)


def test_a_pinned_shelf_is_what_everything_said_in_one_answer_reads(store_url, phrases, languages):
    """A message's answer reads the generation once when it arrives (bot/pipeline/pipeline.py)
    and pins that shelf: nothing it says reads the store again, on the event loop or in the
    thread pool, and an edit published meanwhile waits for the next message."""
    sessions = session_factory(store_url)
    publish(sessions, "Old words.")
    cache = ContentCache(reader_factory(store_url))
    with reader_factory(store_url)() as session:
        arrived = cache.current(session)

    async def answer() -> tuple[str | None, str | None]:
        with cache.pinned(arrived):
            on_the_loop = sent_body(cache)
            in_a_thread = await run_in_threadpool(sent_body, cache)
            return on_the_loop, in_a_thread

    publish(sessions, "New words.")  # after the message arrived
    with counted_statements(store_url) as statements:
        said = asyncio.run(answer())
    assert said == ("Old words.", "Old words.")
    assert [s for s in statements if not s.startswith("BEGIN")] == []
    assert sent_body(cache) == "New words."  # the next message: read again, not pinned
