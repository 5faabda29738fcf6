"""Machine drafts and outdated translations in a real browser (issue 17, items 3 and 5): the
workspace served by uvicorn, Debian's Chromium through Playwright, a tiny real en→fr package.
A translator asks for a French machine draft of an item whose English was published again;
the item page shows it marked, and the dashboard flags the Kreyòl as outdated. Screenshots at
phone (360 px) and desktop (1280 px) width go to docs/img/workspace/ for docs/partners.md."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import REPO_ROOT, Settings
from bot.content.io import import_directory
from bot.languages import LanguageTable
from bot.store.db import session_scope, upgrade
from bot.store.models import ContentItem
from bot.translation import Translator
from bot.workspace import revisions
from bot.workspace.accounts import create_account, create_organisation
from scripts.translation import tiny_models
from tests.integration.test_partner_workspace import PHONE, _shot
from tests.integration.workspace_server import serve_workspace
from tests.workspace.test_machine_drafts import ENGLISH_BODY, ENGLISH_TITLE, SOURCE

playwright_api = pytest.importorskip("playwright.sync_api")

PASSWORD = "a long test password"
ORG = "Panama Aid"


@pytest.fixture
def served(tmp_path: Path, languages: LanguageTable) -> Iterator[tuple[str, int]]:
    """The workspace on localhost (Chromium keeps Secure cookies there), with an item of the
    organisation whose English was published again, and the en→fr tiny package installed."""
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    upgrade(url)
    settings = Settings(
        database_url=url,
        pseudonym_key="test-key-not-secret",
        translation_packages_dir=tmp_path / "packages",
    )
    packages = tiny_models.build_all(tmp_path / "built")
    Translator(settings.translation_packages_dir).install(packages["en_fr"])
    with session_scope(url) as session:
        import_directory(session, REPO_ROOT / "content", languages)
        organisation = create_organisation(
            session, ORG, countries=["PA"], languages=["ht", "fr", "en"]
        )
        accounts = {
            role: create_account(session, organisation, f"{role}-1", role, PASSWORD)
            for role in ("editor", "translator", "reviewer")
        }
        item = session.query(ContentItem).filter_by(topic_name="shelter_food", country=None).one()
        item.organisation_id = organisation.id
        item.sample = item.needs_review = False
        revisions.ensure_baseline(session, item)
        draft = revisions.save_draft(
            session,
            accounts["editor"],
            item,
            "en",
            languages=languages,
            base_number=revisions.head(session, item.id, "en").number,
            title=ENGLISH_TITLE,
            body=ENGLISH_BODY,
            options=[],
            sources=SOURCE,
            note=None,
            now=_now(),
        )
        revisions.submit(session, accounts["editor"], draft, _now())
        revisions.publish(session, accounts["reviewer"], draft, _now(), confirm_differences=True)
        item_id = item.id
    with serve_workspace(settings, languages, _now) as base:
        yield base, item_id


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@pytest.fixture
def browser() -> Iterator[object]:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian's chromium is missing: `make test` installs it (make browser)")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium)
        yield launched
        launched.close()


def test_a_translator_drafts_french_by_machine_and_sees_kreyol_outdated(served, browser) -> None:  # noqa: ANN001
    base, item_id = served
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{base}/admin/login")
    page.fill("input[name=username]", "translator-1")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/admin/")

    assert page.locator("#languages .dash-outdated").count() == 2
    _shot(page, "dashboard-outdated")

    page.goto(f"{base}/admin/items/{item_id}")
    page.click("#lang-fr button:has-text('Draft a machine translation')")
    page.wait_for_url(f"{base}/admin/items/{item_id}?done=machine_draft#lang-fr")
    mark = page.locator("#lang-fr .machine-mark").inner_text()
    assert "Machine draft: argostranslate" in mark and "translate-en_fr-0_1" in mark
    assert "a translator must check it" in mark
    page.locator("#lang-fr details").evaluate("element => element.open = true")
    _shot(page, "item-machine-draft")
