"""Fixed phrases (greetings, prompts, errors, button labels) from translations/<lang>.po.

The catalogs are read with polib straight from the .po files and re-read when a file changes,
so an NGO editor's fix shows on the next message, with no compile step and no restart.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import polib

from bot.languages import LanguageTable

log = logging.getLogger(__name__)


class MissingPhrase(KeyError):
    """A key that no catalog has, not even the default language's: a bug, not a user error."""


class Phrasebook:
    def __init__(self, translations_dir: Path, languages: LanguageTable) -> None:
        self._dir = translations_dir
        self._languages = languages
        self._cache: dict[str, tuple[float, dict[str, str]]] = {}
        self._lock = threading.Lock()

    def _catalog(self, language: str) -> dict[str, str]:
        path = self._dir / f"{language}.po"
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            return {}
        with self._lock:
            cached = self._cache.get(language)
            if cached is None or cached[0] != mtime:
                entries = polib.pofile(str(path))
                catalog = {e.msgid: e.msgstr for e in entries if e.msgstr and not e.obsolete}
                self._cache[language] = cached = (mtime, catalog)
        return cached[1]

    def get(self, key: str, language: str) -> str:
        """The phrase in `language`, else in the default language (logged: a gap to fill)."""
        text = self._catalog(language).get(key)
        if text:
            return text
        fallback = self._languages.default
        text = self._catalog(fallback).get(key)
        if not text:
            raise MissingPhrase(key)
        log.warning("phrase %r missing in %s; sent in %s", key, language, fallback)
        return text

    def has(self, key: str) -> bool:
        return key in self._catalog(self._languages.default)

    def missing(self, language: str) -> set[str]:
        """Keys the default catalog has and `language` lacks: the translators' to-do list."""
        return set(self._catalog(self._languages.default)) - set(self._catalog(language))
