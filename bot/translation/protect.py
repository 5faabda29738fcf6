"""Protected spans: what a machine translation must give back exactly as it was written.

Why: a draft that changes one digit of an emergency number, a URL, an amount or "COMAR" is
worse than no draft. Before the model sees a line, every protected span is replaced by a
numbered placeholder (``⟦3⟧``); after translation each placeholder must come back exactly once
and is replaced by the original span (or by the glossary's fixed rendering for the target
language). A placeholder the model lost, doubled or invented fails the whole draft
(`SpanLost`): a translator then writes that item by hand, nobody gets a draft with a missing
number.

Markdown structure (list markers, headings, line breaks, emphasis at a line's edges) never
reaches the model at all: each line is split into its markup and its words, and only the
words are translated.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

PLACEHOLDER = "⟦{}⟧"
# Tolerant of the spaces a detokeniser may put inside: "⟦ 3 ⟧" is still placeholder 3.
PLACEHOLDER_PATTERN = re.compile(r"⟦\s*(\d+)\s*⟧")

# What is protected, in the order a tie between two matches at the same place is settled.
_URL = r"(?:https?://|www\.)[^\s<>()]+[^\s<>().,;:!?'\"]"
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_DATE = r"\b(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2})\b"
_CURRENCY = r"(?:US\$|R\$|\$|€|£|USD|EUR|MXN|COP|PAB|CRC|BRL|HTG)"
_AMOUNT = rf"{_CURRENCY}\s?\d[\d.,]*\d|{_CURRENCY}\s?\d|\b\d[\d.,]*\s?{_CURRENCY}(?![\w$])"
# At least 7 digits in groups: "+507 511-4242", "(55) 5658 1111"; short lines are numbers.
_PHONE = r"(?<![\w+])\+?\(?\d[\d\s().-]{5,}\d(?!\w)"
_NUMBER = r"(?<!\w)\d+(?:[.,:]\d+)*"
# Emphasis and code markers inside a line (those at its edges are line markup).
_MARKUP = r"\*\*|\*|__|(?<!\w)_|_(?!\w)|`"

KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("url", _URL),
        ("email", _EMAIL),
        ("date", _DATE),
        ("amount", _AMOUNT),
        ("phone", _PHONE),
        ("number", _NUMBER),
        ("markup", _MARKUP),
    )
)

# A line's own Markdown: indentation, a list marker, a heading or a quote, then emphasis
# markers that open the line; emphasis that closes it and trailing spaces.
_LINE_START = re.compile(r"^\s*(?:[-*+•]\s+|\d{1,3}[.)]\s+|#{1,6}\s+|>\s?)?(?:\*\*|\*|__|_)?")
_LINE_END = re.compile(r"(?:\*\*|\*|__|_)?\s*$")
_WORDS = re.compile(r"[^\W\d_]", re.UNICODE)


class SpanLost(Exception):
    """The model lost, doubled or invented a protected span: no draft."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("protected spans not kept by the translation: " + "; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class GlossaryTerm:
    """A term kept as written (no renderings) or translated a fixed way per language."""

    term: str
    renderings: Mapping[str, str] = field(default_factory=dict)

    def rendering(self, target: str) -> str:
        return self.renderings.get(target, self.term)


@dataclass(frozen=True)
class Glossary:
    """Terms and organisation names a translation must not change (or changes a fixed way).

    One per organisation later (the workspace); `default_glossary()` is the seed's."""

    terms: tuple[GlossaryTerm, ...] = ()

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Mapping[str, str] | None]) -> Glossary:
        return cls(tuple(GlossaryTerm(term, dict(r or {})) for term, r in mapping.items()))

    @classmethod
    def from_file(cls, path: Path) -> Glossary:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls.from_mapping(document.get("terms") or {})

    def merged(self, other: Glossary) -> Glossary:
        return Glossary(self.terms + other.terms)

    def pattern(self) -> re.Pattern[str] | None:
        if not self.terms:
            return None
        # Longest first, so "Cruz Roja Mexicana" wins over "Cruz Roja".
        names = sorted((re.escape(t.term) for t in self.terms), key=len, reverse=True)
        return re.compile(r"(?<!\w)(?:" + "|".join(names) + r")(?!\w)")

    def term(self, text: str) -> GlossaryTerm:
        return next(t for t in self.terms if t.term == text)


def default_glossary() -> Glossary:
    return Glossary.from_file(Path(__file__).with_name("glossary.yml"))


@dataclass(frozen=True)
class Span:
    kind: str
    text: str
    replacement: str  # what goes back in the target text


@dataclass(frozen=True)
class Line:
    """One source line: its markup (never translated) around its masked words."""

    prefix: str
    body: str  # words with placeholders; "" for a blank or markup-only line
    suffix: str

    @property
    def needs_model(self) -> bool:
        return bool(_WORDS.search(PLACEHOLDER_PATTERN.sub("", self.body)))


@dataclass(frozen=True)
class Masked:
    lines: tuple[Line, ...]
    spans: tuple[Span, ...]


def _matches(text: str, glossary: Glossary, target: str) -> list[tuple[int, int, int, Span]]:
    found: list[tuple[int, int, int, Span]] = []
    pattern = glossary.pattern()
    if pattern is not None:
        for match in pattern.finditer(text):
            term = glossary.term(match.group())
            span = Span("glossary", match.group(), term.rendering(target))
            found.append((match.start(), match.end(), 0, span))
    for priority, (kind, kind_pattern) in enumerate(KINDS, start=1):
        for match in kind_pattern.finditer(text):
            span = Span(kind, match.group(), match.group())
            found.append((match.start(), match.end(), priority, span))
    return found


def _mask_body(text: str, glossary: Glossary, target: str, spans: list[Span]) -> str:
    """Replace every protected span of one line's words by a placeholder (earliest first,
    then longest, then by kind's priority; overlapping matches lose)."""
    chosen: list[tuple[int, int, Span]] = []
    end = 0
    for start, stop, _priority, span in sorted(
        _matches(text, glossary, target), key=lambda m: (m[0], -(m[1] - m[0]), m[2])
    ):
        if start < end:
            continue
        if chosen and chosen[-1][1] == start:
            # Touching spans ("**ACNUR**") travel as one placeholder: fewer for the model.
            first_start, _, first = chosen.pop()
            span = Span(
                f"{first.kind}+{span.kind}",
                first.text + span.text,
                first.replacement + span.replacement,
            )
            start = first_start
        chosen.append((start, stop, span))
        end = stop
    out: list[str] = []
    position = 0
    for start, stop, span in chosen:
        out.append(text[position:start])
        out.append(PLACEHOLDER.format(len(spans)))
        spans.append(span)
        position = stop
    out.append(text[position:])
    return "".join(out)


def _split_line(line: str) -> tuple[str, str, str]:
    start = _LINE_START.match(line)
    prefix = start.group() if start else ""
    rest = line[len(prefix) :]
    end = _LINE_END.search(rest)
    suffix = end.group() if end else ""
    body = rest[: len(rest) - len(suffix)]
    if not body.strip():
        return line, "", ""
    return prefix, body, suffix


def mask(text: str, glossary: Glossary, target: str) -> Masked:
    spans: list[Span] = []
    lines = []
    for raw in text.split("\n"):
        prefix, body, suffix = _split_line(raw)
        lines.append(Line(prefix, _mask_body(body, glossary, target, spans), suffix))
    return Masked(tuple(lines), tuple(spans))


def restore(translated: str, spans: tuple[Span, ...]) -> str:
    """The translated words with every placeholder back as its span, or `SpanLost`."""
    counts = Counter(int(index) for index in PLACEHOLDER_PATTERN.findall(translated))
    problems = [
        f"{span.kind} {span.text!r} {'lost' if counts[i] == 0 else 'repeated'}"
        for i, span in enumerate(spans)
        if counts[i] != 1
    ]
    problems += [f"unknown placeholder {i}" for i in sorted(counts) if i >= len(spans)]
    if problems:
        raise SpanLost(problems)
    return PLACEHOLDER_PATTERN.sub(lambda m: spans[int(m.group(1))].replacement, translated)


def translate_masked(
    text: str, glossary: Glossary, target: str, translate_words: Callable[[str], str]
) -> str:
    """Mask, translate each line's words with `translate_words`, check and restore."""
    masked = mask(text, glossary, target)
    lines = [
        line.prefix
        + (translate_words(line.body).strip() if line.needs_model else line.body)
        + line.suffix
        for line in masked.lines
    ]
    return restore("\n".join(lines), masked.spans)


def protected_kinds(text: str, glossary: Glossary, target: str = "en") -> Iterable[str]:
    """The kinds of the spans a text holds (for reports and tests)."""
    return [span.kind for span in mask(text, glossary, target).spans]
