"""The gazetteer: spellings people type, mapped to ISO codes; Rasa's copy kept in sync."""

from __future__ import annotations

import pytest
import yaml

from bot.config import REPO_ROOT
from bot.languages import fold
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


# --- places that mean more than one country (issue 13) -----------------------------------------


@pytest.mark.parametrize(
    ("text", "candidates"),
    [
        ("m nan Corinto", ("NI", "HN")),
        ("nou rive San Vicente", ("PA", "SV")),
        ("estoy en Ayutla", ("GT", "MX")),
        ("we are at peñas blancas", ("CR", "NI")),
        ("m nan penas blancas", ("CR", "NI")),
    ],
)
def test_an_ambiguous_place_alone_names_no_country(finder, text, candidates):
    reading = finder.read(text, None)
    assert reading.countries == []
    assert reading.ambiguous == [candidates]
    assert finder.countries(text) == []


@pytest.mark.parametrize(
    ("text", "current"),
    [
        ("m nan Corinto", "NI"),
        ("m nan Corinto", "HN"),
        ("nou rive San Vicente", "PA"),
        ("nou rive San Vicente", "SV"),
        ("estoy en Ayutla", "GT"),
        ("estoy en Ayutla", "MX"),
    ],
)
def test_the_conversations_country_settles_an_ambiguous_place(finder, text, current):
    reading = finder.read(text, current)
    assert (reading.countries, reading.ambiguous) == ([current], [])


def test_a_country_that_is_not_a_candidate_settles_nothing(finder):
    reading = finder.read("m nan Corinto", "CO")
    assert (reading.countries, reading.ambiguous) == ([], [("NI", "HN")])


@pytest.mark.parametrize(
    ("text", "current", "codes"),
    [
        ("corinto, nicaragua", None, ["NI", "NI"]),
        ("Corinto Honduras", None, ["HN", "HN"]),
        ("estoy en corinto, honduras", "NI", ["HN", "HN"]),  # the message wins: they moved
        ("from Managua to San Vicente", None, ["NI"]),  # Managua is no candidate: still open
        ("Tecún Umán, Ayutla", None, ["GT", "GT"]),
    ],
)
def test_a_country_named_in_the_same_message_settles_an_ambiguous_place(
    finder, text, current, codes
):
    assert finder.read(text, current).countries == codes


def test_a_message_naming_both_candidates_is_settled_by_the_conversation_or_left_open(finder):
    text = "from Nicaragua to Honduras by Corinto"
    assert finder.read(text, None).ambiguous == [("NI", "HN")]
    assert finder.read(text, "HN").countries == ["NI", "HN", "HN"]


@pytest.mark.parametrize("current", [None, "NI"])
def test_an_unambiguous_place_is_unaffected(finder, current):
    reading = finder.read("we are in tapachula", current)
    assert (reading.countries, reading.ambiguous) == (["MX"], [])


def test_ambiguous_places_are_removed_for_follow_up_questions_too(finder):
    assert finder.without_places("e nan Corinto?").split() == ["e", "nan", "?"]
    assert finder.without_places("e nan Paso Canoas?").split() == ["e", "nan", "?"]


def _listed(data: dict) -> dict[str, list[str]]:
    """Every folded spelling of the gazetteer file -> where it is listed ("CO", "ambiguous")."""
    where: dict[str, list[str]] = {}
    for code, entry in data["countries"].items():
        every = [*entry["names"].values(), *entry.get("spellings", []), *entry.get("places", [])]
        for spelling in {fold(str(s)).strip() for s in every}:
            where.setdefault(spelling, []).append(code)
    for spelling in {fold(str(s)).strip() for s in data.get("ambiguous") or {}}:
        where.setdefault(spelling, []).append("ambiguous")
    return where


def test_no_spelling_is_listed_under_two_countries_outside_ambiguous():
    data = yaml.safe_load(GAZETTEER.read_text(encoding="utf-8"))
    twice = {spelling: where for spelling, where in _listed(data).items() if len(where) > 1}
    assert twice == {}, "list these once, or under `ambiguous` with every country they can mean"


def test_every_ambiguous_place_names_two_gazetteer_countries_in_the_gazetteers_order():
    data = yaml.safe_load(GAZETTEER.read_text(encoding="utf-8"))
    order = list(data["countries"])
    by_folded: dict[str, list[str]] = {}
    for spelling, codes in data["ambiguous"].items():
        assert spelling == spelling.lower(), spelling
        assert len(codes) >= 2 and len(set(codes)) == len(codes), spelling
        assert set(codes) <= set(order), spelling
        assert codes == sorted(codes, key=order.index), spelling
        # "peñas blancas" and "penas blancas" must mean the same countries
        assert by_folded.setdefault(fold(spelling), codes) == codes, spelling


def test_rasa_gets_no_synonym_or_lookup_entry_for_an_ambiguous_place():
    gazetteer = load_gazetteer(GAZETTEER)
    assert {"corinto", "san vicente", "ayutla"} <= set(gazetteer.ambiguous)
    nlu = yaml.safe_load(to_rasa_nlu(gazetteer))["nlu"]
    examples = {
        line.removeprefix("- ")
        for block in nlu
        for line in block["examples"].splitlines()
        if line.strip()
    }
    assert examples.isdisjoint(gazetteer.ambiguous)
