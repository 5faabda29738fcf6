"""WHATSAPP_REPLY=rest against a local fake of Twilio's Messages API (real HTTP): the webhook
is acknowledged at once, answers go out through the persisted outbox, retried on 429/5xx,
given up on a permanent error, and resumed after a restart."""

from __future__ import annotations

import datetime as dt
import json
import time
import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.address_keys import keys_for
from bot.config import REPO_ROOT, Settings
from bot.content.io import import_directory
from bot.outbox import queue as outbox
from bot.stack import free_port
from bot.store import sealed
from bot.store.db import session_factory, session_scope, upgrade
from bot.store.models import InboxMessage, OutboxMessage
from tests.fakes.twilio_api import fake_twilio
from tests.whatsapp_helpers import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    OUR_NUMBER,
    PERSON,
    message_form,
    post_signed,
)

EMERGENCY_FR = "au secours on me retient, je ne peux pas sortir"
EMERGENCY_IN_PANAMA_FR = "au secours on me retient au Panama, je ne peux pas sortir"
# Any fixed instant: every time below is given, none is read from the wall clock. Rows written
# at NOW are due for the gateway's real clock, which is later.
NOW = dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)


@pytest.fixture
def twilio():
    with fake_twilio(ACCOUNT_SID, AUTH_TOKEN) as fake:
        yield fake


@pytest.fixture
def rest_settings(settings, languages, twilio, monkeypatch):
    settings.twilio_auth_token = AUTH_TOKEN
    settings.twilio_account_sid = ACCOUNT_SID
    settings.whatsapp_from = OUR_NUMBER
    settings.whatsapp_reply = "rest"
    settings.twilio_api_base = twilio.url
    settings.public_base_url = "https://assistant.example.org"
    settings.rasa_url = f"http://127.0.0.1:{free_port()}"
    settings.action_server_url = f"http://127.0.0.1:{free_port()}"
    # Retries after 0.1-0.2 s instead of seconds: the backoff shape is what is tested.
    monkeypatch.setattr(outbox, "FIRST_RETRY_SECONDS", 0.2)
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        import_directory(session, REPO_ROOT / "content", languages)
    return settings


def gateway(settings) -> TestClient:
    from bot.web.app import create_app

    client = TestClient(create_app(settings), base_url="https://assistant.example.org")
    return client


def test_acknowledged_at_once_then_sent_through_the_messages_api(rest_settings, twilio):
    with gateway(rest_settings) as client:
        response = post_signed(client, message_form(EMERGENCY_FR))
        assert response.status_code == 200
        assert list(ET.fromstring(response.text).iter("Message")) == []
        [sent] = twilio.recorder.wait_for(1)
    assert sent.form["To"] == PERSON
    assert sent.form["From"] == OUR_NUMBER
    assert "Si vous êtes en danger" in sent.form["Body"] or "danger" in sent.form["Body"]
    assert sent.form["StatusCallback"] == ("https://assistant.example.org/webhooks/whatsapp/status")


@pytest.mark.parametrize(("status", "retry_after"), [(500, None), (503, None), (429, 1)])
def test_a_failed_send_is_retried_until_it_goes_out_once(
    rest_settings, twilio, status, retry_after
):
    twilio.recorder.fail_next(2, status, retry_after)
    with gateway(rest_settings) as client:
        post_signed(client, message_form(EMERGENCY_FR))
        [sent] = twilio.recorder.wait_for(1, timeout=20)
        time.sleep(0.5)
        assert len(twilio.recorder.requests) == 1
    assert sent.form["To"] == PERSON
    with session_factory(rest_settings.database_url)() as session:
        assert session.scalars(select(OutboxMessage)).all() == []


def test_a_permanent_refusal_is_given_up_and_the_number_erased(rest_settings, twilio):
    twilio.recorder.fail_next(1, 400)
    with gateway(rest_settings) as client:
        post_signed(client, message_form(EMERGENCY_FR))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with session_factory(rest_settings.database_url)() as session:
                rows = session.scalars(select(OutboxMessage)).all()
            if rows and rows[0].failed:
                break
            time.sleep(0.1)
    [row] = rows
    assert row.failed and row.address is None and row.payload == {}
    assert row.last_error == "twilio 400"


def as_a_previous_run(settings: Settings) -> None:
    """Rows written by an earlier gateway of the same deployment: under the same keys."""
    sealed.configure(keys_for(settings), settings.resolved_pseudonym_key())


def test_a_restart_loses_nothing(rest_settings, twilio):
    """What a previous run acknowledged (inbox) or queued (outbox) goes out after a restart."""
    as_a_previous_run(rest_settings)
    with session_scope(rest_settings.database_url) as session:
        outbox.receive(session, "whatsapp", PERSON, EMERGENCY_FR, readable=True, now=NOW)
        outbox.enqueue(
            session, "whatsapp", "whatsapp:+50937000002", [{"body": "queued before"}], NOW
        )
    with gateway(rest_settings):
        sent = twilio.recorder.wait_for(2, timeout=20)
    assert {r.form["To"] for r in sent} == {PERSON, "whatsapp:+50937000002"}
    with session_factory(rest_settings.database_url)() as session:
        assert session.scalars(select(InboxMessage)).all() == []


def test_one_persons_messages_keep_their_order_through_retries(rest_settings, twilio):
    as_a_previous_run(rest_settings)
    with session_scope(rest_settings.database_url) as session:
        outbox.enqueue(
            session, "whatsapp", PERSON, [{"body": f"part {n}"} for n in range(1, 4)], NOW
        )
    twilio.recorder.fail_next(1, 503)
    with gateway(rest_settings):
        sent = twilio.recorder.wait_for(3, timeout=20)
    assert [r.form["Body"] for r in sent] == ["part 1", "part 2", "part 3"]


def test_buttons_go_as_a_content_template_when_one_is_configured(rest_settings, twilio):
    # A list picker for any number of rows WhatsApp allows (at most 10).
    sid = "HX" + "1" * 32
    rest_settings.whatsapp_content_templates = {f"list-picker:{n}": sid for n in range(1, 11)}
    with gateway(rest_settings) as client:
        post_signed(
            client, message_form("au secours on me retient au Panama, je ne peux pas sortir")
        )
        [sent] = twilio.recorder.wait_for(1)
    assert sent.form["ContentSid"] == sid
    variables = json.loads(sent.form["ContentVariables"])
    rows = {variables[str(n)]: variables[str(n + 1)] for n in range(2, len(variables), 2)}
    assert rows["Parler à quelqu'un"] == "/talk_to_human"  # the offer of a person, as a row


def test_backoff_grows_and_respects_retry_after():
    waits = [outbox.backoff_seconds(n) for n in range(1, 12)]
    assert all(w <= outbox.LONGEST_WAIT_SECONDS for w in waits)
    assert outbox.backoff_seconds(1) <= 2.0 < outbox.backoff_seconds(4)
    assert outbox.backoff_seconds(1, retry_after=30) == 30
    assert outbox.is_due(OutboxMessage(next_attempt_at=NOW), NOW)
    assert not outbox.is_due(OutboxMessage(next_attempt_at=NOW + dt.timedelta(seconds=1)), NOW)


def test_webhook_ids_are_forgotten_after_three_days(sessions):
    from bot.store import deliveries

    with sessions() as session, session.begin():
        assert deliveries.first_delivery(session, "whatsapp", "SMold", NOW)
        assert not deliveries.first_delivery(session, "whatsapp", "SMold", NOW)
        assert deliveries.forget_old_ids(session, NOW + dt.timedelta(days=2)) == 0
        assert deliveries.forget_old_ids(session, NOW + dt.timedelta(days=4)) == 1
        assert deliveries.first_delivery(session, "whatsapp", "SMold", NOW + dt.timedelta(days=4))
