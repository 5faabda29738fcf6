"""No dead ends in an emergency (issue 13).

For every country in the gazetteer, the emergency answer in every seed language gives at least one
phone number, or the country is listed below as one we have no verified number for; then the person
gets the general answer, and that answer must not promise a number it cannot give. Every button of
the "which country?" question leads to an answer with a number.
"""

from __future__ import annotations

import json
import re

import pytest

from bot.config import REPO_ROOT
from bot.content import lookup
from bot.content.io import import_directory
from bot.content.shelf import Shelf
from bot.nlg import EMERGENCY_TOPIC, Audience, ResponseGenerator
from bot.places import load_gazetteer

GAZETTEER = load_gazetteer(REPO_ROOT / "content" / "places" / "gazetteer.yml")
SEED_LANGUAGES = ("en", "fr", "ht")

# Countries of the gazetteer for which no official, UN or Red Cross page stating an emergency number
# was found. They get the general emergency answer. Take a country off this list only together with
# an emergency item in content/emergency.yml whose number and source a partner can check; the test
# below fails if a listed country has an item, or if an unlisted one has no number.
NO_VERIFIED_NUMBER = {
    # HN, SV, CL, PE and HT left this list on 2026-12-02: their numbers rest on U.S. embassy,
    # Brazilian embassy and GOV.UK pages (content/emergency.yml notes say what to confirm).
    "CU",  # no source found
    "VE",  # no source found
    "CA",  # 911 is on municipal pages (.ca), which the seed test does not accept as first source
}

# A number a person can dial: three digits or more, with spaces, dots or dashes (911, 9-1-1, 118,
# 1-888-373-7888). Years (2023) are not numbers to call; links are taken out before matching.
PHONE_NUMBER = re.compile(r"(?<![\w-])\+?\d(?:[\s.\-]?\d){2,14}(?![\w-])")
YEAR = re.compile(r"^(19|20)\d\d$")
LINK = re.compile(r"https?://\S+")

# What the general answer used to promise ("send me your country and I will give you its numbers").
PROMISES = (
    re.compile(r"I will give you (its|their|the) numbers", re.IGNORECASE),
    re.compile(r"je vous donne (ses|leurs|les) numéros", re.IGNORECASE),
    re.compile(r"m ap ba ou nimewo", re.IGNORECASE),
)


def phone_numbers(text: str) -> list[str]:
    """The numbers in `text`, digits only, without years and without anything inside a link."""
    without_links = LINK.sub(" ", text)
    numbers = [re.sub(r"\D", "", found.group(0)) for found in PHONE_NUMBER.finditer(without_links)]
    return [number for number in numbers if not YEAR.match(number)]


def promises_a_number(text: str) -> bool:
    return any(promise.search(text) for promise in PROMISES)


@pytest.fixture
def generator(sessions, phrases, languages) -> ResponseGenerator:
    with sessions() as session, session.begin():
        import_directory(session, REPO_ROOT / "content", languages)
    return ResponseGenerator(sessions, phrases, languages, GAZETTEER)


def test_the_list_of_countries_without_a_number_names_gazetteer_countries():
    assert set(GAZETTEER.names) >= NO_VERIFIED_NUMBER


def test_phone_numbers_are_told_from_years_and_links():
    assert phone_numbers("*9-1-1*: police. Call *1-888-373-7888*.") == ["911", "18883737888"]
    assert phone_numbers("Closed in 2023, open 24 hours. Source: X https://a.gov/2024/07/118") == []


@pytest.mark.parametrize("country", sorted(GAZETTEER.names))
def test_every_country_gets_a_number_or_an_honest_answer(country, generator, sessions):
    with sessions() as session:
        scoped = lookup.scoped_countries(Shelf.load(session), EMERGENCY_TOPIC)
    for language in SEED_LANGUAGES:
        reply = generator.generate("utter_emergency", Audience(language, country), {})
        where = f"{country} {language}"
        if country in NO_VERIFIED_NUMBER:
            assert country not in scoped, f"{where}: has an item; take it off NO_VERIFIED_NUMBER"
            assert not promises_a_number(reply.text), f"{where}: promises a number: {reply.text}"
        else:
            assert phone_numbers(reply.text), f"{where}: no phone number in: {reply.text}"


@pytest.mark.parametrize("language", SEED_LANGUAGES)
def test_the_general_answer_promises_no_number(language, generator):
    reply = generator.generate("utter_emergency", Audience(language), {})
    assert not promises_a_number(reply.text), reply.text


@pytest.mark.parametrize("language", SEED_LANGUAGES)
def test_every_which_country_button_leads_to_a_number(language, generator, sessions):
    question = generator.generate("utter_emergency", Audience(language), {})
    countries = [
        json.loads(button.payload.removeprefix("/country"))["country"]
        for button in question.buttons
        if button.payload.startswith("/country")
    ]
    with sessions() as session:
        assert set(countries) == lookup.scoped_countries(Shelf.load(session), EMERGENCY_TOPIC)
    assert countries, "the question offers no country"
    for country in countries:
        answer = generator.generate("utter_emergency", Audience(language, country), {})
        assert phone_numbers(answer.text), f"{country} {language}: no number in: {answer.text}"


# The route countries (issue 13) and the safety topics that must give a line to call there.
ROUTE = ("CO", "PA", "CR", "NI", "HN", "GT", "MX", "US")
SAFETY_LINE_TOPICS = ("trafficking", "children", "children/alone")
# (topic, country) with no line from an official, UN or Red Cross page yet: the general answer,
# which ends with the offer of a person. Take a pair off only with a sourced country item.
NO_OFFICIAL_LINE = {
    ("trafficking", "NI"),  # no official page found; the Nicaraguan Red Cross is dissolved
    ("children", "PA"),  # SENNIAF's line seen only in the press
    ("children", "NI"),
    ("children", "US"),
    ("children/alone", "HN"),  # SENAF replaced DINAF (press); no line on an official page
}


@pytest.mark.parametrize("topic", SAFETY_LINE_TOPICS)
@pytest.mark.parametrize("country", ROUTE)
def test_safety_topics_give_a_line_to_call_in_every_route_country(
    topic, country, generator, sessions
):
    with sessions() as session:
        scoped = lookup.scoped_countries(Shelf.load(session), topic)
    for language in SEED_LANGUAGES:
        reply = generator.generate(f"utter_{topic}", Audience(language, country), {})
        where = f"{topic} {country} {language}"
        if (topic, country) in NO_OFFICIAL_LINE:
            assert country not in scoped or not phone_numbers(reply.text), (
                f"{where}: has a line now; take it off NO_OFFICIAL_LINE"
            )
        else:
            assert phone_numbers(reply.text), f"{where}: no line to call in: {reply.text}"
        assert any(b.payload == "/talk_to_human" for b in reply.buttons) or topic == "children"
