"""The gazetteer: spellings people type, mapped to ISO codes; Rasa's copy kept in sync."""

from __future__ import annotations

import pytest

from bot.config import REPO_ROOT
from bot.places import build_place_finder, load_gazetteer, to_rasa_nlu

GAZETTEER = REPO_ROOT / "content" / "places" / "gazetteer.yml"


@pytest.fixture(scope="module")
def finder():
    return build_place_finder(GAZETTEER)


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("m nan Panyama, yo pran paspò m", ["PA"]),
        ("e nan Meksik?", ["MX"]),
        ("je suis au Mexique", ["MX"]),
        ("estoy en México", ["MX"]),
        ("we are in tapachula", ["MX"]),
        ("nou rive Ciudad Juarez", ["MX"]),
        ("kijan pou m travèse Darién", ["PA"]),
        ("dariyen an danjere", ["PA"]),
        ("m nan Necoclí", ["CO"]),
        ("m te Kolonbi avan", ["CO"]),
        ("jété au Chili", ["CL"]),
        ("mwen soti Brezil", ["BR"]),
        ("m vle ale Etazini", ["US"]),
        ("from Kolonbi to Panama then Costa Rica", ["CO", "PA", "CR"]),
        ("m bezwen manje", []),
    ],
)
def test_spellings_map_to_iso_codes(finder, text, codes):
    assert finder.countries(text) == codes


def test_place_words_can_be_removed_for_follow_up_questions(finder):
    assert finder.without_places("e nan Meksik?").split() == ["e", "nan", "?"]


def test_every_spelling_is_lower_case_and_every_code_is_iso_alpha_2():
    gazetteer = load_gazetteer(GAZETTEER)
    assert all(code.isupper() and len(code) == 2 for code in gazetteer.names)
    assert all(spelling == spelling.lower() for spelling in gazetteer.spellings)


def test_rasa_lookup_and_synonyms_are_generated_from_the_gazetteer():
    committed = (REPO_ROOT / "nlu_data" / "lookups" / "country.yml").read_text(encoding="utf-8")
    assert committed == to_rasa_nlu(load_gazetteer(GAZETTEER)), (
        "run `.venv/bin/python -m bot places export-nlu nlu_data/lookups/country.yml`"
    )
