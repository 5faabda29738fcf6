"""Which variant is sent: country scope, language fallback, drafts never."""

from __future__ import annotations

from bot.content import lookup
from bot.content.io import save_topic
from bot.content.schema import TopicDoc
from tests.builders import topic_doc, variant


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
    assert lookup.find_variant(session, "trafficking", "en", "en", "PA").body == "Panama."
    assert lookup.find_variant(session, "trafficking", "en", "en", "MX").body == "General."
    assert lookup.find_variant(session, "trafficking", "en", "en", None).body == "General."


def test_language_falls_back_to_the_default_explicitly(session):
    save_topic(session, _two_scopes())
    # The Panama item has no Kreyòl yet: its English beats the general Kreyòl, because the
    # country-specific facts (numbers, offices) matter more than the language.
    assert lookup.find_variant(session, "trafficking", "ht", "en", "PA").body == "Panama."
    assert lookup.find_variant(session, "trafficking", "ht", "en", None).body == "Jeneral."
    assert lookup.find_variant(session, "trafficking", "fr", "en", None).body == "General."


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
    assert lookup.find_variant(session, "health", "ht", "en", None).body == "Reviewed."


def test_menu_lists_topics_in_partner_order_in_the_language(session):
    save_topic(session, topic_doc("health", menu_order=2, en="H", ht="H"))
    save_topic(session, topic_doc("emergency", menu_order=1, en="E", ht="E"))
    save_topic(session, topic_doc("delete_my_data", menu_order=None, en="D"))
    assert lookup.menu_entries(session, "ht", "en") == [
        ("emergency", "emergency-ht"),
        ("health", "health-ht"),
    ]
