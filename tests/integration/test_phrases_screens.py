"""The phrases page and the glossary in a real browser (issue 17, items 6 and 4): the workspace
served by uvicorn, Debian's Chromium through Playwright. An admin changes an English phrase; a
translator finds the Kreyòl outdated at the top, rewrites it, and the assistant's phrasebook sends
the new words at once; the translator writes the organisation's glossary, a wrong line refused.
Screenshots at phone and desktop width go to docs/img/workspace/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import phrase_catalogs
from bot.config import REPO_ROOT, Settings
from bot.languages import LanguageTable, load_languages
from bot.phrases import Phrasebook
from bot.store.db import session_scope, upgrade
from bot.workspace.accounts import create_account, create_organisation
from tests.integration.test_machine_draft_screens import browser  # noqa: F401
from tests.integration.test_partner_workspace import DESKTOP, PHONE, SHOTS
from tests.integration.workspace_server import serve_workspace

PASSWORD = "a long test password"
NEW_ENGLISH = "Take care. Write to me any time, day or night; type menu to see the topics."
NEW_KREYOL = "Pran swen ou. Ekri m nenpòt ki lè, lajounen kou lannwit; tape meni pou wè sijè yo."


@pytest.fixture
def served(tmp_path: Path, languages: LanguageTable) -> Iterator[tuple[str, Path]]:
    """The workspace on localhost with its own copy of translations/, whose English goodbye
    an admin has just changed (so French and Kreyòl are outdated)."""
    translations = Path(shutil.copytree(REPO_ROOT / "translations", tmp_path / "translations"))
    phrase_catalogs.save_phrase(
        translations, "en", "goodbye", NEW_ENGLISH, languages=languages.codes, source_language="en"
    )
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    upgrade(url)
    settings = Settings(
        database_url=url, pseudonym_key="test-key-not-secret", translations_dir=translations
    )
    with session_scope(url) as session:
        organisation = create_organisation(
            session, "Lakay Panama", countries=["PA"], languages=["ht", "fr", "en"]
        )
        create_account(session, organisation, "translator-1", "translator", PASSWORD)
    with serve_workspace(settings, languages) as base:
        yield base, translations


def _screens(page, name: str) -> None:  # noqa: ANN001 - a Playwright Page
    """The first screenful at phone and desktop width (the whole list is 64 phrases long)."""
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"))
    page.set_viewport_size(PHONE)


def _translator_page(chromium, base: str):  # noqa: ANN001, ANN202 - Playwright objects
    """A phone-width page signed in as the organisation's translator."""
    page = chromium.new_page(viewport=PHONE)
    page.goto(f"{base}/admin/login")
    page.fill("input[name=username]", "translator-1")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/admin/")
    return page


def test_a_translator_fixes_an_outdated_kreyol_phrase(served, browser) -> None:  # noqa: ANN001, F811
    base, translations = served
    page = _translator_page(browser, base)

    page.click("nav >> text=Phrases")
    page.wait_for_url(f"{base}/admin/phrases")
    first = page.locator(".phrases-row").first
    assert first.get_attribute("id") == "phrase-goodbye"
    assert "Outdated: the English changed" in first.inner_text()
    assert NEW_ENGLISH in first.inner_text()
    _screens(page, "phrases")  # the top of the page: what needs a translator comes first

    first.locator("textarea").fill(NEW_KREYOL)
    first.locator("button.primary").click()
    page.wait_for_url(f"{base}/admin/phrases?language=ht&done=saved#phrase-goodbye")
    assert "The assistant uses it from the next message" in page.inner_text("main")
    book = Phrasebook(translations, load_languages(translations))
    assert book.get("goodbye", "ht") == NEW_KREYOL
    assert "Up to date" in page.locator("#phrase-goodbye").inner_text()


def test_a_translator_writes_the_organisations_glossary(served, browser) -> None:  # noqa: ANN001, F811
    base, _translations = served
    page = _translator_page(browser, base)

    page.click("nav >> text=Glossary")
    page.fill("textarea[name=text]", "Lakay Panama\nCruz Roja = de: Rotes Kreuz")
    page.click("button:has-text('Save the glossary')")
    assert "Line 2: de is not a language of the assistant." in page.inner_text("main")
    page.fill(
        "textarea[name=text]",
        "Lakay Panama\nCruz Roja = fr: Croix-Rouge (Cruz Roja); ht: Kwa Wouj (Cruz Roja)",
    )
    page.click("button:has-text('Save the glossary')")
    page.wait_for_url(f"{base}/admin/glossary?done=saved")
    assert "The next machine drafts of your texts use these terms." in page.inner_text("main")
    _screens(page, "glossary")
