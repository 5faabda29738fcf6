"""Emergency detection by patterns partners can edit (content/safety/emergency.yml, then the
workspace's /admin/safety), before any model.

Recall first: a missed emergency costs a life, a false alarm costs one extra message. The
patterns run on folded text (lower case, no accents) in every language at once, because a
frightened person mixes languages.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot import rulefile
from bot.languages import fold
from bot.rulefile import RuleFileError, Where, section, strings


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


def patterns_from(
    data: Mapping[str, Any],
    key: str = "patterns",
    *,
    required: bool = True,
    languages: Collection[str] | None = None,
) -> dict[str, list[str]]:
    """One list of patterns per language from `key` of a rule file's data, checked as the
    gateway will use them: a pattern that does not compile, is not folded or is an empty list
    fails loudly here, never silently at runtime. `languages`: the codes a list may be for
    (None: any); `required`: `key` must hold at least one pattern."""
    patterns: dict[str, list[str]] = {}
    for language, items in section(data, key).items():
        where = (key, language)
        if languages is not None and language not in languages:
            raise RuleFileError(
                "“%(language)s” is not a language the assistant knows (%(known)s).",
                where=where,
                language=language,
                known=", ".join(languages),
            )
        texts = strings(items, where)
        if not texts:
            raise RuleFileError(
                "The list for “%(language)s” is empty: write at least one pattern, or remove "
                "the language.",
                where=where,
                language=language,
            )
        for index, item in enumerate(texts):
            _check_pattern(item, (*where, index))
        patterns[str(language)] = texts
    if required and not patterns:
        raise RuleFileError(
            "“%(key)s” has no patterns: the assistant would recognise nothing.",
            where=(key,),
            key=key,
        )
    return patterns


def _check_pattern(item: str, where: Where) -> None:
    letters = re.sub(r"\\.", "", item)  # regex escapes such as \W are not text
    if fold(letters) != letters:
        raise RuleFileError(
            "Write %(pattern)s in lower case without accents (messages are read that way).",
            where=where,
            pattern=repr(item),
        )
    try:
        re.compile(item)
    except re.error as error:
        raise RuleFileError(
            "The pattern %(pattern)s is not a valid regular expression: %(reason)s.",
            where=where,
            pattern=repr(item),
            reason=str(error),
        ) from error


def load_patterns(path: Path, key: str = "patterns") -> dict[str, list[str]]:
    """One list of patterns per language from `key` of the file ({} when absent), checked."""
    return rulefile.build(
        path.read_text(encoding="utf-8"),
        path.name,
        lambda data: patterns_from(data, key, required=False),
    )


def detector_from(
    data: Mapping[str, Any], languages: Collection[str] | None = None
) -> EmergencyDetector:
    """The detector of a rule file's data: `patterns` (required) and `medical` (optional)."""
    return EmergencyDetector(
        patterns_from(data, languages=languages),
        patterns_from(data, "medical", required=False, languages=languages),
    )


def detector_from_text(
    text: str, source: str = "emergency.yml", languages: Collection[str] | None = None
) -> EmergencyDetector:
    """The detector of a text (the file's, or a version an admin saved in the workspace)."""
    return rulefile.build(text, source, lambda data: detector_from(data, languages))


@lru_cache(maxsize=2)
def build_detector(path: Path) -> EmergencyDetector:
    return detector_from_text(path.read_text(encoding="utf-8"), path.name)
