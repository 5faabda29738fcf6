"""Conversation openers (issue 12): SMS greetings and shorthand ("bsr", "bjr svp", "sak pase",
"thx") come out in their language, sure enough for the gateway's first guess; words sent alike in
several of our languages ("ok", "non", "merci") come out unsure, so a conversation keeps its
language. Measured through `bot.pipeline.language.identify`, as the gateway runs the detector."""

from __future__ import annotations

import pytest

from bot.config import REPO_ROOT
from bot.langid import LanguageDetector, build_detector, load_shared_words, load_shorthand
from bot.languages import load_languages
from bot.pipeline.language import FIRST_GUESS_MIN_CONFIDENCE, identify

OPENERS = REPO_ROOT / "tests" / "data" / "langid" / "openers.tsv"
SPOKEN = ("en", "fr", "ht")
AMBIGUOUS = "ambiguous"
MIN_RIGHT = 0.9  # per language: identified right and sure enough to open the conversation


def load_openers() -> list[tuple[str, str]]:
    rows = []
    for line in OPENERS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            text, expected = line.split("\t")
            rows.append((text, expected))
    return rows


@pytest.fixture(scope="module")
def guess():
    detector = build_detector(
        REPO_ROOT / "nlu_data", REPO_ROOT / "content", REPO_ROOT / "translations"
    )
    table = load_languages(REPO_ROOT / "translations")
    return lambda text: identify(detector, table, text)


def test_the_openers_set_covers_every_language_with_short_texts():
    rows = load_openers()
    assert len(rows) >= 60
    assert {expected for _, expected in rows} == {*SPOKEN, AMBIGUOUS}
    for language in SPOKEN:
        assert sum(expected == language for _, expected in rows) >= 15, language
    assert sum(expected == AMBIGUOUS for _, expected in rows) >= 5
    assert [text for text, _ in rows if not 1 <= len(text.split()) <= 3] == []
    assert len({text for text, _ in rows}) == len(rows), "a text is listed twice"


@pytest.mark.parametrize("language", SPOKEN)
def test_openers_open_the_conversation_in_their_language(guess, language):
    texts = [text for text, expected in load_openers() if expected == language]
    missed = []
    for text in texts:
        detection = guess(text)
        if detection.language != language or detection.confidence < FIRST_GUESS_MIN_CONFIDENCE:
            missed.append((text, detection.language, round(detection.confidence, 3)))
    right = 1 - len(missed) / len(texts)
    assert right >= MIN_RIGHT, f"{right:.0%} right in {language}; missed: {missed}"


def test_ambiguous_openers_are_not_sure_enough_to_choose_a_language(guess):
    sure = [
        (text, detection.language, round(detection.confidence, 3))
        for text, expected in load_openers()
        if expected == AMBIGUOUS
        for detection in (guess(text),)
        if detection.confidence >= FIRST_GUESS_MIN_CONFIDENCE
    ]
    assert sure == []


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("bsr", "fr"),
        ("bjr", "fr"),
        ("bjr svp", "fr"),
        ("bsr madame", "fr"),
        ("slt cv", "fr"),
        ("jsp", "fr"),
        ("sak pase", "ht"),
        ("bonjou", "ht"),
        ("bswa", "ht"),
        ("mesi anpil", "ht"),
        ("kijan ou ye", "ht"),
        ("m bezwen", "ht"),
        ("thx", "en"),
        ("ok thanks", "en"),
        ("hello", "en"),
    ],
)
def test_must_open_in_their_language(guess, text, language):
    detection = guess(text)
    assert detection.language == language
    assert detection.confidence >= FIRST_GUESS_MIN_CONFIDENCE


@pytest.mark.parametrize("text", ["ok", "okay", "non", "merci", "ok merci", "non merci", "menu"])
def test_must_stay_unsure(guess, text):
    assert guess(text).confidence < FIRST_GUESS_MIN_CONFIDENCE


@pytest.mark.parametrize(
    ("text", "language"),
    [("non mesi", "ht"), ("non merci beaucoup", "fr"), ("ok thx", "en"), ("ok mesi", "ht")],
)
def test_next_to_a_shared_word_the_other_words_decide(guess, text, language):
    detection = guess(text)
    assert detection.language == language
    assert detection.confidence >= FIRST_GUESS_MIN_CONFIDENCE


# ---------------------------------------------------------------- the data and how it is read


@pytest.mark.parametrize("language", SPOKEN)
def test_each_listed_shorthand_alone_comes_out_in_its_language(guess, language):
    """bot/langid_data/shorthand_<lang>.txt: a token that would come out in another language
    (because another language spells it out too, or its words are another language's) is a
    mistake in the list."""
    tokens = load_shorthand([language])
    assert tokens, f"no shorthand listed for {language}"
    wrong = {
        token: (detection.language, round(detection.confidence, 3))
        for token in tokens
        for detection in (guess(token),)
        if detection.language != language or detection.confidence < FIRST_GUESS_MIN_CONFIDENCE
    }
    assert wrong == {}


def test_shorthand_is_scored_as_the_words_it_stands_for():
    detector = LanguageDetector(
        {"fr": ["bonsoir madame", "merci"], "ht": ["bonswa madanm", "mesi", "bsr"]},
        shorthand={"bsr": "bonsoir"},
    )
    assert detector.scores("bsr") == detector.scores("bonsoir")
    assert detector.detect("bsr").language == "fr"
    assert detector.detect("bsr").words == 1  # the person's words, not the spelled-out ones


def test_a_shared_word_says_nothing_among_its_languages():
    detector = LanguageDetector(
        {"fr": ["non merci", "non non"], "ht": ["non mesi", "wi"], "en": ["no thanks"]},
        shared={"non": ["fr", "ht"], "thanks": ["en"]},  # one language: nothing to share
    )
    alone = detector.detect("non", among=["fr", "ht"])
    assert alone.confidence == pytest.approx(0.5)
    scores = detector.scores("non")
    assert scores["fr"] == scores["ht"] > scores["en"]
    assert detector.detect("non mesi").language == "ht"
    assert detector.detect("thanks").language == "en"


def test_two_languages_spelling_out_one_token_differently_is_refused(tmp_path):
    (tmp_path / "shorthand_fr.txt").write_text("pk\tpourquoi\n", encoding="utf-8")
    (tmp_path / "shorthand_ht.txt").write_text("# comment\npk\tpoukisa\n", encoding="utf-8")
    with pytest.raises(ValueError, match="pk"):
        load_shorthand(["fr", "ht"], tmp_path)
    assert load_shorthand(["fr"], tmp_path) == {"pk": "pourquoi"}


def test_shared_words_keep_only_the_languages_the_detector_knows(tmp_path):
    (tmp_path / "shared_words.txt").write_text("ok\ten fr ht es\nnon\tfr xx\n", encoding="utf-8")
    assert load_shared_words(["en", "fr", "ht"], tmp_path) == {"ok": frozenset({"en", "fr", "ht"})}
