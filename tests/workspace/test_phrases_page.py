"""The phrases page: translators fix the assistant's fixed phrases, admins also the English;
what is saved is what the assistant sends next; outdated phrases come first.

Over HTTP, as a partner uses it: every role x every action of the page, CSRF, placeholders.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot import phrase_catalogs
from bot.phrases import Phrasebook
from bot.store.models import AuditEntry
from bot.workspace.pages import PREFIX
from tests.workspace.conftest import WorkspaceUnderTest, csrf_token

ROLES = ["admin", "editor", "translator", "reviewer", "caseworker"]
NEW_KREYOL = "Ak plezi. Kisa ankò m ka fè pou ou?"


@pytest.fixture
def book(ws: WorkspaceUnderTest) -> Phrasebook:
    from bot.languages import load_languages

    return Phrasebook(ws.settings.translations_dir, load_languages(ws.settings.translations_dir))


def _save(client, language: str, key: str, text: str):  # noqa: ANN001, ANN202
    token = csrf_token(client.get(f"{PREFIX}/phrases?language={language}").text)
    return client.post(
        f"{PREFIX}/phrases/{language}",
        data={"key": key, "text": text, "csrf_token": token},
        follow_redirects=False,
    )


@pytest.mark.parametrize("role", ROLES)
def test_who_may_read_and_who_may_save(ws: WorkspaceUnderTest, book: Phrasebook, role: str):
    client = ws.sign_in(ws.account(role))
    english_before = book.get("thanks", "en")
    statuses = {
        "page": client.get(f"{PREFIX}/phrases?language=ht").status_code,
        "download": client.get(f"{PREFIX}/phrases/ht.po").status_code,
        "save_kreyol": _save(client, "ht", "thanks", NEW_KREYOL).status_code,
        "save_english": _save(client, "en", "thanks", "You are welcome.").status_code,
    }
    may_translate = role in ("admin", "translator")
    assert statuses == {
        "page": 200,
        "download": 200,
        "save_kreyol": 303 if may_translate else 403,
        "save_english": 303 if role == "admin" else 403,
    }
    assert (book.get("thanks", "ht") == NEW_KREYOL) is may_translate
    assert (book.get("thanks", "en") == english_before) is (role != "admin")


def test_a_saved_phrase_is_what_the_assistant_sends_and_is_in_the_audit(ws, book):
    client = ws.sign_in(ws.account("translator"))
    response = _save(client, "ht", "thanks", NEW_KREYOL)
    assert response.headers["location"].endswith("done=saved#phrase-thanks")
    assert book.get("thanks", "ht") == NEW_KREYOL
    page = client.get(response.headers["location"]).text
    assert "Saved. The assistant uses it from the next message." in page
    with ws.sessions() as session:
        entries = [(e.action, e.target) for e in session.scalars(select(AuditEntry))]
    assert ("save_phrase", "phrase thanks ht") in entries


def test_new_english_puts_the_phrase_first_as_outdated_until_confirmed(ws, book):
    admin = ws.sign_in(ws.account("admin"))
    assert _save(admin, "en", "goodbye", "Take care. Write any time.").status_code == 303
    translator = ws.sign_in(ws.account("translator"))
    page = translator.get(f"{PREFIX}/phrases?language=fr&show=todo").text
    assert page.count('class="card phrases-row"') == 1
    assert "Outdated: the English changed" in page and "Take care. Write any time." in page
    french = book.get("goodbye", "fr")  # still sent meanwhile
    assert _save(translator, "fr", "goodbye", french).status_code == 303  # "Still correct"
    page = translator.get(f"{PREFIX}/phrases?language=fr&show=todo").text
    assert 'class="card phrases-row"' not in page
    assert "Every phrase is translated and up to date in this language." in page


def test_a_translation_without_its_placeholder_is_refused_and_nothing_changes(ws, book):
    rows = phrase_catalogs.rows(ws.settings.translations_dir, ["en", "fr", "ht"], "en")
    key = next(row.key for row in rows if "{organisation}" in row.source)
    before = book.get(key, "ht")
    client = ws.sign_in(ws.account("translator"))
    response = _save(client, "ht", key, "Yon moun ap reponn ou byento.")
    assert response.status_code == 400
    assert "Keep the words in braces" in response.text
    assert "Yon moun ap reponn ou byento." in response.text  # what they wrote is not lost
    assert book.get(key, "ht") == before


def test_an_empty_phrase_or_an_unknown_key_is_refused(ws, book):
    client = ws.sign_in(ws.account("translator"))
    assert _save(client, "ht", "thanks", "   ").status_code == 400
    assert _save(client, "ht", "no_such_phrase", "Bonjou").status_code == 400
    assert client.post(f"{PREFIX}/phrases/xx", data={"key": "thanks"}).status_code in (400, 404)
    assert book.get("thanks", "ht").startswith("Pa gen pwoblèm")


def test_a_post_without_its_token_is_refused(ws, book):
    client = ws.sign_in(ws.account("admin"))
    client.get(f"{PREFIX}/phrases")
    response = client.post(f"{PREFIX}/phrases/ht", data={"key": "thanks", "text": NEW_KREYOL})
    assert response.status_code == 400
    assert book.get("thanks", "ht") != NEW_KREYOL


def test_the_download_is_the_catalog_a_po_editor_opens(ws):
    client = ws.sign_in(ws.account("reviewer"))
    response = client.get(f"{PREFIX}/phrases/ht.po")
    assert response.headers["content-disposition"] == 'attachment; filename="phrases-ht.po"'
    assert 'msgid "thanks"' in response.text and "Language: ht" in response.text
    assert client.get(f"{PREFIX}/phrases/xx.po").status_code == 404


def test_the_page_opens_on_the_organisations_language_and_only_translators_see_forms(ws):
    reviewer = ws.sign_in(ws.account("reviewer"))
    page = reviewer.get(f"{PREFIX}/phrases").text
    assert '<option value="ht" selected>' in page  # Panama Aid works in ht, fr, en
    assert "<textarea" not in page
    translator = ws.sign_in(ws.account("translator"))
    assert "<textarea" in translator.get(f"{PREFIX}/phrases").text
    assert "<textarea" not in translator.get(f"{PREFIX}/phrases?language=en").text
