"""Recall and false alarms of the safety detectors on labelled message sets.

Shared by the tests (which hold the line) and scripts/safety_eval.py (which writes
docs/emergency-benchmark.md), so the figures in the docs are the ones the tests check. One
counting serves the three detectors: the emergency patterns (every set of tests/data/safety
but the two below), the child-alone patterns (`child_alone.tsv`) and the `medical` sign of an
emergency (`medical.tsv`, emergencies only).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from bot.safety.detector import EmergencyDetector

EMERGENCY = "emergency"
CHILD_ALONE = "child_alone"
MEDICAL = "medical"
CHILD_ALONE_SET = "child_alone.tsv"
MEDICAL_SET = "medical.tsv"


class Detector(Protocol):
    def match(self, text: str) -> object: ...


@dataclass(frozen=True)
class MedicalSign:
    """Fires when a message is an emergency whose answer starts with "go to the emergency room"."""

    detector: EmergencyDetector

    def match(self, text: str) -> bool:
        found = self.detector.match(text)
        return found is not None and found.medical


@dataclass
class DetectorStats:
    """`emergencies` counts the rows of the positive label (an emergency, a child alone, a
    medical emergency), `ordinary` the others."""

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


def emergency_sets(folder: Path) -> list[Path]:
    """The sets that measure the emergency patterns: every tsv but the other detectors' sets."""
    return sorted(p for p in folder.glob("*.tsv") if p.name not in (CHILD_ALONE_SET, MEDICAL_SET))


def load_labelled(path: Path) -> list[tuple[str, str, str]]:
    """(language, label, text) rows of a `lang<TAB>label<TAB>text` file; # lines are comments."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            language, label, text = line.split("\t", 2)
            rows.append((language, label, text))
    return rows


def evaluate(
    detector: Detector, rows: list[tuple[str, str, str]], positive: str = EMERGENCY
) -> dict[str, DetectorStats]:
    """Per language: how many `positive` rows the detector fires on, and how many others."""
    stats: dict[str, DetectorStats] = defaultdict(DetectorStats)
    for language, label, text in rows:
        entry = stats[language]
        fired = bool(detector.match(text))
        if label == positive:
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
