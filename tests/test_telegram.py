"""Telegram, end to end inside the gateway: real-shaped Updates posted to the webhook, a fake
Bot API (real HTTP) recording what we send, and a fake Rasa recording what reaches it."""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from telegram import Bot

from bot.channels.base import SendError
from bot.channels.telegram.payloads import parse_deep_link
from bot.channels.telegram.render import MAX_TEXT_CHARS, render, to_html, utf16_length
from bot.channels.telegram.send import TelegramSender
from bot.config import Settings
from bot.replies import Button, Reply
from bot.stack import free_port
from bot.store.db import session_scope
from bot.store.deliveries import event_counts
from bot.store.models import Conversation, OutboxMessage
from tests.builders import without_privacy_notice
from tests.fakes.rasa import FakeRasa
from tests.fakes.server import serve
from tests.fakes.telegram_api import (
    TOKEN,
    FakeTelegram,
    callback_update,
    fake_telegram,
    message,
    new_chat,
    new_update_id,
    text_update,
)

SECRET = "s3cret_Token-for-tests"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
PUBLIC = "https://gateway.example.org"
MENU_BUTTONS = [
    {"title": "Trafficking", "payload": "/trafficking"},
    {"title": "Route", "payload": "/route_risks"},
    {"title": "Talk to a person now", "payload": "/talk_to_human"},
]


# --- fakes and fixtures ----------------------------------------------------------------------


def default_reply(message: str) -> list[dict[str, Any]]:
    return [{"text": f"*Answer* to {message}", "buttons": MENU_BUTTONS}]


@pytest.fixture(scope="module")
def rasa() -> Iterator[FakeRasa]:
    fake = FakeRasa([], default_reply)
    with serve(fake.app()) as url:
        fake.url = url  # type: ignore[attr-defined]
        yield fake


@pytest.fixture(scope="module")
def telegram() -> Iterator[FakeTelegram]:
    with fake_telegram() as fake:
        yield fake


def telegram_settings(tmp_path_factory: pytest.TempPathFactory, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_path_factory.mktemp('tg') / 'app.sqlite3'}",
        "pseudonym_key": "test-key-not-secret",
        "action_server_url": f"http://127.0.0.1:{free_port()}",
        "telegram_bot_token": TOKEN,
        "telegram_webhook_secret": SECRET,
        "public_base_url": PUBLIC,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory, rasa, telegram) -> Iterator[tuple[TestClient, Settings]]:
    from bot.web.app import create_app

    settings = telegram_settings(
        tmp_path_factory, rasa_url=rasa.url, telegram_api_base=telegram.url
    )
    with TestClient(create_app(settings)) as client:
        yield client, settings


def drain(settings: Settings, telegram: FakeTelegram, timeout: float = 20.0) -> None:
    """Until the outbox has sent everything queued, so no send arrives in the next test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_scope(settings.database_url) as session:
            if not session.query(OutboxMessage).filter(OutboxMessage.failed.is_(False)).count():
                break
        time.sleep(0.05)
    telegram.settle("sendMessage", 0.1)


@pytest.fixture
def client(gateway, rasa, telegram) -> Iterator[TestClient]:
    """A clean slate per test: no recorded calls, the default Rasa answer."""
    telegram.clear()
    rasa.calls.clear()
    rasa.reply = default_reply
    yield gateway[0]
    drain(gateway[1], telegram)


# --- real-shaped updates (https://core.telegram.org/bots/api#update): tests/fakes/telegram_api.py

PHOTO = [{"file_id": "AgAD", "file_unique_id": "AQAD", "width": 90, "height": 90}]
MEDIA: dict[str, dict[str, Any]] = {
    "photo": {"photo": PHOTO},
    "voice": {"voice": {"file_id": "AwAD", "file_unique_id": "AgAD", "duration": 4}},
    "location": {"location": {"latitude": 8.5, "longitude": -77.3}},
    "sticker": {
        "sticker": {
            "file_id": "CAAD",
            "file_unique_id": "AgAD",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
    },
    "contact": {"contact": {"phone_number": "+50930000000", "first_name": "Marie"}},
}


def media_update(chat_id: int, kind: str, **extra: Any) -> dict[str, Any]:
    return {"update_id": new_update_id(), "message": message(chat_id, **MEDIA[kind], **extra)}


def visible(telegram_html: str) -> str:
    """What Telegram counts against the limit: the text after entity parsing."""
    return html.unescape(re.sub(r"<[^>]+>", "", telegram_html))


def post(client: TestClient, update: Any, headers: dict[str, str] | None = None) -> Any:
    return client.post(
        "/webhooks/telegram", json=update, headers=HEADERS if headers is None else headers
    )


# --- the "done when" -----------------------------------------------------------------


def test_an_update_with_the_right_secret_gets_one_send_message_with_a_keyboard(
    client, telegram, rasa, phrases
):
    chat_id = new_chat()
    response = post(client, text_update(chat_id, "my boss took my passport"))
    assert response.status_code == 200
    assert response.json() == {"ok": True, "duplicate": False}

    telegram.wait_for_calls("sendMessage", 1)
    sent = telegram.settle("sendMessage")
    assert len(sent) == 1
    assert sent[0]["chat_id"] == str(chat_id)
    assert sent[0]["parse_mode"] == "HTML"
    answer = without_privacy_notice(sent[0]["text"], phrases)  # a new person: the notice
    assert answer == "<b>Answer</b> to my boss took my passport"
    rows = sent[0]["reply_markup"]["inline_keyboard"]
    assert rows == [
        [
            {"text": "Trafficking", "callback_data": "/trafficking"},
            {"text": "Route", "callback_data": "/route_risks"},
        ],
        [{"text": "Talk to a person now", "callback_data": "/talk_to_human"}],
    ]
    assert rasa.messages() == ["my boss took my passport"]


# --- table of updates ------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    update: Callable[[int], dict[str, Any]]
    to_rasa: str | None  # what reaches Rasa; None: Rasa is not asked
    sends: int  # sendMessage calls
    callback_answered: bool = False
    unreadable: bool = False


CASES = {
    "text": Case(lambda c: text_update(c, "bonjou, m bezwen èd"), "bonjou, m bezwen ed", 1),
    "start": Case(lambda c: text_update(c, "/start"), "/greet", 1),
    "start-addressed": Case(lambda c: text_update(c, "/start@route_test_bot"), "/greet", 1),
    "menu": Case(lambda c: text_update(c, "/menu"), "/menu", 1),
    "language": Case(lambda c: text_update(c, "/language"), "/change_language", 1),
    "delete": Case(lambda c: text_update(c, "/delete"), None, 1),  # asked by the gateway
    "help": Case(lambda c: text_update(c, "/help"), "/menu", 2),
    "unknown-command": Case(lambda c: text_update(c, "/weather"), "/menu", 1),
    "button": Case(lambda c: callback_update(c, "/trafficking"), "/trafficking", 1, True),
    "button-in-group": Case(lambda c: callback_update(c, "/menu", "group"), None, 0, True),
    "edited-message": Case(
        lambda c: {"update_id": new_update_id(), "edited_message": message(c, text="hi")},
        None,
        0,
    ),
    "group": Case(lambda c: text_update(-c, "bonjou", "group"), None, 0),
    "supergroup": Case(lambda c: text_update(-c, "/start", "supergroup"), None, 0),
    "channel-post": Case(
        lambda c: {
            "update_id": new_update_id(),
            "channel_post": message(-c, "channel", text="news"),
        },
        None,
        0,
    ),
    "photo": Case(lambda c: media_update(c, "photo"), None, 1, unreadable=True),
    "photo-with-caption": Case(
        lambda c: media_update(c, "photo", caption="yo pran paspò m"), "yo pran paspo m", 1
    ),
    "voice": Case(lambda c: media_update(c, "voice"), None, 1, unreadable=True),
    "location": Case(lambda c: media_update(c, "location"), None, 1, unreadable=True),
    "sticker": Case(lambda c: media_update(c, "sticker"), None, 1, unreadable=True),
    "contact": Case(lambda c: media_update(c, "contact"), None, 1, unreadable=True),
}


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_updates(client, telegram, rasa, phrases, case: Case):
    chat_id = new_chat()
    response = post(client, case.update(chat_id))
    assert response.status_code == 200, response.text

    if case.sends:
        telegram.wait_for_calls("sendMessage", case.sends)
    sent = telegram.settle("sendMessage")
    assert len(sent) == case.sends
    assert rasa.messages() == ([case.to_rasa] if case.to_rasa else [])
    assert all(s["chat_id"] == str(chat_id) for s in sent)
    if case.unreadable:
        unreadable = without_privacy_notice(sent[0]["text"], phrases)
        assert unreadable == to_html(phrases.get("unreadable_message", "en"))
    answered = telegram.calls("answerCallbackQuery")
    assert [a["callback_query_id"] for a in answered] == (
        [f"cbq-{chat_id}"] if case.callback_answered else []
    )


def test_help_explains_the_commands_then_shows_the_menu(client, telegram, phrases):
    post(client, text_update(new_chat(), "/help"))
    sent = telegram.wait_for_calls("sendMessage", 2)
    assert sent[0]["text"] == to_html(phrases.get("telegram_help", "en"))
    assert "reply_markup" not in sent[0]
    assert sent[1]["reply_markup"]["inline_keyboard"]


def test_deep_link_sets_the_language_and_an_invented_code_counts_nothing(
    client, telegram, rasa, gateway
):
    """Only a partner's campaign code counts (tests/sharing/test_arrivals.py); "ngo-42" is
    anyone's invention: the language in front is kept, nothing is counted or stored."""
    chat_id = new_chat()
    for _ in range(2):
        assert post(client, text_update(chat_id, "/start ht_ngo-42")).status_code == 200
    telegram.wait_for_calls("sendMessage", 2)
    assert rasa.messages() == ["/greet", "/greet"]
    assert rasa.calls[0]["metadata"] == {"language": "ht"}
    settings = gateway[1]
    with session_scope(settings.database_url) as session:
        assert event_counts(session, "telegram", "referral:") == {}
        (conversation,) = [
            c for c in session.query(Conversation).all() if c.pseudonym == rasa.calls[0]["sender"]
        ]
        assert (conversation.language, conversation.language_source) == ("ht", "chosen")


@pytest.mark.parametrize(
    ("payload", "language", "referral"),
    [
        ("ht_ngo-42", "ht", "ngo-42"),
        ("fr", "fr", None),
        ("en_", "en", None),
        ("partner7", None, "partner7"),
        ("xx_code", None, "xx_code"),
        ("", None, None),
        ("ht_" + "a" * 60, "ht", None),
        ("bad payload!", None, None),
    ],
)
def test_deep_link_payloads(payload, language, referral):
    link = parse_deep_link(payload, {"en", "fr", "ht"})
    assert (link.language, link.referral) == (language, referral)


def test_start_after_stop_starts_again(client, telegram, rasa, phrases):
    chat_id = new_chat()
    post(client, text_update(chat_id, "STOP"))
    telegram.wait_for_calls("sendMessage", 1)
    post(client, text_update(chat_id, "/start"))
    sent = telegram.wait_for_calls("sendMessage", 2)
    assert sent[1]["text"] == to_html(phrases.get("opted_in", "en"))
    assert rasa.messages() == []


def test_a_long_payload_travels_as_its_number(client, telegram, rasa):
    long_payload = '/children{"note": "' + "x" * 60 + '"}'
    rasa.reply = lambda message: [
        {
            "text": "Which country?",
            "buttons": [*MENU_BUTTONS[:1], {"title": "Panamá", "payload": long_payload}],
        }
    ]
    chat_id = new_chat()
    post(client, text_update(chat_id, "help me"))
    sent = telegram.wait_for_calls("sendMessage", 1)
    keys = [key for row in sent[0]["reply_markup"]["inline_keyboard"] for key in row]
    assert [k["callback_data"] for k in keys] == ["/trafficking", "2"]
    post(client, callback_update(chat_id, "2"))
    telegram.wait_for_calls("sendMessage", 2)
    assert rasa.messages() == ["help me", long_payload]


def test_oversized_answers_are_split_with_the_keyboard_on_the_last(client, telegram, rasa):
    sentence = "Keep a copy of your passport & your papers in a safe place. "
    rasa.reply = lambda message: [{"text": sentence * 160, "buttons": MENU_BUTTONS}]
    post(client, text_update(new_chat(), "x" * 5000))  # oversized in, too
    telegram.wait_for_calls("sendMessage", 3)
    sent = telegram.settle("sendMessage")
    assert len(sent) == 3
    assert all(utf16_length(visible(s["text"])) <= MAX_TEXT_CHARS for s in sent)
    assert [s["text"][-5:] for s in sent] == ["(1/3)", "(2/3)", "(3/3)"]
    assert ["reply_markup" in s for s in sent] == [False, False, True]
    assert "&amp;" in sent[0]["text"]
    assert len(rasa.messages()[0]) <= 2000


BROKEN = {
    "not-json": b"{update_id: 1",
    "not-utf8": b"\xff\xfe\x00{",
    "array": b"[]",
    "string": b'"hello"',
    "no-update-id": b'{"message": {"text": "hi"}}',
    "update-id-string": b'{"update_id": "12"}',
    "update-id-negative": b'{"update_id": -1}',
    "message-not-object": b'{"update_id": 12, "message": "hello"}',
    "chat-id-not-int": (
        b'{"update_id": 13, "message": {"message_id": 1, "date": 1,'
        b' "chat": {"id": "abc", "type": "private"}, "text": "hi"}}'
    ),
    "text-not-string": (
        b'{"update_id": 14, "message": {"message_id": 1, "date": 1,'
        b' "chat": {"id": 5, "type": "private"}, "text": 5}}'
    ),
    "callback-without-id": b'{"update_id": 15, "callback_query": {"from": {"id": 5}}}',
}


@pytest.mark.parametrize("body", list(BROKEN.values()), ids=list(BROKEN))
def test_broken_payloads_get_a_clear_400(client, telegram, rasa, body):
    response = client.post(
        "/webhooks/telegram",
        content=body,
        headers={**HEADERS, "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["ok"] is False
    assert response.json()["error"]
    assert telegram.settle("sendMessage", 0.2) == []
    assert rasa.calls == []


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Telegram-Bot-Api-Secret-Token": "wrong"},
        {"X-Telegram-Bot-Api-Secret-Token": SECRET[:-1]},
    ],
    ids=["missing", "wrong", "prefix"],
)
def test_wrong_or_missing_secret_is_403_and_nothing_happens(client, telegram, rasa, headers):
    update = text_update(new_chat(), "hello")
    response = post(client, update, headers=headers)
    assert response.status_code == 403
    assert "X-Telegram-Bot-Api-Secret-Token" in response.json()["error"]
    assert telegram.settle("sendMessage", 0.2) == []
    assert rasa.calls == []
    # Not even remembered as seen: the genuine delivery is still answered.
    assert post(client, update).json() == {"ok": True, "duplicate": False}


def test_a_redelivered_update_is_answered_once(client, telegram, rasa):
    update = text_update(new_chat(), "hello")
    assert post(client, update).json() == {"ok": True, "duplicate": False}
    assert post(client, update).json() == {"ok": True, "duplicate": True}
    telegram.wait_for_calls("sendMessage", 1)
    assert len(telegram.settle("sendMessage")) == 1
    assert rasa.messages() == ["hello"]


def test_a_crash_answers_500_and_the_redelivery_is_handled(client, telegram, gateway, monkeypatch):
    pipeline = client.app.state.services.pipeline
    real_answer = pipeline.answer
    failures = iter([True])

    async def crash_once(inbound, **options):
        if next(failures, False):
            raise RuntimeError("database is locked")
        return await real_answer(inbound, **options)

    monkeypatch.setattr(pipeline, "answer", crash_once)
    update = text_update(new_chat(), "hello")
    response = post(client, update)
    assert response.status_code == 500
    assert "deliver it again" in response.json()["error"]
    assert post(client, update).json() == {"ok": True, "duplicate": False}
    telegram.wait_for_calls("sendMessage", 1)
    assert len(telegram.settle("sendMessage")) == 1


def test_a_429_is_retried_after_retry_after_and_sent_once(client, telegram, gateway):
    telegram.recorder.fail_next(1, status=429, retry_after=1)
    post(client, text_update(new_chat(), "hello"))
    telegram.wait_for_calls("sendMessage", 1, timeout=15)
    assert len(telegram.settle("sendMessage")) == 1
    with session_scope(gateway[1].database_url) as session:
        assert session.query(OutboxMessage).count() == 0  # sent, so the chat id is gone


def test_no_chat_id_or_token_in_logs_or_behind_the_edge(client, telegram, rasa, caplog):
    caplog.set_level(logging.INFO)
    chat_id = new_chat()
    post(client, text_update(chat_id, "/start ht_ngo-1"))
    post(client, text_update(chat_id, "yo pran paspò m"))
    telegram.wait_for_calls("sendMessage", 2)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert str(chat_id) not in logged
    assert TOKEN not in logged
    senders = {call["sender"] for call in rasa.calls}
    assert len(senders) == 1
    (sender,) = senders
    assert sender.startswith("telegram-") and str(chat_id) not in sender


def test_webhook_mode_registers_the_webhook_with_the_secret(gateway, telegram):
    # Recorded at start-up, before the per-test clear; read from a fresh app instead.
    from bot.web.app import create_app

    settings = gateway[1].model_copy(update={"telegram_api_base": telegram.url})
    telegram.clear()
    with TestClient(create_app(settings)):
        (registered,) = telegram.calls("setWebhook")
    assert registered["url"] == f"{PUBLIC}/webhooks/telegram"
    assert registered["secret_token"] == SECRET
    assert registered["allowed_updates"] == ["message", "callback_query"]


# --- configuration and modes -----------------------------------------------------------------


def test_without_a_secret_the_webhook_says_it_is_not_configured(tmp_path_factory):
    from bot.web.app import create_app

    settings = telegram_settings(
        tmp_path_factory, telegram_webhook_secret=None, public_base_url=None
    )
    client = TestClient(create_app(settings))  # no lifespan needed: refused before anything
    response = client.post("/webhooks/telegram", json={"update_id": 1}, headers=HEADERS)
    assert response.status_code == 503
    assert "TELEGRAM_WEBHOOK_SECRET" in response.json()["error"]


def test_a_bot_api_down_at_start_up_leaves_the_gateway_running(tmp_path_factory):
    from bot.web.app import create_app

    down = f"http://127.0.0.1:{free_port()}"
    settings = telegram_settings(tmp_path_factory, telegram_api_base=down)
    with TestClient(create_app(settings)) as client:
        response = client.post("/webhooks/telegram", json={"update_id": 1}, headers=HEADERS)
        assert response.status_code == 503
        assert client.get("/chat").status_code == 200


def test_polling_mode_answers_updates_from_get_updates(tmp_path_factory, rasa):
    from bot.web.app import create_app

    rasa.calls.clear()
    rasa.reply = default_reply
    with fake_telegram() as telegram:
        settings = telegram_settings(
            tmp_path_factory,
            public_base_url=None,
            rasa_url=rasa.url,
            telegram_api_base=telegram.url,
        )
        assert settings.telegram_polling
        with TestClient(create_app(settings)):
            chat_id = new_chat()
            telegram.queue_update(text_update(chat_id, "/menu"))
            telegram.queue_update(callback_update(chat_id, "/trafficking"))
            sent = telegram.wait_for_calls("sendMessage", 2)
            assert telegram.calls("deleteWebhook"), "polling first removes any webhook"
            assert telegram.calls("setWebhook") == []
    assert [s["chat_id"] for s in sent] == [str(chat_id)] * 2
    assert sent[0]["reply_markup"]["inline_keyboard"]
    assert rasa.messages() == ["/menu", "/trafficking"]


# --- rendering and sending, without the gateway ----------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("*Danger signs:* they keep your passport", "<b>Danger signs:</b> they keep your passport"),
        ("- one\n- two", "• one\n• two"),
        ("a < b & c > d", "a &lt; b &amp; c &gt; d"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("*<b>*", "<b>&lt;b&gt;</b>"),
        ("one\n\n\n\ntwo", "one\n\ntwo"),
        ("a * b * c", "a * b * c"),
        (
            "Call 911: https://www.iom.int/a_b?x=1&y=2",
            "Call 911: https://www.iom.int/a_b?x=1&amp;y=2",
        ),
    ],
)
def test_markdown_to_telegram_html(markdown, expected):
    assert to_html(markdown) == expected


def test_render_numbers_buttons_across_replies_and_keeps_keyboards_per_reply():
    replies = [
        Reply("first", [Button("A long title for a row", "/a")]),
        Reply("second", [Button("B", "/b"), Button("C", "/" + "c" * 70)]),
    ]
    payloads = render(replies)
    assert [p["reply_markup"]["inline_keyboard"] for p in payloads] == [
        [[{"text": "A long title for a row", "callback_data": "/a"}]],
        [[{"text": "B", "callback_data": "/b"}, {"text": "C", "callback_data": "3"}]],
    ]
    assert all(p["link_preview_options"] == {"is_disabled": True} for p in payloads)


def test_emoji_count_twice_towards_the_limit():
    payloads = render([Reply("🆘 Help is near. " * 400)])
    assert len(payloads) > 1
    assert all(utf16_length(visible(p["text"])) <= MAX_TEXT_CHARS for p in payloads)


@pytest.mark.parametrize(
    ("status", "retry_after", "kind", "retryable", "wait"),
    [
        (429, 3, "429", True, 3.0),
        (500, None, "telegram 5xx", True, None),
        (502, None, "telegram 5xx", True, None),
        (403, None, "forbidden", False, None),
        (400, None, "badrequest", False, None),
    ],
)
def test_bot_api_errors_become_send_errors(telegram, status, retry_after, kind, retryable, wait):
    telegram.clear()

    async def attempt() -> SendError:
        async with Bot(TOKEN, base_url=f"{telegram.url}/bot") as bot:
            telegram.recorder.fail_next(1, status=status, retry_after=retry_after)
            with pytest.raises(SendError) as caught:
                await TelegramSender(bot).send("42", {"text": "hi", "parse_mode": "HTML"})
            return caught.value

    error = asyncio.run(attempt())
    assert (error.kind, error.retryable, error.retry_after) == (kind, retryable, wait)
