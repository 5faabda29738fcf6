"""The gateway on its own, with Rasa and the action server not running (real closed ports)."""

from __future__ import annotations

import pytest

from bot.store.db import session_scope
from bot.store.models import Conversation


@pytest.fixture
def client(gateway_without_rasa):
    return gateway_without_rasa


def test_healthz_names_what_does_not_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["rasa", "action_server"]
    assert body["checks"]["content_store"] is True


def test_chat_page_greets_with_the_topics_as_buttons(client):
    response = client.get("/chat")
    assert response.status_code == 200
    assert 'name="payload" value="/trafficking"' in response.text
    assert "chat_id" in response.cookies


def test_rasa_down_gets_a_kind_answer_in_the_persons_language(client, phrases):
    response = client.post("/chat/messages", json={"text": "bonjou, m bezwen ed"})
    assert response.status_code == 200
    body = response.json()
    assert body["language"] == "ht"
    assert phrases.get("unavailable", "ht").split(".")[0] in body["messages"][0]["html"]


@pytest.mark.parametrize(
    "body",
    [b"not json", b'{"text": 5}', b"[]", b'{"no_text": "x"}'],
    ids=["invalid-json", "text-not-string", "array", "missing-text"],
)
def test_malformed_chat_payloads_get_a_clear_4xx(client, body):
    response = client.post(
        "/chat/messages", content=body, headers={"content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500


def test_no_javascript_form_post_works(client, phrases):
    response = client.post("/chat", data={"text": "hello"})
    assert response.status_code == 200
    assert "hello" in response.text
    assert "<form" in response.text


def test_the_store_keeps_a_pseudonym_not_the_cookie(client, settings):
    client.post("/chat/messages", json={"text": "hello"})
    token = client.cookies["chat_id"]
    with session_scope(settings.database_url) as session:
        pseudonyms = [c.pseudonym for c in session.query(Conversation).all()]
    assert len(pseudonyms) == 1
    assert token not in pseudonyms[0]
    assert pseudonyms[0].startswith("web-")


def test_nlg_endpoint_answers_rasa_shape(client, settings):
    settings.nlg_token = "nlg-token"  # what Rasa sends as ?token= (bot/stack.py)
    response = client.post(
        "/nlg",
        json={"response": "utter_trafficking", "tracker": {"sender_id": "x"}, "arguments": {}},
        params={"token": "nlg-token"},
    )
    assert response.status_code == 200
    assert response.json()["text"]


def _html(response) -> str:
    return " ".join(m["html"] for m in response.json()["messages"])


def test_emergency_is_answered_without_rasa_and_asks_for_the_country(client, phrases):
    response = client.post(
        "/chat/messages", json={"text": "yo kenbe m, m pa ka soti, ede m souple"}
    )
    body = response.json()
    assert body["language"] == "ht"
    assert phrases.get("which_country", "ht") in _html(response)
    payloads = [b["payload"] for b in body["messages"][0]["buttons"]]
    assert '/country{"country": "PA"}' in payloads
    assert '/country{"country": "MX"}' in payloads

    panama = client.post("/chat/messages", json={"text": '/country{"country": "PA"}'})
    assert "911" in _html(panama)
    assert phrases.get("which_country", "ht") not in _html(panama)


def test_a_place_named_in_the_emergency_scopes_the_answer(client):
    response = client.post(
        "/chat/messages", json={"text": "m nan Meksik, yo kenbe m, ede m souple"}
    )
    html = _html(response)
    assert "911" in html
    assert "Meksik" in html


@pytest.mark.parametrize(
    "payload",
    ['/country{"country": "pa"}', "/country{not json}", '/country{"country": 5}'],
    ids=["lower-case-code", "broken-json", "not-a-string"],
)
def test_malformed_country_payloads_are_not_trusted(client, phrases, payload):
    response = client.post("/chat/messages", json={"text": payload})
    assert response.status_code == 200
    # Not taken as a country: it goes on to Rasa like any payload (down here), no scoped answer.
    assert phrases.get("unavailable", "en").split(".")[0] in _html(response)


def test_typing_the_country_after_an_emergency_answers_without_rasa(client):
    client.post("/chat/messages", json={"text": "yo kenbe m, m pa ka soti, ede m souple"})
    response = client.post("/chat/messages", json={"text": "Meksik"})
    html = _html(response)
    assert "911" in html
    assert "Meksik" in html
