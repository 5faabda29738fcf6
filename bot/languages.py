"""The supported languages, read from translations/languages.yml (data, not code)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml


def fold(text: str) -> str:
    """Lower case without accents: how most people type on a phone keyboard."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class LanguageTable:
    default: str
    names: dict[str, str]  # code -> its own name ("Kreyòl")
    aliases: dict[str, str]  # folded word people use -> code
    follow_up_words: frozenset[str] = frozenset()  # folded, all languages together
    detect_only: tuple[str, ...] = ()  # recognised, not spoken yet (es, pt)
    # Folded words that make a language's name a request ("speak", "an", "en", "parle"):
    # "can you speak kreyol" asks for Kreyòl; "he only speaks creole" does not.
    request_words: frozenset[str] = frozenset()
    # Folded words for somebody else ("li", "he", "mari", "elle"): "li pale kreyol" and "my
    # husband speaks english" describe a person; a request word just after one is no request.
    others: frozenset[str] = frozenset()
    # Folded words that open a question ("where", "eske", "ou", "is there"): inside an
    # emergency a question is answered as asked, a detail stays part of the emergency.
    question_words: frozenset[str] = frozenset()
    # code -> the languages to read instead when a text is not published in it, in order
    # ("ht": ("fr", "en")): partners choose the order, e.g. French before English for Kreyòl.
    fallbacks: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def codes(self) -> list[str]:
        return list(self.names)

    def find_named(self, text: str) -> str | None:
        """The language a message asks for by name ("an kreyol souple" -> "ht"), if any."""
        folded = fold(text)
        for alias, code in sorted(self.aliases.items(), key=lambda kv: -len(kv[0])):
            if re.search(rf"(?<!\w){re.escape(alias)}(?!\w)", folded):
                return code
        return None

    def requested(self, text: str) -> str | None:
        """The language a message asks for: its name alone ("Kreyòl"), or after a request word
        ("an kreyol souple", "can you speak kreyol", "en français svp"); a language named
        inside another sentence ("he only speaks creole") is no request."""
        folded = " ".join(re.findall(r"[^\W_]+", fold(text)))
        for alias, code in sorted(self.aliases.items(), key=lambda kv: -len(kv[0])):
            if folded == alias:
                return code
            for word in self.request_words:
                pattern = rf"(?<!\w){re.escape(word)} (?:\w+ )?{re.escape(alias)}(?!\w)"
                for found in re.finditer(pattern, folded):
                    if not self._about_someone_else(folded[: found.start()]):
                        return code
        return None

    def _about_someone_else(self, before: str) -> bool:
        """Whether the two words before a request word name another person ("mari m")."""
        return bool(set(before.split()[-2:]) & self.others)

    def asks(self, text: str) -> bool:
        """Whether a message is a question: a question mark, or a question word first."""
        folded = " ".join(re.findall(r"[^\W_]+", fold(text)))
        return "?" in text or any(
            folded == word or folded.startswith(f"{word} ") for word in self.question_words
        )

    def resolve(self, code: str | None) -> str:
        return code if code in self.names else self.default

    def fallback_order(self, language: str) -> list[str]:
        """The languages to look for a text in, best first: `language` itself, then its
        `fallback:` list, then the default language, so that there is always a last resort,
        even for a language added without a `fallback:` list."""
        order = [language, *self.fallbacks.get(language, ()), self.default]
        return list(dict.fromkeys(order))


@lru_cache(maxsize=4)
def load_languages(translations_dir: Path) -> LanguageTable:
    data = yaml.safe_load((translations_dir / "languages.yml").read_text(encoding="utf-8"))
    entries: dict[str, dict] = data["languages"]
    default = data["default"]
    if default not in entries:
        raise ValueError(f"default language {default!r} is not in languages.yml")
    aliases = {fold(alias): code for code, entry in entries.items() for alias in entry["names"]}
    follow_up = {
        fold(str(w)) for entry in entries.values() for w in entry.get("follow_up_words", [])
    }
    fallbacks = {code: _fallback_list(code, entry, entries) for code, entry in entries.items()}
    return LanguageTable(
        default=default,
        names={code: entry["name"] for code, entry in entries.items()},
        aliases=aliases,
        follow_up_words=frozenset(follow_up),
        detect_only=tuple(data.get("detect_only") or ()),
        request_words=frozenset(
            fold(str(w)) for entry in entries.values() for w in entry.get("request_words", [])
        ),
        others=frozenset(
            fold(str(w)) for entry in entries.values() for w in entry.get("other_people", [])
        ),
        question_words=frozenset(
            fold(str(w)) for entry in entries.values() for w in entry.get("question_words", [])
        ),
        fallbacks=fallbacks,
    )


def _fallback_list(code: str, entry: dict, entries: dict[str, dict]) -> tuple[str, ...]:
    """A language's `fallback:` list, checked when the file is read: a typo ("fr " or a
    language we do not speak) would otherwise silently skip a fallback a partner counts on."""
    listed = entry.get("fallback") or []
    if not isinstance(listed, list):
        raise ValueError(f"languages.yml: {code}: fallback must be a list, e.g. [fr, en]")
    unknown = [str(other) for other in listed if other not in entries]
    if unknown:
        raise ValueError(
            f"languages.yml: {code}: fallback names {', '.join(unknown)}: "
            "only languages listed in this file can be fallbacks"
        )
    return tuple(str(other) for other in listed if other != code)
