"""The seed content and the domain agree with the contract and with our truth rules."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from bot.config import REPO_ROOT
from bot.content.io import load_topic_file
from bot.content.schema import BODY_MAX_CHARS

# The contract's intents (shared/CONTRACT.md); the conversational ones have no content topic.
# fmt: off
CONVERSATIONAL = {"greet", "goodbye", "thanks", "affirm", "deny", "menu", "change_language",
                  "out_of_scope"}
CONTRACT_INTENTS = CONVERSATIONAL | {
    "emergency", "trafficking", "route_risks", "children", "asylum_rights", "health",
    "shelter_food", "legal_help", "report_abuse", "family_contact", "talk_to_human",
    "delete_my_data",
}
# fmt: on
TOPICS = sorted(CONTRACT_INTENTS - CONVERSATIONAL)
SEED_LANGUAGES = {"en", "fr", "ht"}
# Public sources the seed content may cite: UN agencies, the Red Cross movement (national
# societies included), MSF, and
# national authorities (government and ombudsperson domains).
PUBLIC_SOURCE = re.compile(
    r"(^|\.)(iom\.int|unhcr\.org|unicef\.org|icrc\.org|ifrc\.org|who\.int|paho\.org|"
    r"ohchr\.org|un\.org|msf\.org|doctorswithoutborders\.org|bluedothub\.org|"
    r"unodc\.org|gob\.[a-z]{2}|gov\.[a-z]{2}|gov|go\.cr|refworld\.org|rodekruis\.nl|cruzrojacolombiana\.org|defensoria\.[a-z.]+|cndh\.org\.mx)$"
)
# A phone number: 7+ digits, possibly spaced or dashed. General items must have none.
PHONE_NUMBER = re.compile(r"\+?\d(?:[\s\-.]?\d){6,}")
DOMAIN = yaml.safe_load((REPO_ROOT / "domain.yml").read_text(encoding="utf-8"))


def _seed_files() -> list[Path]:
    return sorted((REPO_ROOT / "content").glob("*.yml"))


def test_every_topic_intent_has_a_content_file():
    assert sorted(p.stem for p in _seed_files() if "." not in p.stem) == TOPICS


def _domain_sub_answers() -> set[str]:
    """ "health.pregnancy" for every `utter_health/pregnancy` but the general cards."""
    names = [n.removeprefix("utter_") for n in DOMAIN["responses"] if "/" in n]
    return {n.replace("/", ".") for n in names if not n.endswith("/general")}


def test_every_sub_answer_rasa_can_pick_has_words_and_every_file_is_pickable():
    """A sub-answer without a file would fall back to its topic's card (bot/nlg.py); one
    without a domain response could never be said. Both are mistakes worth a red test."""
    files = {p.stem for p in _seed_files() if "." in p.stem}
    assert files == _domain_sub_answers()


def test_domain_has_every_contract_intent():
    assert set(DOMAIN["intents"]) == CONTRACT_INTENTS


def test_domain_holds_no_sentence_a_person_reads():
    for name, variants in DOMAIN["responses"].items():
        for response in variants:
            assert "text" not in response, f"{name}: words belong in content/ or translations/"


@pytest.mark.parametrize("path", _seed_files(), ids=lambda p: p.stem)
def test_seed_item_is_sourced_sample_content_in_every_language(path, languages):
    doc = load_topic_file(path, languages)
    for item in doc.items:
        assert item.sample, "seed content is sample content for partner review"
        assert set(item.variants) >= SEED_LANGUAGES
        for language, variant in item.variants.items():
            where = f"{path.name} {item.country or 'general'} {language}"
            assert all(source.url.startswith("https://") for source in variant.sources), where
            # The source a person sees (the first) is a public institution; NGO pages may
            # support a detail, and such items carry needs_review for a partner to confirm.
            shown = urlparse(variant.sources[0].url).hostname or ""
            assert PUBLIC_SOURCE.search(shown), f"{where}: {shown} is not a public source"
            if not all(
                PUBLIC_SOURCE.search(urlparse(s.url).hostname or "") for s in variant.sources
            ):
                assert item.needs_review, f"{where}: non-institutional source, not flagged"
            if item.country is None:
                assert not PHONE_NUMBER.search(variant.body), f"{where}: phone number"
            assert variant.review_status != "published", f"{where}: seed is not reviewed"


@pytest.mark.parametrize("path", _seed_files(), ids=lambda p: p.stem)
def test_every_answer_fits_one_message_part(path, languages, sessions, phrases):
    from bot.content.io import save_topic
    from bot.nlg import Audience, ResponseGenerator

    doc = load_topic_file(path, languages)
    generator = ResponseGenerator(sessions, phrases, languages)
    with sessions() as session, session.begin():
        save_topic(session, doc)
    for language in SEED_LANGUAGES:
        reply = generator.generate(f"utter_{doc.topic}", Audience(language), {})
        assert len(reply.text) <= BODY_MAX_CHARS, f"{path.name} {language}: {len(reply.text)}"
