""" "Share this" in the item editor, in a real browser (issue 18, item 3): the workspace served
by uvicorn, Debian's Chromium through Playwright. An editor opens the Kreyòl text of the
children answer: the share text is next to the body, and the preview shows the message people
forward, with the assistant's WhatsApp link in Kreyòl. Screenshots at phone (360 px) and
desktop (1280 px) width go to docs/img/workspace/ for docs/sharing.md."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import REPO_ROOT, Settings
from bot.content.io import import_directory
from bot.languages import LanguageTable
from bot.store.db import session_scope, upgrade
from bot.store.models import ContentItem
from bot.workspace.accounts import create_account, create_organisation
from tests.integration.test_machine_draft_screens import browser  # noqa: F401
from tests.integration.test_partner_workspace import PHONE, SHOTS, _shot
from tests.integration.workspace_server import serve_workspace, signed_in_page

playwright_api = pytest.importorskip("playwright.sync_api")

PASSWORD = "a long test password"


@pytest.fixture
def served(tmp_path: Path, languages: LanguageTable) -> Iterator[tuple[str, int]]:
    """The workspace with the general children item given to an organisation and
    WHATSAPP_NUMBER set."""
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    upgrade(url)
    settings = Settings(
        database_url=url, pseudonym_key="test-key-not-secret", whatsapp_number="+14155238886"
    )
    with session_scope(url) as session:
        import_directory(session, REPO_ROOT / "content", languages)
        organisation = create_organisation(
            session, "Panama Aid", countries=["PA"], languages=["ht", "fr", "en"]
        )
        create_account(session, organisation, "editor-1", "editor", PASSWORD)
        item = session.query(ContentItem).filter_by(topic_name="children", country=None).one()
        item.organisation_id = organisation.id
        item_id = item.id
    with serve_workspace(settings, languages) as base:
        yield base, item_id


def test_the_editor_shows_the_share_text_and_the_message_people_forward(served, browser) -> None:  # noqa: ANN001, F811
    base, item_id = served
    page = signed_in_page(browser, base, "editor-1", PASSWORD, PHONE)
    page.goto(f"{base}/admin/items/{item_id}/ht/edit")
    field = page.locator("textarea#share_text")
    assert field.is_visible()
    assert field.input_value().startswith("Ou ap vwayaje ak timoun?")
    shared = page.locator(".preview-share .bubble-share").inner_text()
    assert shared.startswith("Ou ap vwayaje ak timoun?")
    assert "Ekri asistan an: https://wa.me/14155238886?text=Bonjou" in shared
    assert "Pataje sa a" in page.locator(".preview-whatsapp").inner_text()
    _shot(page, "editor-share")
    # The forwarded message alone, at phone width, for docs/sharing.md.
    page.locator(".preview-share").screenshot(path=str(SHOTS / "share-forward-phone.png"))
