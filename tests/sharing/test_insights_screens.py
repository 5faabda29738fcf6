"""The insights page in a real browser (issue 18, item 4): the workspace served by uvicorn,
Debian's Chromium through Playwright, a month of counters. The page must read on a 360-px
phone without sideways scrolling (the day tables scroll inside their own box) and show "<5"
in its charts' tables; screenshots at phone and desktop width go to docs/img/workspace/ for
docs/insights.md."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import insert

from bot.config import Settings
from bot.handoff.models import Case
from bot.languages import LanguageTable
from bot.sharing.events import FallbackSample, InsightCount, Kind
from bot.store.db import session_scope, upgrade
from bot.workspace.accounts import create_account, create_organisation
from tests.integration.test_machine_draft_screens import browser  # noqa: F401 - the fixture
from tests.integration.test_partner_workspace import PHONE, _shot
from tests.integration.workspace_server import serve_workspace

playwright_api = pytest.importorskip("playwright.sync_api")

PASSWORD = "a long test password"
NOW = dt.datetime(2026, 12, 2, 15, tzinfo=dt.UTC)
# (language, channel, country, topic, a base count): uneven on purpose, small cells included.
MIX = [
    ("ht", "whatsapp", "PA", "shelter_food", 9),
    ("ht", "telegram", "MX", "asylum_rights", 4),
    ("fr", "whatsapp", "PA", "health", 6),
    ("en", "web", "CO", "trafficking", 2),
    ("fr", "telegram", "MX", "legal_help", 3),
]
FALLBACKS = [
    "ki kote m ka jwenn yon biwo imigrasyon nan Tapachula",
    "ki kote biwo imigrasyon an ye nan Tapachula",
    "combien coûte le bus pour Tapachula",
    "combien coute le bus jusqu'à Tapachula",
    "eske m ka travay ak papye refijye a",
]


def _month(session) -> None:  # noqa: ANN001 - a Session
    for offset in range(30):
        day = NOW.date() - dt.timedelta(days=offset)
        for index, (language, channel, country, topic, base) in enumerate(MIX):
            count = (base * (offset % 5 + 2) + index) // 3
            where = {"channel": channel, "language": language, "country": country, "topic": ""}
            for kind, n in ((Kind.CONVERSATION, count), (Kind.MESSAGE_OUT, count * 3)):
                session.execute(insert(InsightCount).values(day=day, kind=kind, **where, count=n))
            session.execute(
                insert(InsightCount).values(
                    day=day, kind=Kind.MESSAGE_IN, **{**where, "topic": topic}, count=count * 2
                )
            )
        emergency = {"channel": "whatsapp", "language": "ht", "country": "PA", "topic": ""}
        session.execute(
            insert(InsightCount).values(day=day, kind=Kind.EMERGENCY, **emergency, count=offset % 7)
        )
        session.execute(
            insert(InsightCount).values(
                day=day, kind=Kind.FALLBACK, **{**emergency, "language": "fr"}, count=offset % 4
            )
        )


@pytest.fixture
def served(tmp_path: Path, languages: LanguageTable) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    upgrade(url)
    settings = Settings(database_url=url, pseudonym_key="test-key-not-secret")
    with session_scope(url) as session:
        organisation = create_organisation(
            session, "Panama Aid", countries=["PA"], languages=["ht"]
        )
        create_account(session, organisation, "editor-1", "editor", PASSWORD)
        _month(session)
        for n, text in enumerate(FALLBACKS):
            session.add(
                FallbackSample(day=NOW.date() - dt.timedelta(days=n % 3), language="ht", text=text)
            )
        for n in range(7):
            opened = NOW - dt.timedelta(days=n * 3, hours=2)
            session.add(
                Case(
                    pseudonym=f"p{n}",
                    channel="whatsapp",
                    organisation_id=organisation.id,
                    reason="trafficking" if n % 2 else "emergency",
                    priority=20,
                    status="closed",
                    opened_at=opened,
                    first_answer_at=opened + dt.timedelta(minutes=8 + 3 * n),
                )
            )
    with serve_workspace(settings, languages, lambda: NOW) as base:
        yield base


def test_the_insights_page_reads_on_a_phone_and_a_desktop(served, browser) -> None:  # noqa: ANN001, F811
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{served}/admin/login")
    page.fill("input[name=username]", "editor-1")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{served}/admin/")
    page.click("nav a:has-text('Insights')")
    page.wait_for_url(f"{served}/admin/insights")

    assert page.locator("svg.chart").count() >= 10
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "nothing on the page is wider than the phone"
    page.locator("#title-conversation ~ details").first.evaluate("d => d.open = true")
    assert "<5" in page.locator("#title-conversation ~ details").first.inner_text()
    assert page.locator(".insights-groups > li").count() == 3  # the five texts, grouped
    _shot(page, "insights")
