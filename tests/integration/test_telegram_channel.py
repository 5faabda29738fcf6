"""Telegram through the real Rasa server, action server and gateway, in each language: the
gateway in webhook mode, its Bot API pointed at a local fake that records every sendMessage."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator

import httpx
import pytest

from bot.config import REPO_ROOT
from bot.languages import load_languages
from bot.phrases import Phrasebook
from tests.fakes.telegram_api import TOKEN, FakeTelegram, fake_telegram
from tests.integration.conftest import RunningStack, plain, running_stack
from tests.integration.test_conversation import first_line, notice, stored_body

pytestmark = pytest.mark.integration
PHRASES = Phrasebook(REPO_ROOT / "translations", load_languages(REPO_ROOT / "translations"))
SECRET = "integration-telegram-secret"
_ids = itertools.count(1)


@pytest.fixture(scope="module")
def telegram() -> Iterator[FakeTelegram]:
    with fake_telegram() as fake:
        yield fake


@pytest.fixture(scope="module")
def stack(tmp_path_factory, telegram) -> Iterator[RunningStack]:
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE": telegram.url,
        "PUBLIC_BASE_URL": "https://gateway.example.org",
    }
    with running_stack(tmp_path_factory.mktemp("telegram-stack"), env=env) as running:
        yield running


def update(chat_id: int, text: str) -> dict:
    entities = []
    if text.startswith("/"):
        entities = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
    return {
        "update_id": next(_ids),
        "message": {
            "message_id": next(_ids),
            "from": {"id": chat_id, "is_bot": False, "first_name": "Jean"},
            "chat": {"id": chat_id, "type": "private", "first_name": "Jean"},
            "date": int(time.time()),
            "text": text,
            "entities": entities,
        },
    }


def say(stack: RunningStack, telegram: FakeTelegram, chat_id: int, text: str) -> dict:
    """Post one Update; return the one sendMessage it leads to."""
    before = len(telegram.calls("sendMessage"))
    response = httpx.post(
        f"{stack.gateway}/webhooks/telegram",
        json=update(chat_id, text),
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    telegram.wait_for_calls("sendMessage", before + 1)
    sent = telegram.settle("sendMessage")[before:]
    assert len(sent) == 1, sent
    assert sent[0]["chat_id"] == str(chat_id)
    return sent[0]


@pytest.mark.parametrize(
    ("language", "question"),
    [
        ("ht", "yo pran paspò m"),
        ("fr", "mon patron a pris mon passeport"),
        ("en", "my boss took my passport"),
    ],
)
def test_deep_link_then_trafficking_answer_on_telegram(stack, telegram, language, question):
    chat_id = 900_000_000 + next(_ids)
    greeting = say(stack, telegram, chat_id, f"/start {language}_itest")
    greet = plain(PHRASES.get("greet", language).replace("*", ""))
    assert plain(greeting["text"]) == f"{greet} {notice(language)}"  # the first answer
    payloads = [
        key["callback_data"] for row in greeting["reply_markup"]["inline_keyboard"] for key in row
    ]
    assert "/trafficking" in payloads

    answer = say(stack, telegram, chat_id, question)
    expected = first_line(stored_body(stack.database_url, "trafficking", language))
    assert expected in plain(answer["text"])
    assert answer["parse_mode"] == "HTML"
    assert answer["reply_markup"]["inline_keyboard"]
