"""Routing, table-driven: one table of partner organisations, one row per question."""

from __future__ import annotations

import pytest

from bot.handoff.routing import choose_organisation, default_organisation
from tests.handoff import ALWAYS, NOW, WEEKDAYS, organisation

# name, countries, languages, opening hours, time zone. Ids follow this order, so the
# closed "PA ht closed" has a lower id than the open "PA ht open": being open must win.
PARTNERS = [
    ("PA ht closed", ["PA"], ["ht"], {}, "UTC"),
    ("PA ht open", ["PA"], ["ht", "fr"], ALWAYS, "America/Panama"),
    ("PA ht open too", ["PA"], ["ht"], ALWAYS, "America/Panama"),
    ("PA en", ["PA"], ["en"], {}, "UTC"),
    # Monday 09:00 UTC: Mexico City (UTC-6) opens at 14:00 UTC, Tokyo's Monday is over and
    # its next opening is Tuesday, so Mexico City is the sooner.
    ("MX ht Tokyo hours", ["MX"], ["ht"], WEEKDAYS, "Asia/Tokyo"),
    ("MX ht Mexico hours", ["MX"], ["ht"], WEEKDAYS, "America/Mexico_City"),
    ("everywhere ht", [], ["ht"], {}, "UTC"),
    ("everywhere fr", [], ["fr"], ALWAYS, "UTC"),
    ("Costa Rica fr", ["CR"], ["fr"], {}, "UTC"),
    ("broken hours", ["GT"], ["ht"], {"mon": ["8h", "5pm"]}, "UTC"),
    ("unknown zone", ["GT"], ["ht"], ALWAYS, "Mars/Olympus"),
    ("Guatemala ht", ["GT"], ["ht"], WEEKDAYS, "UTC"),
]

CASES = [
    # country, language, expected
    ("PA", "ht", "PA ht open"),  # open beats a lower id that is closed; ties go to the id
    ("pa", "HT", "PA ht open"),  # codes in any case
    ("PA", "en", "PA en"),
    ("PA", "es", "PA ht open"),  # the country in any language, open first
    ("MX", "ht", "MX ht Mexico hours"),  # both closed: the one opening soonest
    ("CR", "ht", "Costa Rica fr"),  # the country before the language
    ("CO", "ht", "everywhere ht"),  # no partner in Colombia: the language everywhere
    ("CO", "fr", "everywhere fr"),
    (None, "ht", "everywhere ht"),  # country unknown
    (None, "en", "PA en"),  # country unknown, nobody everywhere: a partner in the language
    ("CO", "en", "sample"),  # ...but a known country is not handed to another country's
    (None, None, "sample"),
    ("GT", "ht", "Guatemala ht"),  # unreadable hours count as never open, not as an error
]


@pytest.fixture
def partners(session):
    for name, countries, languages, hours, zone in PARTNERS:
        organisation(session, name, countries, languages, hours, zone)
    return session


@pytest.mark.parametrize(("country", "language", "expected"), CASES)
def test_choose_organisation(partners, country, language, expected):
    assert choose_organisation(partners, country, language, now=NOW).name == expected


def test_the_named_default_gets_what_nobody_covers(partners):
    organisation(partners, "Route Default")
    chosen = choose_organisation(partners, "CO", "en", now=NOW, default_name="route default")
    assert chosen.name == "Route Default"


def test_a_missing_default_name_falls_back_to_sample(partners):
    assert default_organisation(partners, "nobody by that name").name == "sample"


def test_sample_is_never_chosen_for_what_it_lists(session):
    sample = default_organisation(session)
    sample.countries, sample.languages = ["PA"], ["ht"]
    organisation(session, "late partner", ["PA"], ["ht"], {}, "UTC")
    assert choose_organisation(session, "PA", "ht", now=NOW).name == "late partner"
