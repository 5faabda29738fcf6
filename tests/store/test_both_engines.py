"""The store's writes that race, on both engines it runs on: SQLite (`make demo`) and
PostgreSQL (`make stack`, several gateway workers). Each test runs once per engine
(`store_url`), with real commits, so concurrent sessions really meet."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from bot.channels.base import Inbound
from bot.config import Settings
from bot.erasure import erase_person
from bot.purge import purge
from bot.sharing import campaigns, events
from bot.sharing.events import InsightCount, Kind
from bot.sharing.models import Campaign
from bot.store import deliveries
from bot.store.db import session_factory
from tests.handoff import NOW, organisation
from tests.handoff.test_retention import CHAT_ID, PERSON_WORDS, closed_case, texts_in_tables
from tests.test_purge import OLD_WORDS, waiting_rows
from tests.whatsapp_helpers import AUTH_TOKEN, message_form, post_signed

SENDERS = 8  # concurrent webhooks, as in docs/channels-benchmark.md


def at_once(work, items):  # noqa: ANN001, ANN201 - any function, any items
    with ThreadPoolExecutor(max_workers=SENDERS) as pool:
        return list(pool.map(work, items))


def test_a_webhook_id_passes_once_even_when_delivered_concurrently(store_url):
    sessions = session_factory(store_url)

    def deliver(sid: str) -> bool:
        with sessions() as session, session.begin():
            return deliveries.first_delivery(session, "whatsapp", sid, NOW)

    ids = [f"SM{number:032x}" for number in range(10) for _ in range(SENDERS)]
    passed = Counter(sid for sid, first in zip(ids, at_once(deliver, ids), strict=True) if first)
    assert passed == Counter(set(ids)), "every id exactly once"
    assert not deliver(ids[0]), "a redelivery later is refused too"


def test_counters_started_by_concurrent_messages_lose_no_count(store_url):
    """The first increments of a day race to create the row: one creates it, the others add
    to it (update, insert in a savepoint, update again; ON CONFLICT for the insights)."""
    sessions = session_factory(store_url)
    with sessions() as session, session.begin():
        partner = organisation(session, "Haiti Panama", ["PA"], ["ht"])
        campaign = Campaign(
            organisation_id=partner.id,
            name="Necocli",
            language="ht",
            channel="telegram",
            code="c0de",
            created_at=NOW,
        )
        session.add(campaign)
    facts = events.Facts(
        day=NOW.date(),
        channel="whatsapp",
        language="ht",
        country="PA",
        topic="trafficking",
        first_today=True,
        answered=True,
        replies=1,
        emergency=False,
        fallback_text=None,
    )

    def message(_number: int) -> None:
        with sessions() as session, session.begin():
            deliveries.count_event(session, "whatsapp", "status:delivered")
            campaigns.count_arrival(session, campaign.id, NOW.date())
            events.record(session, facts)

    at_once(message, range(5 * SENDERS))
    with sessions() as session:
        assert deliveries.event_counts(session, "whatsapp", "status:") == {"delivered": 40}
        assert campaigns.arrivals(session, [campaign.id]) == {campaign.id: 40}
        conversations = session.scalar(
            select(func.sum(InsightCount.count)).where(InsightCount.kind == Kind.CONVERSATION)
        )
        assert conversations == 40


def test_a_nul_in_an_id_or_a_counter_is_stored_without_failing_the_transaction(store_url):
    sessions = session_factory(store_url)
    with sessions() as session, session.begin():
        assert deliveries.first_delivery(session, "whatsapp", "SM\x00forged", NOW)
        assert not deliveries.first_delivery(session, "whatsapp", "SM\x00forged", NOW)
        deliveries.count_event(session, "telegram", "referral:\x00x")
    with sessions() as session:
        assert deliveries.event_counts(session, "telegram", "referral:") == {"\ufffdx": 1}


def test_the_purge_and_an_erasure_leave_no_text_behind(store_url):
    sessions = session_factory(store_url)
    _, pseudonym = closed_case(sessions)
    waiting_rows(sessions, NOW)
    report = purge(sessions, None, NOW + dt.timedelta(days=8), 7)
    assert (report.case_texts, report.inbox_messages, report.outbox_messages) == (1, 1, 1)
    assert report.webhook_ids == 1
    with sessions() as session:
        assert OLD_WORDS not in texts_in_tables(session)

    waiting_rows(sessions, NOW + dt.timedelta(days=8))
    erase_person(sessions, None, Inbound("telegram", CHAT_ID, "wi"), pseudonym)
    with sessions() as session:
        remaining = texts_in_tables(session)
    assert OLD_WORDS not in remaining and PERSON_WORDS not in remaining


@pytest.fixture
def settings(migrated_postgres_url: str) -> Settings:
    """The gateway of tests/conftest.py, on PostgreSQL."""
    return Settings(database_url=migrated_postgres_url, pseudonym_key="test-key-not-secret")


def test_a_signed_whatsapp_message_with_nul_characters_gets_no_server_error_on_postgresql(
    settings, gateway_without_rasa
):
    settings.twilio_auth_token = AUTH_TOKEN
    forged_id = message_form("bonjou", MessageSid="SM\x00" + "0" * 30)
    assert post_signed(gateway_without_rasa, forged_id).status_code == 400
    nul_in_text = message_form("\x00bon\x00jou")
    first, again = (post_signed(gateway_without_rasa, nul_in_text) for _ in range(2))
    assert (first.status_code, again.status_code) == (200, 200)
    assert "<Message" in first.text
    assert "<Message" not in again.text, "the redelivery is recognised and not answered"
