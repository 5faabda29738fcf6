"""Messages not delivered (/admin/deliveries) over HTTP: admins only (every role tried), the
dead letters counted by channel and reason with their times, the queue now, and never a
phone number, chat id or message text, even of a message still waiting."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.outbox import queue
from bot.workspace.pages import PREFIX
from tests.workspace.conftest import WorkspaceUnderTest

PHONE = "whatsapp:+50937001234"
CHAT = "700123456"
WORDS = "Si ou an danje kounye a"


def _queue_and_fail(ws: WorkspaceUnderTest) -> None:
    now = ws.clock()
    with ws.sessions() as session, session.begin():
        queue.enqueue(session, "whatsapp", PHONE, [{"body": WORDS}] * 3, now)
        queue.enqueue(session, "telegram", CHAT, [{"text": WORDS}], now)
        session.flush()
        [first] = queue.claim(session, "whatsapp", "a" * 32, now, 10)  # one at a time
        [telegram] = queue.claim(session, "telegram", "b" * 32, now, 10)
        queue.give_up(first, "twilio 429", now)
        queue.give_up(telegram, "forbidden", now + dt.timedelta(minutes=5))
        [second] = queue.claim(session, "whatsapp", "c" * 32, now, 10)
        queue.retry_later(second, "twilio 503", None, now)  # still waiting, with the number


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("admin", 200),
        ("editor", 403),
        ("translator", 403),
        ("reviewer", 403),
        ("caseworker", 403),
    ],
)
def test_only_admins_see_the_messages_not_delivered(
    ws: WorkspaceUnderTest, role: str, status: int
) -> None:
    client = ws.sign_in(ws.account(role))

    response = client.get(f"{PREFIX}/deliveries")

    assert response.status_code == status
    dashboard = client.get(f"{PREFIX}/").text
    assert (f'href="{PREFIX}/deliveries"' in dashboard) is (role == "admin")


def test_the_page_counts_by_channel_and_reason_without_anyone_in_it(
    ws: WorkspaceUnderTest,
) -> None:
    _queue_and_fail(ws)
    client = ws.sign_in(ws.account("admin"))

    page = client.get(f"{PREFIX}/deliveries").text

    assert "Rate limited" in page and "Refused by the platform" in page
    assert "twilio 429" in page and "forbidden" in page
    assert "Telegram" in page and "WhatsApp" in page
    # WhatsApp: two messages waiting, one of them after a failure.
    assert '<td data-label="Waiting">2</td>' in page
    assert '<td data-label="Of which waiting for a retry">1</td>' in page
    for secret in (PHONE, PHONE.removeprefix("whatsapp:"), "37001234", CHAT, WORDS):
        assert secret not in page


def test_with_nothing_failed_the_page_says_so(ws: WorkspaceUnderTest) -> None:
    page = ws.sign_in(ws.account("admin")).get(f"{PREFIX}/deliveries").text
    assert "No message has been given up." in page
    assert "Nothing is waiting: every answer has been sent." in page
