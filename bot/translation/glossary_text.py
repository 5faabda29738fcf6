"""An organisation's glossary as a partner writes it: one term a line (issue 17, item 4).

    Kay Fanmi
    Cruz Roja = en: Red Cross (Cruz Roja); fr: Croix-Rouge (Cruz Roja); ht: Kwa Wouj (Cruz Roja)

A term alone is kept as written in every language (an organisation's name, "COMAR"); after
`=`, `language: rendering` pairs fix how it is translated into those languages (and it is kept
as written in the others). Why lines and not YAML or a form per term: an NGO worker writes and
reads these in a text box, and a mistake is reported with its line number. The machine drafts
of the organisation's items use these terms on top of the shared ones
(bot/translation/glossary.yml).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MAX_TERMS = 200
MAX_TERM_CHARS = 80
MAX_RENDERING_CHARS = 120


@dataclass(frozen=True)
class GlossaryLineError(ValueError):
    """A line that cannot be read; `reason` is a code the page turns into words."""

    line: int
    reason: str  # "no_term", "no_language", "unknown_language", "too_long", "twice", "too_many"
    language: str = ""

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


def parse(text: str, languages: Iterable[str]) -> dict[str, dict[str, str]]:
    """The lines as {term: {language: rendering}}, or the first line that is wrong."""
    known = set(languages)
    terms: dict[str, dict[str, str]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        term, _, rest = (part.strip() for part in line.partition("="))
        if not term:
            raise GlossaryLineError(number, "no_term")
        if len(term) > MAX_TERM_CHARS:
            raise GlossaryLineError(number, "too_long")
        if term in terms:
            raise GlossaryLineError(number, "twice")
        terms[term] = _renderings(rest, number, known)
        if len(terms) > MAX_TERMS:
            raise GlossaryLineError(number, "too_many")
    return terms


def _renderings(text: str, number: int, known: set[str]) -> dict[str, str]:
    renderings: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in text.split(";"))):
        language, colon, rendering = (part.strip() for part in pair.partition(":"))
        if not colon or not rendering:
            raise GlossaryLineError(number, "no_language")
        if language not in known:
            raise GlossaryLineError(number, "unknown_language", language)
        if len(rendering) > MAX_RENDERING_CHARS:
            raise GlossaryLineError(number, "too_long")
        renderings[language] = rendering
    return renderings


def render(terms: Mapping[str, Mapping[str, str]]) -> str:
    """The stored terms as the lines `parse` reads back."""
    lines = []
    for term, renderings in terms.items():
        pairs = "; ".join(f"{language}: {text}" for language, text in renderings.items())
        lines.append(f"{term} = {pairs}" if pairs else term)
    return "\n".join(lines)
