"""Recall and false alarms of the emergency detector on a labelled message set.

Shared by the test (which holds the line) and scripts/safety_eval.py (which writes
docs/safety.md), so the figures in the docs are the ones the tests check.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from bot.safety.detector import EmergencyDetector

EMERGENCY = "emergency"


@dataclass
class DetectorStats:
    emergencies: int = 0
    caught: int = 0
    ordinary: int = 0
    false_alarms: int = 0
    missed: list[str] = field(default_factory=list)
    alarmed: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.caught / self.emergencies if self.emergencies else 1.0

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarms / self.ordinary if self.ordinary else 0.0


def load_labelled(path: Path) -> list[tuple[str, str, str]]:
    """(language, label, text) rows of a `lang<TAB>label<TAB>text` file; # lines are comments."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            language, label, text = line.split("\t", 2)
            rows.append((language, label, text))
    return rows


def evaluate(
    detector: EmergencyDetector, rows: list[tuple[str, str, str]]
) -> dict[str, DetectorStats]:
    stats: dict[str, DetectorStats] = defaultdict(DetectorStats)
    for language, label, text in rows:
        entry = stats[language]
        fired = detector.match(text) is not None
        if label == EMERGENCY:
            entry.emergencies += 1
            entry.caught += fired
            if not fired:
                entry.missed.append(text)
        else:
            entry.ordinary += 1
            entry.false_alarms += fired
            if fired:
                entry.alarmed.append(text)
    return dict(sorted(stats.items()))
