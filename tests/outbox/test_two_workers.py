"""Two outbox workers, each in a thread of its own with its own event loop (as two gateway
processes), drain one store (SQLite and PostgreSQL) through real HTTP against the local fakes
of Twilio's Messages API and Telegram's Bot API, which fail a share of the sends with 500,
503 and 429 (with Retry-After): every message arrives exactly once, each person's in order."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import threading
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext

import pytest
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot
from telegram.error import TelegramError

from bot.channels.base import Sender
from bot.channels.telegram.send import TelegramSender
from bot.channels.whatsapp.send import TwilioSender
from bot.outbox import queue
from bot.outbox.worker import OutboxWorker
from bot.store.db import session_factory
from tests.fakes.telegram_api import TOKEN, fake_telegram
from tests.fakes.twilio_api import fake_twilio
from tests.whatsapp_helpers import ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER

PEOPLE = 12
TURNS = 5
FAILURES = ((500, None), (503, None), (429, 1))
SHARE_FAILING = 0.25


OpenSender = Callable[[], AbstractAsyncContextManager[Sender]]


def drain(
    sessions: sessionmaker[Session], open_sender: OpenSender, errors: list, sent: list[int]
) -> None:
    """One worker process: send until the store has nothing left to send."""

    async def run() -> None:
        async with open_sender() as sender:
            worker = OutboxWorker(sessions, batch=4)
            worker.register(sender)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                sent.append(await worker.run_once())
                with sessions() as session:
                    if queue.count_waiting(session) == 0:
                        return
                await asyncio.sleep(0.05)

    try:
        asyncio.run(run())
    except BaseException as error:  # noqa: BLE001 - reported by the test
        errors.append(error)


def two_workers(sessions: sessionmaker[Session], open_sender: OpenSender) -> None:
    errors: list[BaseException] = []
    sent: list[list[int]] = [[], []]
    threads = [
        threading.Thread(target=drain, args=(sessions, open_sender, errors, sent[n]))
        for n in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert errors == []
    assert all(sum(by_one) > 0 for by_one in sent)  # both workers sent a share


def expected(address: Callable[[int], str]) -> dict[str, list[str]]:
    return {address(p): [f"person {p} turn {t}" for t in range(TURNS)] for p in range(PEOPLE)}


def queue_all(sessions: sessionmaker[Session], channel: str, messages: dict[str, list[str]]):
    """Interleaved as conversations are: turn 0 of everyone, then turn 1..."""
    key = "body" if channel == "whatsapp" else "text"
    now = dt.datetime.now(dt.UTC)
    with sessions() as session, session.begin():
        for turn in range(TURNS):
            for address, bodies in messages.items():
                queue.enqueue(session, channel, address, [{key: bodies[turn]}], now)


def assert_once_and_in_order(delivered: list[tuple[str, str]], wanted: dict[str, list[str]]):
    counts = Counter(delivered)
    assert [pair for pair, n in counts.items() if n > 1] == []  # nothing twice
    by_person: dict[str, list[str]] = defaultdict(list)
    for address, body in delivered:
        by_person[address].append(body)
    assert dict(by_person) == wanted  # nothing lost, each person's in order


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    # Retries after 0.05-0.1 s instead of seconds; Retry-After (1 s) is kept as Twilio says.
    monkeypatch.setattr(queue, "FIRST_RETRY_SECONDS", 0.1)


def test_whatsapp_two_workers_deliver_everything_once_and_in_order(store_url):
    sessions = session_factory(store_url)
    wanted = expected(lambda p: f"whatsapp:+5093700{p:04d}")
    with fake_twilio(ACCOUNT_SID, AUTH_TOKEN) as twilio:
        twilio.recorder.fail_share(SHARE_FAILING, FAILURES, seed=19)
        queue_all(sessions, "whatsapp", wanted)

        two_workers(
            sessions,
            lambda: nullcontext(
                TwilioSender(ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER, twilio.url, None)
            ),
        )

        delivered = [(m["To"], m["Body"]) for m in twilio.messages()]
    assert_once_and_in_order(delivered, wanted)
    assert twilio.recorder.failed > PEOPLE  # the fake did fail sends, and they were retried


def test_telegram_two_workers_deliver_everything_once_and_in_order(store_url):
    sessions = session_factory(store_url)
    wanted = expected(lambda p: str(700_100_000 + p))
    with fake_telegram() as telegram:
        telegram.recorder.fail_share(SHARE_FAILING, FAILURES, seed=19)
        queue_all(sessions, "telegram", wanted)

        two_workers(sessions, lambda: telegram_sender(telegram.url))

        delivered = [(str(c["chat_id"]), c["text"]) for c in telegram.calls("sendMessage")]
    assert_once_and_in_order(delivered, wanted)
    assert telegram.recorder.failed > PEOPLE


@asynccontextmanager
async def telegram_sender(url: str) -> AsyncIterator[Sender]:
    """A started Bot; its getMe is failed by the fake like any call, so it is asked again."""
    bot = Bot(TOKEN, base_url=f"{url}/bot")
    for _ in range(20):
        with contextlib.suppress(TelegramError):
            await bot.initialize()
            break
    try:
        yield TelegramSender(bot)
    finally:
        await bot.shutdown()
