"""The workspace's own words in the partner's language, from gettext catalogs (Babel).

Why Babel and PO files: translators already know them (Poedit, Weblate), and `pybabel extract`
finds every string in the templates and the code. The catalogs live in translations/admin/
as <lang>.po and are read directly (no compiled .mo in the tree, nothing to forget to build).
The language of a request is the account's choice, else the `workspace_language` cookie, else
the browser's Accept-Language; it is held in a context variable while a page is rendered.
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel.core import Locale, negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

UI_LANGUAGES = ("en", "fr", "es", "ht")
DEFAULT_UI_LANGUAGE = "en"
LANGUAGE_COOKIE = "workspace_language"

_current: ContextVar[NullTranslations] = ContextVar("workspace_translations")


@lru_cache(maxsize=len(UI_LANGUAGES))
def catalog(directory: Path, language: str) -> NullTranslations:
    """The compiled catalog of one language (English is the source: no catalog needed)."""
    path = directory / f"{language}.po"
    if language == DEFAULT_UI_LANGUAGE or not path.exists():
        return NullTranslations()
    with path.open("rb") as po_file:
        messages = read_po(po_file, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, messages)
    compiled.seek(0)
    return Translations(compiled)


def choose_language(
    account_choice: str | None, cookie: str | None, accept_language: str | None
) -> str:
    for chosen in (account_choice, cookie):
        if chosen in UI_LANGUAGES:
            return chosen
    wanted = [
        part.split(";")[0].strip().replace("-", "_") for part in (accept_language or "").split(",")
    ]
    return negotiate_locale([w for w in wanted if w], UI_LANGUAGES) or DEFAULT_UI_LANGUAGE


def activate(directory: Path, language: str) -> None:
    """Use this language for the rest of the request (templates and Python messages)."""
    _current.set(catalog(directory, language))


def N_(message: str) -> str:  # noqa: N802 - the name pybabel looks for
    """Marks a string for the catalogs where it is defined (a form label); it is translated
    where it is shown, in the language of that request."""
    return message


def gettext(message: str) -> str:
    return _current.get(NullTranslations()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return _current.get(NullTranslations()).ngettext(singular, plural, count)


def language_name(code: str) -> str:
    """How a language names itself ("Français", "Español"); Kreyòl is not in CLDR's names."""
    if code == "ht":
        return "Kreyòl"
    return Locale.parse(code).get_display_name(code).capitalize()
