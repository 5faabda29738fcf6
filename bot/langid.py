"""Language identification for short phone messages (en, fr, ht, and any language given as data).

General detectors mistake a three-word Kreyòl message for French. This one is a naive Bayes
model over character n-grams and words, trained at start-up on our own texts in each language:
the NLU training examples (written as people type) plus the content and phrases. A new language
needs only its data. Text is folded (lower case, no accents) because most people type that way.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import polib
import yaml

from bot.languages import fold, load_languages

NGRAM_SIZES = (1, 2, 3, 4)
WORD_WEIGHT = 5.0  # a whole known word says more than any of its n-grams
SMOOTHING = 0.05
ACCENT_WEIGHT = 3.0
_WORD = re.compile(r"[^\W\d_]+")
GENERAL_DATA_DIR = Path(__file__).with_name("langid_data")
_ANNOTATION = re.compile(r"\[([^\]]+)\]\{[^}]*\}|\[([^\]]+)\]\([^)]*\)")


@dataclass(frozen=True)
class Detection:
    language: str | None  # None: nothing to go on (digits, emoji, a button payload)
    confidence: float
    words: int


def features(text: str) -> Iterator[tuple[str, float]]:
    # An accent, when someone types one, tells é (French) from è/ò (Kreyòl) from none (English);
    # its absence says nothing, since most people type without accents.
    for char in text.casefold():
        if char.isalpha() and fold(char) != char:
            yield "a:" + char, ACCENT_WEIGHT
    words = _WORD.findall(fold(text))
    for word in words:
        yield "w:" + word, WORD_WEIGHT
        padded = f" {word} "
        for n in NGRAM_SIZES:
            for i in range(len(padded) - n + 1):
                gram = padded[i : i + n]
                if gram.strip():
                    yield gram, 1.0


class LanguageDetector:
    def __init__(
        self,
        samples: dict[str, Iterable[str]],
        word_counts: dict[str, dict[str, int]] | None = None,
    ) -> None:
        """samples: texts per language. word_counts: optional general vocabulary per language
        (word -> how often it occurs in ordinary text), counted as if each word had been seen
        that often."""
        self._counts: dict[str, Counter[str]] = {}
        word_counts = word_counts or {}
        for language in sorted(set(samples) | set(word_counts)):
            counter: Counter[str] = Counter()
            for text in samples.get(language, ()):
                counter.update(feature for feature, _ in features(text))
            for word, count in word_counts.get(language, {}).items():
                for feature, _ in features(word):
                    counter[feature] += count
            if counter:
                self._counts[language] = counter
        if not self._counts:
            raise ValueError("no training text for any language")
        vocabulary = set().union(*self._counts.values())
        self._denominators = {
            lang: sum(c.values()) + SMOOTHING * (len(vocabulary) + 1)
            for lang, c in self._counts.items()
        }

    @property
    def languages(self) -> list[str]:
        return sorted(self._counts)

    def scores(self, text: str) -> dict[str, float]:
        """Log-likelihood of the text under each language's model (uniform prior)."""
        feats = list(features(text))
        return {
            lang: sum(
                weight * math.log((counts[f] + SMOOTHING) / self._denominators[lang])
                for f, weight in feats
            )
            for lang, counts in self._counts.items()
        }

    def detect(self, text: str, among: Collection[str] | None = None) -> Detection:
        """The likeliest language, among all known or only those in `among`."""
        words = len(_WORD.findall(text))
        if words == 0:
            return Detection(language=None, confidence=0.0, words=0)
        scores = self.scores(text)
        if among is not None:
            scores = {lang: score for lang, score in scores.items() if lang in among}
        best = max(scores.values())
        exp = {lang: math.exp(score - best) for lang, score in scores.items()}
        total = sum(exp.values())
        language = max(exp, key=exp.__getitem__)
        return Detection(language=language, confidence=exp[language] / total, words=words)


def _nlu_examples(path: Path) -> Iterator[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for block in data.get("nlu") or []:
        for line in str(block.get("examples", "")).splitlines():
            line = line.strip().removeprefix("- ").strip()
            if line:
                yield _ANNOTATION.sub(lambda m: m.group(1) or m.group(2), line)


def _content_texts(content_dir: Path, language: str) -> Iterator[str]:
    for path in sorted(content_dir.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("items") or []:
            variant = (item.get("variants") or {}).get(language)
            if variant:
                yield variant.get("title", "")
                yield variant.get("body", "")


def training_texts(
    nlu_dir: Path, content_dir: Path, translations_dir: Path, language: str
) -> Iterator[str]:
    for path in sorted((nlu_dir / language).glob("*.yml")):
        yield from _nlu_examples(path)
    yield from _content_texts(content_dir, language)
    po_path = translations_dir / f"{language}.po"
    if po_path.exists():
        yield from (entry.msgstr for entry in polib.pofile(str(po_path)) if entry.msgstr)


def general_word_counts(language: str, data_dir: Path = GENERAL_DATA_DIR) -> dict[str, int]:
    """Word counts of ordinary public text in a language (bot/langid_data/<lang>.txt), if any."""
    path = data_dir / f"{language}.txt"
    if not path.exists():
        return {}
    counts: dict[str, int] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            word, count = line.split("\t")
            counts[word] = counts.get(word, 0) + int(count)
    return counts


@lru_cache(maxsize=2)
def build_detector(nlu_dir: Path, content_dir: Path, translations_dir: Path) -> LanguageDetector:
    languages = load_languages(translations_dir)
    known = [*languages.codes, *languages.detect_only]
    return LanguageDetector(
        {
            code: list(training_texts(nlu_dir, content_dir, translations_dir, code))
            for code in known
        },
        {code: general_word_counts(code) for code in known},
    )
