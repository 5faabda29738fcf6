"""Emergency detection by patterns partners can edit (content/safety.yml), before any model.

Recall first: a missed emergency costs a life, a false alarm costs one extra message. The
patterns run on folded text (lower case, no accents) in every language at once, because a
frightened person mixes languages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.languages import fold


@dataclass(frozen=True)
class EmergencyMatch:
    language: str
    pattern: str
    # Bleeding, labour, a snakebite, not breathing: the answer starts with "go to the
    # emergency room now" (content/safety/emergency.yml `medical`).
    medical: bool = False


def compile_patterns(
    patterns: dict[str, list[str]],
) -> list[tuple[str, str, re.Pattern[str]]]:
    """(language, pattern, regex) for each pattern, wrapped to match whole words only."""
    return [
        (language, pattern, re.compile(rf"(?<!\w)(?:{pattern})(?!\w)"))
        for language, items in patterns.items()
        for pattern in items
    ]


def folded_words(text: str) -> str:
    """Lower case, no accents, single spaces: the text every safety pattern reads."""
    return " ".join(fold(text).split())


class EmergencyDetector:
    def __init__(
        self, patterns: dict[str, list[str]], medical: dict[str, list[str]] | None = None
    ) -> None:
        self._compiled = compile_patterns(patterns)
        self._medical = compile_patterns(medical or {})

    def match(self, text: str) -> EmergencyMatch | None:
        folded = folded_words(text)
        for language, pattern, regex in self._compiled:
            if regex.search(folded):
                medical = any(m.search(folded) for _, _, m in self._medical)
                return EmergencyMatch(language=language, pattern=pattern, medical=medical)
        return None

    def is_medical(self, text: str) -> bool:
        """Whether a message (a detail inside an emergency) names an urgent medical sign."""
        folded = folded_words(text)
        return any(m.search(folded) for _, _, m in self._medical)

    def __len__(self) -> int:
        return len(self._compiled)


def load_patterns(path: Path, key: str = "patterns") -> dict[str, list[str]]:
    """One list of patterns per language from `key` of the file, checked at load."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    patterns = data.get(key) or {}
    for language, items in patterns.items():
        for item in items:
            letters = re.sub(r"\\.", "", str(item))  # regex escapes such as \W are not text
            if fold(letters) != letters:
                raise ValueError(f"{path.name}: write {item!r} in lower case without accents")
            re.compile(item)  # a broken pattern fails loudly at load, never silently at runtime
        patterns[language] = [str(item) for item in items]
    return patterns


@lru_cache(maxsize=2)
def build_detector(path: Path) -> EmergencyDetector:
    return EmergencyDetector(load_patterns(path), load_patterns(path, "medical"))
