"""Places on the route: the gazetteer in content/gazetteer.yml, found in messages by a spaCy
EntityRuler, each mapped to an ISO 3166-1 alpha-2 code.

Why a gazetteer and not the model: "Panyama", "Meksik" and "Necocli" are rare words in any
training set, but a list partners can extend catches every spelling the day it is added.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import spacy
import yaml

from bot.languages import fold

PLACE_LABEL = "PLACE"


@dataclass(frozen=True)
class Gazetteer:
    names: dict[str, dict[str, str]]  # code -> {language: the country's name in it}
    spellings: dict[str, str]  # folded spelling or place name -> code

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
    return Gazetteer(names=names, spellings=spellings)


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
        )

    def without_places(self, text: str) -> str:
        """The folded text with every place name taken out ("e nan meksik?" -> "e nan ?")."""
        doc = self._nlp(fold(text))
        kept = [token.text_with_ws for token in doc if token.ent_type_ != PLACE_LABEL]
        return "".join(kept)

    def countries(self, text: str) -> list[str]:
        """Codes of the places named, in the order they appear."""
        return [
            entity.ent_id_ for entity in self._nlp(fold(text)).ents if entity.label_ == PLACE_LABEL
        ]


@lru_cache(maxsize=2)
def build_place_finder(gazetteer_path: Path) -> PlaceFinder:
    return PlaceFinder(load_gazetteer(gazetteer_path))


def to_rasa_nlu(gazetteer: Gazetteer) -> str:
    """The gazetteer as Rasa training data: a lookup table for the `country` entity and one
    synonym block per country, so Rasa's entity value is the ISO code (CONTRACT.md)."""
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
