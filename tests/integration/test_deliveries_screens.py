"""Messages not delivered (/admin/deliveries) in a real browser: the workspace served by
uvicorn, Debian's Chromium through Playwright, an admin reading dead letters of WhatsApp and
Telegram and the queue now; no number or text on the page. Screenshots at phone and desktop
width go to docs/img/workspace/."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.languages import LanguageTable
from bot.outbox import queue
from bot.store.db import session_scope, upgrade
from bot.workspace.accounts import create_account, create_organisation
from tests.integration.test_machine_draft_screens import browser  # noqa: F401
from tests.integration.test_partner_workspace import DESKTOP, PHONE, SHOTS
from tests.integration.workspace_server import serve_workspace

PASSWORD = "a long test password"
PHONE_NUMBER = "whatsapp:+50937005555"
WORDS = "Rele 104 kounye a"
NOW = dt.datetime.now(dt.UTC)


def _dead_letters(url: str) -> None:
    """A morning of Twilio rate limits and 503s, a blocked Telegram bot, two still waiting."""
    failures = [("whatsapp", "twilio 429")] * 7 + [("whatsapp", "twilio 503")] * 3
    failures += [("telegram", "forbidden")] * 2 + [("whatsapp", "twilio 400")]
    with session_scope(url) as session:
        for n, (channel, kind) in enumerate(failures):
            address = f"{PHONE_NUMBER}{n}" if channel == "whatsapp" else str(700_000_000 + n)
            queue.enqueue(session, channel, address, [{"body": WORDS}], NOW)
            session.flush()
            [row] = queue.claim(session, channel, f"{n:032d}", NOW, 1)
            queue.give_up(row, kind, NOW - dt.timedelta(minutes=90 - 7 * n))
        queue.enqueue(session, "whatsapp", PHONE_NUMBER, [{"body": WORDS}] * 2, NOW)
        session.flush()
        [first] = queue.claim(session, "whatsapp", "w" * 32, NOW, 5)
        queue.retry_later(first, "twilio 503", None, NOW)


@pytest.fixture
def served(tmp_path: Path, languages: LanguageTable) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    upgrade(url)
    with session_scope(url) as session:
        organisation = create_organisation(
            session, "Lakay Panama", countries=["PA"], languages=["ht", "fr", "en"]
        )
        create_account(session, organisation, "admin-1", "admin", PASSWORD)
    _dead_letters(url)
    settings = Settings(database_url=url, pseudonym_key="test-key-not-secret")
    with serve_workspace(settings, languages) as base:
        yield base


def test_an_admin_reads_what_was_not_delivered(served, browser) -> None:  # noqa: ANN001, F811
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{served}/admin/login")
    page.fill("input[name=username]", "admin-1")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.click("nav >> text=Deliveries")

    assert page.locator("h1").inner_text() == "Messages not delivered"
    rows = page.locator("#dead-title ~ .table-wrap tbody tr")
    assert rows.count() == 4  # WhatsApp rate limited, server error, refused; Telegram refused
    text = page.content()
    assert "Rate limited" in text and "Refused by the platform" in text
    assert "37005555" not in text and WORDS not in text
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        page.screenshot(path=str(SHOTS / f"deliveries-{label}.png"), full_page=True)
