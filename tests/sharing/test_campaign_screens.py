"""Campaigns in a real browser: the workspace served by uvicorn, Debian's Chromium through
Playwright. An editor makes a Kreyòl Telegram campaign with the form; the list and the campaign
page are photographed at phone (360 px) and desktop width for docs/sharing.md
(docs/img/workspace/campaigns-*.png), and the printable card, printed to A5 by Chromium, must
fit one page; its picture goes to docs/img/sharing/card-ht.png."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import REPO_ROOT, Settings
from bot.content.io import import_directory
from bot.languages import LanguageTable
from bot.sharing.card import SAFETY_TOPICS
from bot.store.db import session_scope, upgrade
from bot.store.models import ContentItem, ReviewStatus
from bot.workspace.accounts import create_account, create_organisation
from tests.integration import test_machine_draft_screens as screens
from tests.integration.test_partner_workspace import PHONE, _shot
from tests.integration.workspace_server import serve_workspace

CARD_SHOTS = REPO_ROOT / "docs" / "img" / "sharing"
PASSWORD = "a long test password"
A5 = {"width": 640, "height": 900}  # the 148 x 210 mm sheet (559 x 794 px) and its margin
browser = screens.browser  # Debian's Chromium, as for the other workspace screenshots


@pytest.fixture
def served(tmp_path: Path, languages: LanguageTable) -> Iterator[str]:
    """The workspace on localhost with the seed, its Kreyòl safety texts published (the card
    takes nothing else), and the bot's username set."""
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    upgrade(url)
    settings = Settings(
        database_url=url,
        pseudonym_key="test-key-not-secret",
        telegram_bot_username="route_help_bot",
        translation_packages_dir=tmp_path / "packages",
    )
    with session_scope(url) as session:
        import_directory(session, REPO_ROOT / "content", languages)
        organisation = create_organisation(
            session, "Diaspora Santiago", countries=["CL", "PA"], languages=["ht", "fr"]
        )
        create_account(session, organisation, "editor-1", "editor", PASSWORD)
        items = session.scalars(
            select(ContentItem).where(
                ContentItem.topic_name.in_(SAFETY_TOPICS), ContentItem.country.is_(None)
            )
        )
        for item in items:
            for variant in item.variants:
                if variant.language == "ht":
                    variant.review_status = ReviewStatus.PUBLISHED.value
    with serve_workspace(settings, languages, screens._now) as base:
        yield base


def test_an_editor_makes_a_kreyol_campaign_and_prints_its_card(served, browser) -> None:  # noqa: ANN001
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{served}/admin/login")
    page.fill("input[name=username]", "editor-1")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{served}/admin/")

    page.click("nav a[href='/admin/campaigns']")
    page.fill("input[name=name]", "Legliz Batis Santiago, WhatsApp gwoup fanmi")
    page.select_option("select[name=language]", "ht")
    page.select_option("select[name=channel]", "telegram")
    page.select_option("select[name=country]", "CL")
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r".*/admin/campaigns/\d+\?done=created"))
    link = page.input_value("#campaign-link")
    assert re.fullmatch(r"https://t\.me/route_help_bot\?start=ht_[A-Za-z0-9]{16}", link)
    assert page.locator(".campaign-qr img").evaluate("img => img.naturalWidth") > 0
    _shot(page, "campaigns-campaign")
    card_url = page.url.split("?")[0] + "/card"
    page.goto(f"{served}/admin/campaigns")
    _shot(page, "campaigns-list")

    # The card in a context of its own, signed in with the editor's cookies, at A5's size.
    card = browser.new_context(viewport=A5, storage_state=page.context.storage_state()).new_page()
    card.goto(card_url)
    assert card.locator("html").get_attribute("lang") == "ht"
    assert card.locator(".message h3").count() == len(SAFETY_TOPICS)
    CARD_SHOTS.mkdir(parents=True, exist_ok=True)
    card.locator(".sheet").screenshot(path=str(CARD_SHOTS / "card-ht.png"))  # as on screen
    card.emulate_media(media="print")
    pdf = card.pdf(prefer_css_page_size=True, print_background=True)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1  # the whole card on one A5 page
