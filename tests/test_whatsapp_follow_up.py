"""Later messages on WhatsApp (an NGO worker's answer): free text inside the 24-hour window,
the approved template outside it, nothing to a person who wrote STOP."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.channels.whatsapp.window import FollowUpRefused, SentAs, queue_follow_up
from bot.cli import main
from bot.pseudonym import pseudonymise
from bot.store import conversations
from bot.store.db import session_factory, upgrade
from bot.store.models import OutboxMessage
from tests.fakes.twilio_api import fake_twilio
from tests.whatsapp_helpers import ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER, PERSON

KEY = b"test-key"
NOW = dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)


def last_wrote(session, hours_ago: float, opted_out: bool = False) -> None:
    changes = conversations.Changes(
        last_inbound_at=NOW - dt.timedelta(hours=hours_ago), opted_out=opted_out
    )
    conversations.apply(session, pseudonymise(KEY, "whatsapp", PERSON), changes)


def queued(session) -> list[dict]:
    return [row.payload for row in session.scalars(select(OutboxMessage))]


def test_inside_the_window_free_text(session):
    last_wrote(session, hours_ago=2)
    sent_as = queue_follow_up(session, KEY, PERSON, "An answer", "HXw", NOW)
    assert sent_as is SentAs.FREE_TEXT
    assert queued(session) == [{"body": "An answer"}]


@pytest.mark.parametrize("hours_ago", [25, None], ids=["old-conversation", "never-wrote"])
def test_outside_the_window_the_template(session, hours_ago):
    if hours_ago is not None:
        last_wrote(session, hours_ago)
    sent_as = queue_follow_up(session, KEY, PERSON, "An answer", "HXw", NOW)
    assert sent_as is SentAs.TEMPLATE
    assert queued(session) == [{"content_sid": "HXw", "content_variables": {"1": "An answer"}}]


@pytest.mark.parametrize(
    ("hours_ago", "opted_out", "template"),
    [(30, False, None), (1, True, "HXw")],
    ids=["no-template", "opted-out"],
)
def test_refused_rather_than_rejected_or_unwanted(session, hours_ago, opted_out, template):
    last_wrote(session, hours_ago, opted_out)
    with pytest.raises(FollowUpRefused):
        queue_follow_up(session, KEY, PERSON, "An answer", template, NOW)
    assert queued(session) == []


def test_the_command_queues_and_the_gateway_sends_in_twiml_mode(settings, monkeypatch, capsys):
    """`python -m bot whatsapp send`, then the running gateway (TwiML mode, credentials set)
    sends it through the Messages API."""
    with fake_twilio(ACCOUNT_SID, AUTH_TOKEN) as twilio:
        settings.twilio_account_sid = ACCOUNT_SID
        settings.twilio_auth_token = AUTH_TOKEN
        settings.whatsapp_from = OUR_NUMBER
        settings.twilio_api_base = twilio.url
        settings.whatsapp_window_template = "HX" + "2" * 32
        monkeypatch.setattr("bot.cli.get_settings", lambda: settings)
        upgrade(settings.database_url)
        assert main(["whatsapp", "send", "--to", PERSON, "--text", "A partner answers"]) == 0
        assert "queued as template" in capsys.readouterr().out
        from bot.web.app import create_app

        with TestClient(create_app(settings)):
            [sent] = twilio.recorder.wait_for(1)
    assert sent.form["ContentSid"] == "HX" + "2" * 32
    assert sent.form["To"] == PERSON
    with session_factory(settings.database_url)() as session:
        assert session.scalars(select(OutboxMessage)).all() == []


def test_the_command_explains_a_refusal(settings, monkeypatch, capsys):
    monkeypatch.setattr("bot.cli.get_settings", lambda: settings)
    upgrade(settings.database_url)
    assert main(["whatsapp", "send", "--to", "+50937000001", "--text", "hi"]) == 1
    assert "whatsapp:+" in capsys.readouterr().err
