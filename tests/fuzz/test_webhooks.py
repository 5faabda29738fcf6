"""Every public route of the channels and /nlg fed malformed, oversized, mistyped, misencoded
and odd-unicode input (issue 19, item 6): never a 5xx, never a processed forgery, a replayed
Telegram update answered once."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.store.db import session_scope
from bot.store.models import Conversation, ProcessedMessage
from tests.fakes.telegram_api import message, new_chat, new_update_id, text_update
from tests.fuzz.conftest import NLG_TOKEN, PUBLIC, TELEGRAM_SECRET
from tests.fuzz.strategies import (
    FUZZ,
    bodies,
    content_types,
    encode_json,
    json_values,
    odd_text,
    raw_bytes,
)
from tests.whatsapp_helpers import AUTH_TOKEN, message_form, signature

WHATSAPP = "/webhooks/whatsapp"
TELEGRAM = "/webhooks/telegram"
TWILIO_FIELDS = ["Body", "From", "MessageSid", "NumMedia", "ButtonPayload", "MessageType"]


def _answered_without_error(response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:300])


def _footprint(gateway) -> tuple[int, int, int]:
    """What processing leaves behind: Rasa calls, webhook ids, conversations (Bot API sends
    leave the outbox later, so they are not counted here)."""
    with session_scope(gateway.settings.database_url) as session:
        ids = session.scalar(select(func.count()).select_from(ProcessedMessage))
        people = session.scalar(select(func.count()).select_from(Conversation))
    return len(gateway.rasa.calls), ids, people


# --- WhatsApp ----------------------------------------------------------------------------------

header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
forged_signatures = st.none() | header_text | st.just("bm90IGEgc2lnbmF0dXJl")


@FUZZ
@given(
    form=st.dictionaries(st.sampled_from(TWILIO_FIELDS) | st.text(max_size=8), odd_text),
    forged=forged_signatures,
    other_token=st.booleans(),
)
def test_a_forged_or_unsigned_whatsapp_form_changes_nothing(
    fuzz_gateway, form, forged, other_token
):
    form = {"From": "whatsapp:+50937000001", "MessageSid": "SM1", **form}
    clean = {k: v.encode("utf-8", "replace").decode() for k, v in form.items()}
    if other_token:  # a real signature, made with someone else's auth token
        forged = signature(PUBLIC + WHATSAPP, clean, token=AUTH_TOKEN + "-not")
    before = _footprint(fuzz_gateway)
    headers = {"X-Twilio-Signature": forged} if forged is not None else {}
    response = fuzz_gateway.client.post(WHATSAPP, data=clean, headers=headers)
    assert response.status_code == 403
    assert _footprint(fuzz_gateway) == before


@FUZZ
@given(body=bodies | raw_bytes, content_type=content_types, path=st.sampled_from(["", "/status"]))
def test_any_unsigned_whatsapp_body_is_refused_with_a_4xx(fuzz_gateway, body, content_type, path):
    before = _footprint(fuzz_gateway)
    response = fuzz_gateway.client.post(
        WHATSAPP + path,
        content=body,
        headers={"content-type": content_type, "X-Twilio-Signature": "x"},
    )
    assert 400 <= response.status_code < 500
    assert _footprint(fuzz_gateway) == before


@FUZZ
@given(
    text=odd_text,
    extra=st.dictionaries(st.sampled_from(TWILIO_FIELDS) | st.text(max_size=8), odd_text),
)
def test_a_signed_whatsapp_form_with_odd_fields_is_answered(fuzz_gateway, text, extra):
    form = message_form(text, **extra)
    # What Twilio can send is text; what it signs is the form as decoded.
    form = {k: v.encode("utf-8", "replace").decode() for k, v in form.items()}
    response = fuzz_gateway.client.post(
        WHATSAPP,
        data=form,
        headers={"X-Twilio-Signature": signature(PUBLIC + WHATSAPP, form)},
    )
    _answered_without_error(response)


@FUZZ
@given(status=odd_text | st.sampled_from(["delivered", "failed", "read"]))
def test_a_signed_status_callback_with_any_status_is_answered(fuzz_gateway, status):
    form = {"MessageSid": "SM1", "MessageStatus": status.encode("utf-8", "replace").decode()}
    url = PUBLIC + WHATSAPP + "/status"
    response = fuzz_gateway.client.post(
        WHATSAPP + "/status", data=form, headers={"X-Twilio-Signature": signature(url, form)}
    )
    _answered_without_error(response)


# --- Telegram ----------------------------------------------------------------------------------


def _telegram(gateway, body: bytes, secret: str | None = TELEGRAM_SECRET, content_type=None):
    headers = {"content-type": content_type or "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    return gateway.client.post(TELEGRAM, content=body, headers=headers)


@FUZZ
@given(
    body=bodies | st.builds(lambda t: encode_json(text_update(new_chat(), t)), odd_text),
    secret=st.none() | header_text.filter(lambda s: s.strip() != TELEGRAM_SECRET),
)
def test_a_telegram_update_without_the_secret_changes_nothing(fuzz_gateway, body, secret):
    before = _footprint(fuzz_gateway)
    response = _telegram(fuzz_gateway, body, secret=secret)
    assert response.status_code == 403
    assert _footprint(fuzz_gateway) == before


def _update_like(draw_text, draw_value):
    """An Update whose fields may each be odd: a text, any JSON value, a missing part."""
    return st.builds(
        lambda update_id, chat, text, value, where: {
            "update_id": update_id,
            "message": {
                **message(chat, text=text),
                **({where: value} if where else {}),
            },
        },
        st.integers(min_value=-(2**70), max_value=2**70) | st.just(new_update_id()),
        st.integers(min_value=-(2**64), max_value=2**64) | st.just(new_chat()),
        draw_text,
        draw_value,
        st.sampled_from([None, "chat", "from", "date", "entities", "text", "caption", "photo"]),
    )


@FUZZ
@given(
    body=bodies | _update_like(odd_text, json_values).map(encode_json),
    content_type=content_types,
)
def test_any_body_with_the_secret_gets_an_answer_not_an_error(fuzz_gateway, body, content_type):
    _answered_without_error(_telegram(fuzz_gateway, body, content_type=content_type))


@FUZZ
@given(text=odd_text, repeats=st.integers(min_value=1, max_value=3))
def test_a_replayed_telegram_update_is_answered_once(fuzz_gateway, text, repeats):
    body = encode_json(text_update(new_chat(), text))
    first = _telegram(fuzz_gateway, body)
    assert first.status_code == 200, first.text
    assert first.json() == {"ok": True, "duplicate": False}
    after_first = len(fuzz_gateway.rasa.calls)
    for _ in range(repeats):
        again = _telegram(fuzz_gateway, body)
        assert again.status_code == 200
        assert again.json() == {"ok": True, "duplicate": True}
    assert len(fuzz_gateway.rasa.calls) == after_first


# --- the web chat ------------------------------------------------------------------------------


@FUZZ
@given(body=bodies, content_type=content_types)
def test_any_body_to_the_web_chat_gets_an_answer_not_an_error(fuzz_gateway, body, content_type):
    for path in ("/chat/messages", "/chat"):
        response = fuzz_gateway.client.post(
            path, content=body, headers={"content-type": content_type}
        )
        _answered_without_error(response)


@FUZZ
@given(text=odd_text, title=odd_text, payload=odd_text)
def test_odd_text_in_the_web_chat_is_answered_and_reaches_rasa_clean(
    fuzz_gateway, text, title, payload
):
    before = len(fuzz_gateway.rasa.calls)
    response = fuzz_gateway.client.post("/chat/messages", content=encode_json({"text": text}))
    assert response.status_code == 200, response.text
    form = {"text": text, "title": title, "payload": payload}
    form = {k: v.encode("utf-8", "replace").decode() for k, v in form.items()}
    assert fuzz_gateway.client.post("/chat", data=form).status_code == 200
    seen = json.dumps(fuzz_gateway.rasa.calls[before:], ensure_ascii=False)
    assert "\x00" not in seen and not any(0xD800 <= ord(c) <= 0xDFFF for c in seen)


@FUZZ
@given(cookie=st.text(st.characters(min_codepoint=0x21, max_codepoint=0xFF), max_size=300))
def test_any_cookie_gets_the_page_and_the_updates(fuzz_gateway, cookie):
    value = b"chat_id=" + cookie.replace(";", "").encode("latin-1")  # header bytes, not UTF-8
    for path in ("/chat", "/chat/updates"):
        response = fuzz_gateway.client.get(path, headers={"cookie": value})
        _answered_without_error(response)


# --- /nlg: refused without the token, and never a 5xx with it ---------------------------------


@FUZZ
@given(body=bodies, token=st.none() | st.text(max_size=30))
def test_the_nlg_endpoint_refuses_any_body_without_the_token(fuzz_gateway, body, token):
    params = {} if token is None or token == NLG_TOKEN else {"token": token}
    response = fuzz_gateway.client.post(
        "/nlg", content=body, params=params, headers={"content-type": "application/json"}
    )
    assert response.status_code == 403


@FUZZ
@given(
    body=bodies
    | st.fixed_dictionaries(
        {"response": json_values, "tracker": json_values, "arguments": json_values}
    ).map(encode_json)
)
def test_a_malformed_nlg_request_with_the_token_is_a_4xx(fuzz_gateway, body):
    response = fuzz_gateway.client.post(
        "/nlg",
        content=body,
        params={"token": NLG_TOKEN},
        headers={"content-type": "application/json"},
    )
    _answered_without_error(response)
