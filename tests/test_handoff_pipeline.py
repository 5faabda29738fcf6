"""Issue 15 in the pipeline: asking for a person opens a case for the partner of the person's
country and language; the person is told once; while the case is open the bot is silent and
the messages go to the case, except an emergency, which is answered; closing hands the
conversation back to the bot.

Through the signed WhatsApp webhook (TwiML), with the seed content, a fake Rasa and a clock
the test sets (Wednesday 2 December 2026, 09:00 UTC: 04:00 in Panama, before opening).
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.config import REPO_ROOT, Settings
from bot.content.io import import_directory
from bot.handoff import cases
from bot.handoff.models import Author, Case, CaseReason
from bot.stack import free_port
from bot.store.db import session_scope, upgrade
from bot.store.models import Role
from bot.workspace.accounts import create_account, create_organisation
from tests.fakes.rasa import FakeRasa
from tests.fakes.server import serve
from tests.whatsapp_helpers import AUTH_TOKEN, message_form, post_signed

ASK_FOR_A_PERSON = "mwen vle pale ak yon moun"
HELD = "yo kenbe m, m pa ka soti"
WEEKDAYS = {"mon": ["08:00", "17:00"], "tue": ["08:00", "17:00"], "wed": ["08:00", "17:00"]}


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def said(response: str, text: str, topic: str | None = None) -> list[dict[str, Any]]:
    note = {"response": response, **({"topic": topic} if topic else {})}
    return [{"text": text}, {"custom": {"gateway": note}}]


def model(message: str) -> list[dict[str, Any]]:
    if message in {ASK_FOR_A_PERSON, "/talk_to_human"}:
        return said("talk_to_human", "A person card", topic="talk_to_human")
    if "shelter" in message or "domi" in message:  # folded for the model
        return said("shelter_food", "Shelter card", topic="shelter_food")
    return said("did_you_mean", "Did you mean...?")


@pytest.fixture
def rasa() -> Iterator[FakeRasa]:
    fake = FakeRasa([], model)
    with serve(fake.app()) as url:
        fake.url = url  # type: ignore[attr-defined]
        yield fake


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def chat(settings: Settings, languages, rasa, clock) -> Iterator[Callable[[str], str]]:
    settings.rasa_url = rasa.url
    settings.action_server_url = f"http://127.0.0.1:{free_port()}"
    settings.twilio_auth_token = AUTH_TOKEN
    settings.handoff_address_keys = Fernet.generate_key().decode()
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        import_directory(session, REPO_ROOT / "content", languages)
        for name, countries, spoken in (
            ("Ayuda Panamá", ["PA"], ["es"]),
            ("Lakay Panama", ["PA"], ["ht", "fr"]),
            ("Lakay Meksik", ["MX"], ["ht"]),
        ):
            organisation = create_organisation(session, name, countries=countries, languages=spoken)
            organisation.opening_hours, organisation.time_zone = WEEKDAYS, "America/Panama"
    from bot.web.app import create_app

    with TestClient(create_app(settings, clock=clock)) as client:

        def say(text: str) -> str:
            response = post_signed(client, message_form(text))
            assert response.status_code == 200, response.text
            return "\n".join(m.text or "" for m in ET.fromstring(response.text).iter("Message"))

        yield say


def the_case(settings: Settings) -> tuple[str, str, list[tuple[str, str]]]:
    """The person's only case: its organisation, reason and (author, text) transcript."""
    with session_scope(settings.database_url) as session:
        (case,) = session.scalars(select(Case)).all()
        messages = [(m.author, m.text) for m in cases.transcript(session, case)]
        return case.organisation.name, case.reason, messages


def close_the_case(settings: Settings, clock: Clock) -> None:
    with session_scope(settings.database_url) as session:
        case = session.scalars(select(Case)).one()
        worker = create_account(
            session, case.organisation, "worker", Role.CASEWORKER.value, "a long pass phrase 42"
        )
        cases.close(session, case, worker, "answered", clock.now)


def test_a_case_from_asking_to_closing(chat, settings, clock, rasa, phrases):
    chat("mwen nan Panama")  # the country and Kreyòl
    told = chat(ASK_FOR_A_PERSON)
    opened = phrases.get("handoff_opened", "ht").split("{")[0]
    assert told.startswith(opened.rstrip() + " Lakay Panama")  # the Haitian-serving partner
    # 04:00 in Panama on a Wednesday: they open at 08:00 the same day, said in Kreyòl.
    assert "lè yo louvri, mèkredi a 08:00" in told
    assert "911" in told  # Panama's emergency numbers
    assert "A person card" not in told  # the model chose; the handoff says the words
    organisation, reason, messages = the_case(settings)
    assert (organisation, reason, messages) == ("Lakay Panama", CaseReason.OTHER, [])

    calls = len(rasa.calls)
    assert chat("pitit mwen malad, kisa m ka fè?") == ""  # silent: a person will answer
    assert chat("/menu") == ""
    assert len(rasa.calls) == calls  # nothing inside a case reaches the model
    *_, messages = the_case(settings)
    assert messages == [(Author.PERSON.value, "pitit mwen malad, kisa m ka fè?")]

    emergency = chat(HELD)  # the fast path answers inside a case
    assert "911" in emergency and phrases.get("talk_button", "ht") in emergency
    assert not emergency.startswith(opened.rstrip())
    *_, messages = the_case(settings)
    assert messages[-1] == (Author.PERSON.value, HELD)

    again = chat("/talk_to_human")  # the offer tapped again: said to be open, not reopened
    assert again == phrases.get("handoff_already_open", "ht").replace(
        "{organisation}", "Lakay Panama"
    )

    close_the_case(settings, clock)
    clock.now += dt.timedelta(minutes=40)  # after the emergency's half hour
    assert chat("kote m ka dòmi aswè a?") == "Shelter card"  # the bot answers again
    assert len(rasa.calls) == calls + 1


def test_yes_to_the_offer_in_an_emergency_opens_an_urgent_case_without_the_model(
    chat, settings, rasa, phrases
):
    first = chat("m nan Meksik, yo kenbe m, ede m souple")
    assert phrases.get("talk_button", "ht") in first
    told = chat("wi")
    assert "Lakay Meksik" in told and "911" in told
    organisation, reason, _ = the_case(settings)
    assert (organisation, reason) == ("Lakay Meksik", CaseReason.EMERGENCY)
    assert rasa.calls == []  # the emergency and the "yes" never needed the model
