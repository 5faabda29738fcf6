"""Word lists per language (STOP words, yes and no, the self-check's stop words): one reader.

Every list is matched against the whole message, folded (lower case, no accents, no
punctuation at the edges), so each word is folded the same way when it is read.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.languages import fold

_EDGES = re.compile(r"^[\W_]+|[\W_]+$")


def normalise(text: str) -> str:
    """A message as the word lists are matched: "Wi!" -> "wi", "Non mèsi" -> "non mesi"."""
    return " ".join(_EDGES.sub("", fold(text)).split())


def words_by_language(lists: dict[str, list[Any]] | None) -> dict[str, tuple[str, ...]]:
    """{language: [words]} -> {folded word: the languages that list it}, in file order.

    Words are read as strings: unquoted yes/no in YAML would be booleans (the file quotes them).
    """
    words: dict[str, tuple[str, ...]] = {}
    for language, listed in (lists or {}).items():
        for word in (normalise(str(item)) for item in listed):
            words[word] = (*words.get(word, ()), language)
    return words


@lru_cache(maxsize=4)
def languages_file(translations_dir: Path) -> dict[str, Any]:
    """translations/languages.yml, where the word lists of every language live."""
    return yaml.safe_load((translations_dir / "languages.yml").read_text(encoding="utf-8"))
