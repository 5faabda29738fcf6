"""A child alone is recognised by patterns before any model (content/safety/minor_alone.yml);
a parent travelling with children, or an adult alone, is not."""

from __future__ import annotations

import pytest

from bot.config import REPO_ROOT
from bot.safety.minor import build_child_alone_detector

DETECTOR = build_child_alone_detector(REPO_ROOT / "content" / "safety" / "minor_alone.yml")


@pytest.mark.parametrize(
    "text",
    [
        "mwen gen 15 an, mwen pou kont mwen",
        "m gen 16 an m pa gen paran avè m",
        "m se yon timoun m pa gen moun avè m",
        "paran m rete ayiti, m gen 14 an",
        "I am 16 and travelling alone",
        "im 17 by myself in tapachula",
        "my parents stayed in Haiti i am alone, im 14",
        "I'm a minor and I have no family here",
        "j'ai 14 ans je voyage seul",
        "je suis mineure et sans mes parents",
        "mineur non accompagné, où aller ?",
        "unaccompanied minor what are my rights",
    ],
)
def test_a_child_alone_is_recognised(text):
    assert DETECTOR.match(text)


@pytest.mark.parametrize(
    "text",
    [
        "I am 8 months pregnant and alone",
        "m gen 2 pitit m pou kont mwen",
        "I travel with my 15 year old son",
        "I am alone with my kids",
        "mwen gen 35 an, m pou kont mwen",
        "j'ai 3 enfants et je suis seule",
        "my daughter is 15, can she go to school in mexico",
    ],
)
def test_a_parent_or_an_adult_alone_is_not(text):
    assert not DETECTOR.match(text)
