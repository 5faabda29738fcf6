"""What was found by hand before the fuzzing (issue 19, item 6), kept as plain regressions:
control characters and lone surrogates, the NLG endpoint open to anyone, bodies of any size."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fakes.telegram_api import new_chat, text_update
from tests.fuzz.conftest import NLG_TOKEN, PUBLIC, TELEGRAM_SECRET
from tests.whatsapp_helpers import message_form, signature

DIRTY = "\u0000\ud800 bonjou\u0007, m\tbezwen\r\nèd\u009b"
DIRTY_JSON = json.dumps({"text": DIRTY}).encode()  # "\u0000\ud800...": valid JSON, bad text


def _rasa_saw(gateway, before: int) -> str:
    """Everything the fake Rasa was sent since `before`, as one string."""
    calls = gateway.rasa.calls[before:]
    assert calls, "the message did not reach Rasa"
    return json.dumps(calls, ensure_ascii=False)


def _is_clean(text: str) -> bool:
    return all(c in "\n\t" or (ord(c) >= 0x20 and not 0x7F <= ord(c) <= 0x9F) for c in text) and (
        not any(0xD800 <= ord(c) <= 0xDFFF for c in text)
    )


def test_a_nul_and_a_lone_surrogate_in_the_web_chat_are_answered(fuzz_gateway):
    before = len(fuzz_gateway.rasa.calls)
    response = fuzz_gateway.client.post(
        "/chat/messages", content=DIRTY_JSON, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text
    seen = _rasa_saw(fuzz_gateway, before)
    assert _is_clean(seen)
    assert "bonjou" in seen and "\ufffd" in seen  # the surrogate replaced, the words kept


def test_control_characters_in_the_web_chat_form_are_dropped(fuzz_gateway):
    before = len(fuzz_gateway.rasa.calls)
    response = fuzz_gateway.client.post("/chat", data={"text": "\x00bonjou\x1b[31m"})
    assert response.status_code == 200
    assert "\x00" not in response.text and "\x1b" not in response.text
    assert _is_clean(_rasa_saw(fuzz_gateway, before))


def test_control_characters_in_a_whatsapp_message_never_reach_rasa(fuzz_gateway):
    before = len(fuzz_gateway.rasa.calls)
    form = message_form("\x00bonjou\x07 m bezwen ed")
    url = PUBLIC + "/webhooks/whatsapp"
    response = fuzz_gateway.client.post(
        "/webhooks/whatsapp", data=form, headers={"X-Twilio-Signature": signature(url, form)}
    )
    assert response.status_code == 200, response.text
    assert _is_clean(_rasa_saw(fuzz_gateway, before))


def test_a_lone_surrogate_in_a_telegram_message_never_reaches_rasa(fuzz_gateway):
    before = len(fuzz_gateway.rasa.calls)
    update = json.dumps(text_update(new_chat(), DIRTY)).encode()
    response = fuzz_gateway.client.post(
        "/webhooks/telegram",
        content=update,
        headers={
            "content-type": "application/json",
            "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET,
        },
    )
    assert response.status_code == 200, response.text
    assert _is_clean(_rasa_saw(fuzz_gateway, before))


# --- POST /nlg is Rasa's: behind a token ---------------------------------------------------

NLG_BODY = {"response": "utter_trafficking", "tracker": {"sender_id": "someone"}, "arguments": {}}


@pytest.mark.parametrize(
    "params", [{}, {"token": "guess"}, {"token": NLG_TOKEN + "x"}], ids=["none", "wrong", "longer"]
)
def test_the_nlg_endpoint_refuses_anyone_without_the_token(fuzz_gateway, params):
    response = fuzz_gateway.client.post("/nlg", json=NLG_BODY, params=params)
    assert response.status_code == 403
    assert "text" not in response.json()


def test_the_nlg_endpoint_answers_rasa_with_the_token(fuzz_gateway):
    response = fuzz_gateway.client.post("/nlg", json=NLG_BODY, params={"token": NLG_TOKEN})
    assert response.status_code == 200
    assert response.json()["text"]


def test_without_a_configured_token_the_nlg_endpoint_answers_nobody(fuzz_gateway):
    fuzz_gateway.settings.nlg_token = None  # read on each request, like every setting
    try:
        response = fuzz_gateway.client.post("/nlg", json=NLG_BODY, params={"token": ""})
    finally:
        fuzz_gateway.settings.nlg_token = NLG_TOKEN
    assert response.status_code == 503
    assert "NLG_TOKEN" in response.json()["detail"]


def test_the_nlg_endpoint_is_not_in_the_public_schema(fuzz_gateway):
    schema = fuzz_gateway.client.get("/openapi.json").json()
    assert "/nlg" not in schema["paths"]


# --- bodies are capped, announced or streamed ----------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/chat/messages", "/chat", "/webhooks/whatsapp", "/webhooks/telegram", "/nlg", "/admin/login"],
)
def test_an_announced_oversized_body_is_refused_before_it_is_read(fuzz_gateway, path):
    before = len(fuzz_gateway.rasa.calls)
    response = fuzz_gateway.client.post(
        path, content=b"x" * (17 * 1024 * 1024), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert len(fuzz_gateway.rasa.calls) == before


def _chunks(total: int, size: int = 64 * 1024):
    sent = 0
    while sent < total:
        yield b"{" * size
        sent += size


@pytest.mark.parametrize("path", ["/chat/messages", "/webhooks/telegram", "/webhooks/whatsapp"])
def test_a_streamed_body_without_a_length_is_cut_at_the_limit(fuzz_gateway, path):
    response = fuzz_gateway.client.post(
        path, content=_chunks(2 * 1024 * 1024), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


def test_a_body_within_the_limit_still_arrives_when_streamed(fuzz_gateway):
    body = json.dumps({"text": "hello"}).encode()
    response = fuzz_gateway.client.post(
        "/chat/messages",
        content=iter([body[:5], body[5:]]),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200, response.text


def test_a_content_length_that_is_not_a_number_is_a_bad_request(fuzz_gateway):
    response = fuzz_gateway.client.post(
        "/chat/messages", content=b"{}", headers={"content-length": "lots"}
    )
    assert response.status_code == 400


# --- found by the fuzzing: bodies json and FastAPI could not read -----------------------------


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/chat/messages", {}),
        ("/webhooks/telegram", {}),
        ("/nlg", {"token": NLG_TOKEN}),
    ],
)
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\x80", "application/x-www-form-urlencoded"),  # FastAPI quoted the bytes: a 500
        (b"\x80", "text/plain"),
        (b"[" * 20_000, "application/json"),  # json.loads: RecursionError, a 500
        ("text=café".encode("latin-1"), "application/json"),
    ],
    ids=["invalid-utf8-form", "invalid-utf8-text", "deep-nesting", "latin-1"],
)
def test_a_body_that_is_not_json_is_a_bad_request(fuzz_gateway, path, params, body, content_type):
    headers = {"content-type": content_type, "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    response = fuzz_gateway.client.post(path, content=body, params=params, headers=headers)
    assert response.status_code == 400, response.text


@pytest.mark.parametrize(
    "body",
    [[], {"tracker": [1]}, {"tracker": {}, "arguments": "x"}, {"response": 5}],
    ids=["array", "tracker-list", "arguments-string", "response-number"],
)
def test_an_nlg_request_of_the_wrong_shape_is_a_bad_request(fuzz_gateway, body):
    response = fuzz_gateway.client.post("/nlg", json=body, params={"token": NLG_TOKEN})
    assert response.status_code == 400


def test_a_nul_in_a_workspace_form_is_dropped_not_stored(fuzz_gateway, signed_in):
    """PostgreSQL refuses a NUL in text: a partner's pasted control character would be a 500
    there, and would reach people in an answer everywhere."""
    from sqlalchemy import select

    from bot.handoff.models import SavedReply
    from bot.store.db import session_scope
    from tests.workspace.conftest import csrf_token

    token = csrf_token(signed_in.get("/admin/cases/replies").text)
    form = {"csrf_token": token, "language": "ht", "title": "Nul\x00", "text": "Bonjou\x00\x1b!"}
    response = signed_in.post("/admin/cases/replies", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    with session_scope(fuzz_gateway.settings.database_url) as session:
        saved = session.scalars(select(SavedReply).where(SavedReply.title == "Nul")).one()
        assert saved.text == "Bonjou!"


def test_the_stack_gives_rasa_and_the_gateway_the_same_nlg_token(tmp_path):
    import yaml

    from bot.stack import Ports, Stack

    stack = Stack(ports=Ports.free(), run_dir=tmp_path)
    endpoints = Path(stack.commands()["rasa"][stack.commands()["rasa"].index("--endpoints") + 1])
    written = yaml.safe_load(endpoints.read_text())["nlg"]
    assert written["token"] == stack._env()["NLG_TOKEN"]
    assert len(written["token"]) >= 32  # one per run, not guessable
    assert endpoints.stat().st_mode & 0o077 == 0  # only its owner reads it
    assert Stack(ports=Ports.free(), run_dir=tmp_path).nlg_token != stack.nlg_token
