"""Places on the route: the gazetteer in content/gazetteer.yml, found in messages by a spaCy
EntityRuler, each mapped to an ISO 3166-1 alpha-2 code.

Why a gazetteer and not the model: "Panyama", "Meksik" and "Necocli" are rare words in any
training set, but a list partners can extend catches every spelling the day it is added.

Some names mean a place in more than one country ("corinto": a port in Nicaragua, a border town
in Honduras; "paso canoas", on both sides of a border). The gazetteer lists them under
`ambiguous` with every country they can mean, and `PlaceFinder.read` does not pick one: the
conversation's country or a country named in the same message decides, or the place stays open.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import spacy
import yaml

from bot.languages import fold

PLACE_LABEL = "PLACE"
AMBIGUOUS_LABEL = "AMBIGUOUS_PLACE"
_CODES_SEPARATOR = ","  # an ambiguous pattern's id: its candidate codes, "NI,HN"


@dataclass(frozen=True)
class Gazetteer:
    names: dict[str, dict[str, str]]  # code -> {language: the country's name in it}
    spellings: dict[str, str]  # folded spelling or place name -> code
    # folded spelling -> every country it can mean, in the gazetteer's order ("corinto": NI, HN);
    # never in `spellings`.
    ambiguous: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def name(self, code: str, language: str, fallback_language: str) -> str:
        names = self.names.get(code, {})
        return names.get(language) or names.get(fallback_language) or code


def load_gazetteer(path: Path) -> Gazetteer:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    names: dict[str, dict[str, str]] = {}
    spellings: dict[str, str] = {}
    for code, entry in (data.get("countries") or {}).items():
        names[code] = dict(entry.get("names") or {})
        every = [
            *names[code].values(),
            *(entry.get("spellings") or []),
            *(entry.get("places") or []),
        ]
        for spelling in every:
            spellings.setdefault(fold(str(spelling)).strip(), code)
    ambiguous: dict[str, tuple[str, ...]] = {}
    for spelling, codes in (data.get("ambiguous") or {}).items():
        folded = fold(str(spelling)).strip()
        ambiguous[folded] = tuple(str(code) for code in codes)
        spellings.pop(folded, None)  # never one country for a name that means several
    return Gazetteer(names=names, spellings=spellings, ambiguous=ambiguous)


@dataclass(frozen=True)
class PlaceReading:
    """The places a message names. `countries`: one code per place that names a country, in
    order (an ambiguous place settled by the conversation or the message included, where it
    stands); `ambiguous`: for each place still open, the countries it can mean."""

    countries: list[str]
    ambiguous: list[tuple[str, ...]]


def _settle(candidates: tuple[str, ...], named: set[str], current: str | None) -> str | None:
    """The one country an ambiguous place means here, if something says so: a candidate the
    message names unambiguously ("corinto, nicaragua"), else the conversation's country when it
    is a candidate (and not contradicted by the message)."""
    in_message = [code for code in candidates if code in named]
    if len(in_message) == 1:
        return in_message[0]
    if current in candidates and (not in_message or current in in_message):
        return current
    return None


class PlaceFinder:
    """Finds gazetteer places in free text, whatever the language, accents or case."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self._nlp = spacy.blank("xx")
        ruler = self._nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
        ruler.add_patterns(
            [
                {"label": PLACE_LABEL, "pattern": spelling, "id": code}
                for spelling, code in gazetteer.spellings.items()
                if spelling
            ]
            + [
                {"label": AMBIGUOUS_LABEL, "pattern": spelling, "id": _CODES_SEPARATOR.join(codes)}
                for spelling, codes in gazetteer.ambiguous.items()
                if spelling and codes
            ]
        )

    def without_places(self, text: str) -> str:
        """The folded text with every place name taken out ("e nan meksik?" -> "e nan ?"),
        ambiguous ones too."""
        doc = self._nlp(fold(text))
        kept = [
            token.text_with_ws
            for token in doc
            if token.ent_type_ not in (PLACE_LABEL, AMBIGUOUS_LABEL)
        ]
        return "".join(kept)

    def read(self, text: str, current: str | None = None) -> PlaceReading:
        """The places named, `current` being the conversation's country (None if not known).

        A place that names one country gives it. An ambiguous one ("corinto": NI or HN) gives
        the candidate the message also names by itself ("corinto, nicaragua": NI); failing
        that, `current` if it is a candidate; failing that, it stays in `ambiguous`."""
        found = [
            (entity.label_, entity.ent_id_)
            for entity in self._nlp(fold(text)).ents
            if entity.label_ in (PLACE_LABEL, AMBIGUOUS_LABEL)
        ]
        named = {code for label, code in found if label == PLACE_LABEL}
        countries: list[str] = []
        ambiguous: list[tuple[str, ...]] = []
        for label, ident in found:
            if label == PLACE_LABEL:
                countries.append(ident)
                continue
            candidates = tuple(ident.split(_CODES_SEPARATOR))
            settled = _settle(candidates, named, current)
            if settled is None:
                ambiguous.append(candidates)
            else:
                countries.append(settled)
        return PlaceReading(countries=countries, ambiguous=ambiguous)

    def countries(self, text: str) -> list[str]:
        """Codes of the places named, in the order they appear (an ambiguous place counts only
        when the message settles it: see `read`)."""
        return self.read(text).countries


@lru_cache(maxsize=2)
def build_place_finder(gazetteer_path: Path) -> PlaceFinder:
    return PlaceFinder(load_gazetteer(gazetteer_path))


def to_rasa_nlu(gazetteer: Gazetteer) -> str:
    """The gazetteer as Rasa training data: a lookup table for the `country` entity and one
    synonym block per country, so Rasa's entity value is the ISO code (CONTRACT.md). Ambiguous
    names are in neither: no synonym may force one country, and a lookup match without one
    would give Rasa a value that is not a code."""
    by_code: dict[str, list[str]] = {}
    for spelling, code in sorted(gazetteer.spellings.items()):
        by_code.setdefault(code, []).append(spelling)
    blocks: list[dict[str, str]] = [
        {"lookup": "country", "examples": "".join(f"- {s}\n" for s in sorted(gazetteer.spellings))}
    ]
    blocks += [
        {"synonym": code, "examples": "".join(f"- {s}\n" for s in spellings)}
        for code, spellings in sorted(by_code.items())
    ]
    header = (
        "# Generated from content/places/gazetteer.yml by `python -m bot places export-nlu`\n"
        "# (make model runs it). Edit the gazetteer, not this file.\n"
    )
    body = yaml.dump(
        {"version": "3.1", "nlu": blocks},
        allow_unicode=True,
        sort_keys=False,
        default_style=None,
        width=100,
    )
    return header + body
