"""The emergency detector: recall first, few false alarms, patterns kept as valid data."""

from __future__ import annotations

import time

import pytest

from bot.config import REPO_ROOT
from bot.safety.detector import EmergencyDetector, build_detector, load_patterns
from bot.safety.evaluation import (
    CHILD_ALONE,
    CHILD_ALONE_SET,
    EMERGENCY,
    MEDICAL,
    MEDICAL_SET,
    MedicalSign,
    emergency_sets,
    evaluate,
    load_labelled,
)
from bot.safety.minor import build_child_alone_detector

PATTERNS = REPO_ROOT / "content" / "safety" / "emergency.yml"
SETS = emergency_sets(REPO_ROOT / "tests" / "data" / "safety")
LANGUAGES = ["en", "fr", "ht", "es"]
# The line we hold (docs/emergency-benchmark.md has the measured figures).
MIN_RECALL = 0.95
MAX_FALSE_ALARM_RATE = 0.05


@pytest.fixture(scope="module")
def detector():
    return build_detector(PATTERNS)


@pytest.fixture(scope="module")
def stats(detector):
    return evaluate(detector, [row for path in SETS for row in load_labelled(path)])


@pytest.mark.parametrize("language", LANGUAGES)
def test_recall_and_false_alarms_per_language(stats, language):
    assert stats[language].emergencies >= 30
    assert stats[language].ordinary >= 20
    assert stats[language].recall >= MIN_RECALL, stats[language].missed
    assert stats[language].false_alarm_rate <= MAX_FALSE_ALARM_RATE, stats[language].alarmed


def _categories(path):
    grouped, current = {}, None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# category:"):
            current = line.removeprefix("# category:").strip()
        elif current and line.strip() and not line.startswith("#"):
            language, label, _ = line.split("\t", 2)
            grouped.setdefault(current, set()).add((language, label))
    return grouped


def test_every_category_has_emergencies_in_every_language():
    grouped = {name: rows for path in SETS for name, rows in _categories(path).items()}
    assert len(grouped) >= 11
    for name, rows in grouped.items():
        if not any(label == EMERGENCY for _, label in rows):
            continue  # a category of near misses only
        missing = [lang for lang in LANGUAGES if (lang, EMERGENCY) not in rows]
        assert not missing, f"{name}: no emergency written in {missing}"


@pytest.mark.parametrize(
    "text",
    [
        "yo kenbe m, m pa ka soti, ede m souple",
        "m an danje",
        "YO KENBE M",
        "on me retient, aidez-moi",
        "help me they took my son",
        "ayúdenme por favor",
        # issue 13: medical and violent emergencies typed in Kreyòl and French
        "l ap pèdi san",
        "dlo pòch li kase",
        "koulèv mòde l",
        "yo tire sou nou",
        "tanpri ede m",
        "elle perd les eaux",
        "un serpent l'a mordu",
        "au secours",
    ],
)
def test_the_issues_examples_are_emergencies(detector, text):
    assert detector.match(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "help",
        "menu",
        "ede",
        "aide",
        "how can i help my son with school",
        "can you help me find a shelter",
        "tanpri ede m jwenn yon kay",
        "m bezwen èd pou jwenn yon kay",
        "où puis-je trouver de l'aide juridique",
        # near misses named in issue 13
        "my phone is dead",
        "I'm dying to see my mother",
        "the baby is kicking a lot, is that normal",
        "dlo a fret",
        "the river crossing, is it dangerous?",
        "they shot a video",
        "je meurs de faim",
        "mwen ansent, ki kote m ka fè swivi",
        "can police keep me without passport?",
    ],
)
def test_plain_help_requests_and_near_misses_are_not_emergencies(detector, text):
    assert detector.match(text) is None, detector.match(text)


def test_a_long_message_is_matched_quickly(detector):
    # Every pattern runs on every message: no pattern may backtrack badly on a long one.
    ordinary = [t for path in SETS for _, label, t in load_labelled(path) if label != EMERGENCY]
    long_message = (" ".join(ordinary) + " ansent enceinte pregnant " * 40)[:2000]
    start = time.perf_counter()
    for _ in range(5):
        detector.match(long_message)
    assert (time.perf_counter() - start) / 5 < 0.5


def test_patterns_must_be_written_folded(tmp_path):
    path = tmp_path / "emergency.yml"
    path.write_text("patterns:\n  fr: ['Au Secours']\n", encoding="utf-8")
    with pytest.raises(ValueError, match="lower case without accents"):
        load_patterns(path)


def test_accents_and_spacing_in_messages_do_not_matter():
    detector = EmergencyDetector({"ht": [r"m an danje"]})
    assert detector.match("M   an DANJÈ") is not None


# The child-alone patterns and the `medical` sign of emergencies, on their own labelled sets
# (docs/emergency-benchmark.md has the measured figures and how the sets were written).
SAFETY_DATA = REPO_ROOT / "tests" / "data" / "safety"
MINOR_PATTERNS = REPO_ROOT / "content" / "safety" / "minor_alone.yml"
NEW_SET_LANGUAGES = ["en", "fr", "ht"]
MIN_NEW_RECALL = 0.9
MAX_NEW_FALSE_ALARM_RATE = 0.1


@pytest.fixture(scope="module")
def child_alone_stats():
    detector = build_child_alone_detector(MINOR_PATTERNS)
    return evaluate(detector, load_labelled(SAFETY_DATA / CHILD_ALONE_SET), CHILD_ALONE)


@pytest.fixture(scope="module")
def medical_rows():
    return load_labelled(SAFETY_DATA / MEDICAL_SET)


@pytest.mark.parametrize("language", NEW_SET_LANGUAGES)
def test_child_alone_recall_and_false_alarms_per_language(child_alone_stats, language):
    s = child_alone_stats[language]
    assert s.emergencies >= 20
    assert s.ordinary >= 20
    assert s.recall >= MIN_NEW_RECALL, s.missed
    assert s.false_alarm_rate <= MAX_NEW_FALSE_ALARM_RATE, s.alarmed


def test_every_row_of_the_medical_set_is_an_emergency(detector, medical_rows):
    assert [text for _, _, text in medical_rows if detector.match(text) is None] == []


@pytest.mark.parametrize("language", NEW_SET_LANGUAGES)
def test_medical_recall_and_false_alarms_per_language(detector, medical_rows, language):
    s = evaluate(MedicalSign(detector), medical_rows, MEDICAL)[language]
    assert s.emergencies + s.ordinary >= 25
    assert s.ordinary >= 10
    assert s.recall >= MIN_NEW_RECALL, s.missed
    assert s.false_alarm_rate <= MAX_NEW_FALSE_ALARM_RATE, s.alarmed
