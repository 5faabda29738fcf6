"""Language identification for short phone messages (en, fr, ht, and any language given as data).

General detectors mistake a three-word Kreyòl message for French. This one is a naive Bayes
model over character n-grams and words, trained at start-up on our own texts in each language:
the NLU training examples (written as people type) plus the content and phrases. A new language
needs only its data. Text is folded (lower case, no accents) because most people type that way.

Each kind of feature (whole words, character n-grams of each length, typed accents) is its own
distribution per language, normalised by that kind's own total: a language whose words are longer
(more n-grams per word) gets no edge on word features, nor the reverse. General word counts of
ordinary text (bot/langid_data/, written by scripts/make_langid_wordlists.py) give each language a
vocabulary beyond our own domain texts, so that "public service" or "secret vote" are English.

How people write is data too, read the same way in every message:
- SMS shorthand (bot/langid_data/shorthand_<lang>.txt) is read as the words it stands for: "bsr"
  is scored as "bonsoir", "thx" as "thanks". Three letters then weigh what their words weigh in
  each language, not what the letters look like (an unknown short word looks Kreyòl: the Kreyòl
  vocabulary is the smallest).
- Words sent alike in several languages (bot/langid_data/shared_words.txt: "ok" in en/fr/ht, "non"
  and "merci" in fr/ht) say nothing among those languages: each of them scores such a word as the
  likeliest of them does. A message made only of such words gets a low confidence, and the
  conversation keeps its language; next to other words, the other words decide.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import polib
import yaml

from bot.languages import fold, load_languages

NGRAM_SIZES = (1, 2, 3, 4)
WORD_WEIGHT = 10.0  # a whole known word says more than any of its n-grams
SMOOTHING = 0.05
ACCENT_WEIGHT = 3.0
_WORD = re.compile(r"[^\W\d_]+")
GENERAL_DATA_DIR = Path(__file__).with_name("langid_data")
SHORTHAND = "shorthand_{}.txt"  # in the data directory, per language: token<TAB>its words
SHARED_WORDS = "shared_words.txt"  # in the data directory: word<TAB>languages
_ANNOTATION = re.compile(r"\[([^\]]+)\]\{[^}]*\}|\[([^\]]+)\]\([^)]*\)")


@dataclass(frozen=True)
class Detection:
    language: str | None  # None: nothing to go on (digits, emoji, a button payload)
    confidence: float
    words: int


def accent_features(text: str) -> Iterator[tuple[str, float]]:
    # An accent, when someone types one, tells é (French) from è/ò (Kreyòl) from none (English);
    # its absence says nothing, since most people type without accents.
    for char in text.casefold():
        if char.isalpha() and fold(char) != char:
            yield "a:" + char, ACCENT_WEIGHT


def word_features(words: Iterable[str]) -> Iterator[tuple[str, float]]:
    """The features of folded words: each word, and its character n-grams."""
    for word in words:
        yield "w:" + word, WORD_WEIGHT
        for gram in _ngrams(word):
            yield gram, 1.0


def features(text: str) -> Iterator[tuple[str, float]]:
    """A text's features as written (how training texts are counted: no shorthand spelled out)."""
    yield from accent_features(text)
    yield from word_features(_WORD.findall(fold(text)))


@lru_cache(maxsize=1 << 16)
def _ngrams(word: str) -> tuple[str, ...]:
    """The character n-grams of a folded word, padded with a space at each end."""
    padded = f" {word} "
    return tuple(
        padded[i : i + n]
        for n in NGRAM_SIZES
        for i in range(len(padded) - n + 1)
        if padded[i : i + n].strip()
    )


def _kind(feature: str) -> str | int:
    """ "w" (a word), "a" (an accent) or the length of a character n-gram."""
    return feature[0] if feature[1:2] == ":" else len(feature)


class LanguageDetector:
    def __init__(
        self,
        samples: dict[str, Iterable[str]],
        word_counts: dict[str, dict[str, float]] | None = None,
        shorthand: Mapping[str, str] | None = None,
        shared: Mapping[str, Collection[str]] | None = None,
    ) -> None:
        """samples: texts per language. word_counts: optional general vocabulary per language
        (word -> how often it occurs in ordinary text), counted as if each word had been seen
        that often. shorthand: folded token -> the words it stands for, read so in every
        message. shared: folded word -> the languages that use it alike."""
        self._counts: dict[str, Counter[str]] = {}
        word_counts = word_counts or {}
        for language in sorted(set(samples) | set(word_counts)):
            counter: Counter[str] = Counter()
            for text in samples.get(language, ()):
                counter.update(feature for feature, _ in features(text))
            general: dict[str, float] = {}  # a plain dict: tens of thousands of words, be quick
            get = general.get
            for entry, count in word_counts.get(language, {}).items():
                for word in _WORD.findall(fold(entry)):  # the lists are folded already
                    for feature in ("w:" + word, *_ngrams(word)):
                        general[feature] = get(feature, 0.0) + count
            counter.update(general)
            if counter:
                self._counts[language] = counter
        if not self._counts:
            raise ValueError("no training text for any language")
        # One distribution per kind of feature, normalised by that kind's total in the language.
        vocabulary = Counter(_kind(f) for f in set().union(*self._counts.values()))
        self._log_denominators: dict[str, dict[str | int, float]] = {}
        for lang, counts in self._counts.items():
            totals: Counter[str | int] = Counter()
            for feature, count in counts.items():
                totals[_kind(feature)] += count
            self._log_denominators[lang] = {
                kind: math.log(totals[kind] + SMOOTHING * (size + 1))
                for kind, size in vocabulary.items()
            }
        self._readings = {
            fold(token): tuple(_WORD.findall(fold(words)))
            for token, words in (shorthand or {}).items()
        }
        self._shared: dict[str, frozenset[str]] = {}
        for word, languages in (shared or {}).items():
            known = frozenset(languages) & self._counts.keys()
            if len(known) > 1:
                self._shared[fold(word)] = known
        # Messages repeat words: score each word once (an instance cache, freed with it).
        self._word_scores = lru_cache(maxsize=1 << 14)(self._score_word)

    @property
    def languages(self) -> list[str]:
        return sorted(self._counts)

    def reading(self, word: str) -> tuple[str, ...]:
        """The folded words a folded word of a message is read as (itself, unless shorthand)."""
        return self._readings.get(word, (word,))

    def _score_features(self, feats: Iterable[tuple[str, float]]) -> dict[str, float]:
        feats = list(feats)
        return {
            lang: sum(
                weight * (math.log(counts.get(f, 0.0) + SMOOTHING) - denominators[_kind(f)])
                for f, weight in feats
            )
            for lang, counts in self._counts.items()
            for denominators in (self._log_denominators[lang],)
        }

    def _score_word(self, word: str) -> dict[str, float]:
        scores = self._score_features(word_features(self.reading(word)))
        sharing = self._shared.get(word)
        if sharing:  # as likely in each of these languages as in the likeliest of them
            best = max(scores[lang] for lang in sharing)
            scores.update(dict.fromkeys(sharing, best))
        return scores

    def scores(self, text: str) -> dict[str, float]:
        """Log-likelihood of the text under each language's model (uniform prior)."""
        total = self._score_features(accent_features(text))
        for word in _WORD.findall(fold(text)):
            for lang, score in self._word_scores(word).items():
                total[lang] += score
        return total

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


def _load_yaml(path: Path):
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: much faster
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 (safe loader)


def _nlu_examples(path: Path) -> Iterator[str]:
    data = _load_yaml(path) or {}
    for block in data.get("nlu") or []:
        for line in str(block.get("examples", "")).splitlines():
            line = line.strip().removeprefix("- ").strip()
            if line:
                yield _ANNOTATION.sub(lambda m: m.group(1) or m.group(2), line)


def _content_texts(content_dir: Path, language: str) -> Iterator[str]:
    for path in sorted(content_dir.glob("*.yml")):
        data = _load_yaml(path) or {}
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


def _rows(path: Path) -> Iterator[list[str]]:
    """The tab-separated fields of each line of a data file, comments and blank lines skipped."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip() and not line.startswith("#"):
            fields = line.split("\t")
            if len(fields) != 2:
                raise ValueError(f"{path}:{number}: expected two tab-separated fields")
            yield fields


def general_word_counts(language: str, data_dir: Path = GENERAL_DATA_DIR) -> dict[str, float]:
    """Word counts of ordinary public text in a language (bot/langid_data/<lang>.txt), if any:
    how often each word occurs, possibly scaled (so possibly fractional)."""
    path = data_dir / f"{language}.txt"
    if not path.exists():
        return {}
    counts: dict[str, float] = {}
    for word, count in _rows(path):
        counts[word] = counts.get(word, 0.0) + float(count)
    return counts


def load_shorthand(languages: Iterable[str], data_dir: Path = GENERAL_DATA_DIR) -> dict[str, str]:
    """SMS shorthand of every language (bot/langid_data/shorthand_<lang>.txt) in one table:
    folded token -> the folded words it stands for. A token is read the same way in every
    message, so two languages may not spell the same token out differently."""
    table: dict[str, str] = {}
    source: dict[str, str] = {}
    for language in languages:
        path = data_dir / SHORTHAND.format(language)
        if not path.exists():
            continue
        for token, words in _rows(path):
            token, words = fold(token.strip()), " ".join(_WORD.findall(fold(words)))
            if not _WORD.fullmatch(token) or not words:
                raise ValueError(f"{path}: {token!r} must be one word standing for some words")
            if table.setdefault(token, words) != words:
                raise ValueError(
                    f"{token!r} stands for {table[token]!r} in {source[token]} "
                    f"and for {words!r} in {language}"
                )
            source.setdefault(token, language)
    return table


def load_shared_words(
    languages: Iterable[str], data_dir: Path = GENERAL_DATA_DIR
) -> dict[str, frozenset[str]]:
    """Words sent alike in several languages (bot/langid_data/shared_words.txt): folded word ->
    those of `languages` that share it (words shared by fewer than two of them are left out)."""
    path = data_dir / SHARED_WORDS
    if not path.exists():
        return {}
    known = set(languages)
    table: dict[str, frozenset[str]] = {}
    for word, codes in _rows(path):
        sharing = frozenset(codes.split()) & known
        if len(sharing) > 1:
            table[fold(word.strip())] = sharing
    return table


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
        load_shorthand(known),
        load_shared_words(known),
    )
