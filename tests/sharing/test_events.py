"""Events without people (bot/sharing/events.py): a scripted conversation through the real
pipeline (the signed WhatsApp webhook, the seed content, a fake Rasa) leaves counts per day,
and the person's phone number, pseudonym and words in no table where they do not belong.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, String, Text, cast, func, select
from sqlalchemy.orm import Session

from bot.pseudonym import pseudonymise
from bot.purge import purge
from bot.sharing import events
from bot.sharing.events import FallbackSample, InsightCount, Kind
from bot.store.db import get_engine, session_factory
from bot.store.models import Base
from tests.fakes.rasa import FakeRasa
from tests.fakes.server import serve
from tests.test_conversation_flow import chat, clock, said  # noqa: F401 - the fixtures
from tests.whatsapp_helpers import PERSON

SHELTER = "mwen bezwen yon kote pou m dòmi aswè a, mwen nan Panama"
NOT_UNDERSTOOD = "eske m ka voye lajan bay manman m? rele m +507 6123-4567 oswa ana.pyè@example.org"
EMERGENCY = "my son is not with me anymore, we were at the bus station in tapachula"
PHONE_DIGITS = PERSON.removeprefix("whatsapp:+")
DAY = dt.date(2026, 12, 2)


def model(message: str) -> list[dict[str, Any]]:
    if "dòmi" in message or "domi" in message:
        return said("shelter_food", "Shelter card", topic="shelter_food")
    return said("fallback", "I did not understand")


@pytest.fixture
def rasa() -> Iterator[FakeRasa]:
    """This module's model for tests/test_conversation_flow.py's `chat` (WhatsApp, TwiML)."""
    fake = FakeRasa([], model)
    with serve(fake.app()) as url:
        fake.url = url  # type: ignore[attr-defined]
        yield fake


def counts(url: str) -> dict[tuple[str, str, str, str], int]:
    """(day, kind, language, country or topic) -> count, summed over the other dimensions."""
    with session_factory(url)() as session:
        rows = session.execute(
            select(
                InsightCount.day,
                InsightCount.kind,
                InsightCount.language,
                InsightCount.country,
                func.sum(InsightCount.count),
            ).group_by(
                InsightCount.day, InsightCount.kind, InsightCount.language, InsightCount.country
            )
        ).all()
    return {(d.isoformat(), k, lang, country): n for d, k, lang, country, n in rows}


def tables_holding(session: Session, needle: str) -> set[str]:
    """The tables with `needle` in any text-like column."""
    found = set()
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, String | Text | JSON):
                values = session.scalars(select(cast(column, String))).all()
                if any(needle in (value or "") for value in values):
                    found.add(table.name)
    return found


def test_a_conversation_is_counted_by_day_language_and_country(chat, settings, clock) -> None:  # noqa: ANN001, F811
    chat(SHELTER)
    chat(NOT_UNDERSTOOD)
    chat(EMERGENCY)
    clock.now += dt.timedelta(days=1)
    chat(SHELTER)

    got = counts(settings.database_url)
    today, tomorrow = DAY.isoformat(), (DAY + dt.timedelta(days=1)).isoformat()
    assert got[(today, Kind.CONVERSATION, "ht", "PA")] == 1  # three messages, one conversation
    assert sum(n for (d, k, _, _), n in got.items() if (d, k) == (today, Kind.MESSAGE_IN)) == 3
    assert got[(today, Kind.FALLBACK, "ht", "PA")] == 1
    assert got[(today, Kind.EMERGENCY, "ht", "MX")] == 1  # Tapachula is in Mexico
    assert got[(tomorrow, Kind.CONVERSATION, "ht", "PA")] == 1  # the next day, once more
    with session_factory(settings.database_url)() as session:
        topics = session.scalars(
            select(InsightCount.topic).where(InsightCount.kind == Kind.MESSAGE_IN)
        ).all()
        samples = session.scalars(select(FallbackSample.text)).all()
    assert "shelter_food" in topics and "emergency" in topics
    assert samples == ["eske m ka voye lajan bay manman m? rele m oswa"]


def test_the_person_is_in_no_table_but_their_own_conversation(chat, settings) -> None:  # noqa: ANN001, F811
    for text in (SHELTER, NOT_UNDERSTOOD, EMERGENCY):
        chat(text)
    pseudonym = pseudonymise(settings.resolved_pseudonym_key(), "whatsapp", PERSON)
    with session_factory(settings.database_url)() as session:
        assert tables_holding(session, PHONE_DIGITS) == set()
        assert tables_holding(session, "6123") == set()
        assert tables_holding(session, "example.org") == set()
        assert tables_holding(session, pseudonym) == {"conversations"}
        assert tables_holding(session, "kote pou m dòmi") == set()
        assert tables_holding(session, "bus station in tapachula") == set()
        assert tables_holding(session, "voye lajan bay manman m") == {"fallback_samples"}
        insight_columns = {c.name for c in InsightCount.__table__.columns}
        sample_columns = {c.name for c in FallbackSample.__table__.columns}
    assert insight_columns == {
        "id",
        "day",
        "kind",
        "channel",
        "language",
        "country",
        "topic",
        "count",
    }
    assert sample_columns == {"id", "day", "language", "text"}


def test_a_fallback_text_goes_with_the_purge_and_the_counts_stay(store) -> None:  # noqa: ANN001
    path, sessions = store
    moment = dt.datetime(2026, 12, 2, 23, 50, tzinfo=dt.UTC)
    facts = events.Facts(
        day=moment.date(),
        channel="telegram",
        language="fr",
        country=None,
        topic=None,
        first_today=True,
        answered=True,
        replies=1,
        emergency=False,
        fallback_text="où est le bureau des migrations",
    )
    with sessions() as session, session.begin():
        events.record(session, facts)
        events.record(session, facts)  # the same cells, added to: no second row
    inside = purge(sessions, None, moment + dt.timedelta(days=6), 7)
    assert inside.fallback_samples == 0
    report = purge(sessions, None, moment + dt.timedelta(days=7), 7)
    assert report.fallback_samples == 2
    assert "fallback samples: 2" in report.lines()
    with sessions() as session:
        assert session.scalars(select(FallbackSample)).all() == []
        cells = session.execute(select(InsightCount.kind, InsightCount.count)).all()
    assert sorted(cells) == [
        ("conversation", 2),
        ("fallback", 2),
        ("message_in", 2),
        ("message_out", 2),
    ]
    get_engine(f"sqlite:///{path}").dispose()
    assert b"bureau des migrations" not in Path(path).read_bytes()


def test_a_conversation_opens_with_the_first_message_of_each_utc_day() -> None:
    now = dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC)
    assert events.first_message_today(None, now)
    assert not events.first_message_today(now - dt.timedelta(hours=8), now)
    assert events.first_message_today(now - dt.timedelta(hours=10), now)  # yesterday, 23:00
