"""A person writing faster than PERSON_RATE_LIMIT is slowed politely, in their language, over
the real WhatsApp webhook (signed as Twilio signs): one notice per window, later messages not
sent to Rasa; an emergency over the limit still gets the emergency answer; nobody else is
slowed; with REDIS_URL every gateway worker counts the same limit (issue 19, item 3)."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import xml.etree.ElementTree as ET
from contextlib import ExitStack

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.clock import system_clock
from bot.config import REPO_ROOT, Settings
from bot.content.io import import_directory
from bot.outbox import queue
from bot.pseudonym import pseudonymise
from bot.stack import free_port
from bot.store import conversations
from bot.store.db import session_scope
from bot.store.models import OutboxMessage
from bot.web.services import Services, Words
from tests.per_person.conftest import ANSWER, gateway_settings
from tests.whatsapp_helpers import AUTH_TOKEN, message_form, post_signed

LIMIT = 3
NOW = dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC)
PERSON = "whatsapp:+50937000021"
OTHER = "whatsapp:+50937000022"
QUESTIONS = {  # what sets the conversation's language, then goes to Rasa
    "en": "where can I sleep tonight with my children",
    "fr": "où est-ce que je peux dormir ce soir avec mes enfants",
    "ht": "ki kote mwen ka dòmi aswè a ak pitit mwen yo",
}


@pytest.fixture
def limited(tmp_path, rasa, languages) -> Settings:
    settings = gateway_settings(
        tmp_path / "pace.sqlite3",
        rasa,
        twilio_auth_token=AUTH_TOKEN,
        person_rate_limit=f"{LIMIT}/minute",
    )
    with session_scope(settings.database_url) as session:
        import_directory(session, REPO_ROOT / "content", languages)
    return settings


def gateway(settings: Settings) -> TestClient:
    from bot.web.app import create_app

    return TestClient(create_app(settings))


def said(client: TestClient, text: str, sender: str = PERSON) -> list[str]:
    response = post_signed(client, message_form(text, sender=sender))
    assert response.status_code == 200, response.text
    return ["".join(m.itertext()) for m in ET.fromstring(response.text).iter("Message")]


def example_in(notice: str) -> str:
    """The danger the notice tells the person to write ("help, I am in danger")."""
    found = re.search(r"[\"«]\s*([^\"»]+?)\s*[\"»]", notice)
    assert found, notice
    return found.group(1)


def last_topic(settings: Settings, sender: str) -> str | None:
    pseudonym = pseudonymise(settings.resolved_pseudonym_key(), "whatsapp", sender)
    with session_scope(settings.database_url) as session:
        return conversations.read(session, pseudonym).last_topic


@pytest.mark.parametrize("language", ["en", "fr", "ht"])
def test_over_the_limit_one_notice_in_their_language_then_silence_and_no_rasa(
    limited, rasa, phrases, language, caplog
):
    with gateway(limited) as client:
        for _ in range(LIMIT):
            assert said(client, QUESTIONS[language])  # answered by Rasa
        assert said(client, QUESTIONS[language]) == [phrases.get("slowed", language)]
        assert said(client, QUESTIONS[language]) == []  # acknowledged, not answered
    assert len(rasa.calls) == LIMIT
    assert "50937000021" not in caplog.text


@pytest.mark.parametrize("language", ["en", "fr", "ht"])
def test_an_emergency_over_the_limit_gets_the_emergency_answer(limited, rasa, phrases, language):
    """The danger written as the notice says to write it is answered at once, limit or not."""
    with gateway(limited) as client:
        for _ in range(LIMIT + 2):
            said(client, QUESTIONS[language])
        answer = said(client, example_in(phrases.get("slowed", language)))
    assert answer and answer != [phrases.get("slowed", language)]
    assert last_topic(limited, PERSON) == "emergency"
    assert len(rasa.calls) == LIMIT


def test_one_persons_limit_never_slows_another(limited, rasa, phrases):
    with gateway(limited) as client:
        for _ in range(LIMIT + 1):
            said(client, QUESTIONS["en"])
        assert said(client, QUESTIONS["en"], sender=OTHER)[0].startswith(ANSWER)
    assert len(rasa.calls) == LIMIT + 1


def test_every_worker_counts_the_same_limit_in_redis(limited, rasa, phrases, fresh_redis):
    """Two gateway processes' worth of services sharing REDIS_URL: the person's messages
    spread over both are counted once."""
    limited.redis_url = fresh_redis
    with ExitStack() as stack:
        first, second = (stack.enter_context(gateway(limited)) for _ in range(2))
        for client in (first, second, first):
            assert said(client, QUESTIONS["fr"])
        assert said(client=second, text=QUESTIONS["fr"]) == [phrases.get("slowed", "fr")]
        assert said(first, QUESTIONS["fr"]) == []
        assert said(second, QUESTIONS["fr"], sender=OTHER)[0].startswith(ANSWER)
    assert len(rasa.calls) == LIMIT + 1


def test_without_its_redis_nobody_is_slowed(limited, rasa, caplog):
    """A rate limit whose Redis does not answer lets messages through: slowing nobody is
    better than answering nobody."""
    limited.redis_url = f"redis://127.0.0.1:{free_port()}/0"
    with gateway(limited) as client:
        for _ in range(LIMIT + 2):
            assert said(client, QUESTIONS["en"])
    assert len(rasa.calls) == LIMIT + 2
    assert "let through" in caplog.text


def test_messages_held_while_rasa_was_down_are_not_slowed_when_it_is_back(tmp_path, rasa):
    """Counted when they arrived: the held messages all get their answers, none the notice."""
    settings = gateway_settings(tmp_path / "held.sqlite3", rasa, person_rate_limit="2/minute")
    texts = [QUESTIONS["en"], "and for a woman alone", "is it free"]

    async def run() -> list[str]:
        async with httpx.AsyncClient() as http:
            services = Services.build(settings, Words.build(settings), http, system_clock)
            replier = services.replier
            replier.register("whatsapp", lambda a: [{"body": r.text} for r in a.replies])
            rasa.up = False
            with session_scope(settings.database_url) as session:
                ids = [queue.receive(session, "whatsapp", PERSON, t, True, NOW) for t in texts]
            for inbox_id in ids:
                await replier._answer_inbox_row(inbox_id)  # noqa: SLF001 - one at a time
            rasa.up = True
            assert await replier.answer_held() == len(texts)
        with session_scope(settings.database_url) as session:
            rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
            return [row.payload["body"] for row in rows]

    bodies = asyncio.run(run())
    assert len(bodies) == 1 + len(texts)  # the "held" note once, then every answer
    assert all(body.startswith(ANSWER) for body in bodies[1:])
    assert len(rasa.calls) == len(texts)
