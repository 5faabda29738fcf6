"""Which variant is sent: country scope, the configured language order, drafts and archived
variants never."""

from __future__ import annotations

import pytest

from bot.content import lookup
from bot.content.io import save_topic
from bot.content.schema import TopicDoc
from bot.content.shelf import Shelf
from tests.builders import topic_doc, variant

# The orders of translations/languages.yml, written out so a test reads as what it checks;
# test_languages.py checks the file gives these.
EN = ["en", "fr"]
FR = ["fr", "en"]
HT = ["ht", "fr", "en"]


def _two_scopes() -> TopicDoc:
    return TopicDoc.model_validate(
        {
            "topic": "trafficking",
            "items": [
                {
                    "country": None,
                    "variants": {"en": variant("General."), "ht": variant("Jeneral.")},
                },
                {"country": "PA", "variants": {"en": variant("Panama.")}},
            ],
        }
    )


def test_country_item_wins_over_the_general_one(session):
    save_topic(session, _two_scopes())
    assert lookup.find_variant(Shelf.load(session), "trafficking", EN, "PA").body == "Panama."
    assert lookup.find_variant(Shelf.load(session), "trafficking", EN, "MX").body == "General."
    assert lookup.find_variant(Shelf.load(session), "trafficking", EN, None).body == "General."


def test_the_country_item_in_any_language_of_the_order_beats_the_general_one(session):
    save_topic(session, _two_scopes())
    # The Panama item has no Kreyòl yet: its English beats the general Kreyòl, because the
    # country-specific facts (numbers, offices) matter more than the language.
    assert lookup.find_variant(Shelf.load(session), "trafficking", HT, "PA").body == "Panama."
    assert lookup.find_variant(Shelf.load(session), "trafficking", HT, None).body == "Jeneral."
    assert lookup.find_variant(Shelf.load(session), "trafficking", FR, None).body == "General."


def _general(topic: str, **variants: dict) -> TopicDoc:
    return TopicDoc.model_validate({"topic": topic, "items": [{"variants": variants}]})


@pytest.mark.parametrize(
    ("published", "expected"),
    [
        ({"fr": "Français.", "en": "English."}, ("fr", "Français.")),  # French before English
        ({"en": "English."}, ("en", "English.")),
        ({"ht": "Kreyòl.", "fr": "Français."}, ("ht", "Kreyòl.")),
    ],
)
def test_kreyol_falls_back_along_its_order(session, published, expected):
    save_topic(session, _general("health", **{k: variant(v) for k, v in published.items()}))
    found = lookup.find_variant(Shelf.load(session), "health", HT, None)
    assert (found.language, found.body) == expected


def test_a_language_outside_the_order_is_never_sent(session):
    save_topic(session, _general("health", ht=variant("Kreyòl.")))
    assert lookup.find_variant(Shelf.load(session), "health", EN, None) is None


def test_the_country_item_in_french_beats_the_general_one_in_kreyol(session):
    doc = TopicDoc.model_validate(
        {
            "topic": "emergency",
            "items": [
                {"country": None, "variants": {"ht": variant("Jeneral.")}},
                {"country": "PA", "variants": {"fr": variant("911 au Panama.")}},
            ],
        }
    )
    save_topic(session, doc)
    assert lookup.find_variant(Shelf.load(session), "emergency", HT, "PA").body == "911 au Panama."


def test_drafts_are_never_sent(session):
    doc = TopicDoc.model_validate(
        {
            "topic": "health",
            "items": [
                {
                    "variants": {
                        "en": variant("Reviewed."),
                        "ht": variant("Machine draft.", review_status="draft"),
                    }
                }
            ],
        }
    )
    save_topic(session, doc)
    assert lookup.find_variant(Shelf.load(session), "health", HT, None).body == "Reviewed."


@pytest.mark.parametrize("status", ["draft", "archived"])
def test_drafts_and_archived_variants_are_never_sent(session, status):
    save_topic(
        session,
        _general(
            "health",
            ht=variant("Retired Kreyòl.", review_status=status),
            fr=variant("Français.", review_status="published"),
        ),
    )
    assert lookup.find_variant(Shelf.load(session), "health", HT, None).body == "Français."
    # Nothing else published: nothing is sent, rather than words a reviewer took out of use.
    save_topic(session, _general("route_risks", en=variant("Old.", review_status=status)))
    assert lookup.find_variant(Shelf.load(session), "route_risks", EN, None) is None


def test_menu_lists_topics_in_partner_order_in_the_language(session):
    save_topic(session, topic_doc("health", menu_order=2, en="H", ht="H"))
    save_topic(session, topic_doc("emergency", menu_order=1, en="E", ht="E"))
    save_topic(session, topic_doc("delete_my_data", menu_order=None, en="D"))
    assert lookup.menu_entries(Shelf.load(session), HT) == [
        ("emergency", "emergency-ht"),
        ("health", "health-ht"),
    ]


def test_menu_titles_follow_the_order_for_a_topic_not_translated_yet(session):
    save_topic(session, topic_doc("health", menu_order=1, fr="H", en="H"))
    assert lookup.menu_entries(Shelf.load(session), HT) == [("health", "health-fr")]
