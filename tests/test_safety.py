"""The emergency detector: recall first, few false alarms, patterns kept as valid data."""

from __future__ import annotations

import pytest

from bot.config import REPO_ROOT
from bot.safety.detector import EmergencyDetector, build_detector, load_patterns
from bot.safety.evaluation import evaluate, load_labelled

PATTERNS = REPO_ROOT / "content" / "safety" / "emergency.yml"
MESSAGES = REPO_ROOT / "tests" / "data" / "safety" / "messages.tsv"
# The line we hold (docs/safety.md has the measured figures).
MIN_RECALL = 0.95
MAX_FALSE_ALARM_RATE = 0.15


@pytest.fixture(scope="module")
def stats():
    return evaluate(build_detector(PATTERNS), load_labelled(MESSAGES))


@pytest.mark.parametrize("language", ["en", "fr", "ht", "es"])
def test_recall_and_false_alarms_per_language(stats, language):
    assert stats[language].emergencies >= 10
    assert stats[language].recall >= MIN_RECALL, stats[language].missed
    assert stats[language].false_alarm_rate <= MAX_FALSE_ALARM_RATE, stats[language].alarmed


@pytest.mark.parametrize(
    "text",
    [
        "yo kenbe m, m pa ka soti, ede m souple",
        "m an danje",
        "YO KENBE M",
        "on me retient, aidez-moi",
        "help me they took my son",
        "ayúdenme por favor",
    ],
)
def test_the_issues_examples_are_emergencies(text):
    assert build_detector(PATTERNS).match(text) is not None


@pytest.mark.parametrize(
    "text", ["help", "menu", "ede", "aide", "how can i help my son with school"]
)
def test_plain_help_requests_are_not_emergencies(text):
    assert build_detector(PATTERNS).match(text) is None


def test_patterns_must_be_written_folded(tmp_path):
    path = tmp_path / "emergency.yml"
    path.write_text("patterns:\n  fr: ['Au Secours']\n", encoding="utf-8")
    with pytest.raises(ValueError, match="lower case without accents"):
        load_patterns(path)


def test_accents_and_spacing_in_messages_do_not_matter():
    detector = EmergencyDetector({"ht": [r"m an danje"]})
    assert detector.match("M   an DANJÈ") is not None
