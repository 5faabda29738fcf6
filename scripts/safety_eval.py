"""Measure the emergency fast path on tests/data/safety/messages.tsv; write docs/safety.md.

.venv/bin/python scripts/safety_eval.py
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.safety.detector import build_detector
from bot.safety.evaluation import evaluate, load_labelled

REPO = Path(__file__).resolve().parent.parent
MESSAGES = REPO / "tests" / "data" / "safety" / "messages.tsv"
PATTERNS = REPO / "content" / "safety" / "emergency.yml"
REPORT = REPO / "docs" / "safety.md"


def main() -> int:
    detector = build_detector(PATTERNS)
    stats = evaluate(detector, load_labelled(MESSAGES))
    lines = [
        "# Emergency fast path: measured",
        "",
        f"Measured on {dt.date.today().isoformat()} by `scripts/safety_eval.py` with the "
        f"{len(detector)} patterns of `content/safety/emergency.yml` on the labelled set "
        "`tests/data/safety/messages.tsv` (written separately from the patterns; the same set "
        "holds the line in `tests/test_safety.py`).",
        "",
        "| language | emergencies | caught (recall) | ordinary / near-miss messages | "
        "false alarms (rate) |",
        "|---|---|---|---|---|",
    ]
    for language, s in stats.items():
        lines.append(
            f"| {language} | {s.emergencies} | {s.caught} ({s.recall:.1%}) | {s.ordinary} | "
            f"{s.false_alarms} ({s.false_alarm_rate:.1%}) |"
        )
    missed = [(lang, t) for lang, s in stats.items() for t in s.missed]
    alarmed = [(lang, t) for lang, s in stats.items() for t in s.alarmed]
    lines += ["", "Missed emergencies:", ""]
    lines += [f"- {lang}: {text}" for lang, text in missed] or ["- none"]
    lines += ["", "False alarms:", ""]
    lines += [f"- {lang}: {text}" for lang, text in alarmed] or ["- none"]
    lines += [
        "",
        "## How it works, and its limits",
        "",
        "- The patterns run in the gateway before Rasa, on text folded to lower case without "
        "accents, in every language at once (people mix languages). A match answers at once "
        "with the emergency content for the person's country (or the general one and the "
        'question "which country are you in?"); Rasa is not needed, so the answer comes even '
        "while Rasa or the action server is down.",
        "- When no pattern matches, Rasa's `emergency` intent still leads to the same answer "
        "through the NLG endpoint: the two paths combine.",
        "- Recall comes first: a missed emergency costs far more than a false alarm, whose cost "
        "is one extra message with emergency numbers.",
        "- Both the patterns and this test set were written by the project; partners should add "
        "messages written by other people, because a set written by the pattern authors "
        "overstates recall.",
        "",
    ]
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text("\n".join(lines), encoding="utf-8")
    for language, s in stats.items():
        print(f"{language}: recall {s.recall:.3f}, false alarms {s.false_alarm_rate:.3f}")
    print(f"wrote {REPORT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
