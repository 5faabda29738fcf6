"""GET /metrics over real HTTP: a WhatsApp message through the gateway (a fake Rasa REST channel
answering) shows up by channel and language, with a Rasa latency sample, and nothing in the
scrape names the person; the token and the this-machine-only default; emergencies counted.

The registry is the process's own (as in production), so each test compares a scrape before
and after what it does rather than absolute numbers.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from bot import logs
from bot.config import REPO_ROOT, Settings
from bot.content.io import import_directory
from bot.outbox import queue
from bot.pseudonym import pseudonymise
from bot.store.db import session_scope, upgrade
from tests.fakes.rasa import FakeRasa
from tests.fakes.server import serve
from tests.whatsapp_helpers import AUTH_TOKEN, PERSON, message_form, post_signed

TOKEN = "metrics-token-for-tests"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
QUESTION = "where can I sleep tonight with my children"
EMERGENCY_HT = "yo kenbe m, m pa ka soti, ede m souple"


def sleep_answer(message: str) -> list[dict[str, Any]]:
    return [{"text": "There is a shelter near the bus station."}]


@pytest.fixture
def rasa() -> Iterator[FakeRasa]:
    fake = FakeRasa([], sleep_answer)
    with serve(fake.app()) as url:
        fake.url = url  # type: ignore[attr-defined]
        yield fake


@pytest.fixture
def gateway_settings(settings: Settings, rasa: FakeRasa, languages) -> Settings:
    settings.rasa_url = rasa.url  # type: ignore[attr-defined]
    settings.twilio_auth_token = AUTH_TOKEN
    settings.metrics_token = TOKEN
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        import_directory(session, REPO_ROOT / "content", languages)
    return settings


@pytest.fixture
def client(gateway_settings: Settings) -> Iterator[TestClient]:
    from bot.web.app import create_app

    with TestClient(create_app(gateway_settings)) as client:
        yield client


def scrape(client: TestClient) -> str:
    response = client.get("/metrics", headers=BEARER)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def value(text: str, name: str, **labels: str) -> float:
    """A sample of the scrape (0 when absent: a counter not incremented yet)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


def test_a_whatsapp_message_is_counted_and_timed_without_naming_the_person(
    client, gateway_settings, rasa
):
    before = scrape(client)
    response = post_signed(client, message_form(QUESTION))
    assert "shelter near the bus station" in response.text
    assert len(rasa.calls) == 1
    after = scrape(client)

    labels = {"channel": "whatsapp", "language": "en"}
    counted = "assistant_messages_in_total"
    assert value(after, counted, **labels) == value(before, counted, **labels) + 1
    out = "assistant_messages_out_total"
    assert value(after, out, **labels) > value(before, out, **labels)
    samples = "assistant_stage_seconds_count"
    assert value(after, samples, stage="rasa") == value(before, samples, stage="rasa") + 1
    assert value(after, samples, stage="gateway") > value(before, samples, stage="gateway")

    number = PERSON.removeprefix("whatsapp:+")
    pseudonym = pseudonymise(
        gateway_settings.resolved_pseudonym_key(), "whatsapp", PERSON.removeprefix("whatsapp:")
    )
    for secret in (number, number[-7:], pseudonym, rasa.calls[0]["sender"], QUESTION, "shelter"):
        assert secret not in after


def test_an_emergency_answer_is_counted(client):
    before = scrape(client)
    post_signed(client, message_form(EMERGENCY_HT))
    after = scrape(client)
    labels = {"channel": "whatsapp", "language": "ht"}
    counted = "assistant_emergency_answers_total"
    assert value(after, counted, **labels) == value(before, counted, **labels) + 1


def test_rasa_down_is_counted_as_a_failure(gateway_without_rasa, settings):
    settings.twilio_auth_token = AUTH_TOKEN
    settings.metrics_token = TOKEN
    before = scrape(gateway_without_rasa)
    post_signed(gateway_without_rasa, message_form(QUESTION))
    after = scrape(gateway_without_rasa)
    failed = "assistant_failures_total"
    labels = {"stage": "rasa", "outcome": "unavailable"}
    assert value(after, failed, **labels) == value(before, failed, **labels) + 1


def test_the_outbox_depth_is_read_when_scraped(client, gateway_settings):
    now = dt.datetime.now(dt.UTC)
    with session_scope(gateway_settings.database_url) as session:
        queue.enqueue(session, "telegram", "12345", [{"text": "a"}, {"text": "b"}], now)
    assert value(scrape(client), "assistant_outbox_waiting") == 2


def test_the_token_is_required_when_set(client):
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/metrics", params={"token": "wrong"}).status_code == 403
    assert client.get("/metrics", headers=BEARER).status_code == 200
    assert client.get("/metrics", params={"token": TOKEN}).status_code == 200


def test_without_a_token_only_this_machine_unproxied_may_scrape(gateway_settings):
    from bot.web.app import create_app

    gateway_settings.metrics_token = None
    app = create_app(gateway_settings)
    with TestClient(app) as elsewhere:  # the test client's host is "testclient"
        assert elsewhere.get("/metrics").status_code == 403
    with TestClient(app, client=("127.0.0.1", 50000)) as local:
        assert local.get("/metrics").status_code == 200
        proxied = {"X-Forwarded-For": "203.0.113.9"}
        assert local.get("/metrics", headers=proxied).status_code == 403


def test_json_logs_of_a_message_name_neither_the_number_nor_the_text(
    gateway_without_rasa, settings
):
    settings.twilio_auth_token = AUTH_TOKEN
    stream = io.StringIO()
    root = logging.getLogger()
    kept = root.handlers[:], root.level
    logs.configure(logs.JSON, stream)
    try:
        post_signed(gateway_without_rasa, message_form(QUESTION))  # Rasa down: a warning
    finally:
        root.handlers, _ = kept
        root.setLevel(kept[1])
    lines = stream.getvalue().splitlines()
    entries = [json.loads(line) for line in lines]
    assert any(e["message"] == "Rasa unavailable: ConnectError" for e in entries), entries
    number = PERSON.removeprefix("whatsapp:+")
    for line in lines:
        assert number[-7:] not in line and QUESTION not in line and "sleep" not in line
