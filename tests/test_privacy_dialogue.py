"""Issue 16 in the conversation: the privacy notice once at the first contact and on /privacy;
"delete my data" asks first, says exactly what would go, and erases everything only on "yes";
any other answer keeps everything and says so. Through the signed WhatsApp webhook (TwiML),
with the seed content and a fake Rasa.
"""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bot.config import REPO_ROOT, Settings
from bot.content.io import import_directory
from bot.handoff.models import Case, CaseMessage
from bot.stack import free_port
from bot.store.db import session_scope, upgrade
from bot.store.models import Conversation, OutboxMessage
from bot.workspace.accounts import create_organisation
from tests.fakes.rasa import FakeRasa
from tests.fakes.server import serve
from tests.whatsapp_helpers import AUTH_TOKEN, message_form, post_signed

DELETE_SENTENCE = "souple efase tout done mwen yo"  # heard inside a case, without the model


def model(message: str) -> list[dict[str, Any]]:
    if message.startswith("please forget"):
        return [{"text": "Deleted card"}, {"custom": {"gateway": {"forget": True}}}]
    if message in {"mwen vle pale ak yon moun", "/talk_to_human"}:
        return [{"text": "A person"}, {"custom": {"gateway": {"response": "talk_to_human"}}}]
    return [{"text": f"Answer to {message}"}]


@pytest.fixture
def rasa() -> Iterator[FakeRasa]:
    fake = FakeRasa([], model)
    with serve(fake.app()) as url:
        fake.url = url  # type: ignore[attr-defined]
        yield fake


@pytest.fixture
def client(settings: Settings, languages, rasa) -> Iterator[TestClient]:
    settings.rasa_url = rasa.url
    settings.action_server_url = f"http://127.0.0.1:{free_port()}"
    settings.twilio_auth_token = AUTH_TOKEN
    settings.handoff_address_keys = Fernet.generate_key().decode()
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        import_directory(session, REPO_ROOT / "content", languages)
        create_organisation(session, "Lakay Panama", countries=["PA"], languages=["ht"])
    from bot.web.app import create_app

    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def chat(client: TestClient) -> Callable[[str], str]:
    def say(text: str) -> str:
        response = post_signed(client, message_form(text))
        assert response.status_code == 200, response.text
        return "\n".join(m.text or "" for m in ET.fromstring(response.text).iter("Message"))

    return say


def kept(settings: Settings) -> dict[str, int]:
    """How many rows of the person's data each store holds."""
    with session_scope(settings.database_url) as session:
        return {
            "conversation": session.scalar(select(func.count()).select_from(Conversation)),
            "cases": session.scalar(select(func.count()).select_from(Case)),
            "case messages": session.scalar(select(func.count()).select_from(CaseMessage)),
        }


def notice(phrases, language: str) -> str:  # noqa: ANN001
    return phrases.get("privacy_notice", language).replace("{days}", "7")


def test_the_notice_comes_once_with_the_first_answer_and_on_privacy(chat, phrases):
    first = chat("bonjou, mwen bezwen èd")
    assert first.endswith(notice(phrases, "ht"))  # in Kreyòl, with the retention in days
    assert "7 jou" in first
    assert notice(phrases, "ht") not in chat("kote m ka dòmi?")
    assert chat("/privacy") == notice(phrases, "ht")


def test_no_keeps_everything_and_says_so(chat, settings, phrases):
    chat("bonjou, mwen nan Panama")
    asked = chat("efase done mwen")
    assert asked.startswith(phrases.get("delete_ask", "ht"))
    assert phrases.get("delete_yes_button", "ht") in asked  # a numbered option
    assert kept(settings)["conversation"] == 1  # asked, not erased
    assert chat("non") == phrases.get("delete_kept", "ht")
    assert kept(settings)["conversation"] == 1
    with session_scope(settings.database_url) as session:
        conversation = session.scalars(select(Conversation)).one()
        assert (conversation.language, conversation.country) == ("ht", "PA")


def test_something_else_is_answered_and_nothing_is_erased(chat, settings, phrases):
    chat("bonjou")
    chat("delete")
    said = chat("kote m ka manje?")
    assert said.startswith("Answer to kote m ka manje")
    assert said.endswith(phrases.get("delete_kept", "ht"))
    assert kept(settings)["conversation"] == 1
    assert chat("wi").startswith("Answer to wi")  # the question is no longer open


def test_yes_erases_everything_and_says_what_went(chat, settings, phrases, rasa):
    chat("bonjou, mwen nan Panama")
    chat("mwen vle pale ak yon moun")  # a case, with an address and the person's words
    chat("m bezwen yon avoka")
    assert kept(settings) == {"conversation": 1, "cases": 1, "case messages": 1}
    asked = chat(DELETE_SENTENCE)  # the model's delete_my_data: asked, inside the case too
    assert asked.startswith(phrases.get("delete_ask", "ht"))
    assert "Deleted card" not in asked
    assert kept(settings) == {"conversation": 1, "cases": 1, "case messages": 1}
    assert rasa.forgotten == []
    done = chat("1")  # "Yes, erase everything", by its number
    assert len(rasa.forgotten) == 1  # the model's record of the conversation, emptied too
    assert rasa.forgotten[0] == rasa.calls[-1]["sender"]
    assert done.startswith("*Li fèt. Mwen efase tout sa m te kenbe sou ou.*")
    assert kept(settings) == {"conversation": 0, "cases": 0, "case messages": 0}
    with session_scope(settings.database_url) as session:
        assert session.scalars(select(OutboxMessage)).all() == []
    calls = len(rasa.calls)
    again = chat("bonjou")  # a new start: the notice again, the model again
    assert again.endswith(notice(phrases, "ht")) and len(rasa.calls) == calls + 1


def test_after_stop_delete_is_still_heard(chat, settings, phrases):
    chat("hello")
    stopped = chat("STOP")
    assert "DELETE" in stopped  # the offer after STOP
    assert chat("what time is it") == ""  # stopped means stopped
    assert chat("DELETE").startswith(phrases.get("delete_ask", "en"))
    assert chat("yes").startswith("*Done. I erased everything I kept about you.*")
    assert kept(settings)["conversation"] == 0


def test_a_failed_erasure_says_so_and_claims_nothing(client, chat, settings, phrases):
    def broken(*_args: object) -> None:
        raise OperationalError("DELETE", {}, Exception("database is locked"))

    pipeline = client.app.state.services.pipeline
    pipeline.privacy = dataclasses.replace(pipeline.privacy, erase=broken)
    chat("hello")
    chat("delete")
    assert chat("yes") == phrases.get("delete_failed", "en")
    assert kept(settings)["conversation"] == 1


def test_the_models_delete_my_data_asks_first(chat, settings, phrases):
    chat("hello")
    asked = chat("please forget everything about me")  # the model's delete_my_data
    assert asked.startswith(phrases.get("delete_ask", "en"))
    assert "Deleted card" not in asked  # the action's own words wait for the "yes"
    assert kept(settings)["conversation"] == 1


def test_rasa_down_erases_nothing_and_says_so(chat, settings, rasa, phrases):
    chat("hello")
    chat("delete")
    rasa.up = False
    assert chat("yes") == phrases.get("delete_failed", "en")
    assert kept(settings)["conversation"] == 1


def test_rasa_is_not_sent_phone_numbers_or_email_addresses(chat, rasa):
    """Rasa's tracker keeps what it is sent for days; no intent needs a contact detail."""
    chat("bonjou, nimewo m se +509 3791-4455, imel mwen se wilner.j@example.org, rele m")
    sent = rasa.messages()[-1]
    assert "3791" not in sent and "4455" not in sent and "@" not in sent
    assert sent == "bonjou, nimewo m se , imel mwen se , rele m"
