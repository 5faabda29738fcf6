"""The workspace speaks every language it offers: each string of the templates and the code
has a translation in translations/admin/<lang>.po, with the same placeholders.

Why a test: a page added in English only would show English to a Kreyòl-speaking worker
without anybody noticing; `make catalogs` brings new strings into the catalogs to translate.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.config import REPO_ROOT
from bot.workspace.i18n import DEFAULT_UI_LANGUAGE, UI_LANGUAGES

CATALOGS = REPO_ROOT / "translations" / "admin"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
# The catalogs checked whole: every language the workspace offers besides English.
TRANSLATED = ("ht", "fr", "es")


@lru_cache(maxsize=1)
def workspace_strings() -> frozenset[str]:
    method_map = [("bot/workspace/**.py", "python"), ("bot/workspace/templates/**.html", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(REPO_ROOT), method_map, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return frozenset(found)


def test_the_workspace_has_strings_to_translate() -> None:
    assert len(workspace_strings()) > 100
    assert "Sign in" in workspace_strings()


def test_every_interface_language_has_a_catalog() -> None:
    for language in UI_LANGUAGES:
        assert language == DEFAULT_UI_LANGUAGE or (CATALOGS / f"{language}.po").exists()


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_string_is_translated_with_its_placeholders(language: str) -> None:
    with (CATALOGS / f"{language}.po").open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    missing, broken = [], []
    for message_id in sorted(workspace_strings()):
        message = catalog.get(message_id)
        text = message.string if message is not None else ""
        if isinstance(text, tuple):
            text = text[0]
        if not text or (message is not None and message.fuzzy):
            missing.append(message_id)
        elif sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(message_id)):
            broken.append(message_id)
    assert missing == [], f"{len(missing)} strings untranslated in {language}.po: run make catalogs"
    assert broken == [], f"placeholders differ in {language}.po"
