"""The WhatsApp webhook over real-shaped Twilio payloads, with Rasa not running.

Everything here is answered without Rasa (the emergency fast path, consent, media, the digit
answers to the country question); the end-to-end run through the real Rasa server is in
tests/integration/test_channels.py.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.store import deliveries
from bot.store.db import session_factory
from bot.store.models import Conversation, ProcessedMessage
from tests.whatsapp_helpers import AUTH_TOKEN, PERSON, message_form, post_signed, signature

EMERGENCY_HT = "yo kenbe m, m pa ka soti, ede m souple"


def bodies(response) -> list[str]:
    """The messages of a TwiML answer, as the person reads them."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    return [m.text or "" for m in ET.fromstring(response.text).iter("Message")]


@pytest.fixture
def whatsapp(settings, gateway_without_rasa):
    settings.twilio_auth_token = AUTH_TOKEN  # read on each request, like every setting
    return gateway_without_rasa


def conversations_count(settings) -> int:
    with session_factory(settings.database_url)() as session:
        return len(session.scalars(select(Conversation)).all())


def test_emergency_in_kreyol_is_answered_in_kreyol_with_numbered_countries(whatsapp, phrases):
    [answer] = bodies(post_signed(whatsapp, message_form(EMERGENCY_HT)))
    assert "Si ou an danje kounye a" in answer
    assert phrases.get("options_hint", "ht") in answer
    assert "\n1. Kolonbi" in answer and re.search(r"\n\d+\. Meksik", answer)


def test_a_digit_answers_the_numbered_question(whatsapp):
    [question] = bodies(post_signed(whatsapp, message_form(EMERGENCY_HT)))
    mexico = re.search(r"\n(\d+)\. Meksik", question).group(1)  # "7. Meksik": answer "7"
    [answer] = bodies(post_signed(whatsapp, message_form(mexico)))
    assert "Meksik" in answer and "911" in answer


def test_a_tapped_button_sends_its_payload(whatsapp):
    bodies(post_signed(whatsapp, message_form(EMERGENCY_HT)))
    form = message_form("Panama", ButtonPayload='/country{"country": "PA"}', ButtonText="Panama")
    [answer] = bodies(post_signed(whatsapp, form))
    assert "Panama" in answer and "911" in answer


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}],
    ids=["unsigned", "wrong-signature"],
)
def test_a_forged_webhook_is_refused_and_changes_nothing(whatsapp, settings, headers):
    response = whatsapp.post("/webhooks/whatsapp", data=message_form(EMERGENCY_HT), headers=headers)
    assert response.status_code == 403
    assert conversations_count(settings) == 0


def test_a_signature_for_another_token_is_refused(whatsapp):
    form = message_form(EMERGENCY_HT)
    forged = signature("http://testserver/webhooks/whatsapp", form, token="someone-else")
    response = whatsapp.post(
        "/webhooks/whatsapp", data=form, headers={"X-Twilio-Signature": forged}
    )
    assert response.status_code == 403


def test_a_changed_body_breaks_the_signature(whatsapp):
    form = message_form("hello")
    good = signature("http://testserver/webhooks/whatsapp", form)
    form["Body"] = "something else"
    response = whatsapp.post("/webhooks/whatsapp", data=form, headers={"X-Twilio-Signature": good})
    assert response.status_code == 403


def test_behind_a_proxy_the_public_url_is_what_twilio_signed(settings, languages):
    settings.public_base_url = "https://assistant.example.org"
    settings.twilio_auth_token = AUTH_TOKEN
    from bot.web.app import create_app

    with TestClient(create_app(settings)) as client:
        form = message_form(EMERGENCY_HT)
        public = signature("https://assistant.example.org/webhooks/whatsapp", form)
        internal = signature("http://testserver/webhooks/whatsapp", form)
        headers = {"X-Twilio-Signature": internal}
        assert client.post("/webhooks/whatsapp", data=form, headers=headers).status_code == 403
        headers = {"X-Twilio-Signature": public}
        assert client.post("/webhooks/whatsapp", data=form, headers=headers).status_code == 200


def test_a_redelivered_message_is_answered_once(whatsapp):
    form = message_form(EMERGENCY_HT)
    first = bodies(post_signed(whatsapp, form))
    again = bodies(post_signed(whatsapp, form))
    assert len(first) == 1
    assert again == []


@pytest.mark.parametrize(
    "extra",
    [
        {"NumMedia": "1", "MediaContentType0": "image/jpeg", "MessageType": "image"},
        {"NumMedia": "1", "MediaContentType0": "audio/ogg", "MessageType": "audio"},
        {"Latitude": "8.9824", "Longitude": "-79.5199", "MessageType": "location"},
        {"NumMedia": "1", "MediaContentType0": "text/vcard", "MessageType": "contacts"},
        {"MessageType": "sticker", "NumMedia": "1", "MediaContentType0": "image/webp"},
    ],
    ids=["photo", "voice-note", "location", "contact", "sticker"],
)
def test_what_we_cannot_read_gets_a_kind_answer_in_the_persons_language(whatsapp, phrases, extra):
    bodies(post_signed(whatsapp, message_form(EMERGENCY_HT)))  # the conversation is in Kreyòl
    [answer] = bodies(post_signed(whatsapp, message_form("", **extra)))
    assert answer == phrases.get("unreadable_message", "ht")


def test_a_photo_with_a_caption_is_answered_as_text(whatsapp):
    form = message_form(EMERGENCY_HT, NumMedia="1", MediaContentType0="image/jpeg")
    [answer] = bodies(post_signed(whatsapp, form))
    assert "Si ou an danje kounye a" in answer


def test_stop_and_start_are_honoured_in_every_language(whatsapp, phrases):
    bodies(post_signed(whatsapp, message_form(EMERGENCY_HT)))
    assert bodies(post_signed(whatsapp, message_form("SISPANN"))) == [
        phrases.get("opted_out", "ht")
    ]
    assert bodies(post_signed(whatsapp, message_form("hello, the menu please"))) == []
    # Safety first: a person who stopped messages and is in danger is still answered.
    [danger] = bodies(post_signed(whatsapp, message_form("help me they took my child")))
    # Still in Kreyòl (the language changes only on request), still the emergency's numbers.
    assert "911" in danger or "danje" in danger.lower()
    assert bodies(post_signed(whatsapp, message_form("Kòmanse!"))) == [
        phrases.get("opted_in", "ht")
    ]


@pytest.mark.parametrize("word", ["STOP", "arrêt", "Arret", "sispann", "alto", "parar"])
def test_opt_out_words(whatsapp, settings, word):
    post_signed(whatsapp, message_form(word))
    with session_factory(settings.database_url)() as session:
        assert session.scalars(select(Conversation.opted_out)).one() is True


def test_stop_inside_a_sentence_is_not_an_opt_out(whatsapp, settings):
    post_signed(whatsapp, message_form("they will not stop calling me"))
    with session_factory(settings.database_url)() as session:
        assert session.scalars(select(Conversation.opted_out)).one() is False


def test_an_oversized_message_is_answered_within_whatsapps_limit(whatsapp):
    answers = bodies(post_signed(whatsapp, message_form(EMERGENCY_HT + " " + "a" * 20000)))
    assert answers and all(len(a) <= 1600 for a in answers)


def test_broken_encoding_is_not_a_server_error(whatsapp):
    raw = "MessageSid=SM9&From=whatsapp%3A%2B50937000001&Body=%FF%FEede+m"
    # Signed over the form as decoded (undecodable bytes become U+FFFD), as Twilio would sign.
    form = {"MessageSid": "SM9", "From": PERSON, "Body": "\ufffd\ufffdede m"}
    url = "http://testserver/webhooks/whatsapp"
    response = whatsapp.post(
        "/webhooks/whatsapp",
        content=raw.encode(),
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature(url, form),
        },
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("form", "status"),
    [
        ({"From": PERSON, "Body": "hello"}, 400),
        ({"MessageSid": "SM1", "From": "+50937000001", "Body": "hello"}, 400),
        ({"MessageSid": "SM1", "Body": "hello"}, 400),
    ],
    ids=["no-sid", "not-whatsapp", "no-sender"],
)
def test_malformed_but_signed_payloads_get_a_clear_400(whatsapp, form, status):
    response = post_signed(whatsapp, form)
    assert response.status_code == status
    assert response.text


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"Body": "hello"}', "application/json"),
        (b"\x00\x01\x02", "application/x-www-form-urlencoded"),
        (b"--x\r\nbroken", "multipart/form-data; boundary=x"),
    ],
    ids=["json", "binary", "broken-multipart"],
)
def test_garbage_is_refused_without_a_server_error(whatsapp, content, content_type):
    response = whatsapp.post(
        "/webhooks/whatsapp", content=content, headers={"content-type": content_type}
    )
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize("delivery", ["sent", "delivered", "read", "failed"])
def test_status_callbacks_are_counted(whatsapp, settings, delivery):
    form = {"MessageSid": "SM1", "MessageStatus": delivery, "AccountSid": "AC1"}
    for _ in range(2):
        response = post_signed(whatsapp, form, path="/webhooks/whatsapp/status")
        assert response.status_code == 204
    with session_factory(settings.database_url)() as session:
        assert deliveries.event_counts(session, "whatsapp", "status:") == {delivery: 2}


def test_status_callbacks_are_verified_and_checked(whatsapp):
    form = {"MessageSid": "SM1", "MessageStatus": "delivered"}
    unsigned = whatsapp.post("/webhooks/whatsapp/status", data=form)
    assert unsigned.status_code == 403
    unknown = post_signed(whatsapp, {"MessageSid": "SM1"}, path="/webhooks/whatsapp/status")
    assert unknown.status_code == 400


def test_no_phone_number_is_stored(whatsapp, settings):
    bodies(post_signed(whatsapp, message_form(EMERGENCY_HT)))
    database = settings.database_url.removeprefix("sqlite:///")
    with session_factory(settings.database_url)() as session:
        pseudonym = session.scalars(select(Conversation.pseudonym)).one()
        assert session.scalars(select(ProcessedMessage)).one().external_id.startswith("SM")
    assert PERSON.removeprefix("whatsapp:+") not in pseudonym
    with open(database, "rb") as stored:
        assert PERSON.removeprefix("whatsapp:+").encode() not in stored.read()
