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


class EmergencyDetector:
    def __init__(self, patterns: dict[str, list[str]]) -> None:
        self._compiled = [
            (language, pattern, re.compile(rf"(?<!\w)(?:{pattern})(?!\w)"))
            for language, items in patterns.items()
            for pattern in items
        ]

    def match(self, text: str) -> EmergencyMatch | None:
        folded = " ".join(fold(text).split())
        for language, pattern, regex in self._compiled:
            if regex.search(folded):
                return EmergencyMatch(language=language, pattern=pattern)
        return None

    def __len__(self) -> int:
        return len(self._compiled)


def load_patterns(path: Path) -> dict[str, list[str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    patterns = data.get("patterns") or {}
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
    return EmergencyDetector(load_patterns(path))
