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

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import spacy
import yaml
from babel import Locale

from bot import rulefile
from bot.languages import fold
from bot.rulefile import RuleFileError, Where, section, strings

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


_ISO_CODE = re.compile(r"^[A-Z]{2}$")
# ISO 3166-1 alpha-2 codes as CLDR knows them (Babel), without its "unknown region".
_COUNTRY_CODES = frozenset(
    code for code in Locale("en").territories if _ISO_CODE.match(code) and code != "ZZ"
)


def gazetteer_from(data: Mapping[str, Any], languages: Collection[str] | None = None) -> Gazetteer:
    """The gazetteer of a rule file's data, checked: each country under its ISO 3166-1
    alpha-2 code with at least one name, every language known (`languages`; None: any), a
    spelling under one country only, and each ambiguous name with two or more of its
    countries. A mistake would send a person the wrong country's numbers, so it stops here."""
    names: dict[str, dict[str, str]] = {}
    spellings: dict[str, str] = {}
    countries = section(data, "countries")
    if not countries:
        raise RuleFileError("“countries” is missing or empty: no place would be recognised.")
    for code, entry in countries.items():
        where = ("countries", str(code))
        _check_code(code, where)
        if not isinstance(entry, Mapping):
            raise RuleFileError(
                "%(code)s must hold “names”, “spellings” and “places”.", where=where, code=code
            )
        names[code] = _names(entry, where, languages)
        every = [((*where, "names", language), name) for language, name in names[code].items()]
        for kind in ("spellings", "places"):
            listed = strings(entry.get(kind), (*where, kind))
            every += [((*where, kind, index), spelling) for index, spelling in enumerate(listed)]
        for at, spelling in every:
            first = spellings.setdefault(fold(spelling).strip(), code)
            if first != code:
                raise RuleFileError(
                    "“%(spelling)s” is listed under %(first)s and %(second)s: keep it under one "
                    "country, or put it under “ambiguous” with both.",
                    where=at,
                    spelling=spelling,
                    first=first,
                    second=code,
                )
    ambiguous: dict[str, tuple[str, ...]] = {}
    for spelling, codes in section(data, "ambiguous").items():
        where = ("ambiguous", str(spelling))
        candidates = tuple(strings(codes, where))
        unknown = [c for c in candidates if c not in countries]
        if len(set(candidates)) < 2 or unknown:
            raise RuleFileError(
                "“%(spelling)s” under “ambiguous” needs two or more of the countries above "
                "(%(codes)s).",
                where=where,
                spelling=spelling,
                codes=", ".join(candidates) or "none",
            )
        folded = fold(str(spelling)).strip()
        ambiguous[folded] = candidates
        spellings.pop(folded, None)  # never one country for a name that means several
    return Gazetteer(names=names, spellings=spellings, ambiguous=ambiguous)


def _check_code(code: object, where: Where) -> None:
    if not isinstance(code, str) or code not in _COUNTRY_CODES:
        raise RuleFileError(
            "“%(code)s” is not a country code: write the two capital letters of ISO 3166 "
            "(PA for Panama, HT for Haiti).",
            where=where,
            code=code,
        )


def _names(
    entry: Mapping[str, Any], where: Where, languages: Collection[str] | None
) -> dict[str, str]:
    """How the country is written back to people, per language: at least one name."""
    given = section(entry, "names", where)
    if not given:
        raise RuleFileError(
            "%(code)s has no “names”: write how the country is called, e.g. {en: Panama}.",
            where=where,
            code=where[-1],
        )
    for language, name in given.items():
        if languages is not None and language not in languages:
            raise RuleFileError(
                "“%(language)s” is not a language the assistant knows (%(known)s).",
                where=(*where, "names"),
                language=language,
                known=", ".join(languages),
            )
        if name is None or str(name).strip() == "":
            raise RuleFileError(
                "The %(language)s name of %(code)s is empty.",
                where=(*where, "names"),
                language=language,
                code=where[-1],
            )
    return {str(language): str(name) for language, name in given.items()}


def gazetteer_from_text(
    text: str, source: str = "gazetteer.yml", languages: Collection[str] | None = None
) -> Gazetteer:
    """The gazetteer of a text (the file's, or a version an admin saved in the workspace)."""
    return rulefile.build(text, source, lambda data: gazetteer_from(data, languages))


def load_gazetteer(path: Path) -> Gazetteer:
    return gazetteer_from_text(path.read_text(encoding="utf-8"), path.name)


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
