"""Language identification and the rule for when a conversation changes language."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.config import REPO_ROOT
from bot.langid import Detection, build_detector
from bot.languages import load_languages
from bot.pipeline.language import next_language


@pytest.fixture(scope="module")
def detector():
    return build_detector(REPO_ROOT / "nlu_data", REPO_ROOT / "content", REPO_ROOT / "translations")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("bonjou", "ht"),
        ("yo pran paspò m", "ht"),
        ("m bezwen ed souple", "ht"),
        ("kot m ka dòmi aswè a", "ht"),
        ("bonjour", "fr"),
        ("on m'a pris mon passeport", "fr"),
        ("je cherche un endroit pour dormir", "fr"),
        ("jai besoin d aide svp", "fr"),
        ("hello", "en"),
        ("my boss took my passport", "en"),
        ("where can i sleep tonight", "en"),
        ("i need help please", "en"),
    ],
)
def test_short_phone_messages(detector, text, language):
    assert detector.detect(text).language == language


def test_nothing_to_detect_in_digits_or_emoji(detector):
    assert detector.detect("1").language is None
    assert detector.detect("👍").confidence == 0.0


def test_langid_command_prints_language_and_confidence():
    result = subprocess.run(
        [sys.executable, "-m", "bot", "langid"],
        input="bonjou\nhello there\n1\n",
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=True,
    )
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    assert [language for language, _ in lines] == ["ht", "en", "en"]
    assert all(0.0 <= float(confidence) <= 1.0 for _, confidence in lines)


@pytest.mark.parametrize(
    ("current", "settled", "detection", "expected"),
    [
        (None, False, Detection("ht", 0.9, 1), ("ht", False)),  # an opener guesses
        (None, False, Detection("ht", 0.9, 4), ("ht", True)),  # a sentence settles
        (None, False, Detection("fr", 0.4, 1), None),  # too unsure: keep the default for now
        ("ht", False, Detection("fr", 0.99, 1), None),  # "merci" does not flip a guess
        ("ht", False, Detection("fr", 0.99, 5), ("fr", True)),  # a French sentence corrects it
        ("ht", False, Detection("fr", 0.8, 6), None),  # ...but only when unmistakable
        ("ht", False, Detection("ht", 1.0, 4), ("ht", True)),  # confirmed: now settled
        ("ht", True, Detection("fr", 0.99, 5), None),  # settled: only a request switches
        ("en", True, Detection("ht", 1.0, 9), None),  # "he only speaks creole" is a detail
        ("ht", True, Detection(None, 0.0, 0), None),
    ],
)
def test_when_the_conversation_changes_language(current, settled, detection, expected):
    choice = next_language(current, settled, detection)
    assert (None if choice is None else (choice.language, choice.settled)) == expected


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("an kreyol souple", "ht"),
        ("in English please", "en"),
        ("parle moi en français", "fr"),
        ("ekri m an angle", "en"),
        ("chanje lang", None),
        ("Kreyòl", "ht"),
    ],
)
def test_language_named_in_a_message(languages, text, language):
    assert languages.find_named(text) == language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("can you speak kreyol, my english not so good", "ht"),
        ("an kreyol souple", "ht"),
        ("je veux parler en créole", "ht"),
        ("in English please", "en"),
        ("ekri m an angle", "en"),
        ("Kreyòl", "ht"),
        ("he is 7, blue shirt, he only speaks creole", None),  # a detail, not a request
        ("my son speaks french and english", None),
        ("chanje lang", None),
        # Somebody else's language is a detail too (the conversation set, issue 12).
        ("li pale kreyol selman", None),
        ("mari m pale angle, li ka ede m?", None),
        ("ma femme parle anglais", None),
        ("my husband only speaks creole, can he ask asylum in mexico too", None),
    ],
)
def test_only_a_request_names_the_new_language(languages, text, language):
    assert languages.requested(text) == language


@pytest.mark.parametrize(
    ("language", "order"),
    [("ht", ["ht", "fr", "en"]), ("fr", ["fr", "en"]), ("en", ["en", "fr"])],
)
def test_fallback_order_comes_from_languages_yml(languages, language, order):
    assert languages.fallback_order(language) == order


def write_languages(directory: Path, change) -> Path:
    """A copy of translations/languages.yml with `change(data)` applied, in `directory`."""
    data = yaml.safe_load((REPO_ROOT / "translations" / "languages.yml").read_text("utf-8"))
    change(data)
    (directory / "languages.yml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return directory


def test_a_partner_changes_the_order_as_data(tmp_path):
    def english_first(data):
        data["languages"]["ht"]["fallback"] = ["en", "fr"]
        data["languages"]["es"] = {"name": "Español", "names": ["espanol"]}  # no fallback:

    table = load_languages(write_languages(tmp_path, english_first))
    assert table.fallback_order("ht") == ["ht", "en", "fr"]
    # A language added without a list falls back to the default alone.
    assert table.fallback_order("es") == ["es", "en"]


@pytest.mark.parametrize("fallback", [["fr", "pt"], "fr"])
def test_a_wrong_fallback_list_is_refused_when_read(tmp_path, fallback):
    def broken(data):
        data["languages"]["ht"]["fallback"] = fallback

    with pytest.raises(ValueError, match="ht: fallback"):
        load_languages(write_languages(tmp_path, broken))
