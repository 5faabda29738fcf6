"""A child alone: a minor travelling alone or separated says so (content/safety/minor_alone.yml).

Like the emergency patterns, this runs before any model: the child-protection answer must not
depend on Rasa telling "I am 15 and alone" from "I travel with my 15-year-old". A message is a
child alone when an `explicit` pattern matches, or an `age` pattern and an `alone` one both do.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot import rulefile
from bot.safety.detector import compile_patterns, folded_words, patterns_from

_KINDS = ("age", "alone", "explicit")


def _compiled(patterns: dict[str, list[str]]) -> list[re.Pattern[str]]:
    return [regex for _, _, regex in compile_patterns(patterns)]


class ChildAloneDetector:
    def __init__(self, patterns: dict[str, dict[str, list[str]]]) -> None:
        self._age = _compiled(patterns.get("age", {}))
        self._alone = _compiled(patterns.get("alone", {}))
        self._explicit = _compiled(patterns.get("explicit", {}))

    def match(self, text: str) -> bool:
        folded = folded_words(text)
        if any(p.search(folded) for p in self._explicit):
            return True
        return any(p.search(folded) for p in self._age) and any(
            p.search(folded) for p in self._alone
        )


def child_alone_detector_from(
    data: Mapping[str, Any], languages: Collection[str] | None = None
) -> ChildAloneDetector:
    """The detector of a rule file's data: every kind needs patterns (an empty kind would
    quietly stop the detector from recognising a whole way children write)."""
    return ChildAloneDetector(
        {kind: patterns_from(data, kind, languages=languages) for kind in _KINDS}
    )


def child_alone_detector_from_text(
    text: str, source: str = "minor_alone.yml", languages: Collection[str] | None = None
) -> ChildAloneDetector:
    """The detector of a text (the file's, or a version an admin saved in the workspace)."""
    return rulefile.build(text, source, lambda data: child_alone_detector_from(data, languages))


@lru_cache(maxsize=2)
def build_child_alone_detector(path: Path) -> ChildAloneDetector:
    return child_alone_detector_from_text(path.read_text(encoding="utf-8"), path.name)
